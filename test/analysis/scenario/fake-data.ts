/** Hand-built ts_* query results and a DataClient over them, for the Scenario tests. */
import type { DataClient, QueryResult, Scalar } from '../../../src/analysis/model.js';

export interface SeriesPoint {
  period: string;
  sector: string;
  value: number | null;
  base?: number;
}

/** A ts_<metric>_<frequency> result with rows {period, sector, value, base, suppressed}. */
export function seriesResult(id: string, unit: QueryResult['unit'], points: readonly SeriesPoint[]): QueryResult {
  const rows = points.map(
    (p) =>
      new Map<string, Scalar>([
        ['period', p.period],
        ['sector', p.sector],
        ['value', p.value],
        ['base', p.base ?? 1000],
        ['suppressed', false],
      ]),
  );
  return {
    query_id: id,
    unit,
    rows,
    row_count: rows.length,
    provenance: {
      source: 'postgres',
      dataset_id: `lmis.${id}`,
      locator: `lmis.${id}`,
      fields: ['period', 'sector', 'value', 'base', 'suppressed'],
      license: 'MIT-SYNTHETIC',
    },
    freshness: { asof_date: '2024-12-31', updated_at: null },
    warnings: [],
    registry_version: 'test',
    timings: { total_ms: 0, source_ms: null, postprocess_ms: null, cache: 'bypass' },
  };
}

/** Annual points for one sector: the given values for consecutive years from `firstYear`. */
export function annual(
  sector: string,
  values: readonly (number | null)[],
  firstYear = 2020,
  bases?: number[],
): SeriesPoint[] {
  return values.map((value, i) => ({ period: String(firstYear + i), sector, value, base: bases?.[i] }));
}

/** Monthly points for one sector: consecutive months from January of `firstYear`. */
export function monthly(sector: string, values: readonly (number | null)[], firstYear = 2022): SeriesPoint[] {
  return values.map((value, i) => {
    const year = firstYear + Math.floor(i / 12);
    const month = String((i % 12) + 1).padStart(2, '0');
    return { period: `${year}-${month}`, sector, value };
  });
}

/** A DataClient over fixed results; `reads` records the ids run, in order. */
export function fakeClient(results: readonly QueryResult[]): DataClient & { reads: string[] } {
  const byId = new Map(results.map((r) => [r.query_id, r]));
  const reads: string[] = [];
  return {
    reads,
    has: (id) => byId.has(id),
    run(id) {
      reads.push(id);
      const r = byId.get(id);
      return r ? Promise.resolve(r) : Promise.reject(new Error(`unknown query ${id}`));
    },
  };
}
