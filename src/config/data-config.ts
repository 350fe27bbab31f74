import path from 'node:path';
import { readCatalogue, ConfigError, type RawEnv } from './resolve.js';

/** Settings of the deterministic data layer (data-layer spec §13), resolved once. */
export interface DataConfig {
  env: string;
  queriesDir: string;
  catalogPath: string;
  dataDir: string;
  worldBankDir: string;
  worldBankOnline: boolean;
  worldBankBaseUrl: string;
  databaseUrl: string | undefined;
  readonlyDatabaseUrl: string | undefined;
  redisUrl: string | undefined;
  defaultCacheTtlS: number;
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  warmCache: boolean;
  warmQueries: string[];
  warmMaxWorkers: number;
  transformTrace: boolean;
}

/** Resolves the data-layer settings; relative paths are resolved against `cwd`. Throws ConfigError. */
export function resolveDataConfig(env: RawEnv, cwd: string = process.cwd()): DataConfig {
  const { values, problems } = readCatalogue(env);
  if (problems.length > 0) throw new ConfigError(problems);
  const str = (name: string): string => values.get(name) as string;
  const opt = (name: string): string | undefined => values.get(name) as string | undefined;
  const num = (name: string): number => values.get(name) as number;
  const bool = (name: string): boolean => (values.get(name) as boolean | undefined) ?? false;
  const databaseUrl = opt('DATABASE_URL');
  return {
    env: str('QNWIS_ENV'),
    queriesDir: path.resolve(cwd, str('QNWIS_QUERIES_DIR')),
    catalogPath: path.resolve(cwd, str('QNWIS_CATALOG_PATH')),
    dataDir: path.resolve(cwd, str('QNWIS_DATA_DIR')),
    worldBankDir: path.resolve(cwd, str('QNWIS_WORLD_BANK_DIR')),
    worldBankOnline: bool('QNWIS_WORLD_BANK_ONLINE'),
    worldBankBaseUrl: str('QNWIS_WORLD_BANK_BASE_URL'),
    databaseUrl,
    readonlyDatabaseUrl: opt('QNWIS_DB_READONLY_URL') ?? databaseUrl,
    redisUrl: opt('REDIS_URL'),
    defaultCacheTtlS: num('QNWIS_DEFAULT_CACHE_TTL_S'),
    cacheMaxEntries: num('QNWIS_CACHE_MAX_ENTRIES'),
    cacheMaxBytes: num('QNWIS_CACHE_MAX_BYTES'),
    warmCache: bool('QNWIS_WARM_CACHE'),
    warmQueries: values.get('QNWIS_WARM_QUERIES') as string[],
    warmMaxWorkers: num('QNWIS_WARM_MAX_WORKERS'),
    transformTrace: bool('QNWIS_TRANSFORM_TRACE'),
  };
}

/** The data-layer settings of this process's environment. */
export function dataConfigFromProcess(): DataConfig {
  return resolveDataConfig(process.env);
}
