// Runbook accountability (service spec §11.1): every fenced bash/sh command line of the deployment runbook is
// mapped in runbook-commands.json to tests that exercise it or to a manual category; the commands that can run
// here without a live environment are executed below.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { CATALOGUE } from '../../src/config/catalogue.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RUNBOOK_PATH = path.join(ROOT, 'docs', 'deploy', 'DEPLOYMENT_RUNBOOK.md');
const RUNBOOK = fs.readFileSync(RUNBOOK_PATH, 'utf8');
const THIS_FILE = 'test/deploy/runbook.test.ts';

type Mapping = { tests: string[] } | { manual: 'host-admin' | 'live-environment'; why: string };
const MAPPING = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'test', 'deploy', 'runbook-commands.json'), 'utf8'),
) as Record<string, Mapping>;

/** Command lines of the fenced bash/sh blocks (indented fences too), continuation lines joined, deduplicated. */
function runbookCommands(markdown: string): string[] {
  const commands: string[] = [];
  let open = false;
  let shell = false;
  let continued = '';
  for (const raw of markdown.split('\n')) {
    const fence = /^\s*```(\S*)\s*$/.exec(raw);
    if (fence) {
      shell = !open && (fence[1] === 'bash' || fence[1] === 'sh');
      open = !open;
      continue;
    }
    if (!shell) continue;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      continued += line.slice(0, -1).trimEnd() + ' ';
      continue;
    }
    commands.push(continued + line);
    continued = '';
  }
  return [...new Set(commands)];
}

const COMMANDS = runbookCommands(RUNBOOK);

/** Files the runbook tells the operator to create, so they are not in the checkout. */
const OPERATOR_CREATED = new Map([
  ['ops/docker/.env', 'copied from ops/docker/.env.example by the first Compose step'],
  ['ops/docker/green.env', 'the operator copies .env for the green stack (Rollback section)'],
]);

/** Subcommands the runbook uses before they exist; each entry fails once the command lands, so it is removed. */
const PENDING_SUBCOMMANDS = new Map<string, string>();

/** UPPER_CASE words in the runbook that are not environment variables. */
const NOT_VARIABLES = new Set([
  'CHANGE_ME', // the placeholder marker inside .env.example values
]);

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function qnwis(argv: readonly string[], env: Record<string, string>): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}

/** The argv after `npm run qnwis --` of a runbook line (none of them quote arguments). */
function npmQnwisArgv(command: string): string[] {
  const prefix = 'npm run qnwis -- ';
  expect(command.startsWith(prefix)).toBe(true);
  return command.slice(prefix.length).split(/\s+/);
}

/** The qnwis subcommand of a command line, whichever way the CLI is invoked. */
function qnwisSubcommands(command: string): string[] {
  const found: string[] = [];
  // In containers the CLI runs on the api service (`… exec api qnwis …`); bare `qnwis` elsewhere is the user.
  const invocation = /(?:npm run qnwis --|(?:^|\bapi )qnwis|dist\/cli\/main\.js)\s+([a-z][a-z-]*)/g;
  for (const m of command.matchAll(invocation)) found.push(m[1]!);
  return found;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-runbook-'));
  tempDirs.push(dir);
  return dir;
}

describe('runbook-commands.json', () => {
  it('extracts the fenced command lines, joining continuations and skipping comments and other languages', () => {
    const sample = [
      '```bash',
      '# comment',
      'echo one \\',
      '  two',
      '```',
      '   ```sh',
      '   echo three',
      '   ```',
      '```yaml',
      'key: value',
      '```',
      '```bash',
      'echo three',
      '```',
    ].join('\n');
    expect(runbookCommands(sample)).toEqual(['echo one two', 'echo three']);
  });

  it('maps exactly the runbook command lines: none missing, none stale', () => {
    expect(COMMANDS.length).toBeGreaterThan(40);
    const mapped = Object.keys(MAPPING);
    expect(COMMANDS.filter((c) => !mapped.includes(c))).toEqual([]);
    expect(mapped.filter((c) => !COMMANDS.includes(c))).toEqual([]);
  });

  it('each entry is a non-empty test list or a manual category with a reason', () => {
    for (const [command, entry] of Object.entries(MAPPING)) {
      if ('tests' in entry) {
        expect(entry.tests.length, command).toBeGreaterThan(0);
        expect(Object.keys(entry)).toEqual(['tests']);
      } else {
        expect(['host-admin', 'live-environment'], command).toContain(entry.manual);
        expect(entry.why.length, command).toBeGreaterThan(5);
        expect(Object.keys(entry).sort()).toEqual(['manual', 'why']);
      }
    }
  });

  it('host-admin and live-environment entries are the kinds of command the categories describe', () => {
    for (const [command, entry] of Object.entries(MAPPING)) {
      if ('tests' in entry) continue;
      if (entry.manual === 'host-admin')
        expect(command, command).toMatch(/\bsudo\b|\bsystemctl\b|\bjournalctl\b|^[0-9*]+ [0-9*]+ \* \* \* /);
      else expect(command, command).toMatch(/^docker |\bcurl\b/);
    }
  });

  it('every test reference names an existing test file containing the named test', () => {
    const references = Object.values(MAPPING).flatMap((e) => ('tests' in e ? e.tests : []));
    expect(references.length).toBeGreaterThan(15);
    for (const reference of references) {
      const [file, name, ...extra] = reference.split('::');
      expect(extra, reference).toEqual([]);
      expect(file, reference).toMatch(/^test\/.+\.test\.ts$/);
      const testFile = path.join(ROOT, file!);
      expect(fs.existsSync(testFile), reference).toBe(true);
      expect(name!.length, reference).toBeGreaterThan(10);
      expect(fs.readFileSync(testFile, 'utf8'), reference).toContain(`it('${name!}`);
    }
  });
});

