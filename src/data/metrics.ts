/** Prometheus metrics of the data layer (data-layer spec §10.5). `query_id` labels only ever come from the registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { collectHistogramTallies, collectTallies } from './metric-children.js';

export type CacheErrorOp = 'get' | 'set' | 'delete' | 'decode' | 'invalidate';

export interface DataMetrics {
  readonly cacheHits: Counter<'query_id'>;
  readonly cacheMisses: Counter<'query_id'>;
  readonly cacheBypass: Counter<'query_id'>;
  /** One per invalidate call (one id or all), whatever the number of keys removed. */
  readonly cacheInvalidations: Counter;
  readonly cacheErrors: Counter<'op'>;
  readonly queryDuration: Histogram<'query_id' | 'source' | 'cache'>;
  readonly queryErrors: Counter<'query_id' | 'code'>;
  readonly registryInfo: Gauge<'version'>;
}

const byRegistry = new WeakMap<Registry, DataMetrics>();

/** Registers the metrics in `registry`; a second call with the same registry returns the same object. */
export function createDataMetrics(registry: Registry): DataMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: DataMetrics = {
    cacheHits: new Counter({
      name: 'qnwis_ddl_cache_hits_total',
      help: 'Query results served from the result cache',
      labelNames: ['query_id'] as const,
      registers,
      collect: collectTallies,
    }),
    cacheMisses: new Counter({
      name: 'qnwis_ddl_cache_misses_total',
      help: 'Cached queries that had to be computed',
      labelNames: ['query_id'] as const,
      registers,
    }),
    cacheBypass: new Counter({
      name: 'qnwis_ddl_cache_bypass_total',
      help: 'Queries run without the cache (request TTL 0 or a TTL of 0 from spec or default)',
      labelNames: ['query_id'] as const,
      registers,
    }),
    cacheInvalidations: new Counter({
      name: 'qnwis_ddl_cache_invalidations_total',
      help: 'Cache invalidation calls (one query id or all)',
      registers,
    }),
    cacheErrors: new Counter({
      name: 'qnwis_ddl_cache_errors_total',
      help: 'Cache backend or decode failures, by operation',
      labelNames: ['op'] as const,
      registers,
    }),
    queryDuration: new Histogram({
      name: 'qnwis_ddl_query_duration_seconds',
      help: 'Wall time of data-layer queries',
      labelNames: ['query_id', 'source', 'cache'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
      // hot-path children tally locally (HistogramTallies); collection hands the tallies to prom-client
      collect: collectHistogramTallies,
    }),
    queryErrors: new Counter({
      name: 'qnwis_ddl_query_errors_total',
      help: 'Data-layer queries that failed, by error code',
      labelNames: ['query_id', 'code'] as const,
      registers,
    }),
    registryInfo: new Gauge({
      name: 'qnwis_registry_info',
      help: 'Version (checksum) of the loaded query registry; the value is always 1',
      labelNames: ['version'] as const,
      // Every worker reports 1 for its version; summing across the cluster would report the worker count.
      aggregator: 'max',
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

/** Publishes the loaded registry version as the only `qnwis_registry_info` series. */
export function setRegistryVersion(metrics: DataMetrics, version: string): void {
  metrics.registryInfo.reset();
  metrics.registryInfo.set({ version }, 1);
}
