/**
 * L2 — number verification (analysis spec §5.2): every cited number must match a candidate of the results its
 * markers name, within the tolerance of its class; tables with a "Total" row must add up.
 */
import { candidatesOf, nearestIn, type CandidateSet } from './citable-values.js';
import { contextOf, type LocatedNumber } from './citations.js';
import { maskMarkers, type NarrativeTable, type ParsedNarrative } from './narrative.js';
import { claimClass, riyalWithin } from './numeric-tokens.js';
import type { Citable, MathCheck, NumberReport, VerificationIssue } from './types.js';
import type { ClaimClass, VerificationConfig } from './verification-config.js';

/** Relative slack for floating-point noise in tolerance comparisons (0.1 + 0.2 style). */
const FP_SLACK = 1e-9;

const within = (diff: number, limit: number): boolean => diff <= limit * (1 + FP_SLACK) + 1e-12;

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A candidate written the way the claim was written: same decimals, separators and unit. */
export function formatLike(value: number, claim: LocatedNumber): string {
  const t = claim.token;
  const shown = t.unit === 'bps' ? value * 100 : value;
  let text = Math.abs(shown).toFixed(t.decimals);
  if (t.thousands) {
    const [int = '', frac] = text.split('.');
    text = groupThousands(int) + (frac === undefined ? '' : `.${frac}`);
  }
  const negative = shown < 0 && Number(text.replace(/,/g, '')) !== 0;
  return (negative ? '-' : '') + text + t.unitText;
}

function absTolerance(cls: ClaimClass, decimals: number, config: VerificationConfig): number {
  return cls === 'decimal' ? 0.5 * 10 ** -decimals : config.numbers.abs_tol[cls];
}

export interface NumberLayer {
  issues: VerificationIssue[];
  report: NumberReport;
}

export function checkNumbers(
  parsed: ParsedNarrative,
  numbers: readonly LocatedNumber[],
  citables: ReadonlyMap<string, Citable>,
  config: VerificationConfig,
): NumberLayer {
  const issues: VerificationIssue[] = [];
  const sets = new Map<string, CandidateSet>();
  const setOf = (id: string): CandidateSet | null => {
    const c = citables.get(id);
    if (!c) return null;
    let s = sets.get(id);
    if (!s) {
      s = candidatesOf(c);
      sets.set(id, s);
    }
    return s;
  };

  let total = 0;
  let matched = 0;
  for (const n of numbers) {
    const ids = n.ids.filter((id) => citables.has(id));
    if (ids.length === 0) continue; // uncited or only unknown ids: L1 reports it
    total += 1;
    const t = n.token;
    const cls = claimClass(t, riyalWithin(n.unit.text, t, config.numbers.currency_word_window));
    const claim = t.unit === 'bps' ? t.value / 100 : t.value;
    const absTol = absTolerance(cls, t.decimals, config);
    let best: { value: number; id: string; diff: number } | null = null;
    for (const id of ids) {
      const set = setOf(id);
      if (!set) continue;
      for (const xs of cls === 'percent' ? [set.values, set.percentOnly] : [set.values]) {
        const v = nearestIn(xs, claim);
        if (v === null) continue;
        const diff = Math.abs(claim - v);
        if (best === null || diff < best.diff) best = { value: v, id, diff };
      }
    }
    const ok =
      best !== null &&
      (within(best.diff, absTol) ||
        (claim !== 0 && within(best.diff / Math.abs(claim), config.numbers.relative_tolerance)));
    if (ok) {
      matched += 1;
      continue;
    }
    const context = contextOf(n, config);
    if (best !== null && within(best.diff, config.numbers.rounding_mismatch_factor * absTol)) {
      const hint = `replace ${t.raw} with ${formatLike(best.value, n)} (${best.id})`;
      issues.push({
        layer: 'L2',
        code: 'ROUNDING_MISMATCH',
        severity: 'warning',
        message: `${t.raw} on line ${n.line} is close to but not within tolerance of ${best.id}: ${hint}`,
        details: { token: t.raw, line: n.line, class: cls, nearest: best.value, id: best.id, hint, context },
      });
    } else {
      issues.push({
        layer: 'L2',
        code: 'NUMBER_NOT_FOUND',
        severity: 'error',
        message: `${t.raw} on line ${n.line} does not match any value of ${ids.join(', ')}`,
        details: {
          token: t.raw,
          line: n.line,
          class: cls,
          ids,
          nearest: best === null ? null : { value: best.value, id: best.id },
          context,
        },
      });
    }
  }

  const mathChecks: MathCheck[] = [];
  for (const table of parsed.tables) {
    for (const check of tableTotals(table, config.numbers.total_tolerance)) {
      mathChecks.push(check);
      if (check.ok) continue;
      issues.push({
        layer: 'L2',
        code: 'MATH_INCONSISTENT',
        severity: 'error',
        message: `column "${check.column}" sums to ${check.sum} but its Total row (line ${check.line}) says ${check.total}`,
        details: { ...check, difference: round6(check.sum - check.total) },
      });
    }
  }

  return {
    issues,
    report: { claims_total: total, claims_matched: matched, issues: issues.length, math_checks: mathChecks },
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const CELL_NUMBER =
  /^([-+\u2212])?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?[ \t]*(?:%|percent|pp|percentage points|QAR|QR|bps)?$/i;

function plainCell(cell: string): string {
  return maskMarkers(cell)
    .trim()
    .replace(/^[*_]+|[*_]+$/g, '')
    .trim();
}

/** The number a table cell holds on its own (markers, emphasis and unit ignored), or null. */
export function cellNumber(cell: string): number | null {
  const m = CELL_NUMBER.exec(plainCell(cell));
  if (!m) return null;
  const v = Number((m[2] ?? '').replace(/,/g, '') + (m[3] ?? ''));
  return m[1] === '-' || m[1] === '\u2212' ? -v : v;
}

/** MATH_INCONSISTENT checks of one table: each numeric column above the first "Total" row against that row. */
export function tableTotals(table: NarrativeTable, tolerance: number): MathCheck[] {
  const totalAt = table.rows.findIndex(
    (r) => !r.header && !r.separator && plainCell(r.cells[0] ?? '').startsWith('Total'),
  );
  if (totalAt < 0) return [];
  const totalRow = table.rows[totalAt]!;
  const header = table.rows.find((r) => r.header);
  const body = table.rows.slice(0, totalAt).filter((r) => !r.header && !r.separator);
  if (body.length === 0) return [];
  const out: MathCheck[] = [];
  for (let col = 1; col < totalRow.cells.length; col += 1) {
    const total = cellNumber(totalRow.cells[col] ?? '');
    if (total === null) continue;
    const values = body.map((r) => cellNumber(r.cells[col] ?? ''));
    if (values.some((v) => v === null)) continue;
    const sum = round6(values.reduce<number>((s, v) => s + (v ?? 0), 0));
    const column = plainCell(header?.cells[col] ?? '') || `column ${col + 1}`;
    out.push({ line: totalRow.line, column, sum, total, ok: within(Math.abs(sum - total), tolerance) });
  }
  return out;
}
