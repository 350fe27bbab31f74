import type { Role } from './roles.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `public`: no credentials; `auth`: any authenticated principal, even without roles; `metrics`: gated by
 * METRICS_ALLOW_CIDRS only, independent of identity; a role list: authorised iff effective roles intersect it.
 */
export type RoutePermission = 'public' | 'auth' | 'metrics' | readonly Role[];

export interface PermissionEntry {
  method: HttpMethod;
  /** Fastify route template, e.g. `/api/v1/queries/:id/run` or `/api/v1/queries::batch`. */
  route: string;
  permission: RoutePermission;
  /** `cookie_session`: only meaningful for a cookie session (400 no_session otherwise); `docs_enabled`: exists only when docs are on. */
  condition?: 'cookie_session' | 'docs_enabled';
  /** The UI permission name of ui.md §3.4 that the route belongs to, when it has one. */
  uiPermission?: UiPermission;
}

/** UI permission names (ui.md §3.4) in the order of that table, with the roles that grant each. */
export const UI_PERMISSION_ROLES = {
  'ui.view': ['analyst', 'auditor'],
  'ui.ask': ['analyst'],
  'ui.queries': ['analyst', 'auditor'],
  'ui.export': ['analyst', 'auditor'],
  'admin.keys': ['admin'],
  'audit.read': ['auditor'],
} as const satisfies Record<string, readonly Role[]>;

export type UiPermission = keyof typeof UI_PERMISSION_ROLES;

const ANALYST: readonly Role[] = ['analyst'];
const DATA_READERS: readonly Role[] = ['analyst', 'auditor'];
const AUDITOR: readonly Role[] = ['auditor'];
const ADMIN: readonly Role[] = ['admin'];

/** The 19 intents of analysis.md §2.3 as `family/name` route segments. */
export const CANONICAL_AGENT_ROUTES: readonly string[] = [
  'pattern/anomalies',
  'pattern/correlation',
  'pattern/root_causes',
  'pattern/best_practices',
  'strategy/gcc_benchmark',
  'strategy/talent_competition',
  'strategy/vision2030',
  'pattern/stable_relations',
  'pattern/seasonal_effects',
  'pattern/driver_screen',
  'time/baseline',
  'time/trend',
  'time/breaks',
  'predict/forecast',
  'predict/early_warning',
  'predict/scenario_compare',
  'scenario/apply',
  'scenario/compare',
  'scenario/batch',
];

/** The eleven reference routes kept as aliases (analysis.md §4.4); six coincide with canonical routes. */
export const REFERENCE_AGENT_ROUTES: readonly string[] = [
  'time/baseline',
  'time/trend',
  'time/breaks',
  'pattern/anomalies',
  'pattern/correlations',
  'predictor/forecast',
  'predictor/warnings',
  'scenario/apply',
  'scenario/compare',
  'strategy/benchmark',
  'strategy/vision',
];

export const UI_CHARTS: readonly string[] = [
  'sector-employment',
  'qatarization-by-sector',
  'salary-trend',
  'salary-yoy',
  'attrition-by-sector',
  'gcc-unemployment',
  'top-sectors',
  'ewi',
];

function entry(
  method: HttpMethod,
  route: string,
  permission: RoutePermission,
  extra: Pick<PermissionEntry, 'condition' | 'uiPermission'> = {},
): PermissionEntry {
  return { method, route, permission, ...extra };
}

function ui(method: HttpMethod, route: string, uiPermission: UiPermission): PermissionEntry {
  return entry(method, route, UI_PERMISSION_ROLES[uiPermission], { uiPermission });
}

const agentRoutes = [...new Set([...CANONICAL_AGENT_ROUTES, ...REFERENCE_AGENT_ROUTES])];

