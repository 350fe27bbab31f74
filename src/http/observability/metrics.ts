/** Prometheus metrics of the HTTP service (service spec §5). One registry per worker; the primary aggregates them. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { collectHistogramTallies, collectTallies } from '../../data/metric-children.js';
import { createDataMetrics, type DataMetrics } from '../../data/metrics.js';

/** Bounded label values of §5.2; counters using them start at 0 for every value. */
export const DB_OPERATIONS = [
  'query_exec',
  'api_key_lookup',
  'session_lookup',
  'session_write',
  'audit_flush',
  'audit_manifest',
  'world_bank_cache',
  'health_check',
  'migration',
] as const;
export const CACHE_REGIONS = ['query', 'ui', 'export', 'world_bank', 'api_key', 'session'] as const;
export const AUTH_METHODS = ['api_key', 'jwt', 'session', 'none'] as const;
export const AUTH_RESULTS = ['success', 'failure'] as const;
export const RATE_LIMIT_REASONS = ['minute_limit', 'day_limit', 'login_throttled'] as const;
export const QUERY_EXECUTION_STATUSES = ['ok', 'error', 'timeout'] as const;
/** The `security.*` audit events of §3.9 without their prefix. */
export const SECURITY_EVENTS = [
  'auth_failed',
  'login_failed',
  'rate_limited',
  'csrf_failed',
  'origin_denied',
  'forbidden',
  'https_required',
  'range_rejected',
  'metrics_forbidden',
] as const;
export const DEPENDENCIES = ['postgres', 'redis'] as const;

export type DbOperation = (typeof DB_OPERATIONS)[number];
export type CacheRegion = (typeof CACHE_REGIONS)[number];
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type AuthResult = (typeof AUTH_RESULTS)[number];
export type RateLimitReason = (typeof RATE_LIMIT_REASONS)[number];
export type QueryExecutionStatus = (typeof QUERY_EXECUTION_STATUSES)[number];
export type SecurityEvent = (typeof SECURITY_EVENTS)[number];
export type Dependency = (typeof DEPENDENCIES)[number];

export const LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90, 120,
];
export const DB_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** prom-client default gauges whose `_total` suffix fails `promtool check metrics` (§5.2). */
export const REMOVED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export interface ServiceMetrics {
  readonly requestsTotal: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method'>;
  readonly activeRequests: Gauge;
  readonly dbLatency: Histogram<'operation'>;
  readonly cacheHits: Counter<'region'>;
  readonly cacheMisses: Counter<'region'>;
  readonly authAttempts: Counter<'method' | 'result'>;
  readonly rateLimited: Counter<'reason'>;
  readonly queryExecutions: Counter<'query_id' | 'status'>;
  readonly securityEvents: Counter<'event'>;
  readonly cspViolations: Counter<'directive'>;
  readonly auditDropped: Counter;
  readonly dependencyUp: Gauge<'dependency'>;
  readonly buildInfo: Gauge<'version'>;
  /** Adds zero-valued `qnwis_query_executions_total` series for registry ids (call again after a registry reload). */
  initQueryIds(queryIds: readonly string[]): void;
}

export interface ServiceMetricsOptions {
  version: string;
  queryIds: readonly string[];
}

const byRegistry = new WeakMap<Registry, ServiceMetrics>();

/**
 * Registers the §5.2 catalogue and prom-client's default metrics (minus the three lint failures) in `registry`.
 * A second call with the same registry returns the same object.
 */
