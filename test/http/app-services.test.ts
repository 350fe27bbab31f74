/**
 * `createWorkerServices` + `buildApp` in this process: the wiring a cluster worker does at start (src/server/worker.ts)
 * over the real PostgreSQL and Redis, over a database with pending migrations, over unreachable dependencies, over
 * the embedded database, and when the data layer cannot start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { ensureDevSecrets, resolveAppConfig, type AppConfig } from '../../src/config/app-config.js';
import { buildApp } from '../../src/http/app.js';
import { createWorkerServices, httpSettings, type WorkerServices } from '../../src/http/app-services.js';
import { DB_OPERATIONS, qnwisRegistry } from '../../src/http/observability/metrics.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { lockPath } from '../../src/db/embedded-lock.js';
import { sharedPackDatabase } from '../support/shared-postgres.js';
import { freePort } from '../support/server-process.js';
import { TEST_PACK_DIR } from '../support/pack.js';
import { redisUrlForDb, TEST_DATABASE_URL } from '../support/services.js';
import { createScratch, type Scratch } from '../db/support.js';
import { component, type HealthDetailsBody as Details } from './health-support.js';

/** Logical Redis database of this file (data cache keys are written here and flushed first). */
const REDIS_DB = 6;
const MIGRATIONS = loadMigrations().length;

interface Started {
  config: AppConfig;
  services: WorkerServices;
  app: FastifyInstance;
  registry: ReturnType<typeof qnwisRegistry>['registry'];
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const stateDirs: string[] = [];
const running: Started[] = [];
let packUrl: string;

async function appConfig(env: Record<string, string>): Promise<AppConfig> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-app-services-'));
  stateDirs.push(stateDir);
  const { config } = resolveAppConfig(
    {
      QNWIS_ENV: 'test',
      QNWIS_STATE_DIR: stateDir,
      QNWIS_DATA_DIR: TEST_PACK_DIR,
      QNWIS_VERSION: '5.5.5',
      QNWIS_BYPASS_AUTH: 'true',
      RATE_LIMIT_ENABLED: 'false',
      PERF_POOL_MIN: '1',
      PERF_POOL_MAX: '4',
      PERF_POOL_TIMEOUT: '2',
      ...env,
    },
    { cpuCount: 2 },
  );
  return ensureDevSecrets(config);
}

/** What src/server/worker.ts does before it listens, with the log lines captured. */
async function start(config: AppConfig, workerId: string): Promise<Started> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const { registry, service } = qnwisRegistry({ version: config.version, queryIds: [] });
  const services = await createWorkerServices(config, {
    logger,
    registry,
    metrics: service,
    workerId,
    metricsText: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
  });
  const app = await buildApp(httpSettings(config), services);
  let closed = false;
  const started: Started = {
    config,
    services,
    app,
    registry,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await services.close();
    },
  };
  running.push(started);
  return started;
}

