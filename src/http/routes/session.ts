/**
 * Browser sessions (service spec §1.1, §2.4; ui.md §3.2): login with an API key, session info, CSRF tokens, logout.
 * Authentication, CSRF and RBAC of these routes run in the request pipeline like everywhere else.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { SecurityServices } from '../security-services.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import { requestAuditEvent } from '../request-audit.js';
import { issueCsrfToken } from '../../security/csrf.js';
import { permissionsFor } from '../../security/permissions.js';
import { clearSessionCookieHeader, sessionCookieHeader, signSession } from '../../security/session-cookie.js';

export interface SessionRoutesOptions {
  security: SecurityServices;
  metrics: Pick<ServiceMetrics, 'rateLimited' | 'securityEvents'>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

const loginSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['api_key'],
    properties: { api_key: { type: 'string', minLength: 1, maxLength: 256 } },
  },
} as const;

function noSession(): HttpError {
  return new HttpError(400, 'no_session', 'this route needs a cookie session');
}

export async function sessionRoutes(app: FastifyInstance, opts: SessionRoutesOptions): Promise<void> {
  const { security, metrics } = opts;
  const { settings } = security;
  const origins = new Set(settings.allowedOrigins);

  const audit = (req: FastifyRequest, action: string, status: number, extra: Record<string, unknown> = {}): void => {
    security.audit?.push(requestAuditEvent(req, action, status, extra));
  };

  // The body is checked for JSON before the handler: other media types are 415 by the content-type parser.
  app.post('/api/v1/session', { schema: loginSchema }, async (req, reply) => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !origins.has(origin) && origin !== `${req.protocol}://${req.headers.host}`) {
      metrics.securityEvents.labels('origin_denied').inc();
      audit(req, 'security.origin_denied', 403);
      throw new HttpError(403, 'origin_denied', 'origin not allowed');
    }
    const throttle = await security.loginThrottle.check(req.ip);
    if (throttle.throttled) {
      metrics.rateLimited.labels('login_throttled').inc();
      audit(req, 'security.rate_limited', 429, { reason: 'login_throttled' });
      throw new HttpError(429, 'rate_limited', 'too many failed logins', {
        reason: 'login_throttled',
        headers: { 'retry-after': String(throttle.retryAfterS) },
      });
    }
    const { api_key: key } = req.body as { api_key: string };
    const principal = security.apiKeys
      ? await security.apiKeys.verify(key).catch(() => {
          throw new HttpError(503, 'dependency_unavailable', 'a dependency is unavailable');
        })
      : null;
    if (principal === null) {
      await security.loginThrottle.recordFailure(req.ip);
      metrics.securityEvents.labels('login_failed').inc();
      audit(req, 'security.login_failed', 401);
      throw new HttpError(401, 'invalid_credentials', 'Invalid API key', {
        headers: { 'www-authenticate': 'Bearer realm="qnwis"' },
      });
    }
    if (principal.roles.length > 0 && principal.roles.every((r) => r === 'service')) {
      audit(req, 'security.forbidden', 403, { key_id: principal.key_id });
      throw new HttpError(403, 'forbidden', 'Service keys cannot open a UI session');
    }
    if (!security.sessions) throw new HttpError(503, 'dependency_unavailable', 'a dependency is unavailable');
    const { sid, expiresAt } = await security.sessions.create(principal.key_id!);
    req.principal = { ...principal, kind: 'session' };
    audit(req, 'session.create', 200, { key_id: principal.key_id });
    reply
      .header(
        'set-cookie',
        sessionCookieHeader(signSession(sid, settings.sessionSecret), settings.session.absoluteTimeoutS),
      )
      .type(JSON_TYPE);
    return JSON.stringify({
      subject: principal.subject,
      roles: principal.roles,
      effective_roles: principal.effective_roles,
      permissions: permissionsFor(principal.effective_roles),
      csrf_token: issueCsrfToken(sid, settings.csrfSecret),
      expires_at: expiresAt.toISOString(),
      idle_timeout_s: settings.session.idleTimeoutS,
    });
  });

  app.get('/api/v1/session', async (req, reply) => {
    const p = req.principal!;
    let expiresAt: string | null = null;
    if (p.kind === 'session' && req.sessionId && security.sessions) {
      expiresAt = (await security.sessions.resolve(req.sessionId))?.expiresAt.toISOString() ?? null;
    } else if (p.kind === 'api_key' && p.key_id && security.apiKeys) {
      expiresAt = (await security.apiKeys.getActive(p.key_id))?.expires_at?.toISOString() ?? null;
    }
    reply.type(JSON_TYPE);
    return JSON.stringify({
      subject: p.subject,
      auth_method: p.kind,
      roles: p.roles,
      effective_roles: p.effective_roles,
      permissions: permissionsFor(p.effective_roles),
      expires_at: expiresAt,
    });
  });

  app.get('/api/v1/session/csrf', async (req, reply) => {
    if (req.principal?.kind !== 'session' || !req.sessionId) throw noSession();
    reply.type(JSON_TYPE);
    return JSON.stringify({ csrf_token: issueCsrfToken(req.sessionId, settings.csrfSecret) });
  });

  app.delete('/api/v1/session', async (req, reply) => {
    if (req.principal?.kind !== 'session' || !req.sessionId || !security.sessions) throw noSession();
    await security.sessions.revoke(req.sessionId);
    audit(req, 'session.delete', 204);
    reply.header('set-cookie', clearSessionCookieHeader()).code(204);
    return reply.send();
  });
}
