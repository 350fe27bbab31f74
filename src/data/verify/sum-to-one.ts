import type { Row, Scalar } from '../model.js';

const TOLERANCE = 0.5;
const MAX_VIOLATIONS = 10;

function isNumeric(v: Scalar | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A percent column: lower-cased name ends in `percent`, `pct` or `%`, and the value in this row is numeric. */
function isPercentColumn(key: string, value: Scalar): value is number {
  const lower = key.toLowerCase();
  return (lower.endsWith('percent') || lower.endsWith('pct') || lower.endsWith('%')) && isNumeric(value);
}

function isTotalName(key: string): boolean {
  return key.toLowerCase().startsWith('total_');
}

/**
 * `sum_to_one` (data-layer spec §7.2, tolerance 0.5) on the final rows. Row mode when any row has a total
 * column (compare the other percent columns with the row's first total), else group mode over the single share
 * column per `year`. At most 10 violations; `sum_to_one_unverifiable` when group mode finds no or several
 * percent columns.
 */
export function checkSumToOne(rows: readonly Row[]): string[] {
  const hasTotal = rows.some((row) => [...row].some(([k, v]) => isPercentColumn(k, v) && isTotalName(k)));
  return hasTotal ? rowMode(rows) : groupMode(rows);
}

function rowMode(rows: readonly Row[]): string[] {
  const warnings: string[] = [];
  rows.forEach((row, index) => {
    let total: number | null = null;
    let sum = 0;
    let parts = 0;
    for (const [key, value] of row) {
      if (!isPercentColumn(key, value)) continue;
      if (isTotalName(key)) {
        // Only the first total column in key order is the reference; later totals are neither T nor summed.
        if (total === null) total = value;
      } else {
        sum += value;
        parts += 1;
      }
    }
    if (total === null || parts === 0) return;
    if (Math.abs(sum - total) > TOLERANCE && warnings.length < MAX_VIOLATIONS) {
      warnings.push(`sum_to_one_violation:row=${index}:${sum.toFixed(2)}!=${total.toFixed(2)}`);
    }
  });
  return warnings;
}

function groupMode(rows: readonly Row[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const [k, v] of row) if (isPercentColumn(k, v)) names.add(k);
  if (names.size !== 1) return ['sum_to_one_unverifiable'];
  const share = [...names][0]!;
  const byYear = rows.some((row) => row.has('year'));
  // Groups keep first-appearance order; the id keeps 2024 and "2024" apart, the label is what gets printed.
  const groups = new Map<string, { label: string; sum: number }>();
  for (const row of rows) {
    const year: Scalar = byYear ? (row.has('year') ? (row.get('year') as Scalar) : null) : null;
    const id = byYear ? JSON.stringify([year]) : 'all';
    const label = !byYear ? 'all' : year === null ? 'null' : String(year);
    let group = groups.get(id);
    if (!group) {
      group = { label, sum: 0 };
      groups.set(id, group);
    }
    const v = row.get(share);
    if (v !== undefined && isPercentColumn(share, v)) group.sum += v;
  }
  const warnings: string[] = [];
  for (const { label, sum } of groups.values()) {
    if (Math.abs(sum - 100) > TOLERANCE && warnings.length < MAX_VIOLATIONS) {
      warnings.push(`sum_to_one_violation:year=${label}:${sum.toFixed(2)}!=100.00`);
    }
  }
  return warnings;
}
