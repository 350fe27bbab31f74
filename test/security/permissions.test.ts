import { describe, expect, it } from 'vitest';
import {
  ALL_PERMISSIONS,
  CANONICAL_AGENT_ROUTES,
  REFERENCE_AGENT_ROUTES,
  isAllowed,
  permissionsFor,
  routePermission,
} from '../../src/security/permissions.js';
import type { RoutePermission } from '../../src/security/permissions.js';
import { effectiveRoles } from '../../src/security/roles.js';
import type { Role } from '../../src/security/roles.js';

type Column = 'public' | 'noRole' | Role;
const COLUMNS: readonly Column[] = ['public', 'noRole', 'analyst', 'service', 'auditor', 'admin'];

/** Decides a request for a caller of one §1.6 column: unauthenticated, authenticated without roles, or one role. */
function allowedFor(column: Column, permission: RoutePermission): boolean {
  if (column === 'public') return permission === 'public' || permission === 'metrics';
  return isAllowed(effectiveRoles(column === 'noRole' ? [] : [column]), permission);
}

function rowFor(method: string, route: string): boolean[] {
  const permission = routePermission(method, route);
  if (permission === undefined) throw new Error(`no table entry for ${method} ${route}`);
  return COLUMNS.map((column) => allowedFor(column, permission));
}

//                    public noRole analyst service auditor admin
const EVERYONE = [true, true, true, true, true, true];
const AUTHENTICATED = [false, true, true, true, true, true];
const DATA = [false, false, true, true, true, true];
const ANALYSIS = [false, false, true, true, false, true];
const AUDIT = [false, false, false, false, true, true];
const ADMIN_ONLY = [false, false, false, false, false, true];

