/**
 * Downloads under `/api/v1/export` (ui.md §7): chart data as RFC 4180 CSV, the chart as SVG from the shared renderer
 * and as PNG rasterised from that SVG, full query results as CSV or JSON, the minister briefing as Markdown and the
 * audit log as CSV. Every file carries a strong ETag.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QueryService } from '../../data/query-service.js';
import type { QueryRegistry } from '../../data/registry/registry.js';
import type { Scalar } from '../../data/model.js';
import { storedResultToJson } from '../../data/result-json.js';
import { SPEC_ID_PATTERN } from '../../data/registry/spec-validation.js';
import { HttpError } from '../errors.js';
import { sendCacheable } from '../etag.js';
import { UiData } from '../ui-data.js';
import type { BriefingCache } from '../ui-briefing.js';
import type { Executor } from '../../db/database.js';
import { listAuditEvents } from '../../security/audit-query.js';
import { DECLARED_PARAMS, overridesFromQuery, validSector } from './ui.js';
import { AUDIT_FILTER_PROPERTIES, auditFilterFromQuery, requireAuditDb, type AuditFilterQuery } from './ui-analysis.js';
import { CHART_NAMES, type ChartLang, type ChartName } from '../../charts/labels.js';
import { renderChart } from '../../charts/layout.js';
import { serializeSvg, withPhysicalAnchors } from '../../charts/svg-tree.js';
import {
  VISION_2030_TARGET_PCT,
  chartSpecFromPayload,
  type CardsPayload,
  type CategoryChartPayload,
  type ChartPayload,
  type SeriesChartPayload,
} from '../../charts/payloads.js';

export interface ExportRoutesOptions {
  queries: QueryService;
  registry: QueryRegistry;
  serviceVersion: string;
  /** Directory with the bundled TrueType fonts (web/src/assets/fonts); PNG answers 503 when none can be read. */
  fontDir: string;
  dataMode?: 'synthetic' | 'live';
  /** Injected for tests; otherwise one is created from `queries`. */
  data?: UiData;
  /** Replaces the PNG rasteriser (tests of the 503 path). */
  rasterise?: Rasteriser;
}

/** SVG text → PNG bytes at `scale` × the SVG size, or null when rendering is unavailable. */
export type Rasteriser = (svg: string, scale: number) => Promise<Buffer | null>;

export const MAX_EXPORT_ROWS = 100_000;
const CSV_TYPE = 'text/csv; charset=utf-8; header=present';

// ---------------------------------------------------------------------------------------------------------------
// CSV (ui.md §7.2)

