import path from 'node:path';
import { Registry } from 'prom-client';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppServices, type HttpSettings } from '../../src/http/app.js';
import { DrainState } from '../../src/http/drain.js';
import { ReadinessChecker, type DependencyProbe } from '../../src/http/readiness.js';
import { createDataServices, type DataServices } from '../../src/data/data-services.js';
import { resolveDataConfig } from '../../src/config/data-config.js';
import { resetMemoryStore } from '../../src/data/cache/stores.js';
import { TEST_PACK_DIR } from './pack.js';
import { testSecurity } from './security.js';
import { createServiceMetrics } from '../../src/http/observability/metrics.js';
import type { SecurityServices } from '../../src/http/security-services.js';
import type { Database } from '../../src/db/database.js';
import type { PostgresRunner } from '../../src/data/query-service.js';
import { createAnalysisServices } from '../../src/analysis/analysis-services.js';

export const TEST_HTTP_SETTINGS: HttpSettings = {
  version: '0.0.0-test',
  environment: 'test',
  enableDocs: false,
  maxBodyBytes: 1_048_576,
  trustedProxies: [],
  metricsAllowCidrs: ['127.0.0.0/8', '::1/128'],
  metricsPort: undefined,
  keepAliveTimeoutS: 5,
  requestTimeoutS: 120,
  pagination: { autoThreshold: 2000, defaultPageSize: 500, maxPageSize: 5000 },
  webDist: path.resolve('dist/web'),
  webFontDir: path.resolve('web/src/assets/fonts'),
  briefingTtlS: 300,
};

export interface TestApp {
  app: FastifyInstance;
  data: DataServices;
  drain: DrainState;
  registry: Registry;
  close(): Promise<void>;
}

/** An app over the test pack with an in-process cache and the given readiness probes (no servers needed). */
export async function buildTestApp(
  opts: {
    probes?: DependencyProbe[];
    env?: Record<string, string>;
    settings?: Partial<HttpSettings>;
    /** Default: bypassed authentication, no rate limits, no database (see test/support/security.ts). */
    security?: SecurityServices;
    /** Audit manifests go here when given (else in memory). */
    db?: Database;
    /** QNWIS_CLOCK_DATE of the answers (default 2025-01-15). */
    clockDate?: string;
    /** The `postgres` query source (ts_* series); see test/support/analysis-app.ts. */
    postgres?: PostgresRunner;
    ui?: AppServices['ui'];
  } = {},
): Promise<TestApp> {
  resetMemoryStore();
  const registry = new Registry();
  const data = await createDataServices(resolveDataConfig({ QNWIS_DATA_DIR: TEST_PACK_DIR, ...opts.env }), {
    metricsRegistry: registry,
    ...(opts.postgres ? { postgres: opts.postgres } : {}),
  });
  const drain = new DrainState();
  const security = opts.security ?? testSecurity();
  const app = await buildApp(
    { ...TEST_HTTP_SETTINGS, ...opts.settings },
    {
      data,
      drain,
      readiness: new ReadinessChecker({ probes: opts.probes ?? [], timeoutMs: 1000, drain, started: () => true }),
      metrics: createServiceMetrics(registry, { version: '0.0.0-test', queryIds: [] }),
      security,
      analysis: createAnalysisServices({
        queries: data.queryService,
        db: opts.db,
        version: '0.0.0-test',
        clockDate: opts.clockDate ?? '2025-01-15',
        hmacKey: 'test-audit-hmac-key-0123456789abcdefghijkl',
      }),
      ...(opts.ui ? { ui: opts.ui } : {}),
      healthDetails: async () => ({ status: 'ok', components: [] }),
      metricsText: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
      logger: pino({ level: 'silent' }),
    },
  );
  return {
    app,
    data,
    drain,
    registry,
    async close() {
      await app.close();
      await security.close();
      await data.close();
    },
  };
}
