import type { AppConfig } from '../config/app-config.js';
import { openEmbedded, openPostgres, type Database } from './database.js';

/** Opens the database the configuration names (pool sized by PERF_POOL_*), for workers, the primary and the CLI. */
export async function openDatabase(
  config: AppConfig,
  opts: {
    /** Becomes `application_name` `qnwis-<workerId>`. */
    workerId: string;
    onQuery?: (operation: string, seconds: number) => void;
    readonly?: boolean;
    onPrewarmError?: (err: Error) => void;
  },
): Promise<Database> {
  if (config.database.mode === 'embedded') return openEmbedded(config.database.dir, { onQuery: opts.onQuery });
  return openPostgres(opts.readonly ? config.database.readonlyUrl : config.database.url, {
    min: config.pool.min,
    max: config.pool.max,
    acquireTimeoutS: config.pool.timeoutS,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    applicationName: `qnwis-${opts.workerId}`,
    onQuery: opts.onQuery,
    onPrewarmError: opts.onPrewarmError,
    onIdleError: () => undefined,
  });
}
