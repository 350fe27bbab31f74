import { openPostgres, type Database } from '../../src/db/database.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';
import { buildTestApp, type TestApp } from './app.js';
import { sharedPackDatabase } from './shared-postgres.js';

export interface AnalysisApp extends TestApp {
  db: Database;
}

/**
 * The in-process app over the seed-42 pack with the ts_* views on the shared PostgreSQL database (authentication
 * bypassed, manifests in memory, clock date 2025-01-15 unless given).
 */
export async function buildAnalysisApp(opts: { clockDate?: string } = {}): Promise<AnalysisApp> {
  const db = await openPostgres(await sharedPackDatabase(), {
    min: 0,
    max: 4,
    acquireTimeoutS: 30,
    statementTimeoutMs: 60_000,
    applicationName: 'qnwis-test-analysis-app',
  });
  const base = await buildTestApp({ postgres: createPostgresRunner(db), ...opts });
  return {
    ...base,
    db,
    async close() {
      await base.close();
      await db.close();
    },
  };
}
