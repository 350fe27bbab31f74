/**
 * The router smoke (service spec §11.3): `qnwis smoke --url … --key …` as its own process against real servers with
 * authentication on: (a) the embedded default (PGlite, first start writes <state>/dev-admin-key) and (b) PostgreSQL
 * (a scratch database migrated, ingested and materialized here) with Redis on DB 15 and an analyst key. Six PASS lines,
 * exit 0, the key never printed; a wrong key gives FAIL lines and exit 1; usage errors exit 2. The two servers are set
 * up concurrently; secondary cases run the same command in-process (test/support/cli.ts) to save process start-ups.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { createScratch, type Scratch } from '../db/support.js';
import { migrate } from '../../src/db/migrate.js';
import { ingestPack } from '../../src/db/ingest.js';
import { materializeViews } from '../../src/db/materialize.js';
import { ApiKeyStore } from '../../src/security/api-keys.js';
import { TEST_SECRETS } from '../support/security.js';
import { TEST_PACK_DIR } from '../support/pack.js';
import { redisUrlForDb } from '../support/services.js';
import { qnwis } from '../support/cli.js';

const REDIS_DB = 15;
const SMOKE_LINES = [
  /^PASS time\.baseline 200 \d+$/,
  /^PASS pattern\.anomalies 200 \d+$/,
  /^PASS predictor\.forecast 200 \d+$/,
  /^PASS scenario\.apply 200 \d+$/,
  /^PASS strategy\.benchmark 200 \d+$/,
  /^PASS time\.baseline \(repeat\) 200 \d+$/,
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli/main.ts smoke …` with a clean environment. */
function smoke(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'smoke', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', QNWIS_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectAllPass(run: Run, key: string): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(6);
  lines.forEach((line, i) => expect(line).toMatch(SMOKE_LINES[i]!));
  expect(run.stdout + run.stderr).not.toContain(key);
}

/** Embedded default, fresh state directory, authentication on; its first start writes the dev admin key. */
async function startEmbedded(): Promise<{ server: ServerProcess; key: string }> {
  const server = await startServer({ QNWIS_BYPASS_AUTH: 'false' }, { waitReady: false });
  try {
    await server.waitReady(240_000);
  } catch (err) {
    await server.stop('SIGKILL');
    throw err;
  }
  const file = path.join(server.stateDir, 'dev-admin-key');
  expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
  const key = fs.readFileSync(file, 'utf8').trim();
  expect(key).toMatch(/^qnwis_/);
  return { server, key };
}

/** A scratch PostgreSQL database with the test pack and an analyst key, Redis DB 15 flushed, a server on both. */
async function startOnPostgres(): Promise<{ server: ServerProcess; key: string; scratch: Scratch }> {
  const scratch = await createScratch('postgres');
  try {
    await migrate(scratch.db, { appVersion: 'test' });
    await ingestPack(scratch.db, TEST_PACK_DIR, { force: true });
    await materializeViews(scratch.db);
    const keys = new ApiKeyStore({ db: scratch.db, pepper: TEST_SECRETS.QNWIS_API_KEY_PEPPER!, cacheMs: 0 });
    const key = (await keys.create({ label: 'smoke', roles: ['analyst'] })).key;
    const redis = new Redis(redisUrlForDb(REDIS_DB));
    await redis.flushdb();
    await redis.quit();
    const server = await startServer({
      ...TEST_SECRETS,
      DATABASE_URL: scratch.url!,
      REDIS_URL: redisUrlForDb(REDIS_DB),
      QNWIS_BYPASS_AUTH: 'false',
    });
    return { server, key, scratch };
  } catch (err) {
    await scratch.cleanup();
    throw err;
  }
}

let embedded: { server: ServerProcess; key: string } | undefined;
let onPostgres: { server: ServerProcess; key: string; scratch: Scratch } | undefined;

beforeAll(async () => {
  const [e, p] = await Promise.allSettled([startEmbedded(), startOnPostgres()]);
  if (e.status === 'fulfilled') embedded = e.value;
  if (p.status === 'fulfilled') onPostgres = p.value;
  if (e.status === 'rejected') throw e.reason;
  if (p.status === 'rejected') throw p.reason;
}, 300_000);

afterAll(async () => {
  await embedded?.server.stop();
  await onPostgres?.server.stop();
  await onPostgres?.scratch.cleanup();
});

