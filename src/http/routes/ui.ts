/**
 * The dashboard's JSON endpoints under `/api/v1/ui` (ui.md §6, service.md §1.4): meta, KPIs, cards, charts, the
 * queries browser, admin keys and the CSP report sink. GET replies are canonical JSON with a strong ETag (ui.md §8).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QueryService } from '../../data/query-service.js';
import type { QueryRegistry } from '../../data/registry/registry.js';
import type { QuerySpec } from '../../data/model.js';
import { rowToPlainObject } from '../../data/result-json.js';
import { enrichLicense } from '../../data/license/catalog.js';
import { SPEC_ID_PATTERN } from '../../data/registry/spec-validation.js';
import { HttpError } from '../errors.js';
import { canonicalJson, sendCacheable } from '../etag.js';
import { paginate } from '../pagination.js';
import { UiData } from '../ui-data.js';
import type { ChartLang } from '../../charts/labels.js';
import type { ApiKeyStore, ApiKeyRecord } from '../../security/api-keys.js';
import { ApiKeyError } from '../../security/api-keys.js';
import { ROLES, type Role } from '../../security/roles.js';
import { requestAuditEvent, type RequestAuditSink } from '../request-audit.js';

export interface UiRoutesOptions {
  queries: QueryService;
  registry: QueryRegistry;
  serviceVersion: string;
  /** Admin → API keys; null without a database (the routes then answer 503 dependency_unavailable). */
  apiKeys: ApiKeyStore | null;
  /** Where administrative audit events go (key creation and revocation are also audited by the store). */
  audit?: RequestAuditSink;
  /** Counts a CSP violation (`qnwis_csp_violations_total{directive}`). */
  onCspViolation?: (directive: string) => void;
  /** JSON log of CSP violations (`event: "csp_violation"`). */
  log: { warn(fields: Record<string, unknown>, message: string): void };
  /** Overrides the data mode derived from the licence of the data. */
  dataMode?: 'synthetic' | 'live';
  /** Injected for tests; otherwise one is created from `queries`. */
  data?: UiData;
  now?: () => Date;
}

const JSON_TYPE = 'application/json; charset=utf-8';
export const CSP_REPORT_MAX_BYTES = 8192;
const SECTOR_PATTERN = /^[\p{L}\p{N} &'-]+$/u;
const KEY_LABEL_PATTERN = '^[a-z0-9._-]{1,64}$';

const year = { type: 'integer', minimum: 2000, maximum: 2100 } as const;
const lang = { type: 'string', enum: ['en', 'ar'] } as const;
const ttl = { type: 'integer', minimum: 60, maximum: 86400 } as const;
const count = { type: 'integer', minimum: 1, maximum: 20, default: 5 } as const;
const sector = { type: 'string', minLength: 1, maxLength: 200 } as const;

function querystring(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, properties, required } as const;
}

/** The sector parameter after trimming: 2..80 characters of letters, digits, space, `&`, `'`, `-` (service.md §1.4). */
export function validSector(raw: string): string {
  const value = raw.trim();
  if (value.length < 2 || value.length > 80 || !SECTOR_PATTERN.test(value)) {
    throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
      details: [{ path: 'querystring.sector', message: "must be 2-80 letters, digits, spaces, '&', \"'\" or '-'" }],
    });
  }
  return value;
}

/** 12-hex SHA-256 of the canonical spec (without its file name). */
export function specChecksum(spec: QuerySpec): string {
  const { file: _file, ...rest } = spec;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 12);
}

/** Dataset id and locator of a spec as its results report them (approximate for CSV patterns). */
function specLocation(spec: QuerySpec): { dataset_id: string; locator: string } {
  switch (spec.source) {
    case 'csv': {
      const base = spec.params.pattern.split('/').pop() ?? spec.params.pattern;
      return { dataset_id: base.replace(/\.csv$/i, ''), locator: spec.params.pattern };
    }
    case 'world_bank':
      return { dataset_id: spec.params.indicator, locator: `indicator=${spec.params.indicator}` };
    case 'postgres':
      return { dataset_id: spec.params.dataset, locator: `postgres:${spec.params.dataset}` };
  }
}

