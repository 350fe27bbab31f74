import { Registry } from 'prom-client';
import { openPostgres, type Database } from '../../src/db/database.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';
import { createDataServices, type DataServices } from '../../src/data/data-services.js';
import { resolveDataConfig } from '../../src/config/data-config.js';
import { createDataClient } from '../../src/analysis/data-client.js';
import type { DataClient } from '../../src/analysis/model.js';
import { sharedPackDatabase } from './shared-postgres.js';
import { TEST_PACK_DIR } from './pack.js';

export interface PackData {
  data: DataServices;
  db: Database;
  /** A fresh DataClient (its own per-answer memo) over the seed-42 pack: CSV aggregates and the ts_* views. */
  client(): DataClient;
  close(): Promise<void>;
}

/** The default synthetic pack behind the data layer, with the postgres source on the shared test database. */
export async function openPackData(): Promise<PackData> {
  const db = await openPostgres(await sharedPackDatabase(), {
    min: 0,
    max: 4,
    acquireTimeoutS: 30,
    statementTimeoutMs: 60_000,
    applicationName: 'qnwis-test-analysis',
  });
  const data = await createDataServices(resolveDataConfig({ QNWIS_DATA_DIR: TEST_PACK_DIR }), {
    metricsRegistry: new Registry(),
    postgres: createPostgresRunner(db),
  });
  return {
    data,
    db,
    client: () => createDataClient(data.queryService),
    async close() {
      await data.close();
      await db.close();
    },
  };
}
