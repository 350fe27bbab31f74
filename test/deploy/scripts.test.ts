import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../support/shared-postgres.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPTS = path.join(ROOT, 'scripts');
const BACKUP = path.join(SCRIPTS, 'pg_backup.sh');
const RESTORE = path.join(SCRIPTS, 'pg_restore.sh');
const SCRIPT_FILES = [
  'scripts/entrypoint.sh',
  'scripts/pg_backup.sh',
  'scripts/pg_restore.sh',
  'scripts/lib/common.sh',
  'scripts/make-web-fonts.sh',
];
const DUMP_NAME = /^qnwis_\d{8}_\d{6}\.dump$/;

const dbName = `qnwis_backup_${randomBytes(6).toString('hex')}`;
/** Plain URL the test itself connects with. */
const plainUrl = databaseUrl(dbName);
/** The password the scripts must never print: the real one when the test server has one, else a dummy (trust auth). */
const password = new URL(plainUrl).password || 'masked-pw-7c1e9';
/** What the scripts receive: the driver-suffixed form of the reference templates, with a password and a query. */
const scriptUrl = (() => {
  const url = new URL(plainUrl);
  url.password = password;
  url.searchParams.set('application_name', 'qnwis-scripts-test');
  return url.toString().replace(/^postgres(ql)?:/, 'postgresql+psycopg:');
})();

let tmp = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** Runs a script with a minimal environment (nothing inherited but PATH and HOME). */
function run(file: string, args: string[], env: Record<string, string> = {}, input = ''): Run {
  const result = spawnSync(file, args, {
    cwd: tmp,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, LANG: 'C.UTF-8', ...env },
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, pid: result.pid };
}

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: plainUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function tableRows(): Promise<string[]> {
  const result = await sql("SELECT id || ':' || label AS r FROM app.items ORDER BY id");
  return result.rows.map((r: { r: string }) => r.r);
}

const ORIGINAL = ['1:alpha', '2:beta', '3:gamma'];

async function resetData(): Promise<void> {
  await sql(
    "DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app; CREATE TABLE app.items (id int PRIMARY KEY, label text NOT NULL); INSERT INTO app.items VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma'); CREATE VIEW app.item_count AS SELECT count(*) AS n FROM app.items",
  );
}

/** Changes the data so a restore is visible: an update, a delete and an insert. */
async function changeData(): Promise<void> {
  await sql(
    "UPDATE app.items SET label = 'changed' WHERE id = 1; DELETE FROM app.items WHERE id = 2; INSERT INTO app.items VALUES (9, 'new')",
  );
}
const CHANGED = ['1:changed', '3:gamma', '9:new'];

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Parses the four result lines of pg_backup.sh. */
function backupResult(stdout: string): { path: string; size: number; sha: string; retention: string } {
  const match = /^backup: ([\s\S]*)\nsize: (\d+) bytes\nsha256: ([0-9a-f]{64})\nretention: (.*)\n$/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return { path: match![1]!, size: Number(match![2]), sha: match![3]!, retention: match![4]! };
}

function expectNoSecret(r: Run): void {
  expect(r.stdout + r.stderr).not.toContain(password);
}

/** A fresh directory under tmp whose name has a leading dash, spaces, a newline and glob characters. */
function hostileDir(tag: string): string {
  return path.join(tmp, `-${tag} dir with spaces\nand [glob]*`);
}