export interface QueryParameter {
  name: string;
  type: 'integer' | 'number' | 'string' | 'date' | 'string[]';
  default: unknown;
  allowed?: unknown[];
  description: string;
}

/** The overridable parameters of a spec (data-layer spec §1.3, §2.1) with their defaults. */
export function specParameters(spec: QuerySpec): QueryParameter[] {
  if (spec.source === 'postgres') {
    const types = { int: 'integer', number: 'number', text: 'string', date: 'date' } as const;
    return (spec.params.args ?? []).map((a) => ({
      name: a.name,
      type: types[a.type],
      default: a.default ?? null,
      ...(a.enum ? { allowed: [...a.enum] } : {}),
      description: a.description ?? '',
    }));
  }
  const p = spec.params as unknown as Record<string, unknown>;
  const common: QueryParameter[] = [
    { name: 'year', type: 'integer', default: p.year ?? null, description: 'Only rows of this year' },
    { name: 'max_rows', type: 'integer', default: p.max_rows ?? null, description: 'Row limit' },
    { name: 'timeout_s', type: 'number', default: p.timeout_s ?? null, description: 'Execution timeout in seconds' },
  ];
  if (spec.source === 'csv') {
    return [
      ...common,
      {
        name: 'to_percent',
        type: 'string[]',
        default: spec.params.to_percent ?? [],
        ...(spec.params.select ? { allowed: [...spec.params.select] } : {}),
        description: 'Fields converted from fractions to percent',
      },
    ];
  }
  return [
    {
      name: 'countries',
      type: 'string[]',
      default: spec.params.countries ?? [],
      description: 'ISO3 country codes',
    },
    ...common,
    { name: 'start_year', type: 'integer', default: spec.params.start_year ?? null, description: 'First year' },
    { name: 'end_year', type: 'integer', default: spec.params.end_year ?? null, description: 'Last year' },
  ];
}

const RESERVED_QUERY_KEYS = new Set(['page', 'page_size', 'ttl_s', 'bom']);

/** Overrides from a query string: only the spec's declared parameters (text values, converted by the data layer). */
export function overridesFromQuery(spec: QuerySpec, query: Record<string, unknown>): Record<string, string> {
  const names = new Set(specParameters(spec).map((p) => p.name));
  const overrides: Record<string, string> = {};
  const details: { path: string; message: string }[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (RESERVED_QUERY_KEYS.has(key)) continue;
    if (!names.has(key)) details.push({ path: `querystring.${key}`, message: 'is not a parameter of this query' });
    else if (typeof value === 'string' && value !== '') overrides[key] = value;
  }
  if (details.length > 0)
    throw new HttpError(422, 'validation_failed', 'request does not match the schema', { details });
  return overrides;
}

/** Query-string schema for routes that take a spec's declared parameters. */
export const DECLARED_PARAMS = {
  type: 'object',
  additionalProperties: false,
  patternProperties: { '^(?!(?:page|page_size|bom|ttl_s)$)[a-z][a-z0-9_]{0,39}$': { type: 'string', maxLength: 512 } },
} as const;

function keyJson(record: ApiKeyRecord, now: Date) {
  const status =
    record.revoked_at !== null
      ? 'revoked'
      : record.expires_at !== null && record.expires_at.getTime() <= now.getTime()
        ? 'expired'
        : 'active';
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  return {
    key_id: record.key_id,
    label: record.label,
    roles: record.roles,
    created_at: iso(record.created_at),
    expires_at: iso(record.expires_at),
    last_used_at: iso(record.last_used_at),
    revoked_at: iso(record.revoked_at),
    status,
  };
}

/** Parsed CSP report(s) from `application/csp-report` or `application/reports+json` bodies. */
export interface CspViolation {
  directive: string;
  blocked_uri: string;
  document_path: string;
}

const KNOWN_DIRECTIVE = /^[a-z][a-z-]{0,39}$/;

