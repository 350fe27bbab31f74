import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import type { DataServices } from '../data/data-services.js';
import { isDataError } from '../data/errors.js';
import { CounterTallies, HistogramTallies } from '../data/metric-children.js';
import { HttpError, SERVER_ERROR_MESSAGES, statusForDataError } from './errors.js';
import type { Duplex } from 'node:stream';
import { applySecurityHeaders, newCspNonce, securityHeaderLines } from './plugins/security-headers.js';
import type { DrainState } from './drain.js';
import type { ReadinessChecker } from './readiness.js';
import { operationalRoutes } from './routes/operational.js';
import { queryRoutes } from './routes/queries.js';
import { sessionRoutes } from './routes/session.js';
import { agentRoutes } from './routes/agents.js';
import { askRoutes } from './routes/ask.js';
import { briefingRoutes } from './routes/briefing.js';
import { uiRoutes, type UiRoutesOptions } from './routes/ui.js';
import { exportRoutes, briefingAuditExportRoutes, type Rasteriser } from './routes/export.js';
import { uiAnalysisRoutes } from './routes/ui-analysis.js';
import { BriefingCache } from './ui-briefing.js';
import { runBriefing } from '../analysis/briefing.js';
import { webRoutes } from './routes/web.js';
import { UiData } from './ui-data.js';
import { auditRoutes } from './routes/audit.js';
import type { AnalysisServices } from '../analysis/analysis-services.js';
import type { RequestMetrics } from './request-metrics.js';
import type { ServiceMetrics } from './observability/metrics.js';
import type { SecurityServices } from './security-services.js';
import { installRequestSecurity } from './plugins/request-security.js';
import { routeLabel } from './route-label.js';
import type { RoutePermission } from '../security/permissions.js';

/** Settings the HTTP layer needs, taken from the resolved AppConfig. */
export interface HttpSettings {
  version: string;
  environment: string;
  enableDocs: boolean;
  maxBodyBytes: number;
  trustedProxies: readonly string[];
  metricsAllowCidrs: readonly string[];
  /** When set, /metrics lives on its own listener and the main port answers 404 for it. */
  metricsPort: number | undefined;
  keepAliveTimeoutS: number;
  requestTimeoutS: number;
  pagination: { autoThreshold: number; defaultPageSize: number; maxPageSize: number };
  /** The built dashboard (QNWIS_WEB_DIST); /app answers 503 while it is missing. */
  webDist: string;
  /** TrueType fonts of the PNG exports (web/src/assets/fonts). */
  webFontDir: string;
  /** How long the dashboard reuses one minister briefing (QNWIS_BRIEFING_TTL_S). */
  briefingTtlS: number;
}

/** Everything the app uses, created once per worker. */
export interface AppServices {
  data: DataServices;
  readiness: ReadinessChecker;
  drain: DrainState;
  metrics: RequestMetrics & Pick<ServiceMetrics, 'authAttempts' | 'rateLimited' | 'securityEvents' | 'cspViolations'>;
  security: SecurityServices;
  analysis: AnalysisServices;
  /** Test injection points of the dashboard routes (PNG rasteriser, CSP report sinks). */
  ui?: { rasterise?: Rasteriser; onCspViolation?: (directive: string) => void; log?: UiRoutesOptions['log'] };
  /** `GET /api/v1/health/details` (admin). */
  healthDetails: () => Promise<Record<string, unknown>>;
  metricsText: () => Promise<{ contentType: string; text: string }>;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Permission-table entry of the route, filled in from src/security/permissions.ts when the route is added. */
    permission?: RoutePermission;
    /** Metric label when the template differs from the public path (`/api/v1/queries:batch`). */
    routeLabel?: string;
    /** Health and metrics routes: logged at debug level. */
    probe?: boolean;
  }
  interface FastifyRequest {
    cspNonce: string;
    startedAt: bigint;
    /**
     * The matched route's config (with Fastify's `url`), read once per request: `routeOptions` builds a new object
     * on every access. Null until the first onRequest hook (framework errors answer before it).
     */
    routeConfig: (FastifyContextConfig & { url?: string }) | null;
  }
}

const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function validationDetails(err: FastifyError): { path: string; message: string }[] {
  return (err.validation ?? []).map((v) => ({
    path: `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}`,
    message: v.message ?? 'invalid',
  }));
}