export function createServiceMetrics(registry: Registry, opts: ServiceMetricsOptions): ServiceMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];

  const requestsTotal = new Counter({
    name: 'qnwis_requests_total',
    help: 'Completed HTTP responses, every status, both listeners',
    labelNames: ['route', 'method', 'status'] as const,
    aggregator: 'sum',
    registers,
    // hot-path children tally locally (CounterTallies); collection hands the tallies to prom-client
    collect: collectTallies,
  });
  const latency = new Histogram({
    name: 'qnwis_latency_seconds',
    help: 'Time from request start to response end',
    labelNames: ['route', 'method'] as const,
    buckets: [...LATENCY_BUCKETS],
    aggregator: 'sum',
    registers,
    // hot-path children tally locally (HistogramTallies); collection hands the tallies to prom-client
    collect: collectHistogramTallies,
  });
  const activeRequests = new Gauge({
    name: 'qnwis_active_requests',
    help: 'HTTP requests in flight',
    aggregator: 'sum',
    registers,
  });
  const dbLatency = new Histogram({
    name: 'qnwis_db_latency_seconds',
    help: 'Duration of database calls, by operation',
    labelNames: ['operation'] as const,
    buckets: [...DB_LATENCY_BUCKETS],
    aggregator: 'sum',
    registers,
  });
  const cacheHits = new Counter({
    name: 'qnwis_cache_hits_total',
    help: 'Cache lookups answered from the cache, by region',
    labelNames: ['region'] as const,
    aggregator: 'sum',
    registers,
    // hot-path children tally locally (CounterTallies); collection hands the tallies to prom-client
    collect: collectTallies,
  });
  const cacheMisses = new Counter({
    name: 'qnwis_cache_misses_total',
    help: 'Cache lookups not found in the cache, by region',
    labelNames: ['region'] as const,
    aggregator: 'sum',
    registers,
  });
  const authAttempts = new Counter({
    name: 'qnwis_auth_attempts_total',
    help: 'Authentication outcomes, by credential method',
    labelNames: ['method', 'result'] as const,
    aggregator: 'sum',
    registers,
  });
  const rateLimited = new Counter({
    name: 'qnwis_rate_limited_total',
    help: 'Responses refused with 429, by reason',
    labelNames: ['reason'] as const,
    aggregator: 'sum',
    registers,
  });
  const queryExecutions = new Counter({
    name: 'qnwis_query_executions_total',
    help: 'Registry query executions, by query id and outcome',
    labelNames: ['query_id', 'status'] as const,
    aggregator: 'sum',
    registers,
    // hot-path children tally locally (CounterTallies); collection hands the tallies to prom-client
    collect: collectTallies,
  });
  const securityEvents = new Counter({
    name: 'qnwis_security_events_total',
    help: 'Requests rejected by a security control, by event',
    labelNames: ['event'] as const,
    aggregator: 'sum',
    registers,
  });
  const cspViolations = new Counter({
    name: 'qnwis_csp_violations_total',
    help: 'Content-Security-Policy violation reports received, by directive',
    labelNames: ['directive'] as const,
    aggregator: 'sum',
    registers,
  });
  const auditDropped = new Counter({
    name: 'qnwis_audit_dropped_total',
    help: 'Audit events lost (queue overflow or failed flush)',
    aggregator: 'sum',
    registers,
  });
  const dependencyUp = new Gauge({
    name: 'qnwis_dependency_up',
    help: 'Whether a dependency is reachable (1) or not (0)',
    labelNames: ['dependency'] as const,
    // The cluster-wide answer is "up" only if every worker reaches the dependency.
    aggregator: 'min',
    registers,
  });
  const buildInfo = new Gauge({
    name: 'qnwis_build_info',
    help: 'Build information; the value is always 1',
    labelNames: ['version'] as const,
    aggregator: 'max',
    registers,
  });

  for (const operation of DB_OPERATIONS) dbLatency.zero({ operation });
  for (const region of CACHE_REGIONS) {
    cacheHits.inc({ region }, 0);
    cacheMisses.inc({ region }, 0);
  }
  for (const method of AUTH_METHODS) {
    for (const result of AUTH_RESULTS) authAttempts.inc({ method, result }, 0);
  }
  for (const reason of RATE_LIMIT_REASONS) rateLimited.inc({ reason }, 0);
  for (const event of SECURITY_EVENTS) securityEvents.inc({ event }, 0);
  buildInfo.set({ version: opts.version }, 1);

  const initQueryIds = (queryIds: readonly string[]): void => {
    for (const query_id of queryIds) {
      for (const status of QUERY_EXECUTION_STATUSES) queryExecutions.inc({ query_id, status }, 0);
    }
  };
  initQueryIds(opts.queryIds);

  collectDefaultMetrics({ register: registry });
  for (const name of REMOVED_DEFAULT_METRICS) registry.removeSingleMetric(name);

  const metrics: ServiceMetrics = {
    requestsTotal,
    latency,
    activeRequests,
    dbLatency,
    cacheHits,
    cacheMisses,
    authAttempts,
    rateLimited,
    queryExecutions,
    securityEvents,
    cspViolations,
    auditDropped,
    dependencyUp,
    buildInfo,
    initQueryIds,
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

export interface QnwisRegistry {
  readonly registry: Registry;
  readonly service: ServiceMetrics;
  readonly data: DataMetrics;
}

/** A fresh registry holding the service catalogue, the default metrics and the data-layer metrics (one per worker). */
export function qnwisRegistry(opts: ServiceMetricsOptions): QnwisRegistry {
  const registry = new Registry();
  const service = createServiceMetrics(registry, opts);
  const data = createDataMetrics(registry);
  return { registry, service, data };
}
