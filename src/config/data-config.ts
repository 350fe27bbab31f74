import path from 'node:path';
import { readCatalogue, ConfigError, stripDriverSuffix, type Parsed, type RawEnv } from './resolve.js';
import { processEnv } from './process-env.js';

/** Settings of the deterministic data layer (data-layer spec §13), resolved once. */
export interface DataConfig {
  env: string;
  queriesDir: string;
  catalogPath: string;
  dataDir: string;
  worldBankDir: string;
  worldBankOnline: boolean;
  worldBankBaseUrl: string;
  /** Writer URL with any driver suffix removed; undefined in embedded mode. */
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

/** The variables of data-layer spec §13 (plus QNWIS_ENV); the data layer reads nothing else. */
export const DATA_VARIABLES: ReadonlySet<string> = new Set([
  'QNWIS_ENV',
  'QNWIS_QUERIES_DIR',
  'QNWIS_CATALOG_PATH',
  'QNWIS_DATA_DIR',
  'QNWIS_WORLD_BANK_DIR',
  'QNWIS_WORLD_BANK_ONLINE',
  'QNWIS_WORLD_BANK_BASE_URL',
  'DATABASE_URL',
  'QNWIS_DB_READONLY_URL',
  'REDIS_URL',
  'QNWIS_DEFAULT_CACHE_TTL_S',
  'QNWIS_CACHE_MAX_ENTRIES',
  'QNWIS_CACHE_MAX_BYTES',
  'QNWIS_WARM_CACHE',
  'QNWIS_WARM_QUERIES',
  'QNWIS_WARM_MAX_WORKERS',
  'QNWIS_TRANSFORM_TRACE',
]);

/** Builds the data settings from parsed catalogue values (shared with the application config). */
export function dataConfigFromValues(values: ReadonlyMap<string, Parsed>, cwd: string): DataConfig {
  const str = (name: string): string => values.get(name) as string;
  const opt = (name: string): string | undefined => values.get(name) as string | undefined;
  const num = (name: string): number => values.get(name) as number;
  const bool = (name: string): boolean => (values.get(name) as boolean | undefined) ?? false;
  const writer = opt('DATABASE_URL');
  const databaseUrl = writer === undefined ? undefined : stripDriverSuffix(writer);
  const readonly = opt('QNWIS_DB_READONLY_URL');
  return {
    env: str('QNWIS_ENV'),
    queriesDir: path.resolve(cwd, str('QNWIS_QUERIES_DIR')),
    catalogPath: path.resolve(cwd, str('QNWIS_CATALOG_PATH')),
    dataDir: path.resolve(cwd, str('QNWIS_DATA_DIR')),
    worldBankDir: path.resolve(cwd, str('QNWIS_WORLD_BANK_DIR')),
    worldBankOnline: bool('QNWIS_WORLD_BANK_ONLINE'),
    worldBankBaseUrl: str('QNWIS_WORLD_BANK_BASE_URL'),
    databaseUrl,
    readonlyDatabaseUrl: readonly === undefined ? databaseUrl : stripDriverSuffix(readonly),
    redisUrl: opt('REDIS_URL'),
    defaultCacheTtlS: num('QNWIS_DEFAULT_CACHE_TTL_S'),
    cacheMaxEntries: num('QNWIS_CACHE_MAX_ENTRIES'),
    cacheMaxBytes: num('QNWIS_CACHE_MAX_BYTES'),
    warmCache: bool('QNWIS_WARM_CACHE'),
    warmQueries: (values.get('QNWIS_WARM_QUERIES') as string[] | undefined) ?? [],
    warmMaxWorkers: num('QNWIS_WARM_MAX_WORKERS'),
    transformTrace: bool('QNWIS_TRANSFORM_TRACE'),
  };
}

/**
 * Resolves the data-layer settings; relative paths are resolved against `cwd`. Throws ConfigError.
 * Only the data-layer variables are validated, so tools such as `seed` run whatever the service settings hold.
 */
export function resolveDataConfig(env: RawEnv, cwd: string = process.cwd()): DataConfig {
  const { values, problems } = readCatalogue(env, { include: (spec) => DATA_VARIABLES.has(spec.name), cwd });
  if (problems.length > 0) throw new ConfigError(problems);
  return dataConfigFromValues(values, cwd);
}

/** The data-layer settings of this process's environment. */
export function dataConfigFromProcess(): DataConfig {
  return resolveDataConfig(processEnv());
}