/** One CSV field: numbers invariant, null empty, booleans true/false, text guarded against formulas and quoted. */
export function csvField(value: Scalar | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** RFC 4180 text: header row always present, every record (the last too) ends with CRLF. */
export function toCsv(
  columns: readonly string[],
  rows: readonly (readonly (Scalar | undefined)[])[],
  bom = false,
): string {
  let out = bom ? '\ufeff' : '';
  out += columns.map((c) => csvField(c)).join(',') + '\r\n';
  for (const row of rows) out += columns.map((_, i) => csvField(row[i])).join(',') + '\r\n';
  return out;
}

/** Columns and rows of a chart's CSV (ui.md §7.1): machine names, English, stable. */
export function chartTable(chart: ChartName, payload: ChartPayload): { columns: string[]; rows: Scalar[][] } {
  switch (chart) {
    case 'sector-employment': {
      const p = payload as CategoryChartPayload;
      return {
        columns: ['year', 'sector', 'employees'],
        rows: p.categories.map((c, i) => [p.year, c, p.values[i] ?? null]),
      };
    }
    case 'top-sectors': {
      const p = payload as CardsPayload;
      return {
        columns: ['year', 'sector', 'employees'],
        rows: p.cards.map((c) => [(c.meta.year as number) ?? null, c.title, c.kpi]),
      };
    }
    case 'ewi': {
      const p = payload as CardsPayload;
      return {
        columns: ['year', 'sector', 'drop_percent'],
        rows: p.cards.map((c) => [(c.meta.year as number) ?? null, c.title, c.kpi]),
      };
    }
    case 'qatarization-by-sector': {
      const p = payload as CategoryChartPayload;
      return {
        columns: ['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent', 'target_percent', 'gap_pp'],
        rows: p.categories.map((c, i) => {
          const v = p.values[i] ?? null;
          const gap = v === null ? null : Math.round((VISION_2030_TARGET_PCT - v) * 100) / 100;
          return [p.year, c, p.qataris?.[i] ?? null, p.non_qataris?.[i] ?? null, v, VISION_2030_TARGET_PCT, gap];
        }),
      };
    }
    case 'salary-trend': {
      const p = payload as SeriesChartPayload;
      return { columns: ['year', 'sector', 'avg_salary_qr'], rows: p.series.map((s) => [s.x, p.sector, s.y]) };
    }
    case 'salary-yoy': {
      const p = payload as SeriesChartPayload;
      return { columns: ['year', 'sector', 'yoy_percent'], rows: p.series.map((s) => [s.x, p.sector, s.y]) };
    }
    case 'attrition-by-sector': {
      const p = payload as CategoryChartPayload;
      return {
        columns: ['year', 'sector', 'attrition_percent', 'flag'],
        rows: p.categories.map((c, i) => [p.year, c, p.values[i] ?? null, p.flags?.[i] ?? null]),
      };
    }
    case 'gcc-unemployment': {
      const p = payload as CategoryChartPayload;
      return {
        columns: ['year', 'country', 'unemployment_percent', 'rank'],
        rows: p.categories.map((c, i) => [p.year, c, p.values[i] ?? null, i + 1]),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Files

/** `attachment` with an ASCII file name and the RFC 5987 `filename*` form. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '-');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** `qnwis-<chart or query>-<year or sector>-<lang>.<ext>` from validated values only (ui.md §4.5). */
export function exportFileName(subject: string, qualifier: string | number | null, lang: string, ext: string): string {
  const part = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase();
  const q = qualifier === null || qualifier === '' ? '' : `-${part(String(qualifier)) || 'x'}`;
  return `qnwis-${part(subject)}${q}-${lang}.${ext}`;
}

/** The resvg rasteriser over the bundled fonts (system fonts off); null when the module or fonts are missing. */
export function resvgRasteriser(fontDir: string): Rasteriser {
  let fontFiles: string[] | null = null;
  return async (svg, scale) => {
    try {
      if (fontFiles === null) {
        fontFiles = fs
          .readdirSync(fontDir)
          .filter((f) => /\.(ttf|otf)$/i.test(f))
          .sort()
          .map((f) => path.join(fontDir, f));
      }
      if (fontFiles.length === 0) return null;
      const { Resvg } = await import('@resvg/resvg-js');
      const png = new Resvg(svg, {
        background: '#ffffff',
        fitTo: { mode: 'zoom', value: scale },
        font: { loadSystemFonts: false, fontFiles, defaultFontFamily: 'Noto Sans' },
      })
        .render()
        .asPng();
      return Buffer.from(png);
    } catch {
      return null;
    }
  };
}

const chartParams = {
  type: 'object',
  additionalProperties: false,
  required: ['chart'],
  properties: { chart: { type: 'string', enum: [...CHART_NAMES] } },
} as const;

const chartQuery = (extra: Record<string, unknown>) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      year: { type: 'integer', minimum: 2000, maximum: 2100 },
      sector: { type: 'string', minLength: 1, maxLength: 200 },
      n: { type: 'integer', minimum: 1, maximum: 20 },
      threshold: { type: 'number', minimum: 0, maximum: 100 },
      lang: { type: 'string', enum: ['en', 'ar'] },
      ttl_s: { type: 'integer', minimum: 60, maximum: 86400 },
      ...extra,
    },
  }) as const;

interface ChartQuery {
  year?: number;
  sector?: string;
  n?: number;
  threshold?: number;
  lang?: ChartLang;
  bom?: number;
  scale?: number;
}

/** `/api/v1/export/*` (ui.md §7) except `briefing.md` and `audit.csv` (briefingAuditExportRoutes). */
export async function exportRoutes(app: FastifyInstance, opts: ExportRoutesOptions): Promise<void> {
  const data =
    opts.data ?? new UiData({ queries: opts.queries, serviceVersion: opts.serviceVersion, dataMode: opts.dataMode });
  const rasterise = opts.rasterise ?? resvgRasteriser(opts.fontDir);

  async function chartPayload(chart: ChartName, q: ChartQuery): Promise<ChartPayload> {
    const sector = q.sector === undefined ? undefined : validSector(q.sector);
    return data.chart(chart, { year: q.year, sector, n: q.n, threshold: q.threshold }, q.lang ?? 'en');
  }

  function qualifier(chart: ChartName, q: ChartQuery, payload: ChartPayload): string | number | null {
    if (chart === 'salary-trend' || chart === 'salary-yoy') return (payload as SeriesChartPayload).sector;
    if (chart === 'top-sectors' || chart === 'ewi')
      return ((payload as CardsPayload).cards[0]?.meta.year as number) ?? q.year ?? null;
    return (payload as CategoryChartPayload).year;
  }

  function download(req: FastifyRequest, reply: FastifyReply, body: string | Buffer, type: string, name: string) {
    reply.header('content-disposition', contentDisposition(name));
    return sendCacheable(req, reply, body, type);
  }

  type ChartRoute = { Params: { chart: ChartName }; Querystring: ChartQuery };

  app.get<ChartRoute>(
    '/api/v1/export/chart/:chart.csv',
    { schema: { params: chartParams, querystring: chartQuery({ bom: { type: 'integer', enum: [0, 1] } }) } },
    async (req, reply) => {
      const { chart } = req.params;
      const payload = await chartPayload(chart, req.query);
      const table = chartTable(chart, payload);
      const body = toCsv(table.columns, table.rows, req.query.bom === 1);
      const name = exportFileName(chart, qualifier(chart, req.query, payload), req.query.lang ?? 'en', 'csv');
      return download(req, reply, body, CSV_TYPE, name);
    },
  );

  app.get<ChartRoute>(
    '/api/v1/export/chart/:chart.svg',
    { schema: { params: chartParams, querystring: chartQuery({}) } },
    async (req, reply) => {
      const { chart } = req.params;
      const lang = req.query.lang ?? 'en';
      const payload = await chartPayload(chart, req.query);
      const svg = serializeSvg(renderChart(chartSpecFromPayload(chart, payload, lang)));
      const name = exportFileName(chart, qualifier(chart, req.query, payload), lang, 'svg');
      return download(req, reply, svg, 'image/svg+xml; charset=utf-8', name);
    },
  );

  app.get<ChartRoute>(
    '/api/v1/export/chart/:chart.png',
    {
      schema: {
        params: chartParams,
        querystring: chartQuery({ scale: { type: 'integer', minimum: 1, maximum: 3, default: 2 } }),
      },
    },
    async (req, reply) => {
      const { chart } = req.params;
      const lang = req.query.lang ?? 'en';
      const payload = await chartPayload(chart, req.query);
      // resvg anchors text physically; the same drawing a browser makes of the exported SVG.
      const svg = serializeSvg(withPhysicalAnchors(renderChart(chartSpecFromPayload(chart, payload, lang))));
      const png = await rasterise(svg, req.query.scale ?? 2);
      if (png === null) throw new HttpError(503, 'png_unavailable', 'PNG rendering is unavailable');
      const name = exportFileName(chart, qualifier(chart, req.query, payload), lang, 'png');
      return download(req, reply, png, 'image/png', name);
    },
  );

  const queryParams = {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', pattern: SPEC_ID_PATTERN.source, maxLength: 128 } },
  } as const;
  const queryString = {
    ...DECLARED_PARAMS,
    properties: { bom: { type: 'integer', enum: [0, 1] } },
  } as const;

  const yearOf = (query: Record<string, unknown>): string | null =>
    typeof query.year === 'string' && /^\d{4}$/.test(query.year) ? query.year : null;

  async function runForExport(id: string, query: Record<string, unknown>) {
    const spec = opts.registry.get(id);
    const result = await opts.queries.run(spec.id, { overrides: overridesFromQuery(spec, query), mode: 'text' });
    if (result.rows.length > MAX_EXPORT_ROWS) {
      throw new HttpError(413, 'result_too_large', `the result has more than ${MAX_EXPORT_ROWS} rows`);
    }
    return result;
  }

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/api/v1/export/query/:id.csv',
    { schema: { params: queryParams, querystring: queryString } },
    async (req, reply) => {
      const result = await runForExport(req.params.id, req.query);
      const columns = result.rows[0] ? [...result.rows[0].keys()] : [...result.provenance.fields];
      const rows = result.rows.map((row) => columns.map((c) => row.get(c)));
      const body = toCsv(columns, rows, req.query.bom === 1);
      return download(req, reply, body, CSV_TYPE, exportFileName(result.query_id, yearOf(req.query), 'en', 'csv'));
    },
  );

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/api/v1/export/query/:id.json',
    { schema: { params: queryParams, querystring: queryString } },
    async (req, reply) => {
      const result = await runForExport(req.params.id, req.query);
      const body = storedResultToJson(result);
      const name = exportFileName(result.query_id, yearOf(req.query), 'en', 'json');
      return download(req, reply, body, 'application/json; charset=utf-8', name);
    },
  );
}

