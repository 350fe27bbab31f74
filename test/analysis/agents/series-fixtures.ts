/**
 * Test helpers for the time-series agents: a fake DataClient over hand-made ts_* query results, and a checker that
 * every number in a summary carries a citation whose result holds that number after display rounding.
 */
import { expect } from 'vitest';
import type { AgentResult, DataClient, QueryResult, Scalar } from '../../../src/analysis/model.js';
import type { Row } from '../../../src/data/model.js';

export interface SeriesFixture {
  sector: string;
  /** Period labels, oldest first ("YYYY" or "YYYY-MM"). */
  periods: string[];
  /** null is a missing value; "s" a suppressed cell. */
  values: (number | null | 's')[];
}

/** A ts_* query result with rows {period, sector, value, base, suppressed} in the given order. */
export function seriesResult(queryId: string, unit: QueryResult['unit'], fixtures: SeriesFixture[]): QueryResult {
  const rows: Row[] = [];
  for (const f of fixtures) {
    f.periods.forEach((period, i) => {
      const v = f.values[i];
      const suppressed = v === 's';
      rows.push(
        new Map<string, Scalar>([
          ['period', period],
          ['sector', f.sector],
          ['value', suppressed || v === undefined ? null : v],
          ['base', suppressed ? 10 : 100],
          ['suppressed', suppressed],
        ]),
      );
    });
  }
  return {
    query_id: queryId,
    unit,
    rows,
    row_count: rows.length,
    provenance: {
      source: 'postgres',
      dataset_id: 'lmis.test',
      locator: 'postgres:lmis.test',
      fields: ['period', 'sector', 'value', 'base', 'suppressed'],
      license: 'MIT-SYNTHETIC',
    },
    freshness: { asof_date: '2024-12-31', updated_at: null },
    warnings: [],
    registry_version: 'test',
    timings: { total_ms: 0, source_ms: null, postprocess_ms: null, cache: 'bypass' },
  };
}

/** A DataClient answering only the given results; run() of any other id rejects like the data layer. */
export function fakeClient(results: QueryResult[]): DataClient & { calls: string[] } {
  const byId = new Map(results.map((r) => [r.query_id, r]));
  const calls: string[] = [];
  return {
    calls,
    has: (id) => byId.has(id),
    run(id) {
      calls.push(id);
      const r = byId.get(id);
      return r
        ? Promise.resolve(r)
        : Promise.reject(Object.assign(new Error('unknown query'), { code: 'unknown_query' }));
    },
  };
}

/** Consecutive period labels: years(2017, 3) → 2017..2019; months(2023, 1, 3) → 2023-01..2023-03. */
export function years(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}

export function months(firstYear: number, firstMonth: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const t = firstYear * 12 + firstMonth - 1 + i;
    return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
  });
}

function numericCells(value: unknown, out: number[]): void {
  if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => numericCells(v, out));
  else if (value instanceof Map) value.forEach((v) => numericCells(v, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => numericCells(v, out));
}

const NUMBER =
  /(?:(?<=^|[\s(])-)?(?<![A-Za-z0-9_.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?(?:%|pp|QAR))?(?![A-Za-z0-9_])/g;

/**
 * Every numeric token of every finding summary (dates, periods and years exempt) is covered by a marker in its
 * sentence or line, every cited id is in derived[] or sources[], and the token equals, after display rounding, a
 * numeric cell or param of one of the cited results.
 */
export function expectVerifiableSummaries(result: AgentResult, queries: Map<string, QueryResult>): void {
  const known = new Map<string, number[]>();
  for (const d of result.derived) {
    const nums: number[] = [];
    numericCells(d.params, nums);
    numericCells(d.rows, nums);
    known.set(d.id, nums);
  }
  for (const id of result.sources) {
    const q = queries.get(id);
    if (!q) continue;
    const nums: number[] = [q.row_count];
    numericCells(q.rows, nums);
    known.set(id, nums);
  }
  for (const f of result.findings) {
    for (const id of f.citations) expect(known.has(id), `citation ${id} present`).toBe(true);
    // Labels end up in the rendered Key Findings table, where a digit would be an uncited number.
    for (const m of f.metrics) {
      expect(known.has(m.citation), `metric ${m.key} cites a present id`).toBe(true);
      expect(/\d/.test(m.label.replace(/\b\d{4}(?:-\d{2})?\b/g, '')), `label "${m.label}" has no digits`).toBe(false);
    }
    const units = f.summary.split('\n').flatMap((line) => line.split(/(?<=[.!?])\s+/));
    for (const unit of units) {
      const ids = [...unit.matchAll(/\[cite:([A-Za-z0-9_.:,-]+)\]/g)].flatMap((m) => m[1]!.split(','));
      for (const id of ids) expect(known.has(id), `cited id ${id} is in derived[] or sources[]`).toBe(true);
      const text = unit
        .replace(/\[cite:[^\]]*\]/g, ' ')
        .replace(/\b\d{4}-\d{2}(?:-\d{2})?\b/g, ' ')
        .replace(/\*\*/g, ' ');
      for (const m of text.matchAll(NUMBER)) {
        const token = m[0];
        const unitless = !/[%pQ]/.test(token);
        const digits = token.replace(/\s?(%|pp|QAR)$/, '');
        const value = Number(digits.replace(/,/g, ''));
        if (unitless && /^\d{4}$/.test(digits) && value >= 1900 && value <= 2100) continue;
        expect(ids.length, `"${token}" in "${unit}" has a citation`).toBeGreaterThan(0);
        const decimals = digits.includes('.') ? digits.split('.')[1]!.length : 0;
        const tol = 0.5 * 10 ** -decimals + 1e-9;
        const candidates = ids.flatMap((id) => known.get(id) ?? []);
        const ok = candidates.some((c) => Math.abs(c - value) <= tol);
        expect(ok, `"${token}" in "${unit}" matches a cell of ${ids.join(',')}`).toBe(true);
      }
    }
  }
}

/** No NaN or ±Infinity anywhere in the result. */
export function expectAllFinite(value: unknown): void {
  if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  else if (Array.isArray(value)) value.forEach(expectAllFinite);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(expectAllFinite);
}
