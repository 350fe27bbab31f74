/**
 * The numeric token grammar of analysis spec §5.1: optional sign, digits with optional thousands separators and
 * decimals, optional unit (%, percent, pp, percentage points, QAR, QR, bps). "-" is a sign only after whitespace,
 * "(" or the start of a line; a token directly preceded or followed by a letter or "_" belongs to an identifier.
 * Exempt: text inside markers, ISO dates and periods, four-digit years without a unit, Q1–Q4 (identifiers by the
 * letter rule) and ordered-list markers at the start of a line.
 */
import { maskMarkers } from './narrative.js';
import type { ClaimClass } from './verification-config.js';

export type TokenUnit = 'percent' | 'pp' | 'currency' | 'bps';

export interface NumericToken {
  /** The token as written, sign and unit included. */
  raw: string;
  /** Signed value as written (bps not converted). */
  value: number;
  /** Offsets in the scanned text. */
  start: number;
  end: number;
  unit: TokenUnit | null;
  /** Unit text as written, with its leading space (e.g. "%", " QAR", " pp"), or "". */
  unitText: string;
  decimals: number;
  thousands: boolean;
  signed: boolean;
}

const NUMBER = /(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?/g;
const UNIT_AFTER = /^(?:[ \t]?%|[ \t]*(?:percentage points|percent|pp|bps|QAR|QR)(?![\p{L}\p{N}_]))/iu;
const IDENT_CHAR = /[\p{L}_]/u;
const SIGNS = new Set(['-', '+', '\u2212']);
const ISO_DATE_OR_PERIOD = /(?<![\p{L}\p{N}_])\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?(?![\p{N}])(?!-\d)/gu;
const ORDERED_LIST_MARKER = /^([ \t]*)(\d{1,9})(?=[.)][ \t])/gm;

function unitOf(text: string): TokenUnit {
  const t = text.trim().toLowerCase();
  if (t === '%' || t === 'percent') return 'percent';
  if (t === 'pp' || t === 'percentage points') return 'pp';
  if (t === 'bps') return 'bps';
  return 'currency';
}

const blank = (s: string): string => s.replace(/[^\n]/g, ' ');

/**
 * The text with everything exempt blanked out (markers, ISO dates and periods, ordered-list markers at line
 * starts); offsets and line breaks are kept.
 */
export function maskExempt(text: string, listMarkers: boolean): string {
  let out = maskMarkers(text).replace(ISO_DATE_OR_PERIOD, blank);
  if (listMarkers) out = out.replace(ORDERED_LIST_MARKER, (_m, lead: string, digits: string) => lead + blank(digits));
  return out;
}

/** Numeric tokens of already-masked text, including years (see isYear). */
export function scanNumbers(masked: string): NumericToken[] {
  const out: NumericToken[] = [];
  for (const m of masked.matchAll(NUMBER)) {
    const digits = m[1] ?? '';
    const fraction = m[2] ?? '';
    let start = m.index;
    const numEnd = m.index + m[0].length;
    const before = masked[start - 1] ?? '';
    let signed = false;
    let sign = 1;
    if (SIGNS.has(before)) {
      const prior = start - 2 < 0 ? '' : (masked[start - 2] ?? '');
      if (prior === '' || prior === '(' || /\s/.test(prior)) {
        signed = true;
        sign = before === '+' ? 1 : -1;
        start -= 1;
      }
    } else if (IDENT_CHAR.test(before)) continue;
    const rest = masked.slice(numEnd, numEnd + 24);
    const unit = UNIT_AFTER.exec(rest);
    const unitText = unit ? unit[0] : '';
    if (!unit && IDENT_CHAR.test(rest[0] ?? '')) continue;
    const value = sign * Number(digits.replace(/,/g, '') + fraction);
    if (!Number.isFinite(value)) continue;
    out.push({
      raw: masked.slice(start, numEnd) + unitText,
      value: Object.is(value, -0) ? 0 : value,
      start,
      end: numEnd + unitText.length,
      unit: unit ? unitOf(unitText) : null,
      unitText,
      decimals: fraction.length > 0 ? fraction.length - 1 : 0,
      thousands: digits.includes(','),
      signed,
    });
  }
  return out;
}

/** A four-digit integer in [min, max] without sign, separators, decimals or unit. */
export function isYear(t: NumericToken, min: number, max: number): boolean {
  return (
    !t.signed &&
    !t.thousands &&
    t.decimals === 0 &&
    t.unit === null &&
    /^\d{4}$/.test(t.raw) &&
    t.value >= min &&
    t.value <= max
  );
}

/** The numeric tokens of a unit that need a citation. */
export function numericTokens(
  text: string,
  opts: { listMarkers: boolean; yearMin: number; yearMax: number },
): NumericToken[] {
  return scanNumbers(maskExempt(text, opts.listMarkers)).filter((t) => !isYear(t, opts.yearMin, opts.yearMax));
}

/** The claim class of §5.2; `riyalNearby` tells whether "riyal" occurs within the configured word window. */
export function claimClass(t: NumericToken, riyalNearby: boolean): ClaimClass {
  if (t.unit === 'percent') return 'percent';
  if (t.unit === 'pp' || t.unit === 'bps') return 'pp';
  if (t.unit === 'currency' || riyalNearby) return 'currency';
  return t.decimals === 0 ? 'count' : 'decimal';
}

/** Whether a word containing "riyal" is within `window` words of the token in `text`. */
export function riyalWithin(text: string, t: NumericToken, window: number): boolean {
  if (window <= 0) return false;
  const before = text.slice(0, t.start).split(/\s+/).filter(Boolean).slice(-window);
  const after = text.slice(t.end).split(/\s+/).filter(Boolean).slice(0, window);
  return [...before, ...after].some((w) => /riyal/i.test(w));
}
