import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import type { RawEnv } from '../../src/config/resolve.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/services.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `qnwis config <argv>` in-process against the given environment (instead of the process's). */
async function qnwisConfig(argv: string[], env: RawEnv): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['config', ...argv], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}

interface JsonReport {
  valid: boolean;
  errors: { variable: string; reason: string }[];
  warnings: string[];
  values: Record<string, string>;
  connect?: Record<string, { status: string; message?: string }>;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-config-check-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SECRETS = {
  CSRF_SECRET: 'csrf-secret-value-0123456789abcdefghij',
  SESSION_SECRET: 'session-secret-value-0123456789abcdefgh',
  QNWIS_API_KEY_PEPPER: 'pepper-secret-value-0123456789abcdefghi',
  QNWIS_AUDIT_HMAC_KEY: 'hmac-secret-value-0123456789abcdefghijk',
  QNWIS_JWT_SECRET: 'jwt-secret-value-0123456789abcdefghijkl',
};
const DB_PASSWORD = 'dbPassw0rdValue';
const REDIS_PASSWORD = 'redisPassw0rdValue';
const PROD_OK: Record<string, string> = {
  QNWIS_ENV: 'prod',
  DATABASE_URL: `postgresql+psycopg://qnwis:${DB_PASSWORD}@db.internal:5432/qnwis?sslmode=require`,
  REDIS_URL: `redis://:${REDIS_PASSWORD}@cache.internal:6379/0`,
  QNWIS_JWT_ISSUER: 'https://idp.example/',
  QNWIS_JWT_AUDIENCE: 'qnwis',
  ...SECRETS,
};
const SECRET_TEXTS = [...Object.values(SECRETS), DB_PASSWORD, REDIS_PASSWORD];

function expectNoSecret(run: Run): void {
  for (const secret of SECRET_TEXTS) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
}

describe('qnwis config check', () => {
  it('an empty development environment is valid (exit 0) and prints the effective service values', async () => {
    const run = await qnwisConfig(['check'], {});
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('config valid (0 warnings)');
    expect(lines).toContain('PORT=8000');
    expect(lines).toContain('QNWIS_DB_MODE=auto');
    expect(lines).not.toContain('COMPOSE_PROJECT_NAME=qnwis'); // compose rows only for a compose env file
  });

  it('a valid production environment passes with every secret masked', async () => {
    const run = await qnwisConfig(['check'], PROD_OK);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines).toContain(`DATABASE_URL=postgresql+psycopg://qnwis:***@db.internal:5432/qnwis?sslmode=require`);
    expect(lines).toContain('REDIS_URL=redis://:***@cache.internal:6379/0');
    for (const name of Object.keys(SECRETS)) expect(lines).toContain(`${name}=***`);
    expectNoSecret(run);
  });

  it('prod violations exit 78 with one error line each and warnings, never a secret', async () => {
    const env = {
      ...PROD_OK,
      QNWIS_ENABLE_DOCS: 'true',
      DATABASE_URL: 'postgresql://qnwis@db/qnwis',
      SESSION_SECRET: 'short-but-secret',
      RATE_LIMIT_ENABLED: 'no',
      QNWIS_ENABLE_DOC: 'true',
    };
    const run = await qnwisConfig(['check'], env);
    expect(run.code).toBe(78);
    expect(run.stderr.split('\n')).toEqual([
      'config error: QNWIS_ENABLE_DOCS: API docs must be disabled in prod',
      'config error: DATABASE_URL: password required',
      'config error: SESSION_SECRET: must be at least 32 characters',
      'config warning: RATE_LIMIT_ENABLED: rate limiting is disabled in prod',
      'config warning: QNWIS_ENABLE_DOC: unknown variable (did you mean QNWIS_ENABLE_DOCS?)',
      '',
    ]);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('config invalid (3 errors)');
    expect(run.stdout + run.stderr).not.toContain('short-but-secret');
    expectNoSecret(run);
  });

  it('--json prints one object with errors, warnings and masked values', async () => {
    const run = await qnwisConfig(['check', '--json'], { ...PROD_OK, CSRF_SECRET: 'CHANGE_ME', QNWIS_BYPAS_AUTH: '1' });
    expect(run.code).toBe(78);
    expect(run.stderr).toBe('');
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([{ variable: 'CSRF_SECRET', reason: 'still holds a placeholder value' }]);
    expect(report.warnings).toEqual(['QNWIS_BYPAS_AUTH: unknown variable (did you mean QNWIS_BYPASS_AUTH?)']);
    expect(report.values.CSRF_SECRET).toBe('***');
    expect(report.values.QNWIS_JWT_SECRET).toBe('***');
    expect(report.values.DATABASE_URL).toBe('postgresql+psycopg://qnwis:***@db.internal:5432/qnwis?sslmode=require');
    expect(report.values.QNWIS_ENV).toBe('prod');
    expect(report.values.RATE_LIMIT_REQUESTS_PER_DAY).toBe('10000');
    expect(report.connect).toBeUndefined();
    expectNoSecret(run);
  });

  it('--json of a valid environment', async () => {
    const run = await qnwisConfig(['check', '--json'], { PORT: '9000' });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect([report.valid, report.errors, report.warnings, report.values.PORT]).toEqual([true, [], [], '9000']);
  });

  it('--env-file checks only the file: a compose example with placeholders reports only placeholder errors', async () => {
    const file = path.join(tmp, 'example.env');
    fs.writeFileSync(
      file,
      [
        '# QNWIS compose settings; copy to .env and replace every CHANGE_ME',
        'COMPOSE_PROJECT_NAME=qnwis',
        'QNWIS_IMAGE=ghcr.io/albarami/qnwis:1.0.0',
        'QNWIS_STACK=blue',
        'QNWIS_ENV=prod',
        'QNWIS_PUBLIC_HOST=qnwis.example.org',
        'POSTGRES_PASSWORD=CHANGE_ME',
        'REDIS_PASSWORD=CHANGE_ME',
        'DATABASE_URL=postgresql://qnwis:CHANGE_ME@postgres:5432/qnwis',
        'REDIS_URL=redis://:CHANGE_ME@redis:6379/0',
        'CSRF_SECRET=CHANGE_ME',
        'SESSION_SECRET=CHANGE_ME',
        'QNWIS_API_KEY_PEPPER=CHANGE_ME',
        'QNWIS_AUDIT_HMAC_KEY=CHANGE_ME',
        '',
      ].join('\n'),
    );
    // The process environment given to the context is ignored with --env-file.
    const run = await qnwisConfig(['check', '--env-file', file], { PORT: 'not-a-port', QNWIS_ENV: 'dev' });
    expect(run.code).toBe(78);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'config error: DATABASE_URL: still holds a placeholder value',
      'config error: REDIS_URL: still holds a placeholder value',
      'config error: CSRF_SECRET: still holds a placeholder value',
      'config error: SESSION_SECRET: still holds a placeholder value',
      'config error: QNWIS_API_KEY_PEPPER: still holds a placeholder value',
      'config error: QNWIS_AUDIT_HMAC_KEY: still holds a placeholder value',
      'config error: POSTGRES_PASSWORD: still holds a placeholder value',
      'config error: REDIS_PASSWORD: still holds a placeholder value',
    ]);
    expect(run.stdout.split('\n')).toContain('COMPOSE_PROJECT_NAME=qnwis');
    expect(run.stdout.split('\n')).toContain('POSTGRES_PASSWORD=***');
  });

  it('--env-file in compose form requires the compose rows in prod', async () => {
    const file = path.join(tmp, 'partial.env');
    fs.writeFileSync(
      file,
      Object.entries({ ...PROD_OK, COMPOSE_PROJECT_NAME: 'qnwis' })
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n'),
    );
    const run = await qnwisConfig(['check', '--env-file', file, '--json'], {});
    expect(run.code).toBe(78);
    expect((JSON.parse(run.stdout) as JsonReport).errors).toEqual([
      { variable: 'POSTGRES_PASSWORD', reason: 'is required in prod' },
      { variable: 'REDIS_PASSWORD', reason: 'is required in prod' },
      { variable: 'QNWIS_PUBLIC_HOST', reason: 'is required in prod' },
    ]);
    expectNoSecret(run);
  });

  it('a malformed env file exits 78 naming file and line', async () => {
    const file = path.join(tmp, 'broken.env');
    fs.writeFileSync(file, 'QNWIS_ENV=prod\nnot an assignment\nX="open\n');
    const run = await qnwisConfig(['check', '--env-file', file], {});
    expect(run.code).toBe(78);
    expect(run.stderr).toBe(
      `config error: ${file}:2: expected KEY=VALUE\nconfig error: ${file}:3: unterminated double-quoted value\n`,
    );
    expect(run.stdout).toBe('config invalid (2 errors)\n');
  });

  it('usage errors exit 2: missing subcommand, unknown flag, stray argument, unreadable env file', async () => {
    const missing = path.join(tmp, 'missing.env');
    const usage = 'usage: qnwis config check [--env-file FILE] [--json] [--connect]';
    expect(await qnwisConfig([], {})).toEqual({ code: 2, stdout: '', stderr: `qnwis: missing subcommand\n${usage}\n` });
    expect(await qnwisConfig(['show'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `qnwis: unknown subcommand "show"\n${usage}\n`,
    });
    expect(await qnwisConfig(['check', '--verbose'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `qnwis: Unknown option '--verbose'\n${usage}\n`,
    });
    expect(await qnwisConfig(['check', 'extra'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `qnwis: unexpected argument "extra"\n${usage}\n`,
    });
    expect(await qnwisConfig(['check', '--env-file', missing], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `qnwis: cannot read env file ${JSON.stringify(missing)} (ENOENT)\n${usage}\n`,
    });
  });
});

describe('qnwis config check --connect', () => {
  it('reaches the test Postgres (driver-suffixed URL) and Redis', async () => {
    const env = {
      DATABASE_URL: TEST_DATABASE_URL.replace(/^postgres(?:ql)?:/, 'postgresql+psycopg:'),
      REDIS_URL: TEST_REDIS_URL,
    };
    const run = await qnwisConfig(['check', '--connect', '--json'], env);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.connect).toEqual({ postgres: { status: 'ok' }, redis: { status: 'ok' } });
    expect(run.code).toBe(0);
  });

  it('reports unreachable stores as failed (exit 4) without printing their passwords', async () => {
    const env = {
      DATABASE_URL: `postgresql://qnwis:${DB_PASSWORD}@127.0.0.1:1/qnwis`,
      REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1/0`,
    };
    const run = await qnwisConfig(['check', '--connect'], env);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^connect postgres: failed \(.*ECONNREFUSED.*\)$/m);
    expect(run.stdout).toMatch(/^connect redis: failed \(.*ECONNREFUSED.*\)$/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('config valid (0 warnings)');
    expectNoSecret(run);
  });

  it('skips what is not configured, and everything when the configuration is invalid', async () => {
    const embedded = await qnwisConfig(['check', '--connect'], {});
    expect(embedded.code).toBe(0);
    expect(embedded.stdout).toContain(
      'connect postgres: skipped (embedded database)\nconnect redis: skipped (REDIS_URL unset)\n',
    );
    const invalid = await qnwisConfig(['check', '--connect', '--json'], { PORT: '0' });
    expect(invalid.code).toBe(78);
    expect((JSON.parse(invalid.stdout) as JsonReport).connect).toEqual({
      postgres: { status: 'skipped', message: 'configuration invalid' },
      redis: { status: 'skipped', message: 'configuration invalid' },
    });
  });
});
