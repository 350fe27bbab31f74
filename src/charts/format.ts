/**
 * Fixed number formatting for chart text (no Intl, so every runtime writes the same bytes): Latin digits, comma
 * grouping, persons and QAR as integers, percentages with one decimal. Negative numbers use U+2212 MINUS SIGN, which
 * the bidi algorithm keeps attached to the digits in right-to-left text ("−0.8%", never "0.8%-").
 */
export const MINUS = '\u2212';
import type { ChartUnit } from './labels.js';

export function groupDigits(integer: number): string {
  const sign = integer < 0 ? '-' : '';
  const digits = String(Math.abs(integer));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return sign + out;
}

/** Rounds half away from zero to `decimals` places and writes the digits (no grouping for the fraction). */
export function fixed(value: number, decimals: number): string {
  const factor = 10 ** decimals;
  const scaled = Math.round(Math.abs(value) * factor + 1e-9);
  const sign = value < 0 && scaled !== 0 ? MINUS : '';
  const whole = Math.floor(scaled / factor);
  const frac = decimals > 0 ? '.' + String(scaled % factor).padStart(decimals, '0') : '';
  return sign + groupDigits(whole) + frac;
}

export function formatValue(value: number | null, unit: ChartUnit, noValue = '–'): string {
  if (value === null || !Number.isFinite(value)) return noValue;
  return unit === 'percent' ? `${fixed(value, 1)}%` : fixed(value, 0);
}
