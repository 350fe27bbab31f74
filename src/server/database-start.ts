import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { openDatabase } from '../db/open.js';
import { migrate, migrationStatus } from '../db/migrate.js';
import { ingestPack } from '../db/ingest.js';
import { materializeViews } from '../db/materialize.js';
import { isDbError } from '../db/errors.js';
import { resolvePackOptions, writePack } from '../data/synthetic/pack.js';
import type { Database } from '../db/database.js';
import { ApiKeyStore } from '../security/api-keys.js';

/** A start-up refusal with its exit code (78 = configuration / deployment error). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

const PACK_MARKER = 'employment_history.csv';

/**
 * Before forking: in postgres mode verify that no migration is pending; in embedded mode apply migrations, seed the
 * synthetic pack if missing, and ingest and materialize it when the database is empty (service spec §8.2, §8.5).
 * The primary holds no pool afterwards.
 */
export async function prepareDatabase(config: AppConfig, logger: Logger): Promise<void> {
  if (config.database.mode === 'postgres') {
    const db = await openDatabase(
      { ...config, pool: { ...config.pool, min: 0, max: 1, timeoutS: Math.min(config.pool.timeoutS, 5) } },
      { workerId: 'primary' },
    );
    try {
      const status = await migrationStatus(db);
      if (status.pending.length > 0) {
        throw new StartupError(`${status.pending.length} pending migrations; run \`qnwis migrate\``, 78);
      }
    } catch (err) {
      if (err instanceof StartupError || !(isDbError(err) && err.code === 'unavailable')) throw err;
      // Workers start anyway and stay not-ready (503) until the database answers and the schema checks out.
      logger.warn(
        { err: { message: err.message } },
        'database unreachable; migrations will be verified when it answers',
      );
    } finally {
      await db.close();
    }
    return;
  }

  fs.mkdirSync(path.dirname(config.database.dir), { recursive: true, mode: 0o700 });
  const db = await openDatabase(config, { workerId: 'primary' });
  try {
    const applied = await migrate(db, { appVersion: config.version });
    if (applied.applied.length > 0) logger.info({ applied: applied.applied }, 'migrations applied');
    const dataDir = config.data.dataDir;
    if (!fs.existsSync(path.join(dataDir, PACK_MARKER))) {
      logger.info({ dir: path.relative(process.cwd(), dataDir) || '.' }, 'seeding the synthetic LMIS pack');
      await writePack(dataDir, resolvePackOptions({}));
    }
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM lmis.employment_history');
    if ((count.rows[0]?.n ?? 0) === 0) {
      logger.info('loading the LMIS pack into the embedded database (first start)');
      const ingest = await ingestPack(db, dataDir, { force: true });
      logger.info({ status: ingest.status }, 'ingest finished');
      const views = await materializeViews(db);
      logger.info({ views: views.map((v) => ({ view: v.view, rows: v.rows })) }, 'materialized views refreshed');
    }
    await ensureDevAdminKey(db, config, logger);
  } finally {
    await db.close();
  }
}

/** File holding the embedded default's first admin key (service spec §8.5). */
export function devAdminKeyPath(stateDir: string): string {
  return path.join(stateDir, 'dev-admin-key');
}

/**
 * Embedded default, first start: with an empty key store, create one admin key labelled `dev` and write it to
 * `<state>/dev-admin-key` (0600). The log names the file, never the key.
 */
async function ensureDevAdminKey(db: Database, config: AppConfig, logger: Logger): Promise<void> {
  if (config.env === 'prod' || !config.secrets.apiKeyPepper) return;
  const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.api_keys');
  if ((existing.rows[0]?.n ?? 0) > 0) return;
  const store = new ApiKeyStore({ db, pepper: config.secrets.apiKeyPepper, cacheMs: 0 });
  const { key, record } = await store.create({ label: 'dev', roles: ['admin'] });
  const file = devAdminKeyPath(config.stateDir);
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  logger.info(
    { file: path.relative(process.cwd(), file) || file, key_id: record.key_id },
    'created the development admin key (label dev); it is in this file',
  );
}
