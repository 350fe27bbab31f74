import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';
import { buildApp } from '../http/app.js';
import { createWorkerServices, httpSettings, type WorkerServices } from '../http/app-services.js';
import { createLogger } from '../http/observability/logger.js';
import { qnwisRegistry } from '../http/observability/metrics.js';
import {
  fetchClusterMetrics,
  setupWorkerMetrics,
  MetricsUnavailableError,
} from '../http/observability/cluster-metrics.js';
import { HttpError } from '../http/errors.js';
import { warmCache } from '../data/data-services.js';
import { isMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';
import { secretValues } from './secrets.js';

function send(msg: WorkerToPrimary): void {
  if (process.send && process.connected) process.send(msg);
}

function receiveConfig(): Promise<AppConfig> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown): void => {
      if (isMessage<Extract<PrimaryToWorker, { type: 'qnwis:config' }>>(msg, 'qnwis:config')) {
        process.off('message', onMessage);
        resolve(msg.config);
      }
    };
    process.on('message', onMessage);
    // The listener exists now: ask for the configuration (a message sent before this point would be lost).
    send({ type: 'qnwis:hello' });
  });
}

/** A cluster worker: builds the app, listens on the shared socket, drains on the primary's instruction. */
export async function runWorker(): Promise<void> {
  // Until the primary says so, a signal to the process group only means "a drain is coming" (service spec §9.2).
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  const config = await receiveConfig();
  const workerId = String(cluster.worker?.id ?? process.pid);
  const logger = createLogger({
    level: config.logLevel,
    worker: cluster.worker?.id ?? 'single',
    version: config.version,
    secretValues: secretValues(config),
  });
  const { registry, service } = qnwisRegistry({ version: config.version, queryIds: [] });
  setupWorkerMetrics(registry);

  const metricsText = async (): Promise<{ contentType: string; text: string }> => {
    try {
      return await fetchClusterMetrics();
    } catch (err) {
      if (err instanceof MetricsUnavailableError) {
        throw new HttpError(503, 'metrics_unavailable', 'metrics aggregation timed out');
      }
      throw err;
    }
  };

  let services: WorkerServices;
  try {
    services = await createWorkerServices(config, { logger, registry, metrics: service, workerId, metricsText });
  } catch (err) {
    logger.fatal({ err, error_id: randomUUID() }, 'worker failed to start');
    process.exit(1);
  }
  const app = await buildApp(httpSettings(config), services);

  let inFlight = 0;
  let completed = 0;
  app.server.on('request', (_req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      completed++;
    });
  });

  let draining: Promise<void> | null = null;
  const drainAndExit = (code: number): Promise<void> => {
    draining ??= (async () => {
      services.drain.start();
      logger.info({ in_flight: inFlight }, 'draining');
      let aborted = 0;
      const deadline = setTimeout(() => {
        aborted = inFlight;
        app.server.closeAllConnections();
      }, config.gracefulTimeoutS * 1000);
      deadline.unref();
      app.server.closeIdleConnections();
      await app.close().catch(() => undefined);
      clearTimeout(deadline);
      await Promise.race([services.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
      logger.info({ completed, aborted }, 'worker finished draining');
      send({ type: 'qnwis:drained', completed, aborted });
      process.exit(code);
    })();
    return draining;
  };

  process.on('message', (msg: unknown) => {
    if (isMessage(msg, 'qnwis:drain')) void drainAndExit(0);
    else if (isMessage(msg, 'qnwis:reload')) {
      services.data
        .reloadRegistry()
        .then((version) => {
          service.initQueryIds(services.data.registry.ids());
          logger.info({ registry_version: version }, 'query registry reloaded');
        })
        .catch((err: unknown) => logger.error({ err }, 'query registry reload failed; keeping the previous version'));
    }
  });
  process.on('disconnect', () => void drainAndExit(0));
  const fatal = (err: unknown): void => {
    logger.fatal({ err, error_id: randomUUID() }, 'fatal error in worker');
    void drainAndExit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  await app.listen({ host: config.host, port: config.port });
  services.markStarted();
  logger.info({ host: config.host, port: config.port }, 'worker ready');
  send({ type: 'qnwis:ready' });
  if (config.data.warmCache) {
    void warmCache(services.data, config.data.warmQueries, config.data.warmMaxWorkers, logger);
  }
}