/** Maps any error to the stable error shape; 5xx bodies carry only a fixed message and an error id. */
function replyWithError(err: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): FastifyReply {
  let status = 500;
  let code = 'internal_error';
  let message = SERVER_ERROR_MESSAGES[500]!;
  let details: { path: string; message: string }[] | undefined;
  let reason: string | undefined;
  if (err instanceof HttpError) {
    ({ statusCode: status, code, message } = err);
    details = err.details ? [...err.details] : undefined;
    reason = err.reason;
    for (const [k, v] of Object.entries(err.headers ?? {})) reply.header(k, v);
  } else if (isDataError(err)) {
    const mapped = statusForDataError(err.code);
    status = mapped.status;
    code = mapped.apiCode;
    message = err.message;
    if (code === 'validation_failed') details = err.details.map((d) => ({ path: 'body.override_params', message: d }));
  } else if (err && typeof err === 'object' && 'validation' in err && (err as FastifyError).validation) {
    status = 422;
    code = 'validation_failed';
    message = 'request does not match the schema';
    details = validationDetails(err as FastifyError);
  } else if (err && typeof err === 'object' && 'code' in err) {
    const fe = err as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        status = 415;
        code = 'unsupported_media_type';
        message = 'request bodies must be application/json';
        break;
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        status = 413;
        code = 'payload_too_large';
        message = 'request body too large';
        break;
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        status = 400;
        code = 'invalid_json';
        message = 'request body is not valid JSON';
        break;
      default:
        if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
          status = fe.statusCode === 413 || fe.statusCode === 415 ? fe.statusCode : 400;
          code = status === 400 && fe instanceof SyntaxError ? 'invalid_json' : 'invalid_request';
          message = status === 400 ? 'malformed request' : message;
        }
    }
  } else if (err instanceof SyntaxError) {
    status = 400;
    code = 'invalid_json';
    message = 'request body is not valid JSON';
  }
  const body: Record<string, unknown> = { code, message, request_id: req.id };
  if (details) body.details = details;
  if (reason) body.reason = reason;
  if (status >= 500) {
    const errorId = randomUUID();
    body.message = SERVER_ERROR_MESSAGES[status] ?? SERVER_ERROR_MESSAGES[500];
    body.error_id = errorId;
    log.error({ err, error_id: errorId, request_id: req.id }, 'request failed');
  }
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: body }));
}

/** A raw HTTP reply for a request Node could not parse (no Fastify request exists yet). */
function writeClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: { code: 'invalid_request', message: 'malformed HTTP request', request_id: requestId },
  });
  const headers = [
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    ...securityHeaderLines(newCspNonce()),
    'connection: close',
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Query strings and path parameters coerce "1e999" and "Infinity" to ±Infinity, which passes integer, minimum and
 * maximum checks in Ajv: such values fail validation here (422) instead of reaching a handler.
 */
function finiteOnly(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const ok = validate(data);
    wrapped.errors = validate.errors;
    if (!ok || data === null || typeof data !== 'object') return ok;
    for (const key in data) {
      const value = (data as Record<string, unknown>)[key];
      if (typeof value === 'number' && !Number.isFinite(value)) {
        wrapped.errors = [
          { instancePath: `/${key}`, schemaPath: '#', keyword: 'type', params: {}, message: 'must be a finite number' },
        ];
        return false;
      }
    }
    return true;
  }) as ValidateFunction;
  wrapped.errors = null;
  return wrapped;
}

