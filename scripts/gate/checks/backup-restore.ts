/**
 * `backup-restore` (service spec §11.2): the pg_backup.sh / pg_restore.sh round trip of test/deploy/scripts.test.ts
 * against the real Postgres the integration tests use (backup twice, checksum and naming, retention with a hostile
 * directory name, tampered dump refused, non-interactive refusal, restore with --yes, data equal).
 */
import pg from 'pg';
import { findOnPath, runCommand } from '../run-command.js';
import { testRunVerdict } from '../test-run-verdict.js';
import type { Check } from '../types.js';
import { runVitest } from '../vitest-results.js';

export const SCRIPTS_TEST = 'test/deploy/scripts.test.ts';
export const ROUND_TRIP_SUITE = 'pg_backup.sh and pg_restore.sh against PostgreSQL';
const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** The URL with its password masked. */
function masked(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

async function serverVersion(url: URL): Promise<string> {
  const admin = new URL(url.href);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.href, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]!.server_version;
  } finally {
    await client.end();
  }
}

export const backupRestore: Check = {
  id: 'backup-restore',
  title: 'Backup and restore scripts round trip against a real Postgres',
  async run(ctx) {
    const url = new URL(process.env.QNWIS_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL);
    const missing = ['pg_dump', 'pg_restore', 'pg_isready', 'flock', 'sha256sum'].filter(
      (t) => findOnPath(t) === undefined,
    );
    if (missing.length > 0)
      return {
        status: 'skipped',
        details: `tools not on PATH: ${missing.join(', ')}`,
        skipReason: `not on PATH: ${missing.join(', ')} (Debian packages postgresql-client, util-linux, coreutils)`,
      };
    let version: string;
    try {
      version = await serverVersion(url);
    } catch (err) {
      return {
        status: 'skipped',
        details: `Postgres at ${masked(url)} did not answer: ${(err as Error).message}`,
        skipReason: `no Postgres server reachable at ${url.host}`,
      };
    }
    const client = await runCommand('pg_dump', ['--version'], { cwd: ctx.root, timeoutMs: 30_000 });
    const vitest = await runVitest(ctx, {
      name: 'backup-restore',
      files: [SCRIPTS_TEST],
      testNamePattern: `^${ROUND_TRIP_SUITE} `,
      timeoutMs: 15 * 60_000,
    });
    const verdict = testRunVerdict(`${SCRIPTS_TEST} > ${ROUND_TRIP_SUITE}`, vitest, (t) =>
      t.fullName.startsWith(`${ROUND_TRIP_SUITE} `),
    );
    const major = Number(version.split('.')[0]);
    const lines = [
      `Postgres server ${version} at ${masked(url)}; client ${client.stdout.trim()}`,
      ...(major === 16
        ? []
        : [`note: the spec names Postgres 16; this server is major ${major} (the round trip ran against it)`]),
      ...verdict.lines,
    ];
    return { status: verdict.ok ? 'pass' : 'fail', details: lines.join('\n') };
  },
};
