import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ensureDevSecrets, maskConfig, resolveAppConfig, type AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/resolve.js';
import { processEnv } from '../config/process-env.js';
import { createLogger } from '../http/observability/logger.js';
import { setupPrimaryMetrics, type PrimaryMetrics } from '../http/observability/cluster-metrics.js';
import { CidrList } from '../http/plugins/network.js';
import { applySecurityHeaders } from '../http/plugins/security-headers.js';
import { prepareDatabase } from './database-start.js';
import { QueryRegistry } from '../data/registry/registry.js';
import { missingMandatoryQueries } from '../analysis/mandatory-queries.js';
import { isMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';
import { secretValues } from './secrets.js';

const EXIT_CONFIG = 78;

/** Crash-loop policy of service spec §9.1: 1 s, doubling to 30 s while workers die young; > 10 crashes a minute ends it. */
class RestartPolicy {
  private crashes: number[] = [];
  private delayMs = 1000;
  private lastDiedYoung = false;

  /** Returns the delay before the replacement, or null when the primary must give up. */
  next(workerUptimeMs: number): number | null {
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < 60_000);
    this.crashes.push(now);
    if (this.crashes.length > 10) return null;
    const young = workerUptimeMs < 10_000;
    this.delayMs = young && this.lastDiedYoung ? Math.min(this.delayMs * 2, 30_000) : 1000;
    this.lastDiedYoung = young;
    return this.delayMs;
  }
}

function fail(lines: string[], code: number): never {
  for (const line of lines) process.stderr.write(line + '\n');
  process.exit(code);
}

/** Resolves configuration once; problems stop the start with exit 78 (one line each). */
async function resolveConfig(): Promise<{ config: AppConfig; warnings: string[] }> {
  try {
    const { config, warnings } = resolveAppConfig(processEnv(), { cpuCount: os.availableParallelism() });
    const devWarnings: string[] = [];
    const withSecrets = await ensureDevSecrets(config, (m) => devWarnings.push(m));
    return { config: withSecrets, warnings: [...warnings, ...devWarnings] };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        JSON.stringify({ level: 'fatal', msg: 'configuration invalid', problems: err.problems }) + '\n',
      );
      fail(err.message.split('\n'), EXIT_CONFIG);
    }
    throw err;
  }
}

function startMetricsListener(config: AppConfig, metrics: PrimaryMetrics, logger: Logger): http.Server {
  const allow = new CidrList(config.metricsAllowCidrs);
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'application/json; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const nonceHeaders = {
      header: (k: string, v: string) => res.setHeader(k, v),
    } as unknown as Parameters<typeof applySecurityHeaders>[0];
    applySecurityHeaders(nonceHeaders, 'metrics');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      reply(404, JSON.stringify({ error: { code: 'not_found', message: 'no such route', request_id: '' } }));
      return;
    }
    if (!allow.has(req.socket.remoteAddress)) {
      reply(
        403,
        JSON.stringify({
          error: { code: 'metrics_forbidden', message: 'metrics are not available from this address', request_id: '' },
        }),
      );
      return;
    }
    metrics.collect().then(
      ({ contentType, text }) => reply(200, text, contentType),
      () =>
        reply(
          503,
          JSON.stringify({
            error: { code: 'metrics_unavailable', message: 'metrics aggregation timed out', request_id: '' },
          }),
        ),
    );
  });
  server.listen(config.metricsPort, config.host, () =>
    logger.info({ port: config.metricsPort }, 'metrics listener ready'),
  );
  return server;
}

