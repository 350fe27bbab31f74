import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openPostgres } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { ingestPack } from '../../src/db/ingest.js';
import { materializeViews } from '../../src/db/materialize.js';
import { TEST_DATABASE_URL } from './services.js';
import { TEST_PACK_DIR } from './pack.js';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Fingerprint of everything that shapes the loaded database: migrations and view definitions. */
function schemaFingerprint(): string {
  const hash = createHash('sha256');
  const dir = path.resolve('src/db/migrations');
  for (const f of fs.readdirSync(dir).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  hash.update(fs.readFileSync(path.resolve('src/db/materialize.ts')));
  return hash.digest('hex').slice(0, 12);
}

/**
 * A PostgreSQL database holding the default pack, migrated, ingested and materialized; built once and reused by
 * every test file (and later runs) that only reads it. Parallel callers serialise on an advisory lock.
 */
export async function sharedPackDatabase(): Promise<string> {
  const name = `qnwis_shared_${schemaFingerprint()}`;
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(424242)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      // The name is built from hex digits only; identifiers cannot be bound.
      await admin.query(`CREATE DATABASE ${name}`);
      const db = await openPostgres(databaseUrl(name), {
        min: 0,
        max: 2,
        acquireTimeoutS: 30,
        statementTimeoutMs: 600_000,
        applicationName: 'qnwis-test-setup',
      });
      try {
        await migrate(db, { appVersion: 'test' });
        await ingestPack(db, TEST_PACK_DIR, { force: true });
        await materializeViews(db);
        await db.query('CREATE TABLE public.qnwis_test_ready (ok boolean)');
      } catch (err) {
        await db.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        throw err;
      }
      await db.close();
    } else {
      const probe = new pg.Client({ connectionString: databaseUrl(name) });
      await probe.connect();
      const ready = await probe.query("SELECT to_regclass('public.qnwis_test_ready') IS NOT NULL AS ok");
      await probe.end();
      if (!ready.rows[0].ok) {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.query('SELECT pg_advisory_unlock(424242)');
        return sharedPackDatabase();
      }
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await admin.end();
  }
  return databaseUrl(name);
}
