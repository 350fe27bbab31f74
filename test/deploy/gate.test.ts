// The readiness gate's own logic (service spec §11.2), without running the gate: arguments, verdict and exit code,
// report files, the runner, the secret scanner and its allowlist, coverage per directory, vitest JSON results,
// the artefact half of the env-catalogue rules, the npm audit verdict and the deploy-render test selection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE, type VarSpec } from '../../src/config/catalogue.js';
import { GateUsageError, parseGateArgs } from '../../scripts/gate/args.js';
import { CHECKS } from '../../scripts/gate/checks/index.js';
import { DEPLOY_TEST_FILES, groupPattern, inGroup, TOOL_GROUPS } from '../../scripts/gate/checks/deploy-render.js';
import { ALLOWLIST_PATH, judgeAudit } from '../../scripts/gate/checks/security.js';
import { unhandledErrors } from '../../scripts/gate/checks/tests.js';
import { directoryCoverage, formatCoverage } from '../../scripts/gate/coverage.js';
import {
  composeVariables,
  envFileKeys,
  envReferenceProblems,
  manifestKeys,
  shellVariables,
} from '../../scripts/gate/env-references.js';
import {
  ALLOWED_SKIP_NOTE,
  annotateAllowedSkips,
  exitCodeOf,
  overallOf,
  renderMarkdown,
  writeReports,
} from '../../scripts/gate/report.js';
import { runGate, runOne, checkContext } from '../../scripts/gate/run-gate.js';
import {
  AllowlistError,
  applyAllowlist,
  fingerprint,
  isEnvFileName,
  isPlaceholderPassword,
  parseAllowlist,
  scanFile,
} from '../../scripts/gate/secret-scan.js';
import { CHECK_IDS, type Check, type CheckId, type CheckResult } from '../../scripts/gate/types.js';
import { parseVitestJson, tally, VitestReportError } from '../../scripts/gate/vitest-results.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-gate-test-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function result(id: CheckId, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `title of ${id}`, status, duration_ms: 10, details: `details of ${id}`, ...extra };
}

describe('gate arguments', () => {
  it('reads --allow-skip and --only in both spellings, merging repeats', () => {
    const args = parseGateArgs(['--allow-skip=image', '--only', 'lint,tests', '--allow-skip', 'security, image']);
    expect([...args.allowSkip].sort()).toEqual(['image', 'security']);
    expect([...args.only!].sort()).toEqual(['lint', 'tests']);
    expect(args.help).toBe(false);
    expect(parseGateArgs([])).toEqual({ allowSkip: new Set(), only: undefined, help: false });
    expect(parseGateArgs(['--help']).help).toBe(true);
  });

  it('refuses unknown ids, empty lists, missing values and unknown arguments', () => {
    expect(() => parseGateArgs(['--allow-skip=imgae'])).toThrow(/--allow-skip: unknown check id imgae/);
    expect(() => parseGateArgs(['--allow-skip='])).toThrow(/needs at least one check id/);
    expect(() => parseGateArgs(['--only'])).toThrow(/--only needs a value/);
    expect(() => parseGateArgs(['--skip=image'])).toThrow(GateUsageError);
  });

  it('the npm script allows exactly the skips the report justifies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.gate).toBe('tsx scripts/gate.ts --allow-skip=image,security');
  });
});

describe('gate verdict and exit code', () => {
  it('fail wins, then an unallowed skip makes it incomplete, else pass', () => {
    const none = new Set<CheckId>();
    const image = new Set<CheckId>(['image']);
    expect(overallOf([result('lint', 'pass'), result('tests', 'fail'), result('image', 'skipped')], image)).toBe(
      'fail',
    );
    expect(overallOf([result('lint', 'pass'), result('image', 'skipped')], none)).toBe('incomplete');
    expect(overallOf([result('lint', 'pass'), result('image', 'skipped')], image)).toBe('pass');
    expect(overallOf([result('lint', 'pass'), result('security', 'skipped')], image)).toBe('incomplete');
    expect(overallOf([], image)).toBe('incomplete');
    expect([exitCodeOf('pass'), exitCodeOf('fail'), exitCodeOf('incomplete')]).toEqual([0, 1, 2]);
  });

  it('notes an allowed skip in the details and leaves other checks as they were', () => {
    const input = [result('image', 'skipped', { skip_reason: 'no Docker engine' }), result('lint', 'skipped')];
    const out = annotateAllowedSkips(input, new Set(['image']));
    expect(out[0]!.details).toBe(`details of image\n${ALLOWED_SKIP_NOTE}`);
    expect(out[1]!.details).toBe('details of lint');
    expect(input[0]!.details).toBe('details of image');
  });
});

