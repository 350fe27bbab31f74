import type { Row, Scalar } from '../model.js';
import { intTrueDivide } from './exact.js';
import { isNumeric } from './sorting.js';

export interface ShareOfTotalParams {
  group_keys: readonly string[];
  value_key: string;
  /** Default `share_percent`. */
  out_key?: string;
}

/**
 * A running total with CPython semantics: exact while every value is a safe integer (Python ints never
 * round), a double from the first non-integer on (Python `int + float` converts the int, rounding once).
 */
interface Total {
  int: bigint | null;
  float: number;
}

function addToTotal(total: Total, v: number): void {
  if (total.int !== null && Number.isSafeInteger(v)) {
    total.int += BigInt(v);
  } else {
    if (total.int !== null) total.float = Number(total.int);
    total.int = null;
    total.float += v;
  }
}

/** CPython `(100 * v) / total` for ints: the exact quotient rounded once. */
function intShare(v: number, total: bigint): number {
  const scaled = 100 * v;
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  // Both operands exact, so IEEE division already rounds the exact quotient once.
  if (Number.isSafeInteger(scaled) && total <= safe && total >= -safe) return scaled / Number(total);
  return intTrueDivide(100n * BigInt(v), total);
}

/** Distinguishes 2024 from "2024" (and true from "true") as Python tuple keys do. */
function groupId(row: Row, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => (row.has(k) ? (row.get(k) as Scalar) : null)));
}

/**
 * `share_of_total`: per group (tuple of `group_keys` values), total = left-to-right sum from 0 of the numeric
 * `value_key` values; `out_key` = 0.0 for a zero total, else `(100 × value) / total`, unrounded; a non-numeric
 * value with a non-zero total gets null.
 */
export function shareOfTotal(rows: readonly Row[], params: ShareOfTotalParams): Row[] {
  const outKey = params.out_key ?? 'share_percent';
  const totals = new Map<string, Total>();
  const ids = rows.map((row) => groupId(row, params.group_keys));
  rows.forEach((row, i) => {
    const id = ids[i]!;
    let total = totals.get(id);
    if (!total) {
      total = { int: 0n, float: 0 };
      totals.set(id, total);
    }
    const v = row.get(params.value_key);
    if (isNumeric(v)) addToTotal(total, v);
  });
  return rows.map((row, i) => {
    const total = totals.get(ids[i]!)!;
    const v = row.get(params.value_key);
    let share: Scalar;
    if (total.int !== null ? total.int === 0n : total.float === 0) share = 0.0;
    else if (!isNumeric(v)) share = null;
    else if (total.int !== null && Number.isSafeInteger(v)) share = intShare(v, total.int);
    else {
      // 100 × v rounds once like Python's float(100 * v); an int total converts to float once, as in Python.
      share = (100 * v) / (total.int !== null ? Number(total.int) : total.float);
    }
    const out: Row = new Map(row);
    out.set(outKey, share);
    return out;
  });
}