/** The cluster primary: config, migrations, metrics aggregation, workers, signals, drain (service spec §9). */
export async function runPrimary(entry: string): Promise<void> {
  const { config, warnings } = await resolveConfig();
  const logger = createLogger({
    level: config.logLevel,
    worker: 'primary',
    version: config.version,
    secretValues: secretValues(config),
  });
  logger.info({ config: maskConfig(config) }, 'starting');
  for (const w of warnings) logger.warn(w);
  if (config.bypassAuth)
    logger.warn('QNWIS_BYPASS_AUTH is on: every request is treated as an admin (development only)');

  try {
    const registry = await QueryRegistry.open({ dir: config.data.queriesDir, catalogPath: config.data.catalogPath });
    const missing = missingMandatoryQueries(registry);
    if (missing.length > 0) {
      logger.fatal({ missing }, 'mandatory queries are not registered');
      fail([`qnwis: mandatory queries are not registered: ${missing.join(', ')}`], 78);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err: { message } }, 'query registry failed to load');
    fail([`qnwis: query registry failed to load: ${message}`], 3);
  }

  try {
    await prepareDatabase(config, logger);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err: { message } }, 'database preparation failed');
    fail([`qnwis: ${message}`], (err as { exitCode?: number }).exitCode ?? 1);
  }

  const metrics = setupPrimaryMetrics();
  const metricsServer = config.metricsPort !== undefined ? startMetricsListener(config, metrics, logger) : undefined;

  let workerCount = config.webConcurrency;
  if (config.database.mode === 'embedded' && workerCount > 1) {
    logger.warn({ requested: workerCount }, 'embedded database: running one worker');
    workerCount = 1;
  }

  cluster.setupPrimary({ exec: entry, silent: false });
  const started = new Map<number, number>();
  const ready = new Set<number>();
  let draining = false;
  const policy = new RestartPolicy();

  const fork = (): Worker => {
    const worker = cluster.fork();
    started.set(worker.id, Date.now());
    worker.on('message', (msg: unknown) => {
      if (isMessage(msg, 'qnwis:hello')) worker.send({ type: 'qnwis:config', config } satisfies PrimaryToWorker);
      if (isMessage(msg, 'qnwis:ready')) ready.add(worker.id);
      if (isMessage<Extract<WorkerToPrimary, { type: 'qnwis:drained' }>>(msg, 'qnwis:drained')) {
        logger.info({ worker_id: worker.id, completed: msg.completed, aborted: msg.aborted }, 'worker drained');
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (started.get(worker.id) ?? Date.now());
    started.delete(worker.id);
    ready.delete(worker.id);
    logger.info({ worker_id: worker.id, code, signal }, 'worker exited');
    if (draining) return;
    const delay = policy.next(uptime);
    if (delay === null) {
      logger.fatal('more than 10 worker crashes in 60 s; exiting so the supervisor restarts everything');
      process.exit(1);
    }
    setTimeout(() => {
      if (!draining) fork();
    }, delay).unref();
  });

  for (let i = 0; i < workerCount; i++) fork();

  let drainStartedAt = 0;
  const drainAll = (signal: string): void => {
    if (draining) {
      // One Ctrl-C reaches us twice (process group + the tsx/npm wrapper relaying it); only a later one is "second".
      if (Date.now() - drainStartedAt < 1000) return;
      logger.warn({ signal }, 'second signal during drain: exiting now');
      process.exit(1);
    }
    draining = true;
    drainStartedAt = Date.now();
    logger.info({ signal }, 'draining');
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue;
      // A worker still starting has no requests in flight and may not listen for messages yet.
      if (!ready.has(worker.id)) worker.process.kill('SIGKILL');
      else if (worker.isConnected()) worker.send({ type: 'qnwis:drain' } satisfies PrimaryToWorker);
    }
    const giveUp = setTimeout(
      () => {
        logger.error('workers did not finish draining in time');
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        process.exit(1);
      },
      (config.gracefulTimeoutS + 8) * 1000,
    );
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      clearInterval(check);
      clearTimeout(giveUp);
      metrics.close();
      const done = (): void => {
        logger.info('drain complete');
        process.exit(0);
      };
      if (metricsServer) metricsServer.close(done);
      else done();
    }, 50);
  };
  process.on('SIGTERM', () => drainAll('SIGTERM'));
  process.on('SIGINT', () => drainAll('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the query registry in every worker');
    for (const worker of Object.values(cluster.workers ?? {}))
      worker?.send({ type: 'qnwis:reload' } satisfies PrimaryToWorker);
  });
}

/** The module workers run: `src/server.ts` under tsx, `dist/server.js` when built. */
export function serverEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../server${ext}`, import.meta.url));
}