describe('gate reports', () => {
  const report = {
    started_at: '2026-01-02T03:04:05.000Z',
    finished_at: '2026-01-02T03:09:05.000Z',
    git_commit: 'abc123',
    node_version: 'v20.19.0',
    overall: 'pass' as const,
    checks: [
      result('lint', 'pass', { duration_ms: 1500, details: 'eslint ok | shellcheck ok' }),
      result('image', 'skipped', { duration_ms: 250, details: 'docker info failed', skip_reason: 'no Docker engine' }),
    ],
  };

  it('writes gate.json with exactly the spec fields, skip_reason only on skipped checks', () => {
    const dir = path.join(tempDir(), 'reports', 'readiness');
    const written = writeReports(dir, report, new Set(['image']));
    expect(written).toEqual({ json: path.join(dir, 'gate.json'), markdown: path.join(dir, 'gate.md') });
    const json = JSON.parse(fs.readFileSync(written.json, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['started_at', 'finished_at', 'git_commit', 'node_version', 'overall', 'checks']);
    expect(json.checks).toEqual([
      {
        id: 'lint',
        title: 'title of lint',
        status: 'pass',
        duration_ms: 1500,
        details: 'eslint ok | shellcheck ok',
      },
      {
        id: 'image',
        title: 'title of image',
        status: 'skipped',
        duration_ms: 250,
        details: 'docker info failed',
        skip_reason: 'no Docker engine',
      },
    ]);
  });

  it('gate.md has the summary table (pipes escaped, allowed skips marked) and one section per check', () => {
    const md = renderMarkdown(report, new Set(['image']));
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Readiness gate');
    expect(lines).toContain('Overall: **pass**');
    expect(lines).toContain('- allowed skips: image');
    expect(lines).toContain('| `lint` | title of lint | pass | 1.5 s |  |');
    expect(lines).toContain('| `image` | title of image | skipped (allowed) | 0.3 s | no Docker engine |');
    expect(lines).toContain('## image: skipped');
    expect(lines).toContain('Skip reason: no Docker engine');
    expect(lines).toContain('eslint ok | shellcheck ok');
  });
});

describe('gate runner', () => {
  const fake = (id: CheckId, run: Check['run']): Check => ({ id, title: `fake ${id}`, run });

  it('runs every check in order after a failure or an exception, and --only skips the others', async () => {
    const order: string[] = [];
    const checks: Check[] = [
      fake('typecheck', async () => (order.push('typecheck'), { status: 'fail', details: 'tsc errors' })),
      fake('lint', async () => {
        order.push('lint');
        throw new Error('boom');
      }),
      fake('tests', async () => (order.push('tests'), { status: 'pass', details: 'ok' })),
      fake(
        'image',
        async () => (order.push('image'), { status: 'skipped', details: 'x', skipReason: 'no Docker engine' }),
      ),
    ];
    let clock = 0;
    const progress: string[] = [];
    const report = await runGate(checks, {
      root: ROOT,
      reportDir: tempDir(),
      allowSkip: new Set(['image']),
      only: undefined,
      gitCommit: 'c0ffee',
      progress: (l) => progress.push(l),
      now: () => new Date(Date.UTC(2026, 0, 1) + (clock += 1000)),
    });
    expect(order).toEqual(['typecheck', 'lint', 'tests', 'image']);
    expect(report.checks.map((c) => [c.id, c.status, c.duration_ms])).toEqual([
      ['typecheck', 'fail', 1000],
      ['lint', 'fail', 1000],
      ['tests', 'pass', 1000],
      ['image', 'skipped', 1000],
    ]);
    expect(report.checks[1]!.details).toMatch(/^the check itself failed: Error: boom/);
    expect(report.checks[3]!.skip_reason).toBe('no Docker engine');
    expect(report.overall).toBe('fail');
    expect(report.git_commit).toBe('c0ffee');
    expect(report.started_at).toBe('2026-01-01T00:00:01.000Z');
    expect(report.finished_at).toBe('2026-01-01T00:00:10.000Z');
    expect(progress.at(-1)).toBe('[gate] image: skipped (no Docker engine) in 1.0 s');

    const onlyOrder: string[] = [];
    const one = await runOne(
      fake('lint', async () => (onlyOrder.push('lint'), { status: 'pass', details: '' })),
      checkContext(ROOT, tempDir()),
      false,
      () => new Date(0),
    );
    expect(onlyOrder).toEqual([]);
    expect(one).toEqual({
      id: 'lint',
      title: 'fake lint',
      status: 'skipped',
      duration_ms: 0,
      details: 'not run',
      skip_reason: 'not selected (--only)',
    });
  });

  it('the real check list is the §11.2 table in order', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(CHECK_IDS).toEqual([
      'typecheck',
      'lint',
      'tests',
      'router-smoke',
      'security',
      'env-catalogue',
      'docs-commands',
      'deploy-render',
      'backup-restore',
      'image',
    ]);
  });

  it('writeLog puts logs under reportDir/logs and returns the repository-relative path', () => {
    const dir = path.join(tempDir(), 'readiness');
    const ctx = checkContext(path.dirname(dir), dir);
    expect(ctx.writeLog('x.log', 'hello')).toBe(path.join('readiness', 'logs', 'x.log'));
    expect(fs.readFileSync(path.join(dir, 'logs', 'x.log'), 'utf8')).toBe('hello');
  });
});