describe('what the runbook commands name exists', () => {
  it('repository paths exist (operator-created files excepted) and scripts are executable', () => {
    const repoPath = /(?:^|[\s=])(?:\/opt\/qnwis\/)?((?:ops|scripts|docs|data|src)\/[^\s"';&|]*)/g;
    const seen = new Set<string>();
    for (const command of COMMANDS) for (const m of command.matchAll(repoPath)) seen.add(m[1]!.replace(/\/$/, ''));
    expect(seen).toContain('scripts/pg_backup.sh');
    expect(seen).toContain('ops/systemd/qnwis-backup.timer');
    for (const relative of seen) {
      if (OPERATOR_CREATED.has(relative)) continue;
      const absolute = path.join(ROOT, relative);
      expect(fs.existsSync(absolute), relative).toBe(true);
      if (relative.startsWith('scripts/') && relative.endsWith('.sh'))
        expect(fs.statSync(absolute).mode & 0o111, `${relative} executable`).toBe(0o111);
    }
    for (const created of OPERATOR_CREATED.keys()) expect(seen, created).toContain(created);
  });

  it('every `npm run <script>` is a package.json script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const scripts = new Set<string>();
    for (const command of COMMANDS) for (const m of command.matchAll(/\bnpm run ([\w:-]+)/g)) scripts.add(m[1]!);
    expect([...scripts].sort()).toEqual(['build', 'qnwis']);
    for (const script of scripts) expect(Object.keys(pkg.scripts), script).toContain(script);
  });

  it('every qnwis subcommand is listed by `qnwis --help` (pending ones are still absent)', async () => {
    const help = await qnwis(['--help'], {});
    expect(help.code).toBe(0);
    const available = new Set(
      help.stdout
        .split('\n')
        .map((line) => /^ {2}([a-z-]+) {2,}/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    expect(available).toContain('config');
    const used = new Set(COMMANDS.flatMap(qnwisSubcommands));
    expect([...used].sort()).toEqual(['config', 'keys', 'migrate', 'registry', 'seed', 'smoke']);
    for (const sub of used) {
      if (PENDING_SUBCOMMANDS.has(sub)) expect(available, `${sub} landed: drop it from PENDING`).not.toContain(sub);
      else expect(available, sub).toContain(sub);
    }
  });

  it('every environment variable the runbook names is in the catalogue', () => {
    const catalogued = new Set(CATALOGUE.map((v) => v.name));
    // `(?!\.md)` leaves out document names such as SECURE_ENV_REFERENCE.md.
    const named = new Set(RUNBOOK.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b(?!\.md)/g) ?? []);
    for (const word of NOT_VARIABLES) expect(named, `${word} no longer used: drop it`).toContain(word);
    expect(named).toContain('WEB_CONCURRENCY');
    // `RATE_LIMIT_*` and `*_PREVIOUS` name families: each must match at least one variable.
    for (const prefix of RUNBOOK.match(/\b[A-Z][A-Z0-9_]*_(?=\*)/g) ?? [])
      expect(
        [...catalogued].some((n) => n.startsWith(prefix)),
        `${prefix}*`,
      ).toBe(true);
    for (const suffix of RUNBOOK.match(/(?<=\*)_[A-Z][A-Z0-9_]*\b/g) ?? [])
      expect(
        [...catalogued].some((n) => n.endsWith(suffix)),
        `*${suffix}`,
      ).toBe(true);
    for (const word of named) {
      if (NOT_VARIABLES.has(word) || /_$/.test(word)) continue;
      expect(catalogued, word).toContain(word);
    }
  });
});

describe('runbook commands executed here', () => {
  const checkout = tempDir();
  fs.mkdirSync(path.join(checkout, 'ops', 'docker'), { recursive: true });
  fs.copyFileSync(
    path.join(ROOT, 'ops', 'docker', '.env.example'),
    path.join(checkout, 'ops', 'docker', '.env.example'),
  );
  const inCheckout = (argv: string[]): string[] =>
    argv.map((arg) => (arg.startsWith('ops/') ? path.join(checkout, arg) : arg));
  const placeholderErrors = [
    'config error: DATABASE_URL: still holds a placeholder value',
    'config error: REDIS_URL: still holds a placeholder value',
    'config error: CSRF_SECRET: still holds a placeholder value',
    'config error: SESSION_SECRET: still holds a placeholder value',
    'config error: QNWIS_API_KEY_PEPPER: still holds a placeholder value',
    'config error: QNWIS_AUDIT_HMAC_KEY: still holds a placeholder value',
    'config error: POSTGRES_PASSWORD: still holds a placeholder value',
    'config error: REDIS_PASSWORD: still holds a placeholder value',
  ];

  function mappedHere(command: string): void {
    const entry = MAPPING[command];
    expect(entry && 'tests' in entry ? entry.tests.some((t) => t.startsWith(`${THIS_FILE}::`)) : false).toBe(true);
  }

  it('copies the env template and restricts it to mode 0600', () => {
    const steps = ['cp ops/docker/.env.example ops/docker/.env', 'chmod 600 ops/docker/.env'];
    for (const command of steps) {
      mappedHere(command);
      execFileSync('sh', ['-c', command], { cwd: checkout });
    }
    const env = path.join(checkout, 'ops', 'docker', '.env');
    expect(fs.statSync(env).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(env, 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'ops', 'docker', '.env.example'), 'utf8'),
    );
  });

  it('config check --env-file on the unedited copy reports only placeholder errors (exit 78)', async () => {
    const command = 'npm run qnwis -- config check --env-file ops/docker/.env';
    mappedHere(command);
    const run = await qnwis(inCheckout(npmQnwisArgv(command)), {});
    expect(run.code).toBe(78);
    expect(run.stderr.trimEnd().split('\n')).toEqual(placeholderErrors);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('config invalid (8 errors)');
    expect(run.stdout).not.toMatch(/CHANGE_ME/);
  });

  it('config check --connect on the unedited copy skips both connections (exit 78)', async () => {
    const command = 'npm run qnwis -- config check --env-file ops/docker/.env --connect';
    mappedHere(command);
    const run = await qnwis(inCheckout(npmQnwisArgv(command)), {});
    expect(run.code).toBe(78);
    expect(run.stderr.trimEnd().split('\n')).toEqual(placeholderErrors);
    expect(run.stdout.trimEnd().split('\n').slice(-3)).toEqual([
      'connect postgres: skipped (configuration invalid)',
      'connect redis: skipped (configuration invalid)',
      'config invalid (8 errors)',
    ]);
  });

  it('registry validate and registry checksum agree on the shipped registry', async () => {
    const validateCommand = 'npm run qnwis -- registry validate';
    const checksumCommand = 'npm run qnwis -- registry checksum';
    mappedHere(validateCommand);
    mappedHere(checksumCommand);
    const specs = fs.readdirSync(path.join(ROOT, 'data', 'queries')).filter((f) => /\.ya?ml$/.test(f));
    const checksum = await qnwis(npmQnwisArgv(checksumCommand), {});
    expect(checksum.code).toBe(0);
    expect(checksum.stderr).toBe('');
    expect(checksum.stdout).toMatch(/^[0-9a-f]{12}\n$/);
    const validate = await qnwis(npmQnwisArgv(validateCommand), {});
    expect(validate).toEqual({
      code: 0,
      stdout: `ok: ${specs.length} specs, version ${checksum.stdout.trim()}\n`,
      stderr: '',
    });
  });

  it('migrate --status on a fresh embedded database lists every shipped migration as pending', async () => {
    const command = 'npm run qnwis -- migrate --status';
    mappedHere(command);
    const migrations = fs
      .readdirSync(path.join(ROOT, 'src', 'db', 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => f.replace(/\.sql$/, ''));
    expect(migrations.length).toBeGreaterThan(0);
    const run = await qnwis(npmQnwisArgv(command), { QNWIS_STATE_DIR: tempDir(), QNWIS_ENV: 'test' });
    expect(run).toEqual({
      code: 0,
      stdout: [...migrations.map((m) => `pending  ${m}`), `0 applied, ${migrations.length} pending`, ''].join('\n'),
      stderr: '',
    });
  });
});