export interface BriefingAuditExportOptions {
  /** The process's briefing cache, shared with `GET /api/v1/ui/briefing`. */
  briefing: BriefingCache;
  /** The database holding `audit_events`; null without one (audit.csv then answers 503). */
  auditDb: Executor | null;
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'request_id',
  'action',
  'resource',
  'status',
  'success',
  'principal_hash',
  'client_hash',
] as const;

/** `GET /api/v1/export/briefing.md` and `GET /api/v1/export/audit.csv` (ui.md §7.1). */
export async function briefingAuditExportRoutes(app: FastifyInstance, opts: BriefingAuditExportOptions): Promise<void> {
  app.get(
    '/api/v1/export/briefing.md',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } },
    async (req, reply) => {
      const { briefing } = await opts.briefing.get(req.id);
      reply.header('content-disposition', contentDisposition(exportFileName('briefing', briefing.as_of, 'en', 'md')));
      return sendCacheable(req, reply, briefing.markdown, 'text/markdown; charset=utf-8');
    },
  );

  app.get<{ Querystring: AuditFilterQuery & { bom?: number } }>(
    '/api/v1/export/audit.csv',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...AUDIT_FILTER_PROPERTIES, bom: { type: 'integer', enum: [0, 1] } },
        },
      },
    },
    async (req, reply) => {
      const db = requireAuditDb(opts.auditDb);
      const { events, truncated } = await listAuditEvents(db, auditFilterFromQuery(req.query), MAX_EXPORT_ROWS);
      if (truncated)
        throw new HttpError(413, 'result_too_large', `the audit log has more than ${MAX_EXPORT_ROWS} rows`);
      const rows = events.map((e) => AUDIT_CSV_COLUMNS.map((c) => e[c]));
      const body = toCsv(AUDIT_CSV_COLUMNS, rows, req.query.bom === 1);
      reply.header('content-disposition', contentDisposition(exportFileName('audit', null, 'en', 'csv')));
      // ui.md §8: the audit export is never cached.
      return sendCacheable(req, reply, body, CSV_TYPE, { noStore: true });
    },
  );
}