function pathOnly(uri: unknown): string {
  if (typeof uri !== 'string' || uri === '') return '';
  try {
    return new URL(uri, 'http://localhost').pathname.slice(0, 200);
  } catch {
    return '';
  }
}

function blocked(uri: unknown): string {
  if (typeof uri !== 'string') return '';
  // Keep the scheme and host (or a keyword such as "inline"), never query strings.
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 200);
  } catch {
    return uri.slice(0, 40);
  }
}

export function parseCspReports(body: unknown): CspViolation[] {
  const out: CspViolation[] = [];
  const add = (directive: unknown, blockedUri: unknown, documentUri: unknown): void => {
    const d = typeof directive === 'string' ? (directive.trim().split(/\s+/)[0] ?? '') : '';
    out.push({
      directive: KNOWN_DIRECTIVE.test(d) ? d : 'other',
      blocked_uri: blocked(blockedUri),
      document_path: pathOnly(documentUri),
    });
  };
  if (Array.isArray(body)) {
    for (const item of body.slice(0, 50)) {
      if (item === null || typeof item !== 'object') continue;
      const b = (item as { body?: Record<string, unknown> }).body ?? {};
      add(b.effectiveDirective ?? b.violatedDirective, b.blockedURL, b.documentURL ?? (item as { url?: unknown }).url);
    }
  } else if (body !== null && typeof body === 'object' && 'csp-report' in body) {
    const r = ((body as Record<string, unknown>)['csp-report'] ?? {}) as Record<string, unknown>;
    add(r['effective-directive'] ?? r['violated-directive'], r['blocked-uri'], r['document-uri']);
  }
  return out;
}

