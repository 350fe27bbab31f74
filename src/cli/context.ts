import type { DataConfig } from '../config/data-config.js';
import { resolveDataConfig } from '../config/data-config.js';
import type { RawEnv } from '../config/resolve.js';
import { processEnv } from '../config/process-env.js';
import type { QueryRegistry } from '../data/registry/registry.js';
import type { QueryService } from '../data/query-service.js';
import type { ResultCache } from '../data/cache/result-cache.js';
import { createDataServices, type DataServices } from '../data/data-services.js';
import type { PostgresRunner } from '../data/query-service.js';
import { resolveAppConfig, type AppConfig } from '../config/app-config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { createPostgresRunner } from '../data/connectors/postgres.js';
import { acquireLock } from '../db/embedded-lock.js';
import { CommandFailed, EXIT } from './errors.js';

/** What a command may use; everything is created lazily so `seed` never loads the registry. */
export interface CliContext {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The environment the command validates or resolves: the CliIo's, else the process's. */
  env(): RawEnv;
  dataConfig(): DataConfig;
  /** The full service configuration (throws ConfigError, exit 78). */
  appConfig(): AppConfig;
  /** The writer database of the configuration, opened once (embedded: refuses while a server holds it). */
  database(): Promise<Database>;
  registry(): Promise<QueryRegistry>;
  queryService(): Promise<QueryService>;
  resultCache(): Promise<ResultCache>;
  close(): Promise<void>;
}

/** Where a command writes and which environment it reads; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env?: RawEnv;
}

const PROCESS_IO: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

export function createCliContext(io: CliIo = PROCESS_IO): CliContext {
  let config: DataConfig | undefined;
  let services: Promise<DataServices> | undefined;
  let app: AppConfig | undefined;
  let db: Promise<Database> | undefined;
  let releaseLock: (() => void) | undefined;
  const env = (): RawEnv => io.env ?? processEnv();
  const dataConfig = (): DataConfig => (config ??= resolveDataConfig(env()));
  const appConfig = (): AppConfig => (app ??= resolveAppConfig(env()).config);
  const database = (): Promise<Database> =>
    (db ??= (async () => {
      const c = appConfig();
      if (c.database.mode === 'embedded') {
        try {
          releaseLock = acquireLock(c.stateDir);
        } catch (err) {
          throw new CommandFailed((err as Error).message, EXIT.failure);
        }
        return openDatabase(c, { workerId: 'cli' });
      }
      // a command needs at most two connections and none kept open in advance
      return openDatabase({ ...c, pool: { ...c.pool, min: 0, max: 2 } }, { workerId: 'cli' });
    })());
  // postgres specs open the database only when one of them actually runs
  let runner: PostgresRunner | undefined;
  const lazyRunner: PostgresRunner = {
    run: async (params, values) => (runner ??= createPostgresRunner(await database())).run(params, values),
  };
  const data = (): Promise<DataServices> => (services ??= createDataServices(dataConfig(), { postgres: lazyRunner }));
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    env,
    dataConfig,
    appConfig,
    database,
    registry: async () => (await data()).registry,
    queryService: async () => (await data()).queryService,
    resultCache: async () => (await data()).cache,
    close: async () => {
      if (services) await (await services).close();
      if (db) await (await db).close();
      releaseLock?.();
    },
  };
}
