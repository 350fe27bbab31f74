/** Small builders for the verification tests: cited query results and derived results by hand. */
import type { DerivedField, DerivedResult, Scalar } from '../../../src/analysis/model.js';
import type { CitedQuery } from '../../../src/analysis/verify/types.js';

export function query(
  id: string,
  rows: Record<string, Scalar>[],
  opts: { unit?: CitedQuery['unit']; asof?: string | null; sla?: number | null; license?: string } = {},
): CitedQuery {
  return {
    query_id: id,
    unit: opts.unit ?? 'percent',
    rows: rows.map((r) => new Map(Object.entries(r))),
    row_count: rows.length,
    freshness: { asof_date: opts.asof === undefined ? '2024-12-31' : opts.asof, updated_at: null },
    provenance: {
      source: 'csv',
      dataset_id: `aggregates/${id}.csv`,
      locator: `aggregates/${id}.csv`,
      fields: Object.keys(rows[0] ?? {}),
      license: opts.license ?? 'MIT-SYNTHETIC',
    },
    freshness_sla_days: opts.sla === undefined ? 3650 : opts.sla,
  };
}

export function derived(
  id: string,
  fields: DerivedField[],
  rows: Record<string, Scalar>[],
  params: Record<string, unknown> = {},
): DerivedResult {
  return {
    id,
    operation: id.replace(/^derived_/, '').replace(/_[0-9a-f]{8}$/, ''),
    inputs: [],
    params,
    fields,
    rows,
    asof_date: '2024-12-31',
    license: 'MIT-SYNTHETIC',
  };
}

export const OPTIONS = { enforce_citations: true, verify_numbers: true };
export const CLOCK = '2025-01-15';