describe('npm run smoke against the embedded default (auth on, dev admin key)', () => {
  it('authentication is really on: an agent call without a key is 401', async () => {
    const res = await fetch(`${embedded!.server.url}/api/v1/agents/time/baseline`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ intent: 'time.baseline', params: { metric: 'retention' } }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('passes: six PASS lines, exit 0, the key never printed', async () => {
    expectAllPass(await smoke(['--url', embedded!.server.url, '--key', embedded!.key]), embedded!.key);
  });

  it('exits 1 with FAIL lines when the key is wrong, and prints neither key', async () => {
    const { server, key } = embedded!;
    const wrong = `${key.slice(0, -4)}zzzz`;
    const run = await smoke(['--url', server.url, '--key', wrong]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toMatch(/^FAIL \S+( \(repeat\))? 401 \d+ error invalid_credentials$/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(run.stdout + run.stderr).not.toContain(key);
  });

  it('--json prints one JSON object with passed true and six calls (in-process)', async () => {
    const { server, key } = embedded!;
    const run = await qnwis(['smoke', '--url', server.url, '--key', key, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { passed: boolean; calls: { intent: string; status: number; ok: boolean }[] };
    expect(out.passed).toBe(true);
    expect(out.calls.map((c) => [c.intent, c.status, c.ok])).toEqual([
      ['time.baseline', 200, true],
      ['pattern.anomalies', 200, true],
      ['predictor.forecast', 200, true],
      ['scenario.apply', 200, true],
      ['strategy.benchmark', 200, true],
      ['time.baseline (repeat)', 200, true],
    ]);
    expect(run.stdout + run.stderr).not.toContain(key);
  });

  it('the environment fallbacks QNWIS_SMOKE_URL and QNWIS_SMOKE_API_KEY work (in-process)', async () => {
    const { server, key } = embedded!;
    const run = await qnwis(['smoke'], { QNWIS_SMOKE_URL: server.url, QNWIS_SMOKE_API_KEY: key });
    expectAllPass({ code: run.code, stdout: run.stdout, stderr: run.stderr }, key);
  });
});

describe('npm run smoke against a server on PostgreSQL and Redis (auth on, analyst key)', () => {
  it('passes: six PASS lines, exit 0, the key never printed', async () => {
    expectAllPass(await smoke(['--url', onPostgres!.server.url, '--key', onPostgres!.key]), onPostgres!.key);
  });

  it('the audit manifests of the smoke calls are stored in PostgreSQL', async () => {
    const rows = await onPostgres!.scratch.db.query<{ endpoint: string; n: number }>(
      'SELECT endpoint, count(*)::int AS n FROM public.audit_manifests GROUP BY endpoint ORDER BY endpoint',
    );
    expect(rows.rows).toEqual([
      { endpoint: '/api/v1/agents/pattern/anomalies', n: 1 },
      { endpoint: '/api/v1/agents/predictor/forecast', n: 1 },
      { endpoint: '/api/v1/agents/scenario/apply', n: 1 },
      { endpoint: '/api/v1/agents/strategy/benchmark', n: 1 },
      { endpoint: '/api/v1/agents/time/baseline', n: 2 },
    ]);
  });

  it('exits 1 with FAIL lines for a key that does not exist (in-process)', async () => {
    const run = await qnwis([
      'smoke',
      '--url',
      onPostgres!.server.url,
      '--key',
      'qnwis_0000000000000000_notarealsecret',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(6);
    expect(run.stdout).toMatch(/^FAIL time\.baseline 401 \d+ error invalid_credentials$/m);
    expect(run.stdout).not.toMatch(/^PASS /m);
  });
});

describe('npm run smoke usage errors exit 2', () => {
  it('as a process: no --url is exit 2 with the usage line, nothing sent', async () => {
    const run = await smoke(['--key', 'qnwis_x_y']);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('usage: qnwis smoke --url <base URL> --key <API key> [--timeout 30] [--json]');
  });

  it.each([
    ['no --key', ['--url', 'http://127.0.0.1:9'], 'usage: qnwis smoke'],
    ['a URL that is not http(s)', ['--url', 'ftp://127.0.0.1', '--key', 'qnwis_x_y'], 'usage: qnwis smoke'],
    ['a URL that does not parse', ['--url', 'not a url', '--key', 'qnwis_x_y'], 'usage: qnwis smoke'],
    ['an unknown flag', ['--url', 'http://127.0.0.1:9', '--key', 'qnwis_x_y', '--verbose'], 'usage: qnwis smoke'],
    ['a stray argument', ['now', '--url', 'http://127.0.0.1:9', '--key', 'qnwis_x_y'], 'usage: qnwis smoke'],
    [
      'a timeout out of range',
      ['--url', 'http://127.0.0.1:9', '--key', 'qnwis_x_y', '--timeout', '0'],
      '--timeout must be between 1 and 600',
    ],
  ])('in-process: %s', async (_what, args, message) => {
    const run = await qnwis(['smoke', ...args], { QNWIS_ENV: 'test' });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('a server that never becomes ready is a runtime failure (exit 1), not a usage error', async () => {
    const run = await qnwis(['smoke', '--url', 'http://127.0.0.1:9', '--key', 'qnwis_x_y', '--timeout', '1']);
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toMatch(/^FAIL health\.ready 0 \d+ not ready$/);
  });
});
