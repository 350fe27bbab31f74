import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../config/app-config.js';
import { createDataServices, type DataServices } from '../data/data-services.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { createPostgresRunner } from '../data/connectors/postgres.js';
import { acquireLock } from '../db/embedded-lock.js';
import { migrationStatus } from '../db/migrate.js';
import { CounterTallies } from '../data/metric-children.js';
import { DB_OPERATIONS, type ServiceMetrics } from './observability/metrics.js';
import { DrainState } from './drain.js';
import { ReadinessChecker, type DependencyProbe } from './readiness.js';
import type { AppServices, HttpSettings } from './app.js';
import { createSecurityServices } from './security-services.js';
import { healthDetails, trackConnectionErrors } from './health-details.js';
import { createAnalysisServices } from '../analysis/analysis-services.js';

/** What one worker opens: database pools, Redis, the data layer, readiness. `close()` releases all of it. */
export interface WorkerServices extends AppServices {
  db: Database;
  readonlyDb: Database;
  redis: Redis | undefined;
  markStarted(): void;
  close(): Promise<void>;
}

/** The dashboard's fonts, also used by the PNG exports; the same relative path from src/http and dist/http. */
const WEB_FONT_DIR = fileURLToPath(new URL('../../web/src/assets/fonts', import.meta.url));

export function httpSettings(config: AppConfig): HttpSettings {
  return {
    version: config.version,
    environment: config.env,
    enableDocs: config.enableDocs,
    maxBodyBytes: config.maxBodyBytes,
    trustedProxies: config.trustedProxies,
    metricsAllowCidrs: config.metricsAllowCidrs,
    metricsPort: config.metricsPort,
    keepAliveTimeoutS: config.keepAliveTimeoutS,
    requestTimeoutS: config.requestTimeoutS,
    pagination: config.pagination,
    webDist: config.webDist,
    webFontDir: WEB_FONT_DIR,
    briefingTtlS: config.briefingTtlS,
  };
}

/**
 * The worker's Redis client: connects on first use, fails fast (1 s to connect, 250 ms per command, one retry, no
 * offline queue) so a Redis outage degrades requests instead of holding them; errors surface through commands and
 * health probes (which name the newest connection error), not as unhandled events.
 */
export function workerRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 250,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  trackConnectionErrors(redis);
  return redis;
}

export async function createWorkerServices(
  config: AppConfig,
  opts: {
    logger: Logger;
    registry: Registry;
    metrics: ServiceMetrics;
    workerId: string;
    metricsText: AppServices['metricsText'];
  },
): Promise<WorkerServices> {
  const { logger, metrics } = opts;
  const onQuery = (operation: string, seconds: number): void => {
    const op = (DB_OPERATIONS as readonly string[]).includes(operation) ? operation : 'query_exec';
    metrics.dbLatency.observe({ operation: op as (typeof DB_OPERATIONS)[number] }, seconds);
  };
  // The embedded database belongs to one process: hold its lock while serving (CLI commands check it).
  const releaseLock = config.database.mode === 'embedded' ? acquireLock(config.stateDir) : undefined;
  const onPrewarmError = (err: Error): void =>
    logger.warn({ err: { message: err.message } }, 'database not reachable at start; not ready until it answers');
  const db = await openDatabase(config, { workerId: opts.workerId, onQuery, onPrewarmError });
  const separateReader = config.database.mode === 'postgres' && config.database.readonlyUrl !== config.database.url;
  const readonlyDb = separateReader
    ? await openDatabase(config, { workerId: opts.workerId, onQuery, readonly: true, onPrewarmError })
    : db;
  const redis = config.redisUrl ? workerRedis(config.redisUrl) : undefined;
  const queryCacheHits = new CounterTallies(metrics.cacheHits, ['region']).get('query');
  const queryCacheMisses = metrics.cacheMisses.labels('query');
  const executions = new CounterTallies(metrics.queryExecutions, ['query_id', 'status']);
  let data: DataServices;
  try {
    data = await createDataServices(config.data, {
      metricsRegistry: opts.registry,
      postgres: createPostgresRunner(readonlyDb),
      log: logger,
      observe: {
        cache: (outcome) => {
          if (outcome === 'hit') queryCacheHits.inc();
          else if (outcome === 'miss') queryCacheMisses.inc();
        },
        execution: (queryId, status) => executions.get(queryId, status).inc(),
      },
    });
  } catch (err) {
    await db.close();
    if (readonlyDb !== db) await readonlyDb.close();
    redis?.disconnect();
    throw err;
  }
  metrics.initQueryIds(data.registry.ids());

  // Ready only once the schema is known to be current (the primary could not check while the database was down).
  let migrationsVerified = config.database.mode === 'embedded';
  let pendingReported = false;
  const probes: DependencyProbe[] = [
    {
      name: 'postgres',
      check: async () => {
        await db.query('SELECT 1', [], { operation: 'health_check' });
        if (migrationsVerified) return;
        const status = await migrationStatus(db);
        if (status.pending.length > 0 || status.changed.length > 0) {
          if (!pendingReported) logger.error({ pending: status.pending }, 'pending migrations; run `qnwis migrate`');
          pendingReported = true;
          throw new Error('migrations pending');
        }
        migrationsVerified = true;
      },
    },
  ];
  if (redis) {
    probes.push({
      name: 'redis',
      check: async () => {
        if (redis.status === 'wait' || redis.status === 'end') await redis.connect().catch(() => undefined);
        await redis.ping();
      },
    });
  }
  let auditDropped = 0;
  const security = createSecurityServices(config, {
    db,
    logger,
    onAuditDropped: (count) => {
      auditDropped += count;
      metrics.auditDropped.inc(count);
    },
    onRedisState: (state) => metrics.dependencyUp.set({ dependency: 'redis' }, state === 'up' ? 1 : 0),
  });
  const drain = new DrainState();
  const startedAtMs = Date.now();
  let started = false;
  const readiness = new ReadinessChecker({
    probes,
    timeoutMs: config.readyTimeoutMs,
    drain,
    started: () => started,
    onDependency: (name, up) => metrics.dependencyUp.set({ dependency: name }, up ? 1 : 0),
  });
  return {
    data,
    db,
    readonlyDb,
    redis,
    drain,
    readiness,
    metrics,
    metricsText: opts.metricsText,
    logger,
    security,
    analysis: createAnalysisServices({
      queries: data.queryService,
      db,
      version: config.version,
      clockDate: config.clockDate,
      hmacKey: config.secrets.auditHmacKey,
      onAuditError: (err) =>
        logger.error(
          { err: { message: err instanceof Error ? err.message : String(err) } },
          'audit manifest not stored',
        ),
    }),
    healthDetails: () =>
      healthDetails(
        {
          version: config.version,
          workerId: opts.workerId,
          drain,
          db,
          dbMode: config.database.mode,
          redis,
          cacheBackend: () => data.cache.backend,
          rateLimiterState: () => security.redisState(),
          auditQueue: () => ({ depth: security.audit?.depth ?? 0, dropped_total: auditDropped }),
          timeoutMs: config.readyTimeoutMs,
        },
        startedAtMs,
      ),
    markStarted: () => {
      started = true;
    },
    async close() {
      await security.close().catch(() => undefined);
      await data.close().catch(() => undefined);
      redis?.disconnect();
      if (readonlyDb !== db) await readonlyDb.close().catch(() => undefined);
      await db.close().catch(() => undefined);
      releaseLock?.();
    },
  };
}
