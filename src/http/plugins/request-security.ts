/**
 * Stages 3–12 of the request pipeline (service spec §3.1): HTTPS enforcement, Range guard, CORS, authentication,
 * rate limiting, CSRF and RBAC, all in `onRequest` so that a rejection never parses a body. Stage 17 (the audit
 * event of every authenticated request) runs on response.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceMetrics, SecurityEvent, AuthMethod } from '../observability/metrics.js';
import { HttpError } from '../errors.js';
import { routeLabel } from '../route-label.js';
import { CidrList } from './network.js';
import type { SecurityServices } from '../security-services.js';
import { pathOf, requestAuditEvent } from '../request-audit.js';
import { CSRF_HEADER, verifyCsrfToken } from '../../security/csrf.js';
import { isAllowed, routePermission, type RoutePermission } from '../../security/permissions.js';
import { createPrincipal, type Principal } from '../../security/principal.js';
import { clientKey, type RateDecision } from '../../security/rate-limit.js';
import {
  clearSessionCookieHeader,
  sessionCookieFromHeader,
  sessionCookieHeader,
  signSession,
  verifySessionCookie,
} from '../../security/session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated identity; null on public routes and before stage 9. */
    principal: Principal | null;
    /** The raw session id when the principal came from the session cookie. */
    sessionId: string | null;
  }
}

const LOOPBACK = new CidrList(['127.0.0.0/8', '::1/128']);
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_RANGE_HEADER = 256;
const MAX_RANGES = 5;
const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="qnwis"' };
const EXPOSED_HEADERS =
  'X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Total-Rows, X-Query-ID';
const BYPASS_PRINCIPAL = createPrincipal({ kind: 'bypass', subject: 'dev-bypass', roles: ['admin'] });

/** Paths that are never rate limited (§3.7): probes, metrics and static UI files. */
function rateLimitExempt(path: string): boolean {
  return path === '/health/live' || path === '/health/ready' || path === '/metrics' || path.startsWith('/app');
}

function forbiddenMessage(permission: RoutePermission): string {
  return Array.isArray(permission) ? `Required roles: ${permission.join(', ')}` : 'forbidden';
}

type Credential =
  | { kind: 'jwt'; token: string }
  | { kind: 'api_key'; key: string }
  | { kind: 'session'; value: string }
  | { kind: 'none' };

/** First present wins (§2.1): Bearer, then X-API-Key, then the session cookie. */
function credentialOf(req: FastifyRequest): Credential {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth !== '') {
    const match = /^bearer\s+(.*)$/i.exec(auth);
    return { kind: 'jwt', token: match ? match[1]!.trim() : '' };
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' || Array.isArray(key)) return { kind: 'api_key', key: Array.isArray(key) ? '' : key };
  const cookie = sessionCookieFromHeader(req.headers.cookie);
  if (cookie !== null) return { kind: 'session', value: cookie };
  return { kind: 'none' };
}

/** Failures of a store (Postgres down) are 503, never 401 or 500. */
function dependencyError(): HttpError {
  return new HttpError(503, 'dependency_unavailable', 'a dependency is unavailable');
}

export interface RequestSecurityOptions {
  security: SecurityServices;
  metrics: Pick<ServiceMetrics, 'authAttempts' | 'rateLimited' | 'securityEvents'>;
  metricsAllowCidrs: readonly string[];
}

