import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AggregatorRegistry, Registry } from 'prom-client';
import { createServiceMetrics, qnwisRegistry } from '../../src/http/observability/metrics.js';
import { setRegistryVersion } from '../../src/data/metrics.js';

const CATALOGUE: ReadonlyArray<[string, string]> = [
  ['qnwis_requests_total', 'counter'],
  ['qnwis_latency_seconds', 'histogram'],
  ['qnwis_active_requests', 'gauge'],
  ['qnwis_db_latency_seconds', 'histogram'],
  ['qnwis_cache_hits_total', 'counter'],
  ['qnwis_cache_misses_total', 'counter'],
  ['qnwis_auth_attempts_total', 'counter'],
  ['qnwis_rate_limited_total', 'counter'],
  ['qnwis_query_executions_total', 'counter'],
  ['qnwis_security_events_total', 'counter'],
  ['qnwis_audit_dropped_total', 'counter'],
  ['qnwis_dependency_up', 'gauge'],
  ['qnwis_build_info', 'gauge'],
];

const DATA_CATALOGUE: ReadonlyArray<[string, string]> = [
  ['qnwis_ddl_cache_hits_total', 'counter'],
  ['qnwis_ddl_cache_misses_total', 'counter'],
  ['qnwis_ddl_cache_bypass_total', 'counter'],
  ['qnwis_ddl_cache_invalidations_total', 'counter'],
  ['qnwis_ddl_cache_errors_total', 'counter'],
  ['qnwis_ddl_query_duration_seconds', 'histogram'],
  ['qnwis_ddl_query_errors_total', 'counter'],
  ['qnwis_registry_info', 'gauge'],
];

