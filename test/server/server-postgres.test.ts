import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedPackDatabase } from '../support/shared-postgres.js';
import { childPids, startServer, type ServerProcess } from '../support/server-process.js';
import { redisUrlForDb } from '../support/services.js';

const REDIS_DB = 9;
const RUNBOOK_METRICS = [
  'qnwis_requests_total',
  'qnwis_latency_seconds',
  'qnwis_active_requests',
  'qnwis_db_latency_seconds',
  'qnwis_cache_hits_total',
  'qnwis_cache_misses_total',
  'qnwis_auth_attempts_total',
  'qnwis_rate_limited_total',
  'qnwis_query_executions_total',
  'qnwis_security_events_total',
  'qnwis_audit_dropped_total',
  'qnwis_dependency_up',
  'qnwis_build_info',
  'qnwis_ddl_cache_hits_total',
  'qnwis_ddl_cache_misses_total',
  'qnwis_ddl_query_duration_seconds',
  'qnwis_registry_info',
];

let dbUrl: string;
let wbDir: string;
let server: ServerProcess;
let upstream: http.Server;
const UPSTREAM_DELAY_MS = 6000;

/** A World Bank API stand-in that answers slowly: requests through it stay in flight without using CPU. */
async function slowWorldBank(): Promise<string> {
  const snapshot = JSON.parse(fs.readFileSync('data/world_bank/SL.UEM.TOTL.ZS.json', 'utf8')) as [
    Record<string, unknown>,
    unknown[],
  ];
  const page = JSON.stringify([
    { ...snapshot[0], page: 1, pages: 1, sourcename: 'World Development Indicators' },
    snapshot[1],
  ]);
  upstream = http.createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(page);
    }, UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
}

/** One request on its own connection, so the cluster may hand it to any worker. */
function freshGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

function sampleValue(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? NaN : Number(found.slice(line.length + 1));
}

beforeAll(async () => {
  dbUrl = await sharedPackDatabase();
  await new Redis(redisUrlForDb(REDIS_DB)).flushdb().then(() => undefined);
  wbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-wb-'));
  fs.copyFileSync('data/world_bank/SL.UEM.TOTL.ZS.json', path.join(wbDir, 'SL.UEM.TOTL.ZS.json'));
  const upstreamUrl = await slowWorldBank();
  server = await startServer({
    DATABASE_URL: dbUrl.replace('postgresql://', 'postgresql+psycopg://'),
    REDIS_URL: redisUrlForDb(REDIS_DB),
    WEB_CONCURRENCY: '2',
    PERF_POOL_MIN: '1',
    PERF_POOL_MAX: '10',
    QNWIS_WORLD_BANK_ONLINE: 'true',
    QNWIS_WORLD_BANK_BASE_URL: upstreamUrl,
    QNWIS_WORLD_BANK_DIR: wbDir,
    QNWIS_GRACEFUL_TIMEOUT_S: '30',
  });
}, 300_000);

afterAll(async () => {
  if (server) await server.stop('SIGKILL');
  upstream?.close();
  fs.rmSync(wbDir, { recursive: true, force: true });
});

