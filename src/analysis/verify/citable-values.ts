/**
 * Reading cited results uniformly: query rows are Maps, derived rows are plain records; derived params may nest.
 */
import type { Scalar } from '../model.js';
import { isCitedQuery, type Citable } from './types.js';

export type Entries = [string, Scalar][];

/** Each row of a cited result as [field, value] pairs in field order. */
export function rowEntries(c: Citable): Entries[] {
  const rows = Array.isArray(c.rows) ? (c.rows as unknown[]) : [];
  return rows.map((row) => {
    if (row instanceof Map) return [...(row as Map<string, Scalar>).entries()];
    if (row !== null && typeof row === 'object') return Object.entries(row as Record<string, Scalar>);
    return [];
  });
}

/** A field of a row (Map or record), undefined when absent. */
export function cell(row: unknown, field: string): Scalar | undefined {
  if (row instanceof Map) return (row as Map<string, Scalar>).get(field);
  if (row !== null && typeof row === 'object' && Object.hasOwn(row, field)) {
    return (row as Record<string, Scalar>)[field];
  }
  return undefined;
}

export function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Every finite number inside a params value (objects and arrays walked in key order). */
function paramNumbers(value: unknown, out: number[], depth = 0): void {
  if (depth > 16) return;
  if (finite(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) paramNumbers(v, out, depth + 1);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) paramNumbers(v, out, depth + 1);
  }
}

export interface CandidateSet {
  /** Sorted ascending: numeric cells, numeric params (derived), row_count. */
  values: Float64Array;
  /** Sorted ascending: ratio-unit fields × 100, offered to percent claims only. */
  percentOnly: Float64Array;
}

const sorted = (xs: number[]): Float64Array => Float64Array.from(xs).sort();

/** The L2 candidates a cited result offers (§5.2). */
export function candidatesOf(c: Citable): CandidateSet {
  const values: number[] = [];
  const percentOnly: number[] = [];
  const ratioFields = new Set(
    isCitedQuery(c) ? [] : (c.fields ?? []).filter((f) => f.unit === 'ratio').map((f) => f.name),
  );
  const rows = rowEntries(c);
  for (const row of rows) {
    for (const [field, v] of row) {
      if (!finite(v)) continue;
      values.push(v);
      if (ratioFields.has(field)) percentOnly.push(v * 100);
    }
  }
  if (isCitedQuery(c)) values.push(finite(c.row_count) ? c.row_count : rows.length);
  else {
    paramNumbers(c.params, values);
    values.push(rows.length);
  }
  return { values: sorted(values), percentOnly: sorted(percentOnly) };
}

/** The element of a sorted array nearest to x (the lower one on ties), or null when empty. */
export function nearestIn(xs: Float64Array, x: number): number | null {
  if (xs.length === 0) return null;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  const here = xs[lo] ?? 0;
  const below = lo > 0 ? (xs[lo - 1] ?? here) : here;
  return Math.abs(below - x) <= Math.abs(here - x) ? below : here;
}