/** Sample lines (no comments, no blanks) of one metric family, in exposition order. */
function samples(text: string, family: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${family}{`) || line.startsWith(`${family} `) || line.startsWith(`${family}_`));
}

function promtool(text: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('service metrics catalogue (service spec §5.2)', () => {
  it('has every catalogue name with its type in the first scrape', async () => {
    const { registry } = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a'] });
    const text = await registry.metrics();
    for (const [name, type] of [...CATALOGUE, ...DATA_CATALOGUE]) {
      expect(text, name).toContain(`\n# TYPE ${name} ${type}\n`);
    }
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('initialises every enumerated counter series to 0', async () => {
    const { registry } = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a', 'q_b'] });
    const text = await registry.metrics();
    expect(samples(text, 'qnwis_cache_hits_total')).toEqual([
      'qnwis_cache_hits_total{region="query"} 0',
      'qnwis_cache_hits_total{region="ui"} 0',
      'qnwis_cache_hits_total{region="export"} 0',
      'qnwis_cache_hits_total{region="world_bank"} 0',
      'qnwis_cache_hits_total{region="api_key"} 0',
      'qnwis_cache_hits_total{region="session"} 0',
    ]);
    expect(samples(text, 'qnwis_cache_misses_total')).toEqual([
      'qnwis_cache_misses_total{region="query"} 0',
      'qnwis_cache_misses_total{region="ui"} 0',
      'qnwis_cache_misses_total{region="export"} 0',
      'qnwis_cache_misses_total{region="world_bank"} 0',
      'qnwis_cache_misses_total{region="api_key"} 0',
      'qnwis_cache_misses_total{region="session"} 0',
    ]);
    expect(samples(text, 'qnwis_auth_attempts_total')).toEqual([
      'qnwis_auth_attempts_total{method="api_key",result="success"} 0',
      'qnwis_auth_attempts_total{method="api_key",result="failure"} 0',
      'qnwis_auth_attempts_total{method="jwt",result="success"} 0',
      'qnwis_auth_attempts_total{method="jwt",result="failure"} 0',
      'qnwis_auth_attempts_total{method="session",result="success"} 0',
      'qnwis_auth_attempts_total{method="session",result="failure"} 0',
      'qnwis_auth_attempts_total{method="none",result="success"} 0',
      'qnwis_auth_attempts_total{method="none",result="failure"} 0',
    ]);
    expect(samples(text, 'qnwis_rate_limited_total')).toEqual([
      'qnwis_rate_limited_total{reason="minute_limit"} 0',
      'qnwis_rate_limited_total{reason="day_limit"} 0',
      'qnwis_rate_limited_total{reason="login_throttled"} 0',
    ]);
    expect(samples(text, 'qnwis_query_executions_total')).toEqual([
      'qnwis_query_executions_total{query_id="q_a",status="ok"} 0',
      'qnwis_query_executions_total{query_id="q_a",status="error"} 0',
      'qnwis_query_executions_total{query_id="q_a",status="timeout"} 0',
      'qnwis_query_executions_total{query_id="q_b",status="ok"} 0',
      'qnwis_query_executions_total{query_id="q_b",status="error"} 0',
      'qnwis_query_executions_total{query_id="q_b",status="timeout"} 0',
    ]);
    expect(samples(text, 'qnwis_security_events_total')).toEqual([
      'qnwis_security_events_total{event="auth_failed"} 0',
      'qnwis_security_events_total{event="login_failed"} 0',
      'qnwis_security_events_total{event="rate_limited"} 0',
      'qnwis_security_events_total{event="csrf_failed"} 0',
      'qnwis_security_events_total{event="origin_denied"} 0',
      'qnwis_security_events_total{event="forbidden"} 0',
      'qnwis_security_events_total{event="https_required"} 0',
      'qnwis_security_events_total{event="range_rejected"} 0',
      'qnwis_security_events_total{event="metrics_forbidden"} 0',
    ]);
    expect(samples(text, 'qnwis_audit_dropped_total')).toEqual(['qnwis_audit_dropped_total 0']);
    expect(samples(text, 'qnwis_active_requests')).toEqual(['qnwis_active_requests 0']);
    expect(samples(text, 'qnwis_build_info')).toEqual(['qnwis_build_info{version="1.2.3"} 1']);
    // No enumerable label values: the families are declared (HELP/TYPE) and get series on first use.
    expect(samples(text, 'qnwis_requests_total')).toEqual([]);
    expect(samples(text, 'qnwis_latency_seconds')).toEqual([]);
    expect(samples(text, 'qnwis_dependency_up')).toEqual([]);
  });

  it('zeroes qnwis_db_latency_seconds for every operation with the §5.2 buckets', async () => {
    const { registry } = qnwisRegistry({ version: '1.2.3', queryIds: [] });
    const text = await registry.metrics();
    const operations = [
      'query_exec',
      'api_key_lookup',
      'session_lookup',
      'session_write',
      'audit_flush',
      'audit_manifest',
      'world_bank_cache',
      'health_check',
      'migration',
    ];
    const les = ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
    const expected = operations.flatMap((operation) => [
      ...les.map((le) => `qnwis_db_latency_seconds_bucket{le="${le}",operation="${operation}"} 0`),
      `qnwis_db_latency_seconds_sum{operation="${operation}"} 0`,
      `qnwis_db_latency_seconds_count{operation="${operation}"} 0`,
    ]);
    expect(samples(text, 'qnwis_db_latency_seconds')).toEqual(expected);
  });

  it('records request latency in the §5.2 buckets', async () => {
    const { registry, service } = qnwisRegistry({ version: '1.2.3', queryIds: [] });
    service.latency.observe({ route: '/api/v1/queries/:id/run', method: 'POST' }, 0.3);
    service.requestsTotal.inc({ route: '/api/v1/queries/:id/run', method: 'POST', status: '200' });
    const text = await registry.metrics();
    const labels = 'route="/api/v1/queries/:id/run",method="POST"';
    const les = [
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '30',
      '60',
      '90',
      '120',
    ];
    // 0.3 s lands in every bucket from 0.5 up.
    const expected = [
      ...les.map((le) => `qnwis_latency_seconds_bucket{le="${le}",${labels}} ${Number(le) >= 0.5 ? 1 : 0}`),
      `qnwis_latency_seconds_bucket{le="+Inf",${labels}} 1`,
      `qnwis_latency_seconds_sum{${labels}} 0.3`,
      `qnwis_latency_seconds_count{${labels}} 1`,
    ];
    expect(samples(text, 'qnwis_latency_seconds')).toEqual(expected);
    expect(samples(text, 'qnwis_requests_total')).toEqual([
      'qnwis_requests_total{route="/api/v1/queries/:id/run",method="POST",status="200"} 1',
    ]);
  });

  it('initQueryIds adds zero series for ids loaded later', async () => {
    const { registry, service } = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a'] });
    service.queryExecutions.inc({ query_id: 'q_a', status: 'ok' }, 2);
    service.initQueryIds(['q_a', 'q_new']);
    expect(samples(await registry.metrics(), 'qnwis_query_executions_total')).toEqual([
      'qnwis_query_executions_total{query_id="q_a",status="ok"} 2',
      'qnwis_query_executions_total{query_id="q_a",status="error"} 0',
      'qnwis_query_executions_total{query_id="q_a",status="timeout"} 0',
      'qnwis_query_executions_total{query_id="q_new",status="ok"} 0',
      'qnwis_query_executions_total{query_id="q_new",status="error"} 0',
      'qnwis_query_executions_total{query_id="q_new",status="timeout"} 0',
    ]);
  });

  it('keeps prom-client defaults but removes the three gauges named *_total', async () => {
    const { registry } = qnwisRegistry({ version: '1.2.3', queryIds: [] });
    const text = await registry.metrics();
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      expect(text).not.toContain(name);
      expect(registry.getSingleMetric(name)).toBeUndefined();
    }
    for (const name of ['process_cpu_seconds_total', 'nodejs_active_handles', 'nodejs_heap_size_used_bytes']) {
      expect(text).toContain(`\n# TYPE ${name} `);
    }
  });

  it('returns the same metrics for a second call on one registry', () => {
    const registry = new Registry();
    const first = createServiceMetrics(registry, { version: '1', queryIds: [] });
    expect(createServiceMetrics(registry, { version: '1', queryIds: [] })).toBe(first);
  });

  it('declares the cluster aggregation of §5.1', async () => {
    const { registry } = qnwisRegistry({ version: '1.2.3', queryIds: [] });
    const aggregatorOf = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m.aggregator]));
    expect(aggregatorOf.get('qnwis_build_info')).toBe('max');
    expect(aggregatorOf.get('qnwis_dependency_up')).toBe('min');
    expect(aggregatorOf.get('qnwis_registry_info')).toBe('max');
    expect(aggregatorOf.get('qnwis_active_requests')).toBe('sum');
    for (const [name, type] of [...CATALOGUE, ...DATA_CATALOGUE]) {
      if (type !== 'gauge') expect(aggregatorOf.get(name), name).toBe('sum');
    }
  });

  it('aggregates two worker registries: sums, max for info gauges, min for dependency_up', async () => {
    const a = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a'] });
    const b = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a'] });
    a.service.requestsTotal.inc({ route: '/x', method: 'GET', status: '200' }, 3);
    b.service.requestsTotal.inc({ route: '/x', method: 'GET', status: '200' }, 4);
    a.service.activeRequests.set(2);
    b.service.activeRequests.set(5);
    a.service.dependencyUp.set({ dependency: 'postgres' }, 1);
    b.service.dependencyUp.set({ dependency: 'postgres' }, 0);
    a.service.dbLatency.observe({ operation: 'health_check' }, 0.002);
    b.service.dbLatency.observe({ operation: 'health_check' }, 0.02);
    setRegistryVersion(a.data, 'abcdef012345');
    setRegistryVersion(b.data, 'abcdef012345');
    const aggregated = AggregatorRegistry.aggregate([
      await a.registry.getMetricsAsJSON(),
      await b.registry.getMetricsAsJSON(),
    ]);
    const text = await aggregated.metrics();
    expect(samples(text, 'qnwis_requests_total')).toEqual([
      'qnwis_requests_total{route="/x",method="GET",status="200"} 7',
    ]);
    expect(samples(text, 'qnwis_active_requests')).toEqual(['qnwis_active_requests 7']);
    expect(samples(text, 'qnwis_dependency_up')).toEqual(['qnwis_dependency_up{dependency="postgres"} 0']);
    expect(samples(text, 'qnwis_build_info')).toEqual(['qnwis_build_info{version="1.2.3"} 1']);
    expect(samples(text, 'qnwis_registry_info')).toEqual(['qnwis_registry_info{version="abcdef012345"} 1']);
    expect(samples(text, 'qnwis_db_latency_seconds')).toContain(
      'qnwis_db_latency_seconds_count{operation="health_check"} 2',
    );
    expect(samples(text, 'qnwis_db_latency_seconds')).toContain(
      'qnwis_db_latency_seconds_bucket{le="0.0025",operation="health_check"} 1',
    );
    expect(samples(text, 'qnwis_db_latency_seconds')).toContain(
      'qnwis_db_latency_seconds_bucket{le="0.025",operation="health_check"} 2',
    );
    expect(promtool(text)).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('passes promtool check metrics with no findings (first scrape and after use)', async () => {
    const { registry, service, data } = qnwisRegistry({ version: '1.2.3', queryIds: ['q_a'] });
    const first = await registry.metrics();
    expect(first.length).toBeGreaterThan(1000);
    expect(promtool(first)).toEqual({ status: 0, stdout: '', stderr: '' });

    service.requestsTotal.inc({ route: 'unmatched', method: 'GET', status: '404' });
    service.latency.observe({ route: 'unmatched', method: 'GET' }, 0.01);
    service.dependencyUp.set({ dependency: 'redis' }, 1);
    data.queryDuration.observe({ query_id: 'q_a', source: 'csv', cache: 'miss' }, 0.2);
    data.cacheHits.inc({ query_id: 'q_a' });
    setRegistryVersion(data, 'abcdef012345');
    expect(promtool(await registry.metrics())).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('promtool reports a gauge named *_total (the check is live)', () => {
    const run = promtool('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
    expect(run.status).toBe(3);
    expect(run.stdout + run.stderr).toContain('non-counter metrics should not have "_total" suffix');
  });
});
