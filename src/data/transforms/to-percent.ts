import type { Row } from '../model.js';
import { isNumeric } from './sorting.js';

export interface ToPercentParams {
  columns: readonly string[];
  /** Default 100.0. */
  scale?: number;
}

/** `to_percent`: numeric values of the listed columns become `value × scale`; everything else is unchanged. */
export function toPercent(rows: readonly Row[], params: ToPercentParams): Row[] {
  const scale = params.scale ?? 100.0;
  // A column listed twice is still scaled once: the rule is about the set of listed columns.
  const columns = new Set(params.columns);
  return rows.map((row) => {
    const out: Row = new Map(row);
    for (const c of columns) {
      const v = row.get(c);
      if (isNumeric(v)) out.set(c, v * scale);
    }
    return out;
  });
}