function writeStub(dir: string, name: string, body: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-scripts-'));
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  // The name is built from hex digits only; identifiers cannot be bound.
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  await resetData();
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('script hygiene', () => {
  it('every script passes shellcheck, uses strict mode, is executable and disables only SC1091', () => {
    const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (version.error)
      throw new Error(
        'shellcheck is not installed: install the Debian package "shellcheck" (apt-get install shellcheck)',
      );
    const check = spawnSync('shellcheck', ['--format=gcc', ...SCRIPT_FILES], { cwd: ROOT, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    for (const file of SCRIPT_FILES) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), file).toBe(true);
      expect(text, file).toContain('\nset -Eeuo pipefail\n');
      expect(fs.statSync(path.join(ROOT, file)).mode & 0o777, file).toBe(0o755);
      for (const line of text.split('\n').filter((l) => /shellcheck\s.*disable=/.test(l)))
        expect(line, file).toMatch(/disable=SC1091 # \S/);
    }
  });

  it('git records every scripts/**/*.sh with mode 100755 (spec §11.4)', () => {
    const listed = spawnSync('git', ['ls-files', '--stage', '--', 'scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    const modes = Object.fromEntries(
      listed.stdout
        .trimEnd()
        .split('\n')
        .map((line) => /^(\d{6}) [0-9a-f]+ \d\t(.*)$/.exec(line)!)
        .filter((m) => m[2]!.endsWith('.sh'))
        .map((m) => [m[2]!, m[1]!]),
    );
    expect(modes).toEqual(Object.fromEntries(SCRIPT_FILES.map((f) => [f, '100755'])));
  });
});

describe('pg_backup.sh and pg_restore.sh against PostgreSQL', () => {
  it('backs up with the +psycopg URL form, restores with --yes and the data equals the backup state', async () => {
    await resetData();
    const dir = hostileDir('roundtrip');
    const backup = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl });
    expect(backup.stderr).toContain('postgresql://');
    expect(backup.stderr).toContain(':***@');
    expectNoSecret(backup);
    expect(backup.code, backup.stderr).toBe(0);

    const result = backupResult(backup.stdout);
    const name = path.basename(result.path);
    expect(name).toMatch(DUMP_NAME);
    expect(path.dirname(result.path)).toBe(dir);
    expect(result.size).toBe(fs.statSync(result.path).size);
    expect(result.sha).toBe(sha256(result.path));
    expect(result.retention).toBe('kept 1, deleted 0 (QNWIS_BACKUP_KEEP=14)');
    expect(fs.readdirSync(dir).sort()).toEqual(['.qnwis_backup.lock', name, `${name}.sha256`, 'qnwis_latest.dump']);
    expect(fs.readFileSync(`${result.path}.sha256`, 'utf8')).toBe(`${result.sha}  ${name}\n`);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(`${result.path}.sha256`).mode & 0o777).toBe(0o600);
    expect(fs.statSync(result.path).mode & 0o777).toBe(0o600);
    expect(fs.readlinkSync(path.join(dir, 'qnwis_latest.dump'))).toBe(name);
    // The sidecar is in sha256sum's own format.
    const verify = spawnSync('sha256sum', ['--check', '--strict', '--', `${name}.sha256`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(verify.stdout).toBe(`${name}: OK\n`);

    await changeData();
    expect(await tableRows()).toEqual(CHANGED);
    const restore = run(RESTORE, ['--yes', '--', path.join(dir, 'qnwis_latest.dump')], { DATABASE_URL: scriptUrl });
    expectNoSecret(restore);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toContain(`dump: ${name}\n`);
    expect(restore.stderr).toMatch(/target: postgresql:\/\/[^:]+:\*\*\*@/);
    expect(restore.stdout).toBe(`restored: ${result.path}\ndatabase: ${dbName}\n`);
    expect(await tableRows()).toEqual(ORIGINAL);
    expect((await sql('SELECT n FROM app.item_count')).rows[0].n).toBe('3');
  });

  it('retention keeps the newest 14 matching dumps and touches nothing else, even beside a glob-matching sibling', async () => {
    const dir = hostileDir('retention');
    // A sibling that an unquoted "[glob]*" in the directory name would match.
    const sibling = path.join(tmp, `-retention dir with spaces\nand g-sibling`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.mkdirSync(sibling);
    const seeded: string[] = [];
    for (let day = 1; day <= 20; day++) {
      const name = `qnwis_202401${String(day).padStart(2, '0')}_120000.dump`;
      fs.writeFileSync(path.join(dir, name), `seed ${day}\n`);
      fs.writeFileSync(path.join(dir, `${name}.sha256`), `${sha256(path.join(dir, name))}  ${name}\n`);
      seeded.push(name);
    }
    const unrelated: Record<string, string> = {
      'notes.txt': 'keep me\n',
      'qnwis_2024.dump': 'short name\n',
      'qnwis_20240101_1200000.dump': 'seven-digit time\n',
      'qnwis_20230101_120000.dump.bak': 'backup copy\n',
      'QNWIS_20230101_120000.dump': 'upper case\n',
      'xqnwis_20230101_120000.dump': 'prefixed\n',
    };
    for (const [file, text] of Object.entries(unrelated)) fs.writeFileSync(path.join(dir, file), text);
    fs.mkdirSync(path.join(dir, 'old'));
    fs.writeFileSync(path.join(dir, 'old', 'qnwis_20200101_000000.dump'), 'nested\n');
    fs.symlinkSync(seeded[19]!, path.join(dir, 'qnwis_latest.dump'));
    fs.writeFileSync(path.join(sibling, 'qnwis_20200101_000000.dump'), 'sibling\n');

    const backup = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl });
    expect(backup.code, backup.stderr).toBe(0);
    const result = backupResult(backup.stdout);
    const name = path.basename(result.path);
    expect(result.retention).toBe('kept 14, deleted 7 (QNWIS_BACKUP_KEEP=14)');

    const kept = [...seeded.slice(7), name];
    const expected = [
      '.qnwis_backup.lock',
      ...Object.keys(unrelated),
      'old',
      'qnwis_latest.dump',
      ...kept,
      ...kept.map((n) => `${n}.sha256`),
    ].sort();
    expect(fs.readdirSync(dir).sort()).toEqual(expected);
    for (const [file, text] of Object.entries(unrelated))
      expect(fs.readFileSync(path.join(dir, file), 'utf8')).toBe(text);
    for (const [i, seed] of seeded.entries())
      if (i >= 7) expect(fs.readFileSync(path.join(dir, seed), 'utf8')).toBe(`seed ${i + 1}\n`);
    expect(fs.readFileSync(path.join(dir, 'old', 'qnwis_20200101_000000.dump'), 'utf8')).toBe('nested\n');
    expect(fs.readFileSync(path.join(sibling, 'qnwis_20200101_000000.dump'), 'utf8')).toBe('sibling\n');
    expect(fs.readlinkSync(path.join(dir, 'qnwis_latest.dump'))).toBe(name);
    for (let day = 1; day <= 7; day++) expect(backup.stderr).toContain(`retention: deleted ${seeded[day - 1]}\n`);
  });

  it('QNWIS_BACKUP_KEEP outside 1..365 and embedded mode are configuration errors (exit 2, nothing created)', () => {
    for (const keep of ['0', '366', 'abc', '-1', '']) {
      const dir = path.join(tmp, `keep-${keep || 'empty'}`);
      const r = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl, QNWIS_BACKUP_KEEP: keep });
      if (keep === '') {
        // Empty means unset: the default 14 applies.
        expect(r.code, r.stderr).toBe(0);
        expect(backupResult(r.stdout).retention).toBe('kept 1, deleted 0 (QNWIS_BACKUP_KEEP=14)');
        continue;
      }
      expect(r.code, keep).toBe(2);
      expect(r.stderr).toContain('QNWIS_BACKUP_KEEP must be an integer between 1 and 365');
      expect(fs.existsSync(dir)).toBe(false);
    }
    const dir = path.join(tmp, 'embedded');
    const embedded = run(BACKUP, ['--', dir]);
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toContain('DATABASE_URL is not set (embedded mode has no Postgres database to back up)');
    expect(fs.existsSync(dir)).toBe(false);
    const usage = run(BACKUP, ['-dir-without-separator']);
    expect(usage.code).toBe(2);
  });

  it('refuses to overwrite an existing dump of the same name and leaves no partial file', () => {
    const stubs = path.join(tmp, 'stub-date');
    writeStub(stubs, 'date', "printf '%s\\n' 20250315_101500");
    const dir = path.join(tmp, 'overwrite');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'qnwis_20250315_101500.dump'), 'existing\n');
    const r = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl, PATH: `${stubs}:${process.env.PATH}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('qnwis_20250315_101500.dump already exists; refusing to overwrite it');
    expect(fs.readFileSync(path.join(dir, 'qnwis_20250315_101500.dump'), 'utf8')).toBe('existing\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['.qnwis_backup.lock', 'qnwis_20250315_101500.dump']);
  });

  it('a failing pg_dump removes its partial file and exits 1', () => {
    const dir = path.join(tmp, 'dump-fails');
    const r = run(BACKUP, ['--', dir], { DATABASE_URL: 'postgresql://nobody:pw-never-shown@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pg_backup.sh: error: pg_dump failed');
    expect(r.stdout + r.stderr).not.toContain('pw-never-shown');
    expect(fs.readdirSync(dir)).toEqual(['.qnwis_backup.lock']);
  });

  it('refuses a tampered dump, a missing sidecar and a non-interactive run without --yes, leaving the database unchanged', async () => {
    await resetData();
    const dir = path.join(tmp, 'refusals');
    const backup = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl });
    expect(backup.code, backup.stderr).toBe(0);
    const dump = backupResult(backup.stdout).path;
    await changeData();

    const noYes = run(RESTORE, ['--', dump], { DATABASE_URL: scriptUrl });
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('stdin is not a terminal: pass --yes');
    expect(await tableRows()).toEqual(CHANGED);

    const tampered = path.join(dir, 'tampered', path.basename(dump));
    fs.mkdirSync(path.dirname(tampered));
    const bytes = fs.readFileSync(dump);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(tampered, bytes);
    fs.copyFileSync(`${dump}.sha256`, `${tampered}.sha256`);
    const bad = run(RESTORE, ['--yes', '--', tampered], { DATABASE_URL: scriptUrl });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `checksum mismatch for ${path.basename(dump)}; the dump is damaged or altered, nothing restored`,
    );
    expect(await tableRows()).toEqual(CHANGED);

    fs.rmSync(`${tampered}.sha256`);
    fs.writeFileSync(tampered, fs.readFileSync(dump));
    const missing = run(RESTORE, ['--yes', '--', tampered], { DATABASE_URL: scriptUrl });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`checksum file ${path.basename(dump)}.sha256 is missing`);
    expect(await tableRows()).toEqual(CHANGED);
  });

  it('without --yes on a terminal, restores only when the database name is typed back', async () => {
    await resetData();
    const dir = path.join(tmp, 'interactive');
    const backup = run(BACKUP, ['--', dir], { DATABASE_URL: scriptUrl });
    expect(backup.code, backup.stderr).toBe(0);
    await changeData();
    // script(1) gives the restore a pseudo-terminal as stdin.
    const viaTty = (answer: string): Run =>
      run(
        'script',
        ['-qec', '"$RESTORE" -- "$DUMP"', '/dev/null'],
        {
          SHELL: '/bin/bash',
          RESTORE,
          DUMP: path.join(dir, 'qnwis_latest.dump'),
          DATABASE_URL: scriptUrl,
        },
        `${answer}\n`,
      );
    const wrong = viaTty('postgres');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(`Type the database name to continue`);
    expect(wrong.stdout).toContain('confirmation did not match the database name; nothing restored');
    expect(await tableRows()).toEqual(CHANGED);
    const right = viaTty(dbName);
    expect(right.code, right.stdout).toBe(0);
    expect(right.stdout).toContain(`database: ${dbName}`);
    expect(await tableRows()).toEqual(ORIGINAL);
  });

  it('--env-file reads only the named variables from the file and executes nothing', async () => {
    await resetData();
    const marker = path.join(tmp, 'pwned');
    const envFile = path.join(tmp, 'backup.env');
    fs.writeFileSync(
      envFile,
      [
        '# compose env file',
        `EVIL=$(touch ${marker})`,
        `EVIL2=\`touch ${marker}\``,
        `DATABASE_URL="${scriptUrl}" # the disposable database`,
        'QNWIS_BACKUP_KEEP=2',
        `MULTI="first line`,
        `DATABASE_URL=postgresql://inside-a-quoted-value@127.0.0.1:1/x"`,
        `OTHER='$(touch ${marker})'`,
        '',
      ].join('\n'),
    );
    // The process environment points elsewhere: only the file may be used.
    const env = { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing', QNWIS_BACKUP_KEEP: '300' };
    const dir = path.join(tmp, 'env-file');
    const backup = run(BACKUP, ['--env-file', envFile, '--', dir], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backupResult(backup.stdout).retention).toBe('kept 1, deleted 0 (QNWIS_BACKUP_KEEP=2)');
    expectNoSecret(backup);
    await changeData();
    const restore = run(RESTORE, ['--yes', '--env-file', envFile, '--', path.join(dir, 'qnwis_latest.dump')], env);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await tableRows()).toEqual(ORIGINAL);
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.existsSync('/tmp/pwned')).toBe(false);

    // A file without DATABASE_URL does not fall back to the environment.
    const noUrl = path.join(tmp, 'no-url.env');
    fs.writeFileSync(noUrl, 'QNWIS_BACKUP_KEEP=3\n');
    const r = run(BACKUP, ['--env-file', noUrl, '--', path.join(tmp, 'env-no-url')], { DATABASE_URL: scriptUrl });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL is not set');
    const malformed = path.join(tmp, 'malformed.env');
    fs.writeFileSync(malformed, `DATABASE_URL=${scriptUrl}\nnot a key value line\n`);
    const m = run(RESTORE, ['--yes', '--env-file', malformed, '--', path.join(dir, 'qnwis_latest.dump')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(`${malformed}:2: expected KEY=VALUE`);
    expectNoSecret(m);
    // A restore target must name its database: the typed confirmation compares against it.
    const unnamed = run(RESTORE, ['--yes', '--', path.join(dir, 'qnwis_latest.dump')], {
      DATABASE_URL: 'postgresql+asyncpg://nobody@127.0.0.1:1',
    });
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('DATABASE_URL must name the database to restore into');
  });
});

