import type { Row, Scalar } from '../model.js';
import { round2 } from '../synthetic/round2.js';
import { exactMean } from './exact.js';
import { isNumeric, readOrNull, stableSortRows } from './sorting.js';

export interface RollingAvgParams {
  key: string;
  sort_keys: readonly string[];
  /** Default 3. */
  window?: number;
  /** Default `rolling_avg`. */
  out_key?: string;
}

/**
 * `rolling_avg`: sort by `sort_keys`; each numeric value enters a buffer of the last `window` values
 * (non-numeric values are skipped but their row is still emitted); `out_key` = null until the buffer is full,
 * then round2 of the exact mean (CPython `statistics.mean`).
 */
export function rollingAvg(rows: readonly Row[], params: RollingAvgParams): Row[] {
  const window = params.window ?? 3;
  const outKey = params.out_key ?? 'rolling_avg';
  const sorted = stableSortRows(
    rows,
    params.sort_keys.map((k) => ({ name: k, read: readOrNull(k), descending: false })),
  );
  const buffer: number[] = [];
  return sorted.map((row) => {
    const v = row.get(params.key);
    if (isNumeric(v)) {
      buffer.push(v);
      if (buffer.length > window) buffer.shift();
    }
    const avg: Scalar = buffer.length < window ? null : round2(exactMean(buffer));
    const out: Row = new Map(row);
    out.set(outKey, avg);
    return out;
  });
}