/** `/api/v1/ui/*` (ui.md §6). Register once on the root app; permissions come from src/security/permissions.ts. */
export async function uiRoutes(app: FastifyInstance, opts: UiRoutesOptions): Promise<void> {
  const { queries, registry } = opts;
  const data = opts.data ?? new UiData({ queries, serviceVersion: opts.serviceVersion, dataMode: opts.dataMode });
  const now = opts.now ?? (() => new Date());
  const json = (req: FastifyRequest, reply: FastifyReply, payload: unknown) =>
    sendCacheable(req, reply, canonicalJson(payload), JSON_TYPE);

  // CSP reports (ui.md §3.1): the report media types are parsed only inside this plugin.
  app.addContentTypeParser(
    ['application/csp-report', 'application/reports+json'],
    { parseAs: 'string', bodyLimit: CSP_REPORT_MAX_BYTES },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new HttpError(400, 'invalid_json', 'request body is not valid JSON'), undefined);
      }
    },
  );
  app.post('/api/v1/ui/csp-report', { bodyLimit: CSP_REPORT_MAX_BYTES }, async (req, reply) => {
    for (const v of parseCspReports(req.body)) {
      opts.onCspViolation?.(v.directive);
      opts.log.warn({ event: 'csp_violation', request_id: req.id, ...v }, 'csp violation');
    }
    reply.header('cache-control', 'no-store').code(204);
    return reply.send();
  });

  app.get('/api/v1/ui/meta', { schema: { querystring: querystring({ lang, ttl_s: ttl }) } }, async (req, reply) =>
    json(req, reply, await data.meta()),
  );

  app.get<{ Querystring: { year?: number } }>(
    '/api/v1/ui/kpis',
    { schema: { querystring: querystring({ year, lang, ttl_s: ttl }) } },
    async (req, reply) => json(req, reply, await data.kpis(req.query.year)),
  );

  app.get<{ Querystring: { year?: number; n: number } }>(
    '/api/v1/ui/cards/top-sectors',
    { schema: { querystring: querystring({ year, n: count, lang, ttl_s: ttl }) } },
    async (req, reply) => json(req, reply, await data.topSectors(req.query.year, req.query.n)),
  );

  app.get<{ Querystring: { year?: number; n: number; threshold: number } }>(
    '/api/v1/ui/cards/ewi',
    {
      schema: {
        querystring: querystring({
          year,
          n: count,
          threshold: { type: 'number', minimum: 0, maximum: 100, default: 3 },
          lang,
          ttl_s: ttl,
        }),
      },
    },
    async (req, reply) => json(req, reply, await data.ewi(req.query.year, req.query.threshold, req.query.n)),
  );

  type YearLang = { Querystring: { year?: number; lang?: ChartLang } };
  const yearLang = { schema: { querystring: querystring({ year, lang, ttl_s: ttl }) } };
  app.get<YearLang>('/api/v1/ui/charts/sector-employment', yearLang, async (req, reply) =>
    json(req, reply, await data.sectorEmployment(req.query.year, req.query.lang ?? 'en')),
  );
  app.get<YearLang>('/api/v1/ui/charts/qatarization-by-sector', yearLang, async (req, reply) =>
    json(req, reply, await data.qatarization(req.query.year, req.query.lang ?? 'en')),
  );
  app.get<YearLang>('/api/v1/ui/charts/attrition-by-sector', yearLang, async (req, reply) =>
    json(req, reply, await data.attrition(req.query.year, req.query.lang ?? 'en')),
  );
  app.get<YearLang>('/api/v1/ui/charts/employment-share', yearLang, async (req, reply) =>
    json(req, reply, await data.employmentShare(req.query.year)),
  );
  app.get<{ Querystring: { lang?: ChartLang } }>(
    '/api/v1/ui/charts/gcc-unemployment',
    { schema: { querystring: querystring({ lang, ttl_s: ttl }) } },
    async (req, reply) => json(req, reply, await data.gcc(req.query.lang ?? 'en')),
  );
  type SectorLang = { Querystring: { sector: string; lang?: ChartLang } };
  const sectorLang = { schema: { querystring: querystring({ sector, lang, ttl_s: ttl }, ['sector']) } };
  app.get<SectorLang>('/api/v1/ui/charts/salary-trend', sectorLang, async (req, reply) =>
    json(req, reply, await data.salaryTrend(validSector(req.query.sector), req.query.lang ?? 'en')),
  );
  app.get<SectorLang>('/api/v1/ui/charts/salary-yoy', sectorLang, async (req, reply) =>
    json(req, reply, await data.salaryYoy(validSector(req.query.sector), req.query.lang ?? 'en')),
  );

  // ---- queries browser (ui.md §5.5) ----
  const idParams = {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', pattern: SPEC_ID_PATTERN.source, maxLength: 128 } },
  } as const;

  app.get('/api/v1/ui/queries', { schema: { querystring: querystring({ lang }) } }, async (req, reply) => {
    const snapshot = registry.snapshot();
    const list = snapshot.specs.map((spec) => ({
      id: spec.id,
      title: spec.title,
      description: spec.description,
      source: spec.source,
      unit: spec.expected_unit,
      license: enrichLicense(
        { source: spec.source, ...specLocation(spec), fields: [], license: null },
        snapshot.catalog,
      ).license,
      freshness_sla_days: spec.constraints.freshness_sla_days ?? null,
      spec_checksum: specChecksum(spec),
    }));
    return json(req, reply, { registry_version: snapshot.version, count: list.length, queries: list });
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/ui/queries/:id',
    { schema: { params: idParams, querystring: querystring({ lang }) } },
    async (req, reply) => {
      const spec = registry.get(req.params.id);
      return json(req, reply, {
        registry_version: registry.version(),
        query: {
          id: spec.id,
          title: spec.title,
          description: spec.description,
          source: spec.source,
          unit: spec.expected_unit,
          ...specLocation(spec),
          postprocess: spec.postprocess.map((s) => ({ name: s.name, params: s.params })),
          constraints: spec.constraints,
          spec_checksum: specChecksum(spec),
        },
        parameters: specParameters(spec),
      });
    },
  );

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/api/v1/ui/queries/:id/rows',
    {
      schema: {
        params: idParams,
        querystring: {
          ...DECLARED_PARAMS,
          properties: {
            page: { type: 'integer', minimum: 1, default: 1 },
            page_size: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
      },
    },
    async (req, reply) => {
      const spec = registry.get(req.params.id);
      const q = req.query as unknown as Record<string, unknown> & { page: number; page_size: number };
      const result = await queries.run(spec.id, { overrides: overridesFromQuery(spec, q), mode: 'text' });
      const page = paginate(
        result.rows.length,
        { page: q.page, pageSize: q.page_size },
        {
          autoThreshold: 0,
          defaultPageSize: 50,
        },
      );
      const rows = result.rows.slice(page.start, page.end);
      const columns = result.rows[0] ? [...result.rows[0].keys()] : [...result.provenance.fields];
      const sla = spec.constraints.freshness_sla_days ?? null;
      const asof = result.freshness.asof_date;
      const ageDays =
        asof === null ? null : Math.floor((now().getTime() - Date.parse(`${asof}T00:00:00Z`)) / 86_400_000);
      return json(req, reply, {
        query_id: result.query_id,
        registry_version: result.registry_version,
        unit: result.unit,
        columns,
        rows: rows.map(rowToPlainObject),
        row_count: result.rows.length,
        pagination: page.pagination,
        provenance: result.provenance,
        freshness: {
          asof_date: asof,
          updated_at: result.freshness.updated_at,
          age_days: ageDays,
          sla_days: sla,
          stale: sla !== null && ageDays !== null && ageDays > sla,
        },
        warnings: result.warnings,
      });
    },
  );

  // ---- admin: API keys (ui.md §5.7) ----
  const store = (): ApiKeyStore => {
    if (opts.apiKeys === null) throw new HttpError(503, 'dependency_unavailable', 'a dependency is unavailable');
    return opts.apiKeys;
  };

  app.get('/api/v1/ui/admin/keys', async (_req, reply) => {
    const at = now();
    const keys = (await store().list()).map((k) => keyJson(k, at));
    reply.type(JSON_TYPE).header('cache-control', 'no-store');
    return canonicalJson({ keys });
  });

  app.post<{ Body: { label: string; roles: Role[]; ttl_days?: number } }>(
    '/api/v1/ui/admin/keys',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['label', 'roles'],
          properties: {
            label: { type: 'string', pattern: KEY_LABEL_PATTERN },
            roles: { type: 'array', minItems: 1, maxItems: 4, uniqueItems: true, items: { enum: [...ROLES] } },
            ttl_days: { type: 'integer', minimum: 1, maximum: 365 },
          },
        },
      },
    },
    async (req, reply) => {
      const { label, roles, ttl_days: ttlDays } = req.body;
      const expiresAt = ttlDays === undefined ? null : new Date(now().getTime() + ttlDays * 86_400_000);
      let created: Awaited<ReturnType<ApiKeyStore['create']>>;
      try {
        created = await store().create({ label, roles, expiresAt });
      } catch (err) {
        if (err instanceof ApiKeyError) {
          throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
            details: [{ path: 'body', message: err.message }],
          });
        }
        throw err;
      }
      opts.audit?.(requestAuditEvent(req, 'ui.apikey.create', 201, { key_id: created.record.key_id }));
      reply.code(201).type(JSON_TYPE).header('cache-control', 'no-store');
      return canonicalJson({ key: keyJson(created.record, now()), api_key: created.key });
    },
  );

  app.post<{ Params: { key_id: string } }>(
    '/api/v1/ui/admin/keys/:key_id/revoke',
    {
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['key_id'],
          properties: { key_id: { type: 'string', pattern: '^[0-9a-f]{12}$' } },
        },
      },
    },
    async (req, reply) => {
      const keys = store();
      const outcome = await keys.revoke(req.params.key_id);
      if (outcome === 'unknown') throw new HttpError(404, 'not_found', 'unknown key');
      const record = (await keys.list()).find((k) => k.key_id === req.params.key_id);
      if (!record) throw new HttpError(404, 'not_found', 'unknown key');
      opts.audit?.(requestAuditEvent(req, 'ui.apikey.revoke', 200, { key_id: record.key_id, outcome }));
      reply.type(JSON_TYPE).header('cache-control', 'no-store');
      return canonicalJson({ key: keyJson(record, now()) });
    },
  );
}
