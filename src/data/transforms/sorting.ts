import { DataError } from '../errors.js';
import type { Row, Scalar } from '../model.js';

/** *Numeric* in the sense of data-layer spec §6: a finite number, never a boolean. */
export function isNumeric(v: Scalar | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Compares two strings by Unicode code point. JavaScript's `<` compares UTF-16 code units, which puts
 * U+E000..U+FFFF after astral characters; shifting the units (the ICU "code point order" fix-up) repairs that.
 */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderUnit(x) - codePointOrderUnit(y);
  }
  return a.length - b.length;
}

function codePointOrderUnit(unit: number): number {
  // Surrogates (astral characters) move above U+E000..U+FFFF; those move down into the surrogates' place.
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

type SortKind = 'number' | 'string' | 'boolean';

function kindOf(v: Scalar | undefined): SortKind | null {
  if (v === null || v === undefined) return null;
  // NaN has no order; it sorts with null so the comparator stays a total order.
  if (typeof v === 'number') return Number.isNaN(v) ? null : 'number';
  return typeof v === 'string' ? 'string' : 'boolean';
}

/** Ascending order of two non-null values of one kind; -1, 0 or 1. */
function compareSameKind(a: Exclude<Scalar, null>, b: Exclude<Scalar, null>): number {
  if (typeof a === 'string' && typeof b === 'string') return Math.sign(compareCodePoints(a, b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface SortKeySpec {
  /** Reads the sort value of a row (lets top_n read a missing key as 0). */
  read: (row: Row) => Scalar | undefined;
  /** Name used in error messages. */
  name: string;
  descending: boolean;
}

/**
 * Stable sort shared by top_n, yoy and rolling_avg (data-layer spec §6 "Sorting"): numbers numerically,
 * strings by code point, booleans false < true, null (and missing) after every value in both directions,
 * key by key. Mixed kinds under one key fail up front, so the outcome never depends on which pairs the sort
 * algorithm happens to compare.
 */
export function stableSortRows(rows: readonly Row[], keys: readonly SortKeySpec[]): Row[] {
  const decorated = rows.map((row, index) => ({ row, index, values: keys.map((k) => k.read(row)) }));
  keys.forEach((key, k) => {
    let seen: SortKind | null = null;
    for (const d of decorated) {
      const kind = kindOf(d.values[k]);
      if (kind === null) continue;
      if (seen === null) seen = kind;
      else if (seen !== kind) {
        throw new DataError('transform_failed', `cannot sort by "${key.name}": it mixes ${seen} and ${kind} values`);
      }
    }
  });
  decorated.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const va = a.values[k];
      const vb = b.values[k];
      const na = kindOf(va) === null;
      const nb = kindOf(vb) === null;
      if (na || nb) {
        if (na && nb) continue;
        // Null last regardless of direction.
        return na ? 1 : -1;
      }
      const c = compareSameKind(va as Exclude<Scalar, null>, vb as Exclude<Scalar, null>);
      if (c !== 0) return keys[k]!.descending ? -c : c;
    }
    // Explicit index tie-break keeps the sort stable whatever the engine does.
    return a.index - b.index;
  });
  return decorated.map((d) => d.row);
}

/** Reads `row[key]`, a missing key reading as null (the yoy and rolling_avg sort keys). */
export function readOrNull(key: string): (row: Row) => Scalar {
  return (row) => (row.has(key) ? (row.get(key) as Scalar) : null);
}
