import type { Row, Scalar } from '../model.js';

export interface SelectParams {
  columns: readonly string[];
}

/** `select` (data-layer spec §6): each row becomes `{c: row[c] ?? null}` for `c` in `columns`, in that order. */
export function selectColumns(rows: readonly Row[], params: SelectParams): Row[] {
  return rows.map((row) => {
    const out: Row = new Map();
    for (const c of params.columns) out.set(c, row.has(c) ? (row.get(c) as Scalar) : null);
    return out;
  });
}
