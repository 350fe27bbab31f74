/**
 * Audit evidence (analysis spec §6): the full rows of every cited result, keyed by id in id order.
 *
 * A cached query result hands out the same row array on every hit, and its evidence is the same on every answer that
 * cites it. Each array is therefore converted (plain, JSON-safe objects), checked (no U+0000, which jsonb cannot
 * hold) and serialised once, remembered by the identity of the array, so an answer citing large cached results does
 * not pay for them again. Remembered arrays are frozen: they are shared between answers.
 */
import type { DerivedResult, QueryResult } from '../model.js';
import { jsonSafe } from '../derived.js';

export type Evidence = Readonly<Record<string, readonly unknown[]>>;

interface PreparedRows {
  rows: readonly unknown[];
  json: string;
  hasNul: boolean;
}

/**
 * JSON.stringify writes U+0000 as the escape \u0000, so the serialised text tells whether a value holds one: an escape
 * after an even number of backslashes (a literal backslash followed by "u0000" is written \\u0000).
 */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/** Keyed by the source array (a cached result's rows) and by the prepared array itself. */
const prepared = new WeakMap<readonly unknown[], PreparedRows>();

function prepare(rows: readonly unknown[], convert: (row: never) => unknown): PreparedRows {
  const known = prepared.get(rows);
  if (known !== undefined) return known;
  const plain = Object.freeze(rows.map((row) => Object.freeze(jsonSafe(convert(row as never)))));
  const json = JSON.stringify(plain);
  const entry: PreparedRows = { rows: plain, json, hasNul: NUL_ESCAPE.test(json) };
  prepared.set(rows, entry);
  prepared.set(plain, entry);
  return entry;
}

/** Evidence of the cited results: query rows as plain objects (column order kept), then derived rows not yet present. */
export function buildEvidence(queries: readonly QueryResult[], derived: readonly DerivedResult[]): Evidence {
  const out: Record<string, readonly unknown[]> = {};
  for (const q of queries)
    out[q.query_id] = prepare(q.rows, (row: Map<string, unknown>) => Object.fromEntries(row)).rows;
  for (const d of derived) {
    if (!(d.id in out)) out[d.id] = prepare(d.rows, (row: Record<string, unknown>) => ({ ...row })).rows;
  }
  return sortedEvidence(out);
}

/** The same evidence with ids in code-unit order and every row JSON-safe (non-finite numbers become null). */
export function sortedEvidence(evidence: Evidence): Evidence {
  const out: Record<string, readonly unknown[]> = {};
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units.
  for (const id of Object.keys(evidence).sort()) out[id] = prepare(evidence[id]!, (row) => row).rows;
  return out;
}

/** The evidence as JSON text, from the remembered text of each row array. */
export function evidenceJson(evidence: Evidence): string {
  const parts = Object.keys(evidence).map((id) => `${JSON.stringify(id)}:${prepare(evidence[id]!, (row) => row).json}`);
  return `{${parts.join(',')}}`;
}

/** True when an id or a value of the evidence contains U+0000. */
export function evidenceHasNul(evidence: Evidence): boolean {
  return Object.keys(evidence).some((id) => id.includes('\u0000') || prepare(evidence[id]!, (row) => row).hasNul);
}
