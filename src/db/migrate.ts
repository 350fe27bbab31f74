/**
 * Versioned SQL migrations (service spec §8.2): `NNNN_<name>.sql` files contiguous from 0001, each applied in its own
 * transaction under a session-level advisory lock, tracked with a SHA-256 checksum in `schema_migrations`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Session } from './database.js';
import { withAdvisoryLock } from './advisory-lock.js';
import { DbError } from './errors.js';

/** Next to this module in src/db (tsx) and in dist/db (the build copies the SQL files). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** First 8 bytes of SHA-256("qnwis:schema_migrations") as a signed int8; never change it. */
export const MIGRATION_LOCK_KEY = '-5675771593566189928';
export const MIGRATION_LOCK_TIMEOUT_MS = 60_000;

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: number;
  /** `0001_initial_schema` */
  id: string;
  /** `initial_schema` */
  name: string;
  file: string;
  checksum: string;
  sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
  app_version: string;
}

export interface MigrateOptions {
  appVersion: string;
  /** Directory of the SQL files; defaults to MIGRATIONS_DIR. */
  dir?: string;
  /** How long to wait for a concurrent runner's lock (default 60 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Ids applied by this run, in order (`0001_initial_schema`). */
  applied: string[];
  pending: 0;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  /** Ids of files not yet applied, in order. */
  pending: string[];
  /** Files whose content differs from the applied version (migrate refuses to run). */
  changed: string[];
}

/** Reads and checks the migration files: names `NNNN_<name>.sql`, versions 1..n without gaps. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.sql'));
  } catch {
    throw new DbError('migration_invalid', 'the migrations directory cannot be read');
  }
  const files = names.sort().map((file): MigrationFile => {
    const match = FILE_PATTERN.exec(file);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      throw new DbError('migration_invalid', `migration file ${file} is not named NNNN_<name>.sql`);
    }
    const bytes = fs.readFileSync(path.join(dir, file));
    return {
      version: Number(match[1]),
      id: `${match[1]}_${match[2]}`,
      name: match[2],
      file,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      sql: bytes.toString('utf8'),
    };
  });
  files.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new DbError(
        'migration_invalid',
        `migration versions must be contiguous from 0001: found ${m.file} where version ${String(i + 1).padStart(4, '0')} was expected`,
      );
    }
  });
  return files;
}

const CREATE_TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS public.schema_migrations (
  version int PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  app_version text NOT NULL
)`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
  app_version: string;
}

async function readApplied(s: Session): Promise<AppliedMigration[]> {
  const { rows } = await s.query<AppliedRow>(
    'SELECT version, name, checksum, applied_at, app_version FROM public.schema_migrations ORDER BY version',
  );
  return rows.map((r) => ({ ...r, applied_at: r.applied_at.toISOString() }));
}

function changedFiles(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): MigrationFile[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  return files.filter((f) => {
    const row = byVersion.get(f.version);
    return row !== undefined && row.checksum !== f.checksum;
  });
}

// PGlite is one connection, where advisory locks are re-entrant: serialise runners of one process here instead.
const inProcessRuns = new WeakMap<Database, Promise<unknown>>();

function serialised<T>(db: Database, run: () => Promise<T>): Promise<T> {
  const previous = inProcessRuns.get(db) ?? Promise.resolve();
  const next = previous.then(run, run);
  inProcessRuns.set(
    db,
    next.catch(() => undefined),
  );
  return next;
}

/**
 * Applies every pending migration exactly once, even with several runners starting together (they queue on the
 * advisory lock, 60 s at most). An applied file whose checksum changed is fatal and nothing is applied.
 */
export async function migrate(db: Database, options: MigrateOptions): Promise<MigrateResult> {
  const files = loadMigrations(options.dir);
  const lockTimeoutMs = options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS;
  return serialised(db, () =>
    db.session((s) =>
      withAdvisoryLock(
        s,
        {
          key: MIGRATION_LOCK_KEY,
          timeoutMs: lockTimeoutMs,
          timeoutError: () =>
            new DbError(
              'migration_lock_timeout',
              `another migration runner held the migration lock for more than ${lockTimeoutMs / 1000} s`,
            ),
        },
        () => applyPending(s, files, options.appVersion),
      ),
    ),
  );
}

async function applyPending(s: Session, files: readonly MigrationFile[], appVersion: string): Promise<MigrateResult> {
  await s.exec(CREATE_TRACKING_TABLE);
  const applied = await readApplied(s);
  const changed = changedFiles(files, applied)[0];
  if (changed !== undefined) {
    throw new DbError(
      'migration_checksum_mismatch',
      `migration ${changed.file} was modified after it was applied (its SHA-256 no longer matches schema_migrations)`,
    );
  }
  const done = new Set(applied.map((a) => a.version));
  const ran: string[] = [];
  for (const file of files.filter((f) => !done.has(f.version))) {
    await s.transaction(async (tx) => {
      await tx.exec(file.sql);
      await tx.query(
        'INSERT INTO public.schema_migrations (version, name, checksum, applied_at, app_version) VALUES ($1, $2, $3, now(), $4)',
        [file.version, file.name, file.checksum, appVersion],
      );
    });
    ran.push(file.id);
  }
  return { applied: ran, pending: 0 };
}

/** Applied and pending migrations without changing anything (no lock taken; the table may not exist yet). */
export async function migrationStatus(db: Database, options: { dir?: string } = {}): Promise<MigrationStatus> {
  const files = loadMigrations(options.dir);
  const { rows } = await db.query<{ present: boolean }>(
    "SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present",
  );
  const applied = rows[0]?.present ? await db.session(readApplied) : [];
  const done = new Set(applied.map((a) => a.version));
  return {
    applied,
    pending: files.filter((f) => !done.has(f.version)).map((f) => f.id),
    changed: changedFiles(files, applied).map((f) => f.file),
  };
}