async function get(app: FastifyInstance, url: string): Promise<{ status: number; body: string }> {
  const res = await app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1' });
  return { status: res.statusCode, body: res.body };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function details(app: FastifyInstance): Promise<Details> {
  const res = await get(app, '/api/v1/health/details');
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as Details;
}

/** Connections PostgreSQL has open for `application_name`. */
async function connectionsOf(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function eventually(fn: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return fn();
}

const waitForReadinessCache = (): Promise<void> => new Promise((r) => setTimeout(r, 1050));

beforeAll(async () => {
  packUrl = await sharedPackDatabase();
  const redis = new Redis(redisUrlForDb(REDIS_DB));
  await redis.flushdb();
  redis.disconnect();
}, 120_000);

afterEach(async () => {
  for (const s of running.splice(0)) await s.close().catch(() => undefined);
});

afterAll(() => {
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('worker services over PostgreSQL and Redis', () => {
  it('serves queries from the read pool, reports readiness and health details, and records metrics', async () => {
    const config = await appConfig({ DATABASE_URL: packUrl, REDIS_URL: redisUrlForDb(REDIS_DB) });
    const s = await start(config, 'appsvc1');
    const { services, app, registry } = s;
    expect(services.db.kind).toBe('postgres');
    expect(services.readonlyDb).toBe(services.db);
    expect(services.redis).toBeDefined();
    expect(services.security.settings.bypassAuth).toBe(true);

    // Not ready until the worker says it has started.
    expect(await get(app, '/health/ready')).toEqual({ status: 503, body: '{"status":"not_ready"}' });
    services.markStarted();
    expect(await get(app, '/health/ready')).toEqual({ status: 200, body: '{"status":"ready"}' });
    let text = await registry.metrics();
    expect(sample(text, 'qnwis_dependency_up{dependency="postgres"}')).toBe(1);
    expect(sample(text, 'qnwis_dependency_up{dependency="redis"}')).toBe(1);

    const d = await details(app);
    expect(d).toMatchObject({ status: 'ok', version: '5.5.5', draining: false, worker: { id: 'appsvc1' } });
    expect(d.components.map((c) => c.name)).toEqual([
      'postgres',
      'redis',
      'rate_limiter',
      'cache',
      'migrations',
      'audit_queue',
    ]);
    expect(component(d, 'postgres')).toMatchObject({ status: 'up', mode: 'postgres' });
    expect(component(d, 'redis')).toMatchObject({ status: 'up' });
    expect(component(d, 'cache')).toEqual({ name: 'cache', backend: 'redis' });
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', applied: MIGRATIONS, pending: 0 });
    expect(component(d, 'audit_queue')).toMatchObject({ name: 'audit_queue', dropped_total: 0 });

    // A postgres-source query, twice: executed once, then answered from the Redis cache.
    const run = (): Promise<{ statusCode: number; body: string }> =>
      app.inject({
        method: 'POST',
        url: '/api/v1/queries/ts_retention_monthly/run',
        remoteAddress: '127.0.0.1',
        payload: { override_params: { sector: 'Energy', start: '2018-01-01', end: '2018-01-31' } },
      });
    const first = await run();
    expect(first.statusCode).toBe(200);
    const body = JSON.parse(first.body) as { rows: Array<Record<string, unknown>>; provenance: { source: string } };
    expect(body.provenance.source).toBe('postgres');
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ period: '2018-01', sector: 'Energy', retained: 1442, exited: 9 });
    expect((await run()).statusCode).toBe(200);

    text = await registry.metrics();
    // Executions count answered requests, whether computed or cached.
    expect(sample(text, 'qnwis_query_executions_total{query_id="ts_retention_monthly",status="ok"}')).toBe(2);
    expect(sample(text, 'qnwis_cache_misses_total{region="query"}')).toBe(1);
    expect(sample(text, 'qnwis_cache_hits_total{region="query"}')).toBe(1);
    expect(sample(text, 'qnwis_ddl_cache_hits_total{query_id="ts_retention_monthly"}')).toBe(1);
    expect(sample(text, 'qnwis_db_latency_seconds_count{operation="health_check"}')).toBeGreaterThanOrEqual(2);
    // Statements tagged with an operation outside the catalogue (SELECTs of the data layer) count as query_exec.
    expect(sample(text, 'qnwis_db_latency_seconds_count{operation="query_exec"}')).toBeGreaterThanOrEqual(1);
    const recorded = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('qnwis_db_latency_seconds_count{'))
        .map((l) => /operation="([^"]+)"/.exec(l)![1]),
    );
    expect([...recorded].sort()).toEqual([...DB_OPERATIONS].sort());
    // /metrics goes through the metricsText given to the services.
    const scrape = await get(app, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('qnwis_build_info{version="5.5.5"} 1');

    // Draining: readiness and health details turn down.
    services.drain.start();
    expect((await get(app, '/health/ready')).status).toBe(503);
    const refused = await get(app, '/api/v1/health/details');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'draining' } });
    expect(await services.healthDetails()).toMatchObject({ status: 'down', draining: true });

    expect(await connectionsOf('qnwis-appsvc1')).toBeGreaterThanOrEqual(1);
    await s.close();
    expect(await eventually(async () => services.redis!.status === 'end')).toBe(true);
    expect(await eventually(async () => (await connectionsOf('qnwis-appsvc1')) === 0)).toBe(true);
  });

  it('maps the configuration onto the HTTP settings', async () => {
    const config = await appConfig({
      DATABASE_URL: packUrl,
      QNWIS_ENABLE_DOCS: 'true',
      QNWIS_MAX_BODY_BYTES: '2048',
      QNWIS_BRIEFING_TTL_S: '42',
      TRUSTED_PROXIES: '10.0.0.0/8',
    });
    const settings = httpSettings(config);
    expect(settings).toEqual({
      version: '5.5.5',
      environment: 'test',
      enableDocs: true,
      maxBodyBytes: 2048,
      trustedProxies: ['10.0.0.0/8'],
      metricsAllowCidrs: config.metricsAllowCidrs,
      metricsPort: undefined,
      keepAliveTimeoutS: config.keepAliveTimeoutS,
      requestTimeoutS: config.requestTimeoutS,
      pagination: config.pagination,
      webDist: config.webDist,
      webFontDir: path.resolve('web/src/assets/fonts'),
      briefingTtlS: 42,
    });
    expect(fs.readdirSync(settings.webFontDir).some((f) => f.endsWith('.ttf'))).toBe(true);
  });
});

