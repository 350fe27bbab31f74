import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fetchClusterMetrics, setupWorkerMetrics } from '../../src/http/observability/cluster-metrics.js';
import { qnwisRegistry } from '../../src/http/observability/metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/cluster-metrics.ts');
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type FixtureResult =
  | { index: number; ok: true; contentType: string; text: string }
  | { index: number; ok: false; reason: string }
  | { index: number; skipped: true };

async function runCluster(mode: string): Promise<FixtureResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, mode], {
    cwd: ROOT,
    timeout: 45_000,
  });
  return JSON.parse(stdout) as FixtureResult[];
}

/** The lines of `text` starting with `prefix`. */
function qnwisLines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe.concurrent('cluster metrics aggregation (service spec §5.1, real node:cluster)', () => {
  it('sums counters, gauges and histograms across workers; max for info gauges, min for dependency_up', async ({
    expect,
  }) => {
    const results = await runCluster('aggregate');
    expect(results.map((r) => r.index)).toEqual([0, 1]);
    for (const result of results) {
      if (!('ok' in result) || !result.ok) throw new Error(`worker ${result.index} failed: ${JSON.stringify(result)}`);
      const { text, contentType } = result;
      expect(contentType).toBe(CONTENT_TYPE);
      // Worker 0 counted 3, worker 1 counted 5 (plus 2 of its own 404s).
      expect(qnwisLines(text, 'qnwis_requests_total')).toEqual([
        'qnwis_requests_total{route="/api/v1/queries/:id/run",method="GET",status="200"} 8',
        'qnwis_requests_total{route="unmatched",method="GET",status="404"} 2',
      ]);
      expect(qnwisLines(text, 'qnwis_active_requests')).toEqual(['qnwis_active_requests 3']);
      expect(qnwisLines(text, 'qnwis_dependency_up')).toEqual([
        'qnwis_dependency_up{dependency="postgres"} 0',
        'qnwis_dependency_up{dependency="redis"} 1',
      ]);
      expect(qnwisLines(text, 'qnwis_build_info')).toEqual(['qnwis_build_info{version="9.9.9"} 1']);
      expect(qnwisLines(text, 'qnwis_registry_info')).toEqual(['qnwis_registry_info{version="abcdef012345"} 1']);
      expect(qnwisLines(text, 'qnwis_query_executions_total')).toEqual([
        'qnwis_query_executions_total{query_id="q_a",status="ok"} 2',
        'qnwis_query_executions_total{query_id="q_a",status="error"} 0',
        'qnwis_query_executions_total{query_id="q_a",status="timeout"} 0',
      ]);
      // Observations 0.002 s (worker 0) and 0.2 s (worker 1).
      const dbExec = qnwisLines(text, 'qnwis_db_latency_seconds').filter((l) => l.includes('"query_exec"'));
      expect(dbExec).toEqual([
        'qnwis_db_latency_seconds_bucket{le="0.001",operation="query_exec"} 0',
        'qnwis_db_latency_seconds_bucket{le="0.0025",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.005",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.01",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.025",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.05",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.1",operation="query_exec"} 1',
        'qnwis_db_latency_seconds_bucket{le="0.25",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_bucket{le="0.5",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_bucket{le="1",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_bucket{le="2.5",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_bucket{le="5",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_bucket{le="+Inf",operation="query_exec"} 2',
        'qnwis_db_latency_seconds_sum{operation="query_exec"} 0.202',
        'qnwis_db_latency_seconds_count{operation="query_exec"} 2',
      ]);
      expect(qnwisLines(text, 'qnwis_cache_hits_total{region="query"}')).toEqual([
        'qnwis_cache_hits_total{region="query"} 0',
      ]);
      expect(text).toContain('\n# TYPE qnwis_ddl_query_duration_seconds histogram\n');
      expect(text).toContain('\n# TYPE nodejs_heap_size_used_bytes gauge\n');
      expect(text).not.toContain('nodejs_active_handles_total');

      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: lint.status, stdout: lint.stdout, stderr: lint.stderr }).toEqual({
        status: 0,
        stdout: '',
        stderr: '',
      });
    }
  });

  it('rejects with reason timeout when the primary does not answer', async ({ expect }) => {
    expect(await runCluster('no-primary-handler')).toEqual([
      { index: 0, ok: false, reason: 'timeout' },
      { index: 1, ok: false, reason: 'timeout' },
    ]);
  });

  it('rejects with reason aggregation_failed when a worker never registered its registry', async ({ expect }) => {
    // prom-client's collection in the primary waits for every connected worker and gives up after its own 5 s.
    expect(await runCluster('worker-not-set-up')).toEqual([
      { index: 0, ok: false, reason: 'aggregation_failed' },
      { index: 1, skipped: true },
    ]);
  });
});

describe('fetchClusterMetrics outside a cluster', () => {
  it('returns the registry given to setupWorkerMetrics', async () => {
    const { registry, service } = qnwisRegistry({ version: '2.0.0', queryIds: [] });
    service.requestsTotal.inc({ route: '/health/live', method: 'GET', status: '200' }, 4);
    setupWorkerMetrics(registry);
    const { contentType, text } = await fetchClusterMetrics(100);
    expect(contentType).toBe(CONTENT_TYPE);
    expect(qnwisLines(text, 'qnwis_requests_total')).toEqual([
      'qnwis_requests_total{route="/health/live",method="GET",status="200"} 4',
    ]);
    expect(qnwisLines(text, 'qnwis_build_info')).toEqual(['qnwis_build_info{version="2.0.0"} 1']);

    const other = new Registry();
    setupWorkerMetrics(other);
    expect(await fetchClusterMetrics(100)).toEqual({ contentType: CONTENT_TYPE, text: '\n' });
  });
});
