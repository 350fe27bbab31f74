/** Shared builders for the result-json and cache tests (not a test file itself). */
import type { QueryResult, Row, Scalar, StoredResult } from '../../src/data/model.js';

export function row(...entries: [string, Scalar][]): Row {
  return new Map(entries);
}

export function storedResult(overrides: Partial<StoredResult> = {}): StoredResult {
  const rows = overrides.rows ?? [
    row(['sector', 'Construction'], ['10', 1], ['2', 'two'], ['employees', 1200]),
    row(['sector', 'Finance'], ['10', null], ['2', true], ['employees', 45.5]),
  ];
  return {
    query_id: 'syn_sector_employment_latest',
    unit: 'count',
    rows,
    row_count: rows.length,
    provenance: {
      source: 'csv',
      dataset_id: 'sector_employment_by_year',
      locator: 'aggregates/sector_employment_by_year.csv',
      fields: ['year', 'sector', 'employees'],
      license: 'MIT-SYNTHETIC',
    },
    freshness: { asof_date: '2024-12-31', updated_at: '2025-01-02T03:04:05Z' },
    warnings: ['sum_to_one'],
    registry_version: '5bd22dad75a2',
    ...overrides,
  };
}

export function queryResult(overrides: Partial<StoredResult> = {}): QueryResult {
  return {
    ...storedResult(overrides),
    timings: { total_ms: 12.5, source_ms: 10, postprocess_ms: 1.25, cache: 'miss' },
  };
}

/** Keys of every row, in order. */
export function rowKeys(rows: readonly Row[]): string[][] {
  return rows.map((r) => [...r.keys()]);
}