describe('role matrix of service.md §1.6', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/app/*'],
    ['GET', '/health/live'],
    ['GET', '/health/ready'],
    ['POST', '/api/v1/session'],
    ['POST', '/api/v1/ui/csp-report'],
    ['GET', '/docs'],
    ['GET', '/docs/json'],
  ])('%s %s is public', (method, route) => {
    expect(rowFor(method, route)).toEqual(EVERYONE);
  });

  it.each([
    ['GET', '/api/v1/session'],
    ['GET', '/api/v1/session/csrf'],
    ['DELETE', '/api/v1/session'],
  ])('%s %s needs any authenticated principal', (method, route) => {
    expect(rowFor(method, route)).toEqual(AUTHENTICATED);
  });

  it.each([
    ['GET', '/api/v1/queries'],
    ['GET', '/api/v1/queries/:id'],
    ['POST', '/api/v1/queries/:id/run'],
    ['POST', '/api/v1/queries/:id/stream'],
    ['POST', '/api/v1/queries::batch'],
    ['GET', '/api/v1/ui/cards/top-sectors'],
    ['GET', '/api/v1/ui/cards/ewi'],
    ['GET', '/api/v1/ui/charts/salary-yoy'],
    ['GET', '/api/v1/ui/charts/sector-employment'],
    ['GET', '/api/v1/ui/charts/employment-share'],
    ['GET', '/api/v1/ui/meta'],
    ['GET', '/api/v1/ui/queries/:id/rows'],
    ['GET', '/api/v1/export/chart/:chart.csv'],
    ['GET', '/api/v1/export/chart/:chart.svg'],
    ['GET', '/api/v1/export/chart/:chart.png'],
    ['GET', '/api/v1/export/query/:id.csv'],
    ['GET', '/api/v1/export/query/:id.json'],
    ['GET', '/api/v1/export/briefing.md'],
  ])('%s %s is read-only data (analyst or auditor)', (method, route) => {
    expect(rowFor(method, route)).toEqual(DATA);
  });

  it.each([
    ['POST', '/api/v1/ask'],
    ['POST', '/api/v1/briefing/minister'],
    ['POST', '/api/v1/council/run'],
    ['POST', '/api/v1/ui/ask'],
    ['GET', '/api/v1/ui/ask/suggestions'],
  ])('%s %s is analysis (analyst, service, admin; not auditor)', (method, route) => {
    expect(rowFor(method, route)).toEqual(ANALYSIS);
  });

  it.each([
    ['GET', '/api/v1/audit/:audit_id'],
    ['GET', '/api/v1/ui/admin/audit'],
    ['GET', '/api/v1/export/audit.csv'],
  ])('%s %s needs auditor', (method, route) => {
    expect(rowFor(method, route)).toEqual(AUDIT);
  });

  it.each([
    ['POST', '/api/v1/queries/:id/cache/invalidate'],
    ['GET', '/api/v1/health/details'],
    ['GET', '/api/v1/ui/admin/keys'],
    ['POST', '/api/v1/ui/admin/keys'],
    ['POST', '/api/v1/ui/admin/keys/:key_id/revoke'],
  ])('%s %s is admin only', (method, route) => {
    expect(rowFor(method, route)).toEqual(ADMIN_ONLY);
  });

  it('gates /metrics by network only', () => {
    expect(routePermission('GET', '/metrics')).toBe('metrics');
    expect(rowFor('GET', '/metrics')).toEqual(EVERYONE);
  });

  it('lets the auditor not ask, the service ask, and only the admin invalidate the cache', () => {
    expect(isAllowed(effectiveRoles(['auditor']), routePermission('POST', '/api/v1/ask')!)).toBe(false);
    expect(isAllowed(effectiveRoles(['service']), routePermission('POST', '/api/v1/ask')!)).toBe(true);
    const invalidate = routePermission('POST', '/api/v1/queries/:id/cache/invalidate')!;
    expect(invalidate).toEqual(['admin']);
    expect(isAllowed(effectiveRoles(['analyst', 'service', 'auditor']), invalidate)).toBe(false);
    expect(isAllowed(effectiveRoles(['admin']), invalidate)).toBe(true);
  });
});

describe('agent routes', () => {
  it('has the 19 canonical routes and 11 reference aliases, all analysis permission', () => {
    expect(CANONICAL_AGENT_ROUTES).toHaveLength(19);
    expect(new Set(CANONICAL_AGENT_ROUTES).size).toBe(19);
    expect(REFERENCE_AGENT_ROUTES).toHaveLength(11);
    for (const path of [...CANONICAL_AGENT_ROUTES, ...REFERENCE_AGENT_ROUTES]) {
      expect(rowFor('POST', `/api/v1/agents/${path}`)).toEqual(ANALYSIS);
    }
    const agentEntries = ALL_PERMISSIONS.filter((e) => e.route.startsWith('/api/v1/agents/'));
    // Six aliases share the canonical path (time/*, pattern/anomalies, scenario/apply|compare): 19 + 5 routes.
    expect(agentEntries).toHaveLength(24);
    expect(routePermission('POST', '/api/v1/agents/strategy/gcc_benchmark')).toEqual(['analyst']);
    expect(routePermission('POST', '/api/v1/agents/predictor/warnings')).toEqual(['analyst']);
    expect(routePermission('GET', '/api/v1/agents/time/trend')).toBeUndefined();
  });
});

describe('routePermission', () => {
  it('uses the GET entry for HEAD and ignores method case', () => {
    expect(routePermission('HEAD', '/api/v1/queries')).toEqual(['analyst', 'auditor']);
    expect(routePermission('head', '/health/live')).toBe('public');
    expect(routePermission('post', '/api/v1/session')).toBe('public');
  });

  it('returns undefined for unknown routes and methods', () => {
    expect(routePermission('GET', '/api/v1/unknown')).toBeUndefined();
    expect(routePermission('PUT', '/api/v1/session')).toBeUndefined();
    expect(routePermission('GET', '/api/v1/queries:batch')).toBeUndefined();
  });
});

describe('table shape', () => {
  const ROOT_ROUTES = ['/', '/app', '/app/*', '/app/assets/*', '/health/live', '/health/ready', '/metrics'];

  it('puts every route under exactly one /api/v1 or at the root', () => {
    for (const { route } of ALL_PERMISSIONS) {
      expect(route).not.toContain('/v1/v1');
      expect(route).not.toContain('/api/v1/api');
      if (route.startsWith('/api/')) {
        expect(route.startsWith('/api/v1/') || route === '/api/v1').toBe(true);
        expect(route.split('/api/v1').length - 1).toBe(1);
      } else {
        expect(ROOT_ROUTES.includes(route) || route.startsWith('/docs')).toBe(true);
      }
    }
  });

  it('has no duplicate method and route pair', () => {
    const keys = ALL_PERMISSIONS.map((e) => `${e.method} ${e.route}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(77);
  });

  it('marks cookie-only session routes and docs routes', () => {
    const conditioned = ALL_PERMISSIONS.filter((e) => e.condition !== undefined).map(
      (e) => `${e.method} ${e.route} ${e.condition}`,
    );
    expect(conditioned).toEqual([
      'GET /docs docs_enabled',
      'GET /docs/json docs_enabled',
      'GET /api/v1/session/csrf cookie_session',
      'DELETE /api/v1/session cookie_session',
    ]);
  });

  it('keeps UI route permissions equal to the roles of their UI permission name', () => {
    const exportAudit = ALL_PERMISSIONS.find((e) => e.route === '/api/v1/export/audit.csv')!;
    expect(exportAudit.uiPermission).toBe('audit.read');
    for (const e of ALL_PERMISSIONS.filter((x) => /^\/api\/v1\/(ui|export)\//.test(x.route))) {
      if (e.route === '/api/v1/ui/csp-report') continue;
      expect(e.uiPermission).toBeDefined();
    }
  });
});

describe('permissionsFor (ui.md §3.4)', () => {
  it.each<[Role[], string[]]>([
    [[], []],
    [['analyst'], ['ui.view', 'ui.ask', 'ui.queries', 'ui.export']],
    [['service'], ['ui.view', 'ui.ask', 'ui.queries', 'ui.export']],
    [['auditor'], ['ui.view', 'ui.queries', 'ui.export', 'audit.read']],
    [['admin'], ['ui.view', 'ui.ask', 'ui.queries', 'ui.export', 'admin.keys', 'audit.read']],
    [
      ['auditor', 'analyst'],
      ['ui.view', 'ui.ask', 'ui.queries', 'ui.export', 'audit.read'],
    ],
  ])('granted %j gives %j', (granted, expected) => {
    expect(permissionsFor(effectiveRoles(granted))).toEqual(expected);
  });
});