/** Every route of the service (service.md §1, ui.md §2.2, §6, §7) and who may call it. */
export const ALL_PERMISSIONS: readonly PermissionEntry[] = Object.freeze([
  // service.md §1.1 operational and session routes
  entry('GET', '/', 'public'),
  entry('GET', '/app', 'public'),
  entry('GET', '/app/*', 'public'),
  entry('GET', '/app/assets/*', 'public'),
  entry('GET', '/health/live', 'public'),
  entry('GET', '/health/ready', 'public'),
  entry('GET', '/metrics', 'metrics'),
  entry('GET', '/docs', 'public', { condition: 'docs_enabled' }),
  entry('GET', '/docs/json', 'public', { condition: 'docs_enabled' }),
  entry('POST', '/api/v1/session', 'public'),
  entry('GET', '/api/v1/session', 'auth'),
  entry('GET', '/api/v1/session/csrf', 'auth', { condition: 'cookie_session' }),
  entry('DELETE', '/api/v1/session', 'auth', { condition: 'cookie_session' }),
  entry('GET', '/api/v1/health/details', ADMIN),
  // §1.2 deterministic queries
  entry('GET', '/api/v1/queries', DATA_READERS),
  entry('GET', '/api/v1/queries/:id', DATA_READERS),
  entry('POST', '/api/v1/queries/:id/run', DATA_READERS),
  entry('POST', '/api/v1/queries/:id/stream', DATA_READERS),
  entry('POST', '/api/v1/queries::batch', DATA_READERS),
  entry('POST', '/api/v1/queries/:id/cache/invalidate', ADMIN),
  // §1.3 ask, agents (canonical and reference aliases), briefing, council
  entry('POST', '/api/v1/ask', ANALYST),
  ...agentRoutes.map((path) => entry('POST', `/api/v1/agents/${path}`, ANALYST)),
  entry('POST', '/api/v1/briefing/minister', ANALYST),
  entry('POST', '/api/v1/council/run', ANALYST),
  // §1.4 and ui.md §6 UI data
  entry('POST', '/api/v1/ui/csp-report', 'public'),
  ui('GET', '/api/v1/ui/meta', 'ui.view'),
  ui('GET', '/api/v1/ui/kpis', 'ui.view'),
  ui('GET', '/api/v1/ui/cards/top-sectors', 'ui.view'),
  ui('GET', '/api/v1/ui/cards/ewi', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/sector-employment', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/qatarization-by-sector', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/salary-trend', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/salary-yoy', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/attrition-by-sector', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/employment-share', 'ui.view'),
  ui('GET', '/api/v1/ui/charts/gcc-unemployment', 'ui.view'),
  ui('GET', '/api/v1/ui/briefing', 'ui.view'),
  ui('GET', '/api/v1/ui/ask/suggestions', 'ui.ask'),
  ui('POST', '/api/v1/ui/ask', 'ui.ask'),
  ui('GET', '/api/v1/ui/queries', 'ui.queries'),
  ui('GET', '/api/v1/ui/queries/:id', 'ui.queries'),
  ui('GET', '/api/v1/ui/queries/:id/rows', 'ui.queries'),
  ui('GET', '/api/v1/ui/admin/keys', 'admin.keys'),
  ui('POST', '/api/v1/ui/admin/keys', 'admin.keys'),
  ui('POST', '/api/v1/ui/admin/keys/:key_id/revoke', 'admin.keys'),
  ui('GET', '/api/v1/ui/admin/audit', 'audit.read'),
  // ui.md §7 exports (find-my-way ends the `:chart` parameter at the dot)
  ui('GET', '/api/v1/export/chart/:chart.csv', 'ui.export'),
  ui('GET', '/api/v1/export/chart/:chart.svg', 'ui.export'),
  ui('GET', '/api/v1/export/chart/:chart.png', 'ui.export'),
  ui('GET', '/api/v1/export/query/:id.csv', 'ui.export'),
  ui('GET', '/api/v1/export/query/:id.json', 'ui.export'),
  ui('GET', '/api/v1/export/briefing.md', 'ui.export'),
  ui('GET', '/api/v1/export/audit.csv', 'audit.read'),
  // §1.5 audit
  entry('GET', '/api/v1/audit/:audit_id', AUDITOR),
]);

const BY_KEY: ReadonlyMap<string, RoutePermission> = new Map(
  ALL_PERMISSIONS.map((e) => [`${e.method} ${e.route}`, e.permission]),
);

/** The permission of a route template; HEAD uses the GET entry. Undefined for a route not in the table. */
export function routePermission(method: string, template: string): RoutePermission | undefined {
  const upper = method.toUpperCase();
  return BY_KEY.get(`${upper === 'HEAD' ? 'GET' : upper} ${template}`);
}

/**
 * Authorisation for an authenticated principal (or any caller of a public route). Expects effective
 * roles (inheritance already applied). `metrics` is gated by network only, so identity never blocks it.
 */
export function isAllowed(effectiveRoles: readonly string[], permission: RoutePermission): boolean {
  if (permission === 'public' || permission === 'auth' || permission === 'metrics') return true;
  return permission.some((role) => effectiveRoles.includes(role));
}

/** UI permission names (ui.md §3.4) held by a principal with these effective roles, in table order. */
export function permissionsFor(effectiveRoles: readonly string[]): UiPermission[] {
  return (Object.keys(UI_PERMISSION_ROLES) as UiPermission[]).filter((name) =>
    isAllowed(effectiveRoles, UI_PERMISSION_ROLES[name]),
  );
}
