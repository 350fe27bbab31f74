import fs from 'node:fs';
import { Registry } from 'prom-client';
import type { DataConfig } from '../config/data-config.js';
import { DataError } from './errors.js';
import { QueryRegistry } from './registry/registry.js';
import { QueryService, type PostgresRunner, type QueryObserver } from './query-service.js';
import { ResultCache, type CacheLogger } from './cache/result-cache.js';
import { getMemoryStore, RedisStore, type CacheStore } from './cache/stores.js';
import { createDataMetrics, setRegistryVersion, type DataMetrics } from './metrics.js';
import type { WorldBankSnapshotStore } from './connectors/world-bank.js';
import type { CsvSecurityEvent } from './connectors/csv.js';

/** Logger shape used by the data layer (structurally a pino logger). */
export interface DataLogger extends CacheLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface DataServiceDeps {
  metricsRegistry?: Registry;
  postgres?: PostgresRunner;
  worldBankStore?: WorldBankSnapshotStore;
  log?: DataLogger;
  now?: () => Date;
  observe?: QueryObserver;
}

/** The data layer assembled from configuration: registry, cache, connectors and the query service. */
export interface DataServices {
  registry: QueryRegistry;
  cache: ResultCache;
  queryService: QueryService;
  metrics: DataMetrics;
  reloadRegistry(): Promise<string>;
  close(): Promise<void>;
}

/** Canonical data root, resolved once at start-up (data-layer spec §5.1.1); a missing root fails queries later. */
function canonicalDataRoot(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

export async function createDataServices(config: DataConfig, deps: DataServiceDeps = {}): Promise<DataServices> {
  const metrics = createDataMetrics(deps.metricsRegistry ?? new Registry());
  const log = deps.log;
  const registry = await QueryRegistry.open({ dir: config.queriesDir, catalogPath: config.catalogPath });
  setRegistryVersion(metrics, registry.version());
  if (log) {
    for (const name of registry.snapshot().ignored) log.info({ file: name }, 'registry: ignored non-spec file');
    if (registry.snapshot().catalog === null) log.info({}, 'dataset catalogue missing: no licence enrichment');
  }

  const store: CacheStore = config.redisUrl
    ? new RedisStore(config.redisUrl, {
        onConnectionError: (err) => log?.warn({ err: { message: err.message } }, 'result cache: Redis unavailable'),
      })
    : getMemoryStore(config.cacheMaxEntries, config.cacheMaxBytes);
  const cache = new ResultCache(store, metrics, log);

  const dataRoot = canonicalDataRoot(config.dataDir);
  const queryService = new QueryService({
    registry,
    cache,
    csv: {
      dataRoot,
      onSecurityEvent: (e: CsvSecurityEvent) => log?.warn({ security_event: e }, 'csv: path outside data root'),
    },
    worldBank: {
      snapshotDir: config.worldBankDir,
      online: config.worldBankOnline,
      baseUrl: config.worldBankBaseUrl,
      store: deps.worldBankStore,
    },
    postgres: deps.postgres,
    defaultCacheTtlS: config.defaultCacheTtlS,
    transformTrace: config.transformTrace,
    metrics,
    now: deps.now,
    observe: deps.observe,
  });

  return {
    registry,
    cache,
    queryService,
    metrics,
    async reloadRegistry() {
      const snap = await registry.load();
      setRegistryVersion(metrics, snap.version);
      return snap.version;
    },
    async close() {
      await cache.close();
    },
  };
}

/** Runs QNWIS_WARM_QUERIES through the cached path in the background (data-layer spec §10.5). */
export async function warmCache(
  services: DataServices,
  ids: readonly string[],
  maxWorkers: number,
  log?: DataLogger,
): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  const queue = [...ids];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        if (!services.registry.has(id)) throw new DataError('unknown_query', `unknown query id ${JSON.stringify(id)}`);
        await services.queryService.run(id);
        ok++;
      } catch (err) {
        failed++;
        log?.warn({ query_id: id, code: (err as DataError).code ?? 'internal_error' }, 'cache warming: query failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(maxWorkers, ids.length)) }, worker));
  log?.info({ ok, failed }, 'cache warming finished');
  return { ok, failed };
}