describe('secret scanner', () => {
  // Fixtures are assembled at run time, so this file holds no literal the scanner would report.
  const apiKey = 'qnwis_' + 'a1b2c3d4e5f6' + '_' + 'Q'.repeat(40) + 'z-9';
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'analyst' })}.${'s'.repeat(20)}`;
  const pemStart = '-----BEGIN ' + 'RSA PRIVATE KEY-----';
  const opensshStart = '-----BEGIN ' + 'OPENSSH PRIVATE KEY-----';
  const dbUrl = 'postgresql://app:' + 'Xy7-real-pass' + '@db.internal:5432/app';

  it('fingerprints are the first 16 hex digits of SHA-256', () => {
    expect(fingerprint('abc')).toBe('ba7816bf8f01cfea');
  });

  it('finds each rule with its line, and masks the match', () => {
    const text = [
      'line one',
      `const key = '${apiKey}';`,
      `Authorization: Bearer ${jwt}`,
      pemStart,
      `url=${dbUrl} and ${opensshStart}`,
    ].join('\n');
    const findings = scanFile('src/example.ts', text);
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['api-key', 2],
      ['jwt', 3],
      ['private-key', 4],
      ['private-key', 5],
      ['url-password', 5],
    ]);
    expect(findings[0]!.fingerprint).toBe(fingerprint(apiKey));
    expect(findings[0]!.excerpt).toBe('qnwis_a1…(62 chars)');
    for (const f of findings) expect(f.excerpt).not.toContain(f.rule === 'api-key' ? apiKey.slice(10) : 'Xy7-real');
  });

  it('an API key inside a longer token, a key of the wrong shape and placeholder passwords are not findings', () => {
    const text = [
      `x${apiKey}`,
      `${apiKey}x`,
      'qnwis_A1B2C3D4E5F6_' + 'Q'.repeat(43),
      'postgresql://qnwis:CHANGE_ME_postgres_password@postgres:5432/qnwis',
      'redis://:${REDIS_PASSWORD}@redis:6379/0',
      'postgres://u:$PGPASSWORD@db/q',
      'postgresql://qnwis:***@db:5432/q',
      'https://user:<password>@host/',
      'postgresql://user:password@host/db',
      'postgresql://postgres@127.0.0.1:5432/test',
      'http://127.0.0.1:8000/path@x',
    ].join('\n');
    expect(scanFile('docs/example.md', text)).toEqual([]);
    expect(
      ['CHANGE_ME', '${X}', '$X', '***', '<pw>', '{pw}', 'xxx', '...', 'secret'].map(isPlaceholderPassword),
    ).toEqual(Array(9).fill(true));
    expect(['p', 'hunter2', 's3cr%40t'].map(isPlaceholderPassword)).toEqual([false, false, false]);
  });

  it('tracked env files other than *.example are findings; binary content is not scanned', () => {
    expect(
      ['.env', 'ops/docker/.env', 'ops/docker/green.env', '.env.local', 'x/.env.production'].map(isEnvFileName),
    ).toEqual([true, true, true, true, true]);
    expect(['ops/docker/.env.example', 'green.env.example', '.envrc', 'src/env.ts', 'env'].map(isEnvFileName)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(scanFile('ops/docker/.env', 'LOG_LEVEL=info\n')).toEqual([
      {
        rule: 'env-file',
        file: 'ops/docker/.env',
        line: 0,
        fingerprint: fingerprint('ops/docker/.env'),
        excerpt: 'ops/docker/.env',
      },
    ]);
    expect(scanFile('font.ttf', `\0\0${apiKey}`)).toEqual([]);
  });

  it('the allowlist allows only named fingerprints of a file and rule, and reports stale ones', () => {
    const findings = [...scanFile('test/a.test.ts', `${dbUrl}\n${apiKey}`), ...scanFile('test/b.test.ts', dbUrl)];
    // The url-password match runs from the scheme to the first character of the host.
    const urlFingerprint = fingerprint('postgresql://app:' + 'Xy7-real-pass' + '@d');
    expect(findings[0]!.fingerprint).toBe(urlFingerprint);
    const entries = parseAllowlist({
      entries: [
        {
          file: 'test/a.test.ts',
          rule: 'url-password',
          fingerprints: [urlFingerprint, '0000000000000000'],
          justification: 'fake password for a host that does not exist',
        },
      ],
    });
    const verdict = applyAllowlist(findings, entries);
    expect(verdict.allowed.map((f) => [f.file, f.rule])).toEqual([['test/a.test.ts', 'url-password']]);
    expect(verdict.reported.map((f) => [f.file, f.rule])).toEqual([
      ['test/a.test.ts', 'api-key'],
      ['test/b.test.ts', 'url-password'],
    ]);
    expect(verdict.stale.map((s) => s.fingerprint)).toEqual(['0000000000000000']);
  });

  it('refuses allowlist entries without a justification, fingerprints or a known rule', () => {
    const entry = {
      file: 'test/a.test.ts',
      rule: 'jwt',
      fingerprints: ['0123456789abcdef'],
      justification: 'a made-up token signed by no key',
    };
    expect(parseAllowlist({ entries: [entry] })).toEqual([entry]);
    expect(() => parseAllowlist({ entries: [{ ...entry, justification: 'test' }] })).toThrow(/justification/);
    expect(() => parseAllowlist({ entries: [{ ...entry, fingerprints: [] }] })).toThrow(/fingerprints/);
    expect(() => parseAllowlist({ entries: [{ ...entry, fingerprints: ['xyz'] }] })).toThrow(/fingerprints/);
    expect(() => parseAllowlist({ entries: [{ ...entry, rule: 'password' }] })).toThrow(/rule must be one of/);
    expect(() => parseAllowlist({ entries: [{ ...entry, note: 'x' }] })).toThrow(/unexpected keys: note/);
    expect(() => parseAllowlist([])).toThrow(AllowlistError);
  });

  it('the repository allowlist is valid, names existing files, and the gate sources hold nothing to report', () => {
    const entries = parseAllowlist(JSON.parse(fs.readFileSync(path.join(ROOT, ALLOWLIST_PATH), 'utf8')));
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(fs.existsSync(path.join(ROOT, entry.file)), entry.file).toBe(true);
    const own = [
      'test/deploy/gate.test.ts',
      'scripts/gate.ts',
      ...fs.readdirSync(path.join(ROOT, 'scripts/gate'), { recursive: true }).map((f) => `scripts/gate/${String(f)}`),
    ];
    for (const file of own.filter((f) => fs.statSync(path.join(ROOT, f)).isFile()))
      expect(scanFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8')), file).toEqual([]);
  });
});

describe('coverage per directory', () => {
  const root = '/repo';
  const summary = {
    total: { lines: { total: 999, covered: 1 } },
    '/repo/src/http/a.ts': { lines: { total: 100, covered: 90 } },
    '/repo/src/http/sub/b.ts': { lines: { total: 100, covered: 80 } },
    '/repo/src/security/c.ts': { lines: { total: 3, covered: 2 } },
    '/repo/src/httpx/d.ts': { lines: { total: 50, covered: 0 } },
  };

  it('sums the files under each directory and floors the percentage', () => {
    const rows = directoryCoverage(
      summary,
      root,
      ['src/http', 'src/security', 'src/config'],
      ['src/http/a.ts', 'src/http/sub/b.ts', 'src/security/c.ts'],
    );
    expect(rows).toEqual([
      { dir: 'src/http', files: 2, total: 200, covered: 170, pct: 85, unmeasured: [], ok: true },
      { dir: 'src/security', files: 1, total: 3, covered: 2, pct: 66.66, unmeasured: [], ok: false },
      { dir: 'src/config', files: 0, total: 0, covered: 0, pct: 0, unmeasured: [], ok: false },
    ]);
    expect(formatCoverage(rows).split('\n')).toEqual([
      'src/http: 85.00 % lines (170/200 in 2 files) ok',
      'src/security: 66.66 % lines (2/3 in 1 files) FAIL: below 85 %',
      'src/config: 0.00 % lines (0/0 in 0 files) FAIL: no lines measured',
    ]);
  });

  it('a source file the report leaves out fails its directory', () => {
    const [row] = directoryCoverage(
      summary,
      root,
      ['src/http'],
      ['src/http/a.ts', 'src/http/sub/b.ts', 'src/http/c.ts'],
    );
    expect(row).toMatchObject({ pct: 85, unmeasured: ['src/http/c.ts'], ok: false });
    expect(formatCoverage([row!])).toBe(
      'src/http: 85.00 % lines (170/200 in 2 files) FAIL: files not measured; not measured: src/http/c.ts',
    );
  });
});

describe('vitest JSON results', () => {
  const json = JSON.stringify({
    testResults: [
      {
        name: '/repo/test/a.test.ts',
        status: 'failed',
        message: '',
        assertionResults: [
          { ancestorTitles: ['suite'], title: 'one', fullName: 'suite one', status: 'passed', failureMessages: [] },
          {
            ancestorTitles: ['suite'],
            title: 'two',
            fullName: 'suite two',
            status: 'failed',
            failureMessages: ['\nAssertionError: x'],
          },
          { ancestorTitles: [], title: 'three', fullName: 'three', status: 'skipped', failureMessages: [] },
        ],
      },
      { name: '/repo/test/b.test.ts', status: 'failed', message: 'Error: cannot import', assertionResults: [] },
    ],
  });

  it('parses files and tests with repository-relative paths and tallies them', () => {
    const results = parseVitestJson(json, '/repo');
    expect(results.files.map((f) => [f.file, f.status])).toEqual([
      ['test/a.test.ts', 'failed'],
      ['test/b.test.ts', 'failed'],
    ]);
    const t = tally(results);
    expect([t.passed, t.failed, t.skipped]).toEqual([1, 1, 1]);
    expect(t.brokenFiles.map((f) => f.file)).toEqual(['test/b.test.ts']);
    expect(t.failedTests.map((x) => x.fullName)).toEqual(['suite two']);
    expect(tally(results, (x) => x.fullName.startsWith('suite ')).skipped).toBe(0);
  });

  it('reads the unhandled-error count of the console summary', () => {
    expect(
      unhandledErrors(' Test Files  3 failed | 99 passed (102)\n      Tests  4 failed\n     Errors  51 errors\n'),
    ).toBe(51);
    expect(unhandledErrors('     Errors  1 error\n')).toBe(1);
    expect(unhandledErrors(' Test Files  102 passed (102)\n')).toBe(0);
  });

  it('refuses output that is not a vitest JSON report', () => {
    expect(() => parseVitestJson('not json', '/repo')).toThrow(VitestReportError);
    expect(() => parseVitestJson('{}', '/repo')).toThrow(/no testResults array/);
  });
});

describe('env-catalogue artefact rules', () => {
  const spec = (name: string, consumers: VarSpec['consumers'], requiredInProd = false): VarSpec => ({
    name,
    consumers,
    kind: { type: 'string' },
    requiredInProd,
    description: name,
    guidance: name,
  });
  const catalogue = [
    spec('DATABASE_URL', ['service', 'scripts'], true),
    spec('QNWIS_BACKUP_KEEP', ['scripts']),
    spec('POSTGRES_PASSWORD', ['compose'], true),
    spec('LOG_LEVEL', ['service']),
    spec('QNWIS_SMOKE_URL', ['smoke']),
  ];

  it('extracts shell, compose, env-file and manifest variables', () => {
    expect([
      ...shellVariables(
        '# $IGNORED\nurl=${DATABASE_URL:-}\necho "$QNWIS_BACKUP_KEEP ${BASH_SOURCE[0]} $LINENO $lower"',
      ),
    ]).toEqual(['DATABASE_URL', 'QNWIS_BACKUP_KEEP']);
    expect([
      ...composeVariables('a: ${POSTGRES_PASSWORD:?set it}\nb: "$$REDIS_PASSWORD"\nc: $LOG_LEVEL\n# ${NO}'),
    ]).toEqual(['POSTGRES_PASSWORD', 'LOG_LEVEL']);
    const env = envFileKeys('# comment\nLOG_LEVEL=info\n# QNWIS_JWT_SECRET=CHANGE_ME\nexport DATABASE_URL=x\n');
    expect([[...env.set], [...env.commented]]).toEqual([['LOG_LEVEL', 'DATABASE_URL'], ['QNWIS_JWT_SECRET']]);
    const manifest = [
      'kind: ConfigMap',
      'data:',
      '  LOG_LEVEL: info',
      '---',
      'kind: Secret',
      'stringData:',
      '  DATABASE_URL: x',
      '  # QNWIS_JWT_SECRET: y',
      '---',
      'kind: Service',
      'data:',
      '  NOT_A_VARIABLE: z',
    ].join('\n');
    expect([...manifestKeys(manifest)]).toEqual(['LOG_LEVEL', 'DATABASE_URL', 'QNWIS_JWT_SECRET']);
  });

  it('names each variable that breaks a rule', () => {
    const problems = envReferenceProblems(catalogue, {
      scripts: new Map([['scripts/x.sh', 'echo "${DATABASE_URL} ${LOG_LEVEL} ${UNKNOWN_VAR}"']]),
      compose: 'x: ${POSTGRES_PASSWORD} ${QNWIS_SMOKE_URL} ${LOG_LEVEL}',
      envExample: 'LOG_LEVEL=info\nDATABASE_URL=x\n# MYSTERY=1\n',
      manifests: new Map([['ops/k8s/configmap.yaml', 'kind: ConfigMap\ndata:\n  OTHER: x\n']]),
    });
    expect(problems).toEqual([
      'scripts/x.sh: LOG_LEVEL is a catalogue row but not with consumer scripts',
      'scripts/x.sh: UNKNOWN_VAR is not in the catalogue',
      'ops/docker/docker-compose.prod.yml: QNWIS_SMOKE_URL is a catalogue row but not with consumer compose or service',
      'ops/docker/.env.example: MYSTERY is not in the catalogue',
      'ops/k8s/configmap.yaml: OTHER is not in the catalogue',
      'ops/docker/.env.example: POSTGRES_PASSWORD is required in prod but not set',
    ]);
  });

  it('the repository artefacts satisfy the rules', () => {
    const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');
    const scripts = ['scripts/entrypoint.sh', 'scripts/pg_backup.sh', 'scripts/pg_restore.sh', 'scripts/lib/common.sh'];
    const manifests = ['ops/k8s/configmap.yaml', 'ops/k8s/secret.template.yaml'];
    expect(
      envReferenceProblems(CATALOGUE, {
        scripts: new Map(scripts.map((f) => [f, read(f)])),
        compose: read('ops/docker/docker-compose.prod.yml'),
        envExample: read('ops/docker/.env.example'),
        manifests: new Map(manifests.map((f) => [f, read(f)])),
      }),
    ).toEqual([]);
  });
});

describe('npm audit verdict', () => {
  it('no audit report (the registry refuses the endpoint) is a skip whose reason names no URL', () => {
    const stdout = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/x' });
    const verdict = judgeAudit(1, stdout, 'npm warn audit 405 Method Not Allowed - POST https://registry.example/x\n');
    expect(verdict).toEqual({
      status: 'skipped',
      lines: ['npm audit: no audit report (exit 1)', 'npm warn audit 405 Method Not Allowed - POST <registry URL>'],
      reason: "npm audit could not reach the registry's audit endpoint: 405 Method Not Allowed - POST <registry URL>",
    });
    expect(judgeAudit(1, '', 'npm error code ENOTFOUND\n')).toMatchObject({
      status: 'skipped',
      reason: "npm audit could not reach the registry's audit endpoint: npm error code ENOTFOUND",
    });
  });

  it('a report passes without high or critical findings and fails with one', () => {
    const counts = { info: 0, low: 1, moderate: 2, high: 0, critical: 0, total: 3 };
    expect(judgeAudit(0, JSON.stringify({ metadata: { vulnerabilities: counts }, vulnerabilities: {} }), '')).toEqual({
      status: 'pass',
      lines: ['npm audit --omit=dev --audit-level=high: ok (info 0, low 1, moderate 2, high 0, critical 0)'],
    });
    const bad = {
      metadata: { vulnerabilities: { ...counts, high: 1, total: 4 } },
      vulnerabilities: { fastify: { severity: 'high' }, pino: { severity: 'low' } },
    };
    expect(judgeAudit(1, JSON.stringify(bad), '')).toEqual({
      status: 'fail',
      lines: [
        'npm audit --omit=dev --audit-level=high: FAIL (info 0, low 1, moderate 2, high 1, critical 0)',
        'high or critical: fastify (high)',
      ],
    });
  });
});

describe('deploy-render test selection', () => {
  it('the pattern selects exactly the tests of the groups whose tools are present', () => {
    const kubectl = TOOL_GROUPS.filter((g) => g.tool === 'kubectl');
    const pattern = new RegExp(groupPattern(kubectl));
    expect(pattern.test('Kubernetes manifests `kubectl kustomize ops/k8s` renders')).toBe(true);
    expect(pattern.test('systemd units all three units pass')).toBe(false);
    const promtool = TOOL_GROUPS.find((g) => g.tool === 'promtool')!;
    const all = new RegExp(groupPattern(TOOL_GROUPS));
    const metrics = 'service metrics catalogue (service spec §5.2) passes promtool check metrics with no findings';
    expect(all.test(metrics)).toBe(true);
    expect(all.test('service metrics catalogue (service spec §5.2) initialises every enumerated counter')).toBe(false);
    expect(inGroup(promtool, { file: 'x', fullName: metrics, status: 'passed', failureMessages: [] })).toBe(true);
  });

  it('every group prefix names a describe or test that exists in the deploy test files', () => {
    const text = DEPLOY_TEST_FILES.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    for (const group of TOOL_GROUPS)
      for (const prefix of group.prefixes) {
        const words = prefix.replace('service metrics catalogue (service spec §5.2) ', '').trim();
        expect(text, prefix).toContain(words);
      }
  });
});