describe('entrypoint.sh', () => {
  /** A copy of scripts/ under an install root with a space in it, like /opt/qnwis, plus stub executables. */
  let appRoot = '';
  let entrypoint = '';
  let calls = '';
  let stubs = '';
  let stubsWithPgIsready = '';

  beforeAll(() => {
    appRoot = path.join(tmp, 'opt dir', 'qnwis');
    fs.mkdirSync(appRoot, { recursive: true });
    fs.cpSync(SCRIPTS, path.join(appRoot, 'scripts'), { recursive: true });
    entrypoint = path.join(appRoot, 'scripts', 'entrypoint.sh');
    calls = path.join(tmp, 'entrypoint-calls.log');
    stubs = path.join(tmp, 'stubs');
    // Records its pid, working directory and arguments; fails when told to for the named subcommand.
    writeStub(
      stubs,
      'node',
      `{ printf '%s %s' "$$" "$PWD"; printf ' <%s>' "$@"; printf '\\n'; } >> '${calls}'\n[ "$2" != "$STUB_NODE_FAIL" ] || exit 3`,
    );
    writeStub(stubs, 'sleep', `printf 'sleep %s\\n' "$*" >> '${calls}'`);
    stubsWithPgIsready = path.join(tmp, 'stubs-pg');
    writeStub(stubsWithPgIsready, 'pg_isready', `printf 'pg_isready\\n' >> '${calls}'`);
  });

  function runEntrypoint(env: Record<string, string>, withPgIsreadyStub = false): { r: Run; lines: string[] } {
    fs.rmSync(calls, { force: true });
    const extra = withPgIsreadyStub ? `${stubsWithPgIsready}:` : '';
    const r = run(entrypoint, [], { PATH: `${extra}${stubs}:${process.env.PATH}`, ...env });
    const lines = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trimEnd().split('\n') : [];
    return { r, lines };
  }

  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('gives up after 30 attempts 2 s apart against a closed port, with a clear message and exit 1', async () => {
    const port = await closedPort();
    const url = `postgresql+psycopg://qnwis:${password}@127.0.0.1:${port}/qnwis`;
    const { r, lines } = runEntrypoint({ DATABASE_URL: url });
    expect(r.code).toBe(1);
    const attempts = [...r.stderr.matchAll(/\(attempt (\d+)\/30\)/g)].map((m) => Number(m[1]));
    expect(attempts).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(r.stderr).toContain(
      `entrypoint.sh: error: PostgreSQL at postgresql://qnwis:***@127.0.0.1:${port}/qnwis is not ready after 30 attempts; giving up\n`,
    );
    expectNoSecret(r);
    // 29 pauses between 30 attempts, each 2 s; node never ran.
    expect(lines).toEqual(Array.from({ length: 29 }, () => 'sleep 2'));
  });

  it('with a reachable database runs migrate, ingest and then execs serve from the install root', () => {
    const { r, lines } = runEntrypoint({ DATABASE_URL: scriptUrl });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(attempt 1/30)');
    expect(r.stderr).not.toContain('attempt 2/30');
    expectNoSecret(r);
    const root = fs.realpathSync(appRoot);
    expect(lines.map((l) => l.replace(/^\d+ /, ''))).toEqual([
      `${root} <dist/cli/main.js> <migrate>`,
      `${root} <dist/cli/main.js> <ingest> <--from> <data/lmis>`,
      `${root} <dist/cli/main.js> <serve>`,
    ]);
    // exec: serve runs in the entrypoint's own process.
    expect(lines[2]!.startsWith(`${r.pid} `)).toBe(true);
    expect(lines[0]!.startsWith(`${r.pid} `)).toBe(false);
  });

  it('passes QNWIS_DATA_DIR to ingest and skips ingest when QNWIS_INGEST_ON_START=false', () => {
    const dataDir = path.join(tmp, 'lmis pack');
    const custom = runEntrypoint({ DATABASE_URL: scriptUrl, QNWIS_DATA_DIR: dataDir });
    expect(custom.r.code, custom.r.stderr).toBe(0);
    expect(custom.lines[1]!.replace(/^\d+ \S+ \S+ /, '')).toBe(`<dist/cli/main.js> <ingest> <--from> <${dataDir}>`);

    const skipped = runEntrypoint({ DATABASE_URL: scriptUrl, QNWIS_INGEST_ON_START: 'false' });
    expect(skipped.r.code, skipped.r.stderr).toBe(0);
    expect(skipped.lines.map((l) => l.replace(/^.*?(<dist)/, '$1'))).toEqual([
      '<dist/cli/main.js> <migrate>',
      '<dist/cli/main.js> <serve>',
    ]);
    expect(skipped.r.stderr).toContain('QNWIS_INGEST_ON_START=false: skipping ingest');

    const invalid = runEntrypoint({ QNWIS_INGEST_ON_START: 'maybe' });
    expect(invalid.r.code).toBe(2);
    expect(invalid.lines).toEqual([]);
  });

  it('embedded mode (no DATABASE_URL) skips the wait', () => {
    const { r, lines } = runEntrypoint({}, true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('DATABASE_URL is not set: embedded mode, no database to wait for');
    expect(r.stderr).not.toContain('attempt');
    expect(lines.map((l) => l.replace(/^.*?(<dist)/, '$1'))).toEqual([
      '<dist/cli/main.js> <migrate>',
      '<dist/cli/main.js> <ingest> <--from> <data/lmis>',
      '<dist/cli/main.js> <serve>',
    ]);
  });

  it('stops with exit 1 when migrate fails, before ingest and serve', () => {
    const { r, lines } = runEntrypoint({ STUB_NODE_FAIL: 'migrate' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('entrypoint.sh: error: migrate failed');
    expect(lines.map((l) => l.replace(/^.*?(<dist)/, '$1'))).toEqual(['<dist/cli/main.js> <migrate>']);
  });
});
