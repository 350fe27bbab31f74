import type { FastifyInstance } from 'fastify';
import type { ReadinessChecker } from '../readiness.js';

export interface OperationalRoutesOptions {
  version: string;
  environment: string;
  docsEnabled: boolean;
  readiness: ReadinessChecker;
  /** Cluster-wide Prometheus text; rejects when aggregation times out. */
  metricsText: () => Promise<{ contentType: string; text: string }>;
  /** False when METRICS_PORT moves /metrics to its own listener. */
  serveMetrics: boolean;
  healthDetails: () => Promise<Record<string, unknown>>;
}

const LIVE = '{"status":"ok"}';
const READY = '{"status":"ready"}';
const NOT_READY = '{"status":"not_ready"}';
const JSON_TYPE = 'application/json; charset=utf-8';

/** `/`, health probes and metrics (service spec §1.1, §4, §5). Probe bodies are byte-for-byte constant. */
export async function operationalRoutes(app: FastifyInstance, opts: OperationalRoutesOptions): Promise<void> {
  app.get('/', async (req, reply) => {
    const accept = req.headers.accept ?? '';
    if (/\btext\/html\b/i.test(accept)) return reply.redirect('/app/', 302);
    reply.type(JSON_TYPE);
    return JSON.stringify({
      name: 'QNWIS Agent API',
      version: opts.version,
      environment: opts.environment,
      docs_enabled: opts.docsEnabled,
    });
  });

  app.get('/health/live', { config: { probe: true } }, async (_req, reply) => {
    reply.type(JSON_TYPE).header('cache-control', 'no-store');
    return LIVE;
  });

  app.get('/health/ready', { config: { probe: true } }, async (_req, reply) => {
    const ready = await opts.readiness.isReady();
    reply
      .code(ready ? 200 : 503)
      .type(JSON_TYPE)
      .header('cache-control', 'no-store');
    return ready ? READY : NOT_READY;
  });

  app.get('/api/v1/health/details', async (_req, reply) => {
    reply.type(JSON_TYPE);
    return JSON.stringify(await opts.healthDetails());
  });

  if (opts.serveMetrics) {
    app.get('/metrics', { config: { probe: true } }, async (_req, reply) => {
      const { contentType, text } = await opts.metricsText();
      reply.type(contentType);
      return text;
    });
  }
}