export function installRequestSecurity(app: FastifyInstance, opts: RequestSecurityOptions): void {
  const { security, metrics } = opts;
  const { settings } = security;
  const healthAllow = new CidrList(settings.healthAllowCidrs);
  const metricsAllow = new CidrList(opts.metricsAllowCidrs);
  const origins = new Set(settings.allowedOrigins);
  const wildcardOrigin = origins.has('*');

  app.decorateRequest('principal', null);
  app.decorateRequest('sessionId', null);

  // Every route must be in the permission table (fail closed at start-up, and every test that builds the app).
  app.addHook('onRoute', (route) => {
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    const permission = routePermission(method, route.url);
    if (permission === undefined) throw new Error(`route ${method} ${route.url} has no entry in the permission table`);
    route.config = { ...(route.config ?? {}), permission };
  });

  const securityEvent = (
    req: FastifyRequest,
    event: SecurityEvent,
    status: number,
    details: Record<string, unknown> = {},
  ): void => {
    metrics.securityEvents.labels(event).inc();
    security.audit?.push(requestAuditEvent(req, `security.${event}`, status, details));
  };

  const originAllowed = (req: FastifyRequest, origin: string): boolean => {
    if (origins.has(origin)) return true;
    // The service's own origin (same scheme, host and port as this request).
    const host = req.headers.host;
    return typeof host === 'string' && origin === `${req.protocol}://${host}`;
  };

  function httpsExempt(req: FastifyRequest, path: string): boolean {
    if (LOOPBACK.has(req.socket.remoteAddress)) return true;
    if ((path === '/health/live' || path === '/health/ready') && healthAllow.has(req.ip)) return true;
    return path === '/metrics' && metricsAllow.has(req.ip);
  }

  function rangeRejection(req: FastifyRequest): HttpError | null {
    const range = req.headers.range;
    if (range === undefined) return null;
    if (range.length > MAX_RANGE_HEADER) {
      return new HttpError(416, 'range_not_satisfiable', 'range header too long', { reason: 'range_header_too_long' });
    }
    if (range.split(',').length > MAX_RANGES) {
      return new HttpError(416, 'range_not_satisfiable', 'too many ranges', { reason: 'too_many_ranges' });
    }
    return null;
  }

  /** CORS (§3.4): a preflight is answered here; a simple request from an allowed origin gets the headers. */
  function cors(req: FastifyRequest, reply: FastifyReply): 'answered' | HttpError | null {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (typeof origin !== 'string') return preflight ? new HttpError(403, 'origin_denied', 'origin not allowed') : null;
    const listed = origins.has(origin);
    if (!listed && !wildcardOrigin) {
      if (preflight) {
        securityEvent(req, 'origin_denied', 403);
        return new HttpError(403, 'origin_denied', 'origin not allowed');
      }
      return null;
    }
    reply.header('vary', 'Origin');
    if (listed) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
    } else {
      reply.header('access-control-allow-origin', '*'); // wildcard: non-prod only, never with credentials
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (!preflight) return null;
    reply.header('access-control-allow-methods', 'GET, HEAD, POST, DELETE');
    reply.header('access-control-allow-headers', 'Authorization, Content-Type, X-API-Key, X-CSRF-Token, X-Request-ID');
    reply.header('access-control-max-age', '600');
    reply.code(204).send();
    return 'answered';
  }

  function rateLimitHeaders(reply: FastifyReply, d: RateDecision): void {
    reply.header('x-ratelimit-limit', String(d.limit));
    reply.header('x-ratelimit-remaining', String(d.remaining));
    reply.header('x-ratelimit-reset', String(d.resetS));
  }

  type AuthOutcome = { principal: Principal | null; failed: AuthMethod | null };

  /** Without a credential the outcome is known at once: no promise on that path (dev bypass, public routes). */
  function authenticate(req: FastifyRequest, reply: FastifyReply): AuthOutcome | Promise<AuthOutcome> {
    const credential = credentialOf(req);
    if (credential.kind === 'none') return { principal: settings.bypassAuth ? BYPASS_PRINCIPAL : null, failed: null };
    return verifyCredential(credential, req, reply);
  }

  async function verifyCredential(
    credential: Exclude<Credential, { kind: 'none' }>,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<AuthOutcome> {
    switch (credential.kind) {
      case 'jwt': {
        const result = await security.jwt.verify(credential.token);
        if (!result.ok) return { principal: null, failed: 'jwt' };
        return {
          principal: createPrincipal({ kind: 'jwt', subject: result.subject, roles: result.roles }),
          failed: null,
        };
      }
      case 'api_key': {
        if (security.apiKeys === null) return { principal: null, failed: 'api_key' };
        const principal = await security.apiKeys.verify(credential.key).catch(() => {
          throw dependencyError();
        });
        return principal ? { principal, failed: null } : { principal: null, failed: 'api_key' };
      }
      case 'session': {
        const cookie = verifySessionCookie(credential.value, settings.sessionSecret, settings.sessionSecretPrevious);
        const resolved =
          cookie && security.sessions
            ? await security.sessions.resolve(cookie.sid).catch(() => {
                throw dependencyError();
              })
            : null;
        if (!cookie || !resolved) {
          reply.header('set-cookie', clearSessionCookieHeader());
          return { principal: null, failed: 'session' };
        }
        if (cookie.signedWithPrevious) {
          const maxAge = Math.max(0, Math.floor((resolved.expiresAt.getTime() - Date.now()) / 1000));
          reply.header('set-cookie', sessionCookieHeader(signSession(cookie.sid, settings.sessionSecret), maxAge));
        }
        req.sessionId = cookie.sid;
        return { principal: resolved.principal, failed: null };
      }
    }
  }

  type Done = (err?: Error) => void;

  /** Stages 9–12: authentication, rate limit, CSRF, RBAC. Calls `done` once; waits only where a store is asked. */
  function admit(req: FastifyRequest, reply: FastifyReply, permission: RoutePermission, done: Done): void {
    if (permission === 'public' || permission === 'metrics') {
      return afterAuthentication(req, reply, permission, { principal: null, failed: null }, done);
    }
    const outcome = authenticate(req, reply);
    if (outcome instanceof Promise) {
      outcome.then((o) => afterAuthentication(req, reply, permission, o, done), done);
    } else {
      afterAuthentication(req, reply, permission, outcome, done);
    }
  }

  function afterAuthentication(
    req: FastifyRequest,
    reply: FastifyReply,
    permission: RoutePermission,
    { principal, failed }: AuthOutcome,
    done: Done,
  ): void {
    if (permission !== 'public' && permission !== 'metrics') {
      if (failed !== null) metrics.authAttempts.labels(failed, 'failure').inc();
      else if (principal !== null && principal.kind !== 'bypass')
        metrics.authAttempts.labels(principal.kind, 'success').inc();
      else if (principal === null) metrics.authAttempts.labels('none', 'failure').inc();
    }
    req.principal = principal;
    if (security.rateLimiter === null || rateLimitExempt(pathOf(req.url))) {
      return done(authorize(req, permission, principal, failed) ?? undefined);
    }
    security.rateLimiter.check(principal?.ratelimit_key ?? clientKey(req.ip)).then((decision) => {
      rateLimitHeaders(reply, decision);
      if (!decision.allowed) {
        const reason = decision.reason ?? 'minute_limit';
        metrics.rateLimited.labels(reason).inc();
        securityEvent(req, 'rate_limited', 429, { reason });
        return done(
          new HttpError(429, 'rate_limited', 'rate limit exceeded', {
            reason,
            headers: { 'retry-after': String(decision.resetS) },
          }),
        );
      }
      done(authorize(req, permission, principal, failed) ?? undefined);
    }, done);
  }

  /** Stages 10–12 after the rate limit: the rejection to answer, or null to go on. */
  function authorize(
    req: FastifyRequest,
    permission: RoutePermission,
    principal: Principal | null,
    failed: AuthMethod | null,
  ): HttpError | null {
    if (failed !== null) {
      securityEvent(req, 'auth_failed', 401, { method: failed });
      return new HttpError(401, 'invalid_credentials', 'invalid credentials', { headers: WWW_AUTHENTICATE });
    }
    if (principal === null) {
      if (permission === 'public' || permission === 'metrics') return null;
      securityEvent(req, 'auth_failed', 401, { method: 'none' });
      return new HttpError(401, 'unauthenticated', 'authentication required', { headers: WWW_AUTHENTICATE });
    }

    if (principal.kind === 'session' && UNSAFE_METHODS.has(req.method)) {
      const origin = req.headers.origin;
      if (typeof origin === 'string' && !originAllowed(req, origin)) {
        securityEvent(req, 'origin_denied', 403);
        return new HttpError(403, 'origin_denied', 'origin not allowed');
      }
      const token = req.headers[CSRF_HEADER];
      const valid =
        typeof token === 'string' &&
        verifyCsrfToken(token, req.sessionId!, settings.csrfSecret, settings.csrfSecretPrevious);
      if (!valid) {
        securityEvent(req, 'csrf_failed', 403);
        return new HttpError(403, 'csrf_failed', 'CSRF validation failed');
      }
    }

    if (!isAllowed(principal.effective_roles, permission)) {
      securityEvent(req, 'forbidden', 403, { required: permission });
      return new HttpError(403, 'forbidden', forbiddenMessage(permission));
    }
    return null;
  }

  app.addHook('onRequest', (req, reply, done) => {
    if (reply.sent) return done();
    const path = pathOf(req.url);
    if (settings.requireHttps && req.protocol !== 'https' && !httpsExempt(req, path)) {
      securityEvent(req, 'https_required', 400);
      return done(new HttpError(400, 'https_required', 'HTTPS is required'));
    }
    const rangeError = rangeRejection(req);
    if (rangeError) {
      securityEvent(req, 'range_rejected', 416, { reason: rangeError.reason });
      return done(rangeError);
    }
    const permission = (req.routeConfig ?? req.routeOptions.config)?.permission;
    if (permission === 'metrics') {
      if (metricsAllow.has(req.ip)) return done();
      securityEvent(req, 'metrics_forbidden', 403);
      return done(new HttpError(403, 'metrics_forbidden', 'metrics are not available from this address'));
    }
    const corsOutcome = cors(req, reply);
    if (corsOutcome === 'answered') return;
    if (corsOutcome) return done(corsOutcome);
    if (permission === undefined) return done(); // no route: the 404 handler answers
    const contentType = req.headers['content-type'];
    const charset = contentType?.includes(';') ? CHARSET.exec(contentType)?.[1] : undefined;
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
      return done(new HttpError(415, 'unsupported_media_type', 'request bodies must be UTF-8 JSON'));
    }
    if (permission === 'public' && (security.rateLimiter === null || rateLimitExempt(path))) return done();
    admit(req, reply, permission, done);
  });

  app.addHook('onResponse', (req, reply, done) => {
    if (req.principal !== null && security.audit !== null) {
      security.audit.push(requestAuditEvent(req, `${req.method} ${routeLabel(req)}`, reply.statusCode));
    }
    done();
  });
}
