import type { Row, Scalar } from '../model.js';
import { stableSortRows } from './sorting.js';

export interface TopNParams {
  sort_key: string;
  n: number;
  /** Default true; null also means true. */
  descending?: boolean | null;
}

/**
 * `top_n`: stable sort by `row[sort_key]` (a missing key reads as 0, null last in both directions),
 * descending by default, then the first max(0, n) rows.
 */
export function topN(rows: readonly Row[], params: TopNParams): Row[] {
  const limit = Math.max(0, params.n);
  const descending = params.descending ?? true;
  const key = params.sort_key;
  const read = (row: Row): Scalar => (row.has(key) ? (row.get(key) as Scalar) : 0);
  return stableSortRows(rows, [{ name: key, read, descending }])
    .slice(0, limit)
    .map((row) => new Map(row));
}