describe('worker services at the edges', () => {
  let scratch: Scratch;

  beforeAll(async () => {
    scratch = await createScratch('postgres');
  }, 60_000);

  afterAll(async () => {
    await scratch?.cleanup();
  });

  it('stays not ready while migrations are pending (logged once), ready once migrated; separate read pool', async () => {
    const url = new URL(scratch.url!);
    const readonly = new URL(url);
    readonly.hostname = 'localhost';
    const config = await appConfig({ DATABASE_URL: url.toString(), QNWIS_DB_READONLY_URL: readonly.toString() });
    expect(config.database).toMatchObject({ mode: 'postgres' });
    const s = await start(config, 'appsvc2');
    const { services, app, logs } = s;
    expect(services.readonlyDb).not.toBe(services.db);
    expect(services.redis).toBeUndefined();
    services.markStarted();

    expect((await get(app, '/health/ready')).status).toBe(503);
    expect(sample(await s.registry.metrics(), 'qnwis_dependency_up{dependency="postgres"}')).toBe(0);
    const pending = logs.filter((l) => l.msg === 'pending migrations; run `qnwis migrate`');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ level: 50, pending: loadMigrations().map((m) => m.id) });

    const d = await details(app);
    expect(d.status).toBe('ok');
    expect(component(d, 'redis')).toEqual({ name: 'redis', status: 'not_configured', latency_ms: null });
    expect(component(d, 'cache')).toEqual({ name: 'cache', backend: 'memory' });
    expect(component(d, 'rate_limiter')).toEqual({ name: 'rate_limiter', backend: 'memory' });
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', applied: 0, pending: MIGRATIONS });

    await migrate(scratch.db, { appVersion: 'test' });
    await waitForReadinessCache();
    expect((await get(app, '/health/ready')).status).toBe(200);
    expect(sample(await s.registry.metrics(), 'qnwis_dependency_up{dependency="postgres"}')).toBe(1);
    expect(logs.filter((l) => l.msg === 'pending migrations; run `qnwis migrate`')).toHaveLength(1);

    // Both pools are released on close.
    expect(await connectionsOf('qnwis-appsvc2')).toBe(2);
    await s.close();
    expect(await eventually(async () => (await connectionsOf('qnwis-appsvc2')) === 0)).toBe(true);
  });

  it('starts with PostgreSQL and Redis unreachable: logs it, is not ready, health details say down', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const config = await appConfig({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}/test`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
      QNWIS_READY_TIMEOUT_MS: '500',
    });
    const { services, app, logs, registry } = await start(config, 'appsvc3');
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'database not reachable at start; not ready until it answers',
      }),
    );
    services.markStarted();
    expect((await get(app, '/health/ready')).status).toBe(503);
    const text = await registry.metrics();
    expect(sample(text, 'qnwis_dependency_up{dependency="postgres"}')).toBe(0);
    expect(sample(text, 'qnwis_dependency_up{dependency="redis"}')).toBe(0);
    const d = await details(app);
    expect(d.status).toBe('down');
    expect(component(d, 'postgres')).toMatchObject({ status: 'down', failure: 'connection_refused' });
    expect(component(d, 'redis')).toMatchObject({ status: 'down', latency_ms: null });
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', status: 'unknown' });
  });

  it('closes what it opened when the data layer cannot start', async () => {
    const config = await appConfig({
      DATABASE_URL: packUrl,
      REDIS_URL: redisUrlForDb(REDIS_DB),
      QNWIS_QUERIES_DIR: 'test/fixtures/bad-registry',
    });
    await expect(start(config, 'appsvc4')).rejects.toMatchObject({
      code: 'registry_invalid',
      message: 'query registry failed to load (1 error(s))',
    });
    expect(await eventually(async () => (await connectionsOf('qnwis-appsvc4')) === 0)).toBe(true);
  });

  it('runs on the embedded database: holds the state-directory lock while open, ready without a migration check', async () => {
    const config = await appConfig({});
    expect(config.database).toEqual({ mode: 'embedded', dir: path.join(config.stateDir, 'pglite') });
    const s = await start(config, 'appsvc5');
    expect(s.services.db.kind).toBe('embedded');
    expect(s.services.readonlyDb).toBe(s.services.db);
    expect(fs.readFileSync(lockPath(config.stateDir), 'utf8').trim()).toBe(String(process.pid));
    s.services.markStarted();
    expect((await get(s.app, '/health/ready')).status).toBe(200);
    const d = await details(s.app);
    expect(component(d, 'postgres')).toMatchObject({ status: 'up', mode: 'embedded' });
    await s.close();
    expect(fs.existsSync(lockPath(config.stateDir))).toBe(false);
  });
});