/** The Fastify app: a table of contents of the hooks and routes of one worker. */
export async function buildApp(settings: HttpSettings, services: AppServices): Promise<FastifyInstance> {
  const { data, drain, metrics, logger } = services;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // our own 'request completed' line replaces Fastify's per-request lines
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // No per-request child logger (measurable at high request rates): lines name request_id explicitly.
    childLoggerFactory: (parent) => parent,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    trustProxy: settings.trustedProxies.length > 0 ? [...settings.trustedProxies] : false,
    bodyLimit: settings.maxBodyBytes,
    keepAliveTimeout: settings.keepAliveTimeoutS * 1000,
    requestTimeout: settings.requestTimeoutS * 1000,
    return503OnClosing: false,
    // Malformed URL escapes and over-long path parameters fail before any hook: answer them in the standard shape.
    frameworkErrors: (err, req, reply) => {
      applySecurityHeaders(reply, newCspNonce());
      reply.header('x-request-id', req.id);
      const mapped =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new HttpError(422, 'validation_failed', 'request does not match the schema', {
              details: [{ path: 'params', message: 'must NOT have more than 128 characters' }],
            })
          : new HttpError(400, 'invalid_request', 'malformed request URL');
      replyWithError(mapped, req, reply, logger);
    },
    // Errors of Node's HTTP parser (bad header bytes, headers over 16 KiB) still get the headers and error shape.
    clientErrorHandler: (err, socket) => writeClientError(err, socket),
    exposeHeadRoutes: true,
    routerOptions: { maxParamLength: 128 },
  });

  // Query strings coerce scalars; bodies are taken exactly as typed (a year must be an integer).
  const coercing = new Ajv({ coerceTypes: true, removeAdditional: false, allErrors: false, useDefaults: true });
  const exact = new Ajv({ coerceTypes: false, removeAdditional: false, allErrors: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? exact.compile(schema) : finiteOnly(coercing.compile(schema)),
  );
  app.removeContentTypeParser('text/plain');

  const requestCounters = new CounterTallies(metrics.requestsTotal, ['route', 'method', 'status']);
  const latencies = new HistogramTallies(metrics.latency, ['route', 'method']);

  app.decorateRequest('cspNonce', '');
  app.decorateRequest('startedAt', 0n);
  app.decorateRequest('routeConfig', null);

  // Stage 1–2 and 7 of the request pipeline (service spec §3.1); auth, rate limits and CSRF join here.
  // Hooks are callback-style (not async): they run on every request and a promise each is measurable.
  app.addHook('onRequest', (req, reply, done) => {
    req.startedAt = process.hrtime.bigint();
    req.routeConfig = req.routeOptions.config;
    req.cspNonce = newCspNonce();
    applySecurityHeaders(reply, req.cspNonce);
    reply.header('x-request-id', req.id);
    metrics.activeRequests.inc();
    if (drain.isDraining) {
      const path = req.url.split('?')[0];
      if (path === '/health/live') return done();
      reply.header('connection', 'close');
      if (path === '/health/ready') {
        reply.code(503).type('application/json; charset=utf-8').send('{"status":"not_ready"}');
        return;
      }
      return done(new HttpError(503, 'draining', 'server is shutting down'));
    }
    done();
  });

  installRequestSecurity(app, {
    security: services.security,
    metrics,
    metricsAllowCidrs: settings.metricsAllowCidrs,
  });

  app.addHook('onSend', (_req, reply, payload, done) => {
    if (drain.isDraining) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    metrics.activeRequests.dec();
    const route = routeLabel(req);
    const seconds = Number(process.hrtime.bigint() - req.startedAt) / 1e9;
    const status = reply.statusCode;
    requestCounters.get(route, req.method, String(status)).inc();
    latencies.get(route, req.method).observe(seconds);
    const level = status >= 500 ? 'warn' : req.routeConfig?.probe ? 'debug' : 'info';
    // req.log is `logger` (no per-request child): skip building the line when its level is off
    if (logger.isLevelEnabled(level)) {
      req.log[level](
        {
          request_id: req.id,
          method: req.method,
          route,
          status,
          duration_ms: Math.round(seconds * 1000),
          principal: req.principal?.principal_hash ?? null,
          auth_method: req.principal?.kind ?? 'none',
        },
        'request completed',
      );
    }
    done();
  });

  app.setErrorHandler((err, req, reply) => replyWithError(err, req, reply, logger));
  app.setNotFoundHandler((req, reply) =>
    replyWithError(new HttpError(404, 'not_found', 'no such route'), req, reply, logger),
  );

  await app.register(operationalRoutes, {
    version: settings.version,
    environment: settings.environment,
    docsEnabled: settings.enableDocs,
    readiness: services.readiness,
    metricsText: services.metricsText,
    serveMetrics: settings.metricsPort === undefined,
    healthDetails: services.healthDetails,
  });
  await app.register(sessionRoutes, { security: services.security, metrics });
  const uiData = new UiData({ queries: data.queryService, serviceVersion: settings.version });
  await app.register(uiRoutes, {
    queries: data.queryService,
    registry: data.registry,
    serviceVersion: settings.version,
    apiKeys: services.security.apiKeys,
    audit: (event) => services.security.audit?.push(event),
    onCspViolation: (directive) => {
      metrics.cspViolations.labels(directive).inc();
      services.ui?.onCspViolation?.(directive);
    },
    log: services.ui?.log ?? logger,
    data: uiData,
  });
  await app.register(exportRoutes, {
    queries: data.queryService,
    registry: data.registry,
    serviceVersion: settings.version,
    fontDir: settings.webFontDir,
    data: uiData,
    ...(services.ui?.rasterise ? { rasterise: services.ui.rasterise } : {}),
  });
  const briefing = new BriefingCache({
    build: async (requestId) => (await runBriefing(services.analysis.answers, { requestId })).response,
    registryVersion: () => data.registry.version(),
    ttlS: settings.briefingTtlS,
  });
  const auditDb = services.security.db;
  await app.register(uiAnalysisRoutes, { analysis: services.analysis, registry: data.registry, briefing, auditDb });
  await app.register(briefingAuditExportRoutes, { briefing, auditDb });
  await app.register(webRoutes, { webDist: settings.webDist });
  await app.register(askRoutes, { analysis: services.analysis });
  await app.register(agentRoutes, { answers: services.analysis.answers });
  await app.register(briefingRoutes, { answers: services.analysis.answers });
  await app.register(auditRoutes, { store: services.analysis.audit, hmacKey: services.analysis.hmacKey });
  await app.register(queryRoutes, {
    queries: data.queryService,
    registry: data.registry,
    cache: data.cache,
    pagination: settings.pagination,
    audit: (event) => services.security.audit?.push(event),
  });
  return app;
}
