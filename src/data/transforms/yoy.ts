import type { Row, Scalar } from '../model.js';
import { round2 } from '../synthetic/round2.js';
import { intTrueDivide } from './exact.js';
import { isNumeric, readOrNull, stableSortRows } from './sorting.js';

export interface YoyParams {
  key: string;
  sort_keys: readonly string[];
  /** Default `yoy_percent`. */
  out_key?: string;
}

/** CPython `(v - prev) / prev`: for ints the difference is exact and the quotient rounds once. */
function relativeChange(v: number, prev: number): number {
  if (Number.isSafeInteger(v) && Number.isSafeInteger(prev)) {
    const diff = v - prev;
    if (Number.isSafeInteger(diff)) return diff / prev;
    return intTrueDivide(BigInt(v) - BigInt(prev), BigInt(prev));
  }
  return (v - prev) / prev;
}

/**
 * `yoy`: sort by `sort_keys`, then walk adjacent rows: `out_key` = round2(((v − prev) / prev) × 100), or null when
 * `prev` is null or 0 or `v` is not numeric; `prev` becomes `v` when numeric, else null. No calendar-gap check.
 */
export function yoy(rows: readonly Row[], params: YoyParams): Row[] {
  const outKey = params.out_key ?? 'yoy_percent';
  const sorted = stableSortRows(
    rows,
    params.sort_keys.map((k) => ({ name: k, read: readOrNull(k), descending: false })),
  );
  let prev: number | null = null;
  return sorted.map((row) => {
    const v = row.get(params.key);
    let change: Scalar = null;
    if (prev !== null && prev !== 0 && isNumeric(v)) change = round2(relativeChange(v, prev) * 100);
    prev = isNumeric(v) ? v : null;
    const out: Row = new Map(row);
    out.set(outKey, change);
    return out;
  });
}
