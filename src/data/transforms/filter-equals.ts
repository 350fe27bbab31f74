import type { Row, Scalar } from '../model.js';

export interface FilterEqualsParams {
  where: Readonly<Record<string, Scalar>>;
}

/** Equality of §6 filter_equals: same JS type only, so `2024` ≠ `"2024"` and `true` ≠ `1`; null only with null. */
export function scalarEquals(a: Scalar, b: Scalar): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) return false;
  return a === b;
}

/** `filter_equals`: keeps rows where every `where` entry equals `row[key]` (a missing key reads as null). */
export function filterEquals(rows: readonly Row[], params: FilterEqualsParams): Row[] {
  const entries = Object.entries(params.where);
  return rows
    .filter((row) => entries.every(([key, want]) => scalarEquals(row.has(key) ? (row.get(key) as Scalar) : null, want)))
    .map((row) => new Map(row));
}
