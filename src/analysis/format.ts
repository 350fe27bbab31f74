/**
 * Display formats of analysis spec §4.2 and the citation marker of §5.1. Rounding is ECMAScript `toFixed`; negative
 * numbers use ASCII "-"; a value that rounds to zero is shown without a sign. Null shows as "n/a".
 */
import type { MetricUnit } from './model.js';

export const NOT_AVAILABLE = 'n/a';

/** `toFixed(digits)` with "-0.0" shown as "0.0"; "n/a" for null or non-finite values. */
export function fixed(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  const s = value.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Inserts "," thousands separators into the integer part of an already fixed decimal string. */
export function groupThousands(s: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  if (!m) return s;
  return m[1]! + m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] ?? '');
}

/** Percent level or change: 1 decimal + "%" (e.g. "14.5%"). */
export function formatPercent(value: number | null | undefined): string {
  const s = fixed(value, 1);
  return s === NOT_AVAILABLE ? s : `${s}%`;
}

/** Percentage points: 2 decimals + " pp". */
export function formatPp(value: number | null | undefined): string {
  const s = fixed(value, 2);
  return s === NOT_AVAILABLE ? s : `${s} pp`;
}

/** QAR: integer with thousands separators + " QAR". */
export function formatQar(value: number | null | undefined): string {
  const s = fixed(value, 0);
  return s === NOT_AVAILABLE ? s : `${groupThousands(s)} QAR`;
}

/** Counts: integer with thousands separators. */
export function formatCount(value: number | null | undefined): string {
  const s = fixed(value, 0);
  return s === NOT_AVAILABLE ? s : groupThousands(s);
}

/** Correlations, z-scores and slopes: 3 decimals. */
export function formatDecimal3(value: number | null | undefined): string {
  return fixed(value, 3);
}

/** Scores and ranks: integers, no "/100". */
export function formatScore(value: number | null | undefined): string {
  return fixed(value, 0);
}

/** A parameter (threshold, alpha, multiplier) as written: at most 3 decimals, trailing zeros dropped ("1.5"). */
export function formatParam(value: number | null | undefined): string {
  const s = fixed(value, 3);
  return s === NOT_AVAILABLE ? s : String(Number(s));
}

/** Index values (base 100): 1 decimal. */
export function formatIndex(value: number | null | undefined): string {
  return fixed(value, 1);
}

/** Formats a value by its display unit (§3.0.1 units; ratio as 3 decimals, text as is). */
export function formatValue(value: number | string | null | undefined, unit: MetricUnit): string {
  if (typeof value === 'string') return value;
  switch (unit) {
    case 'percent':
      return formatPercent(value);
    case 'pp':
      return formatPp(value);
    case 'qar':
      return formatQar(value);
    case 'count':
      return formatCount(value);
    case 'ratio':
      return formatDecimal3(value);
    case 'index':
      return formatIndex(value);
    case 'rank':
    case 'score':
      return formatScore(value);
    case 'text':
      return value === null || value === undefined ? NOT_AVAILABLE : String(value);
  }
}

/** Unit of a series metric's level as displayed. */
export type LevelUnit = 'percent' | 'count' | 'qar';

/**
 * A change in the metric's own unit (a difference of levels or a slope): pp for percent metrics, QAR or count
 * otherwise. Slopes use 3 decimals whatever the unit, so this is for level differences only.
 */
export function formatLevelDelta(value: number | null | undefined, unit: LevelUnit): string {
  return unit === 'percent' ? formatPp(value) : unit === 'qar' ? formatQar(value) : formatCount(value);
}

/** The citation marker: `[cite:ID]` or `[cite:ID1,ID2]`; duplicate ids are dropped, order kept. */
export function cite(...ids: string[]): string {
  const unique = [...new Set(ids.filter((id) => id !== ''))];
  return `[cite:${unique.join(',')}]`;
}

/** A formatted value followed by its marker, e.g. "14.5% [cite:ts_qatarization_annual]". */
export function cited(text: string, ...ids: string[]): string {
  return `${text} ${cite(...ids)}`;
}