describe('server on PostgreSQL and Redis (2 workers)', () => {
  it('is ready and answers a postgres-source query over the ingested pack', async () => {
    expect((await freshGet(`${server.url}/health/ready`)).body).toBe('{"status":"ready"}');
    const res = await fetch(`${server.url}/api/v1/queries/ts_retention_monthly/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ override_params: { sector: 'Energy', start: '2018-01-01', end: '2018-01-31' } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: Record<string, unknown>[]; provenance: { source: string } };
    expect(body.provenance.source).toBe('postgres');
    expect(body.rows).toEqual([
      {
        period: '2018-01',
        month: '2018-01-01',
        sector: 'Energy',
        value: 99.38,
        base: 1451,
        suppressed: false,
        base_employees: 1451,
        retained: 1442,
        exited: 9,
        retention_percent: 99.38,
      },
    ]);
  });

  it('exports every runbook metric, with the same totals whichever worker answers', async () => {
    for (let i = 0; i < 6; i++) {
      await freshGet(`${server.url}/api/v1/queries`);
      await fetch(`${server.url}/api/v1/queries/syn_attrition_hotspots_latest/run`, { method: 'POST' });
    }
    const scrapes: string[] = [];
    for (let i = 0; i < 6; i++) scrapes.push((await freshGet(`${server.url}/metrics`)).body);
    for (const name of RUNBOOK_METRICS) expect(scrapes[0], name).toContain(`\n${name}`);
    const line = 'qnwis_requests_total{route="/api/v1/queries",method="GET",status="200"}';
    const counts = scrapes.map((s) => sampleValue(s, line));
    expect(counts[0]).toBeGreaterThanOrEqual(6);
    expect(new Set(counts).size).toBe(1);
    expect(sampleValue(scrapes[0]!, 'qnwis_build_info{version="0.1.0"}')).toBe(1);
    expect(
      sampleValue(scrapes[0]!, 'qnwis_ddl_cache_hits_total{query_id="syn_attrition_hotspots_latest"}'),
    ).toBeGreaterThan(0);
    // the runbook's key series all move with traffic
    const total = (text: string, name: string): number =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    for (const name of [
      'qnwis_requests_total',
      'qnwis_latency_seconds_count',
      'qnwis_db_latency_seconds_count',
      'qnwis_cache_hits_total',
      'qnwis_cache_misses_total',
      'qnwis_query_executions_total',
    ]) {
      expect(total(scrapes[0]!, name), name).toBeGreaterThan(0);
    }
    expect(sampleValue(scrapes[0]!, 'qnwis_dependency_up{dependency="postgres"}')).toBe(1);
    expect(sampleValue(scrapes[0]!, 'qnwis_dependency_up{dependency="redis"}')).toBe(1);
  });

  it('replaces a killed worker', async () => {
    const before = childPids(server.proc.pid!);
    expect(before).toHaveLength(2);
    process.kill(before[0]!, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let after: number[] = [];
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = childPids(server.proc.pid!);
      if (after.length === 2 && !after.includes(before[0]!)) break;
    }
    expect(after).toHaveLength(2);
    expect(after).not.toContain(before[0]);
    await server.waitReady(20_000);
    expect(server.output()).toContain('"msg":"worker exited"');
  });

  it('drains on SIGTERM: 50 slow requests in flight all complete, readiness turns 503, exit 0', async () => {
    // Let the replacement worker from the previous test settle so both workers take requests.
    await new Promise((r) => setTimeout(r, 1500));
    const slow = Array.from({ length: 50 }, () =>
      fetch(`${server.url}/api/v1/queries/q_unemployment_rate_gcc_latest/run?ttl_s=0`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { rows?: unknown[]; warnings?: string[] } })),
    );
    // Signal only once all 50 are being handled (the /metrics request itself is the 51st).
    const deadline = Date.now() + UPSTREAM_DELAY_MS;
    let active = 0;
    while (Date.now() < deadline && active < 51) {
      // A scrape can time out while the machine is busy (503 metrics_unavailable): sample again.
      const sampled = sampleValue((await freshGet(`${server.url}/metrics`)).body, 'qnwis_active_requests');
      if (!Number.isNaN(sampled)) active = sampled;
    }
    expect(active).toBe(51);
    const signalledAt = Date.now();
    server.proc.kill('SIGTERM');

    // Probe readiness on new connections every few ms: from 100 ms after the signal on, nothing may answer 200
    // (a probe gets 503 from a draining worker or finds the listener closed).
    const probes: { at: number; outcome: number | 'refused' }[] = [];
    while (Date.now() - signalledAt < 400) {
      const at = Date.now() - signalledAt;
      const outcome = await freshGet(`${server.url}/health/ready`).then(
        (r) => r.status,
        () => 'refused' as const,
      );
      probes.push({ at, outcome });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(probes.filter((p) => p.at >= 100 && p.outcome === 200)).toEqual([]);
    expect(probes.some((p) => p.outcome === 'refused')).toBe(true);
    expect(probes.find((p) => p.outcome !== 200)!.at).toBeLessThan(100);

    const results = await Promise.all(slow);
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(results.every((r) => r.body.rows?.length === 90 && r.body.warnings?.length === 0)).toBe(true);
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"msg":"drain complete"');
  });
});
