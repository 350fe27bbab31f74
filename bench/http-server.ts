/**
 * A benchmark target in its own process (one worker): `bare` is a plain Fastify route (the ceiling), `app` is the QNWIS
 * app over the synthetic pack with the in-process cache. Prints the port on stdout once listening.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { applySecurityHeaders, newCspNonce } from '../src/http/plugins/security-headers.js';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { DrainState } from '../src/http/drain.js';
import { ReadinessChecker } from '../src/http/readiness.js';
import { createDataServices } from '../src/data/data-services.js';
import { resolveDataConfig } from '../src/config/data-config.js';
import { qnwisRegistry } from '../src/http/observability/metrics.js';
import os from 'node:os';
import path from 'node:path';
import { testSecurity } from '../test/support/security.js';
import { openEmbedded, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import type { SecurityServices } from '../src/http/security-services.js';
import { createAnalysisServices } from '../src/analysis/analysis-services.js';

const [mode, packDir, payloadFile] = process.argv.slice(2);
/** The embedded database of the secure-* targets, removed when the bench stops this process. */
let dbDir: string | undefined;

async function main(): Promise<void> {
  if (mode === 'payload') {
    // The transport cost of the cached answer alone: same bytes and security headers, no QNWIS logic.
    const body = fs.readFileSync(payloadFile!, 'utf8');
    const app = Fastify();
    app.post('/payload', (_req, reply) => {
      applySecurityHeaders(reply, newCspNonce());
      reply.header('x-request-id', randomUUID()).type('application/json; charset=utf-8').send(body);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    process.stdout.write(`${(app.server.address() as { port: number }).port}\n`);
    return;
  }
  if (mode === 'bare') {
    const app = Fastify();
    app.get('/bare', async () => ({ status: 'ok' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    process.stdout.write(`${(app.server.address() as { port: number }).port}\n`);
    return;
  }
  // `app`: the issue-3 figure (authentication bypassed, no limiter, no audit store). `secure-bypass` and `secure-key`:
  // the full security layer (limiter, audit events in the embedded database), without and with an API key.
  let security: SecurityServices = testSecurity();
  let db: Database | undefined;
  let key = '';
  if (mode === 'secure-bypass' || mode === 'secure-key') {
    dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-bench-db-'));
    db = await openEmbedded(dbDir);
    await migrate(db, { appVersion: 'bench' });
    security = testSecurity(
      {
        QNWIS_BYPASS_AUTH: mode === 'secure-bypass' ? 'true' : 'false',
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
        RATE_LIMIT_REQUESTS_PER_DAY: '1000000000',
      },
      db,
    );
    if (mode === 'secure-key') key = (await security.apiKeys!.create({ label: 'bench', roles: ['analyst'] })).key;
  }
  const { registry, service } = qnwisRegistry({ version: 'bench', queryIds: [] });
  const data = await createDataServices(resolveDataConfig({ QNWIS_DATA_DIR: packDir ?? 'var/bench/pack' }), {
    metricsRegistry: registry,
  });
  service.initQueryIds(data.registry.ids());
  const drain = new DrainState();
  const app = await buildApp(
    {
      version: 'bench',
      environment: 'dev',
      enableDocs: false,
      maxBodyBytes: 1_048_576,
      trustedProxies: [],
      metricsAllowCidrs: ['127.0.0.0/8'],
      metricsPort: undefined,
      keepAliveTimeoutS: 5,
      requestTimeoutS: 120,
      pagination: { autoThreshold: 2000, defaultPageSize: 500, maxPageSize: 5000 },
      webDist: path.resolve('dist/web'),
      webFontDir: path.resolve('web/src/assets/fonts'),
      briefingTtlS: 300,
    },
    {
      data,
      drain,
      readiness: new ReadinessChecker({ probes: [], timeoutMs: 1000, drain, started: () => true }),
      metrics: service,
      security,
      analysis: createAnalysisServices({
        queries: data.queryService,
        db,
        version: 'bench',
        clockDate: undefined,
        hmacKey: undefined,
      }),
      healthDetails: async () => ({ status: 'ok', components: [] }),
      metricsText: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
      logger: pino({ level: 'silent' }),
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${(app.server.address() as { port: number }).port} ${key}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (dbDir !== undefined) fs.rmSync(dbDir, { recursive: true, force: true });
    process.exit(0);
  });
}
void main();
