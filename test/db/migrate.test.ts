import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import {
  MIGRATION_LOCK_KEY,
  MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  migrationStatus,
  type MigrateResult,
} from '../../src/db/migrate.js';
import { BACKENDS, createScratch, tempDir, type Scratch } from './support.js';

const INITIAL = '0001_initial_schema';
const AUDIT = '0002_audit_manifests';
const ALL = [INITIAL, AUDIT];

function copyMigrations(dir: string): void {
  for (const name of fs.readdirSync(MIGRATIONS_DIR))
    fs.copyFileSync(path.join(MIGRATIONS_DIR, name), path.join(dir, name));
}

describe('loadMigrations', () => {
  it('reads the shipped files with their SHA-256', () => {
    const files = loadMigrations();
    expect(files.map((f) => [f.version, f.id, f.name, f.file])).toEqual([
      [1, INITIAL, 'initial_schema', `${INITIAL}.sql`],
      [2, AUDIT, 'audit_manifests', `${AUDIT}.sql`],
    ]);
    for (const f of files) expect(f.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects gaps and badly named files', () => {
    const { dir, remove } = tempDir('qnwis-mig-');
    try {
      fs.writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
      fs.writeFileSync(path.join(dir, '0003_c.sql'), 'SELECT 1;');
      expect(() => loadMigrations(dir)).toThrow(
        'migration versions must be contiguous from 0001: found 0003_c.sql where version 0002 was expected',
      );
      fs.renameSync(path.join(dir, '0003_c.sql'), path.join(dir, 'init.sql'));
      expect(() => loadMigrations(dir)).toThrow('migration file init.sql is not named NNNN_<name>.sql');
    } finally {
      remove();
    }
  });
});

describe.each(BACKENDS)('migrate on %s', (backend) => {
  let scratch: Scratch;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratch(backend);
    db = scratch.db;
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  it('applies everything once, then reports 0 pending', async () => {
    expect(await migrationStatus(db)).toEqual({ applied: [], pending: ALL, changed: [] });
    expect(await migrate(db, { appVersion: '1.2.3' })).toEqual({ applied: ALL, pending: 0 });
    expect(await migrate(db, { appVersion: '1.2.4' })).toEqual({ applied: [], pending: 0 });
    const status = await migrationStatus(db);
    expect(status.pending).toEqual([]);
    expect(status.changed).toEqual([]);
    expect(status.applied).toHaveLength(2);
    expect(status.applied[0]).toMatchObject({
      version: 1,
      name: 'initial_schema',
      checksum: loadMigrations()[0]?.checksum,
      app_version: '1.2.3',
    });
    expect(status.applied[0]?.applied_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('creates the tables, float columns and audit indexes of the spec', async () => {
    const tables = await db.query<{ t: string }>(
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
       WHERE table_schema IN ('lmis', 'public') AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    expect(tables.rows.map((r) => r.t)).toEqual([
      'lmis.attrition_by_sector',
      'lmis.avg_salary_by_sector',
      'lmis.companies',
      'lmis.company_size_distribution',
      'lmis.employment_history',
      'lmis.employment_share_by_gender',
      'lmis.ewi_employment_drop',
      'lmis.ingest_log',
      'lmis.qatarization_by_sector',
      'lmis.refresh_log',
      'lmis.sector_employment_by_year',
      'lmis.unemployment_gcc_latest',
      'lmis.world_bank_snapshots',
      'public.api_keys',
      'public.audit_events',
      'public.audit_manifests',
      'public.schema_migrations',
      'public.sessions',
    ]);
    const floats = await db.query<{ c: string }>(
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
       WHERE table_schema = 'lmis' AND data_type = 'double precision' ORDER BY 1`,
    );
    expect(floats.rows.map((r) => r.c)).toEqual([
      'attrition_by_sector.attrition_percent',
      'employment_share_by_gender.female_percent',
      'employment_share_by_gender.male_percent',
      'employment_share_by_gender.total_percent',
      'ewi_employment_drop.drop_percent',
      'qatarization_by_sector.qatarization_percent',
      'unemployment_gcc_latest.value',
    ]);
    const nullable = await db.query<{ c: string }>(
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
       WHERE table_schema = 'lmis' AND is_nullable = 'YES' ORDER BY 1`,
    );
    expect(nullable.rows.map((r) => r.c)).toEqual(['world_bank_snapshots.last_updated']);
    const indexes = await db.query<{ d: string }>(
      "SELECT indexdef AS d FROM pg_indexes WHERE tablename = 'audit_events' AND indexname <> 'audit_events_pkey' ORDER BY 1",
    );
    expect(indexes.rows.map((r) => r.d)).toEqual([
      'CREATE INDEX audit_events_principal_ts_idx ON public.audit_events USING btree (principal_hash, ts)',
      'CREATE INDEX audit_events_ts_idx ON public.audit_events USING btree (ts)',
    ]);
    const manifest = await db.query<{ c: string; t: string }>(
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns
       WHERE table_name = 'audit_manifests' ORDER BY ordinal_position`,
    );
    expect(manifest.rows).toEqual([
      { c: 'audit_id', t: 'uuid' },
      { c: 'request_id', t: 'text' },
      { c: 'endpoint', t: 'text' },
      { c: 'intent', t: 'text' },
      { c: 'registry_version', t: 'text' },
      { c: 'code_version', t: 'text' },
      { c: 'created_at', t: 'timestamp with time zone' },
      { c: 'query_ids', t: 'ARRAY' },
      { c: 'answer_digest_sha256', t: 'character' },
      { c: 'manifest_digest_sha256', t: 'character' },
      { c: 'hmac_sha256', t: 'character' },
      { c: 'manifest', t: 'jsonb' },
      { c: 'answer', t: 'jsonb' },
      { c: 'evidence', t: 'jsonb' },
    ]);
  });

  it('serialises concurrent runs on one handle so each migration is applied once', async () => {
    const { dir, remove } = tempDir('qnwis-mig-');
    try {
      copyMigrations(dir);
      fs.writeFileSync(path.join(dir, '0003_counter.sql'), 'CREATE TABLE migration_counter (n int);\n');
      fs.writeFileSync(path.join(dir, '0004_bump.sql'), 'INSERT INTO migration_counter VALUES (1);\n');
      const runs = await Promise.all([
        migrate(db, { appVersion: 'x', dir }),
        migrate(db, { appVersion: 'y', dir }),
        migrate(db, { appVersion: 'z', dir }),
      ]);
      expect(runs.map((r) => r.applied)).toEqual([['0003_counter', '0004_bump'], [], []]);
      expect((await db.query('SELECT n FROM migration_counter')).rows).toEqual([{ n: 1 }]);
    } finally {
      remove();
    }
  });

  it('refuses to run when an applied file was modified, naming the file', async () => {
    const { dir, remove } = tempDir('qnwis-mig-');
    try {
      copyMigrations(dir);
      fs.writeFileSync(path.join(dir, '0003_counter.sql'), 'CREATE TABLE migration_counter (n int);\n');
      fs.writeFileSync(path.join(dir, '0004_bump.sql'), 'INSERT INTO migration_counter VALUES (2);\n');
      fs.writeFileSync(path.join(dir, '0005_more.sql'), 'CREATE TABLE never_applied (n int);\n');
      await expect(migrate(db, { appVersion: 'x', dir })).rejects.toMatchObject({
        name: 'DbError',
        code: 'migration_checksum_mismatch',
        message:
          'migration 0004_bump.sql was modified after it was applied (its SHA-256 no longer matches schema_migrations)',
      });
      expect(await migrationStatus(db, { dir })).toMatchObject({
        pending: ['0005_more'],
        changed: ['0004_bump.sql'],
      });
      expect((await db.query("SELECT to_regclass('never_applied') AS t")).rows).toEqual([{ t: null }]);
    } finally {
      remove();
    }
  });

  it('rolls a failing migration back entirely and leaves the lock free', async () => {
    const { dir, remove } = tempDir('qnwis-mig-');
    try {
      copyMigrations(dir);
      fs.writeFileSync(path.join(dir, '0003_counter.sql'), 'CREATE TABLE migration_counter (n int);\n');
      fs.writeFileSync(path.join(dir, '0004_bump.sql'), 'INSERT INTO migration_counter VALUES (1);\n');
      fs.writeFileSync(path.join(dir, '0005_broken.sql'), 'CREATE TABLE half_done (n int);\nSELECT 1 / 0;\n');
      await expect(migrate(db, { appVersion: 'x', dir })).rejects.toMatchObject({
        code: 'query_failed',
        sqlstate: '22012',
      });
      expect((await db.query("SELECT to_regclass('half_done') AS t")).rows).toEqual([{ t: null }]);
      fs.writeFileSync(path.join(dir, '0005_broken.sql'), 'CREATE TABLE half_done (n int);\n');
      expect(await migrate(db, { appVersion: 'x', dir, lockTimeoutMs: 2000 })).toEqual({
        applied: ['0005_broken'],
        pending: 0,
      });
      const versions = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      remove();
    }
  });
});

describe('migrate across PostgreSQL connections and processes', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch('postgres');
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  /** Holds the migration lock from another connection until the returned release function is called. */
  async function holdLock(holder: Database): Promise<{ release: () => Promise<void> }> {
    let unlock!: () => void;
    let locked!: () => void;
    const gate = new Promise<void>((resolve) => (unlock = resolve));
    const acquired = new Promise<void>((resolve) => (locked = resolve));
    const done = holder.session(async (s) => {
      await s.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      locked();
      await gate;
      await s.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    });
    await acquired;
    return {
      release: async () => {
        unlock();
        await done;
      },
    };
  }

  async function waitForLockWaiters(observer: Database, count: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await observer.query<{ n: number }>(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      if (rows[0]?.n === count) return;
      if (Date.now() > deadline) throw new Error(`expected ${count} waiters on the migration lock`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function migrateInChildProcess(url: string): Promise<MigrateResult> {
    const script = path.resolve('test/db/fixtures/migrate-child.ts');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(JSON.parse(out) as MigrateResult);
        else reject(new Error(`child exited ${code}: ${err}`));
      });
    });
  }

  it('applies each migration exactly once with two pools and a second process starting together', async () => {
    const holder = await scratch.openAnother();
    const first = await scratch.openAnother();
    const second = await scratch.openAnother();
    const lock = await holdLock(holder);
    const runs = [
      migrate(first, { appVersion: 'first' }),
      migrate(second, { appVersion: 'second' }),
      migrateInChildProcess(scratch.url as string),
    ];
    // All three are queued on the advisory lock before any of them may read schema_migrations.
    await waitForLockWaiters(scratch.db, 3);
    await lock.release();
    const results = await Promise.all(runs);
    const applied = results.map((r) => r.applied);
    expect(applied.filter((a) => a.length > 0)).toEqual([ALL]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(2);
    const rows = await scratch.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.rows).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it('gives up with migration_lock_timeout when another runner keeps the lock', async () => {
    const holder = await scratch.openAnother();
    const lock = await holdLock(holder);
    try {
      await expect(migrate(scratch.db, { appVersion: 'late', lockTimeoutMs: 300 })).rejects.toMatchObject({
        name: 'DbError',
        code: 'migration_lock_timeout',
        message: 'another migration runner held the migration lock for more than 0.3 s',
      });
    } finally {
      await lock.release();
    }
    expect(await migrate(scratch.db, { appVersion: 'late', lockTimeoutMs: 2000 })).toEqual({ applied: [], pending: 0 });
  });
});
