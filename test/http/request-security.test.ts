/** The request pipeline of service spec §3.1 in-process, with keys, sessions and audit in a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildSecureApp, type SecureApp } from '../support/secure-app.js';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { ALL_PERMISSIONS } from '../../src/security/permissions.js';
import { installRequestSecurity } from '../../src/http/plugins/request-security.js';
import { createServiceMetrics } from '../../src/http/observability/metrics.js';
import { tailAuditEvents } from '../../src/security/audit-events.js';

let t: SecureApp;
beforeAll(async () => {
  t = await buildSecureApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

function errorOf(res: LightMyRequestResponse): { code: string; message: string } {
  return (res.json() as { error: { code: string; message: string } }).error;
}

function expectSecurityHeaders(res: LightMyRequestResponse): void {
  expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-request-id']).toBeTruthy();
}

const RUN = { method: 'POST' as const, url: '/api/v1/queries/syn_attrition_by_sector_latest/run', payload: {} };

describe('authentication', () => {
  it('401 unauthenticated without credentials, with WWW-Authenticate and security headers', async () => {
    const res = await t.app.inject(RUN);
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).code).toBe('unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="qnwis"');
    expectSecurityHeaders(res);
  });

  it('accepts a valid API key and rejects revoked, expired, malformed and unknown ones alike', async () => {
    const ok = await t.app.inject({ ...RUN, headers: { 'x-api-key': t.keys.analyst } });
    expect(ok.statusCode).toBe(200);
    for (const key of [t.keys.revoked, t.keys.expired, 'qnwis_000000000000_' + 'A'.repeat(43), 'nonsense']) {
      const res = await t.app.inject({ ...RUN, headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(401);
      expect(errorOf(res)).toMatchObject({ code: 'invalid_credentials', message: 'invalid credentials' });
    }
  });

  it('bearer wins over an API key and does not fall back when invalid', async () => {
    const res = await t.app.inject({
      ...RUN,
      headers: { authorization: 'Bearer not-a-token', 'x-api-key': t.keys.analyst },
    });
    expect(res.statusCode).toBe(401);
    const token = await t.jwt({ sub: 'alice', roles: ['analyst'] });
    const good = await t.app.inject({ ...RUN, headers: { authorization: `bearer ${token}` } });
    expect(good.statusCode).toBe(200);
  });

  it('a JWT without roles reaches auth routes only', async () => {
    const token = await t.jwt({ sub: 'nobody' });
    const session = await t.app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${token}` } });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ subject: 'nobody', auth_method: 'jwt', roles: [], permissions: [] });
    const res = await t.app.inject({ ...RUN, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res)).toMatchObject({ code: 'forbidden', message: 'Required roles: analyst, auditor' });
  });
});

describe('RBAC with inheritance', () => {
  const invalidate = {
    method: 'POST' as const,
    url: '/api/v1/queries/syn_attrition_by_sector_latest/cache/invalidate',
  };
  it.each([
    ['analyst', 403],
    ['service', 403],
    ['auditor', 403],
    ['admin', 200],
  ] as const)('cache invalidate as %s → %i', async (who, status) => {
    const res = await t.app.inject({ ...invalidate, headers: { 'x-api-key': t.keys[who] } });
    expect(res.statusCode).toBe(status);
    if (status === 403) expect(errorOf(res).message).toBe('Required roles: admin');
  });

  it('health details for admins only', async () => {
    const analyst = await t.app.inject({ url: '/api/v1/health/details', headers: { 'x-api-key': t.keys.analyst } });
    expect(analyst.statusCode).toBe(403);
    const admin = await t.app.inject({ url: '/api/v1/health/details', headers: { 'x-api-key': t.keys.admin } });
    expect(admin.statusCode).toBe(200);
  });

  it('a route without an entry in the permission table cannot be added (the app would not start)', async () => {
    const app = Fastify();
    installRequestSecurity(app, {
      security: t.security,
      metrics: createServiceMetrics(new Registry(), { version: 'x', queryIds: [] }),
      metricsAllowCidrs: [],
    });
    expect(() => app.get('/api/v1/queries', async () => 'ok')).not.toThrow();
    expect(() => app.get('/api/v1/brand-new-route', async () => 'ok')).toThrow(
      'route GET /api/v1/brand-new-route has no entry in the permission table',
    );
    expect(() => app.post('/api/v1/queries', async () => 'ok')).toThrow(/no entry in the permission table/);
    await app.close();
  });

  it('every registered route carries its table permission', async () => {
    const seen: string[] = [];
    for (const e of ALL_PERMISSIONS) {
      if (t.app.hasRoute({ method: e.method, url: e.route })) seen.push(`${e.method} ${e.route}`);
    }
    expect(seen).toEqual(
      expect.arrayContaining(['GET /health/live', 'POST /api/v1/queries::batch', 'DELETE /api/v1/session']),
    );
  });
});

describe('browser sessions and CSRF', () => {
  async function login(key: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { api_key: key }, headers });
  }

  it('login sets a __Host- cookie and returns a CSRF token; the cookie authenticates; logout needs the token', async () => {
    const res = await login(t.keys.analyst);
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(
      /^__Host-qnwis_session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800$/,
    );
    const body = res.json() as { csrf_token: string; permissions: string[]; effective_roles: string[] };
    expect(body.permissions).toEqual(['ui.view', 'ui.ask', 'ui.queries', 'ui.export']);
    const pair = cookie.split(';')[0]!;
    const info = await t.app.inject({ url: '/api/v1/session', headers: { cookie: pair } });
    expect(info.json()).toMatchObject({ subject: 'analyst', auth_method: 'session' });

    const noToken = await t.app.inject({ ...RUN, headers: { cookie: pair } });
    expect(noToken.statusCode).toBe(403);
    expect(errorOf(noToken).code).toBe('csrf_failed');
    const wrong = await t.app.inject({
      ...RUN,
      headers: { cookie: pair, 'x-csrf-token': 'x'.repeat(22) + '.' + 'y'.repeat(43) },
    });
    expect(errorOf(wrong).code).toBe('csrf_failed');
    const withToken = await t.app.inject({ ...RUN, headers: { cookie: pair, 'x-csrf-token': body.csrf_token } });
    expect(withToken.statusCode).toBe(200);
    const foreign = await t.app.inject({
      ...RUN,
      headers: { cookie: pair, 'x-csrf-token': body.csrf_token, origin: 'https://evil.example' },
    });
    expect(errorOf(foreign).code).toBe('origin_denied');

    const csrf = await t.app.inject({ url: '/api/v1/session/csrf', headers: { cookie: pair } });
    const fresh = (csrf.json() as { csrf_token: string }).csrf_token;
    const logout = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: pair, 'x-csrf-token': fresh },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await t.app.inject({ url: '/api/v1/session', headers: { cookie: pair } });
    expect(after.statusCode).toBe(401);
    expect(String(after.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('API-key clients are never subject to CSRF', async () => {
    const res = await t.app.inject({ ...RUN, headers: { 'x-api-key': t.keys.analyst } });
    expect(res.statusCode).toBe(200);
  });

  it('refuses bad logins with one message, service keys with 403, foreign origins and non-JSON bodies', async () => {
    for (const key of [t.keys.revoked, t.keys.expired, 'qnwis_abc']) {
      const res = await login(key);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).message).toBe('Invalid API key');
    }
    const service = await login(t.keys.service);
    expect(service.statusCode).toBe(403);
    expect(errorOf(service).message).toBe('Service keys cannot open a UI session');
    const foreign = await login(t.keys.analyst, { origin: 'https://evil.example' });
    expect(errorOf(foreign).code).toBe('origin_denied');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: 'api_key=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.statusCode).toBe(415);
  });

  it('GET /api/v1/session/csrf and DELETE without a cookie session → 400 no_session', async () => {
    const res = await t.app.inject({ url: '/api/v1/session/csrf', headers: { 'x-api-key': t.keys.analyst } });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('no_session');
  });
});

describe('input guards', () => {
  it('416 for absurd Range headers, before authentication', async () => {
    const long = await t.app.inject({ url: '/api/v1/queries', headers: { range: 'bytes=' + '1'.repeat(300) } });
    expect(long.statusCode).toBe(416);
    expect(long.json()).toMatchObject({ error: { code: 'range_not_satisfiable', reason: 'range_header_too_long' } });
    const many = await t.app.inject({ url: '/api/v1/queries', headers: { range: 'bytes=0-1,2-3,4-5,6-7,8-9,10-11' } });
    expect(many.json()).toMatchObject({ error: { reason: 'too_many_ranges' } });
  });
});

describe('audit events', () => {
  it('records authenticated requests and security events without secrets', async () => {
    await t.app.inject({ url: '/api/v1/queries', headers: { 'x-api-key': t.keys.auditor } });
    await t.app.inject({ url: '/api/v1/queries', headers: { 'x-api-key': 'qnwis_bad' } });
    await t.security.audit!.flush();
    const events = await tailAuditEvents(t.scratch.db, 200);
    const actions = events.map((e) => e.action);
    expect(actions).toContain('GET /api/v1/queries');
    expect(actions).toContain('security.auth_failed');
    expect(actions).toContain('apikey.create');
    expect(JSON.stringify(events)).not.toContain(t.keys.auditor);
  });
});
