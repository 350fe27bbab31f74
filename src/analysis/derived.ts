/**
 * Derived results (analysis spec §1.5): the record of every shown computation, so that verification (§5.2) can match
 * a displayed number against a numeric param or a row cell of a cited result.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { DerivedField, DerivedResult, QueryResult, Scalar } from './model.js';

// The package is CommonJS (`module.exports = fn`) while its typings declare an ES default export: at run time
// the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** Anything a derived result can be computed from: a query result or another derived result. */
export type DerivedInput = QueryResult | DerivedResult;

export interface DeriveSpec {
  operation: string;
  inputs: readonly DerivedInput[];
  /** Thresholds, windows, alphas, and every scalar the text shows. Non-finite numbers become null. */
  params: Record<string, unknown>;
  fields: readonly DerivedField[];
  rows?: readonly Record<string, Scalar>[];
}

/** The id a derived input is cited by. */
export function inputId(input: DerivedInput): string {
  return 'query_id' in input ? input.query_id : input.id;
}

function inputAsof(input: DerivedInput): string | null {
  return 'query_id' in input ? input.freshness.asof_date : input.asof_date;
}

function inputLicenses(input: DerivedInput): string[] {
  if ('query_id' in input) return input.provenance.license ? [input.provenance.license] : [];
  return input.license === '' ? [] : input.license.split('; ');
}

/** Deep copy with NaN/±Infinity replaced by null and undefined members dropped, so the record is valid JSON. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : jsonSafe(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

/** h8: first 8 hex characters of SHA-256 over the RFC 8785 JSON of {operation, inputs (sorted), params}. */
export function derivedId(operation: string, inputIds: readonly string[], params: Record<string, unknown>): string {
  const body = canonicalize({ operation, inputs: [...inputIds].sort(), params: jsonSafe(params) }) ?? '';
  return `derived_${operation}_${createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Builds a DerivedResult: id from the hash, as-of = minimum input as-of, licence = sorted unique input licences. */
export function derive(spec: DeriveSpec): DerivedResult {
  const ids = [...new Set(spec.inputs.map(inputId))].sort();
  const params = jsonSafe(spec.params) as Record<string, unknown>;
  const asofs = spec.inputs.map(inputAsof).filter((d): d is string => typeof d === 'string' && d !== '');
  const asof = asofs.length === 0 ? null : asofs.reduce((a, b) => (b < a ? b : a));
  const licenses = [...new Set(spec.inputs.flatMap(inputLicenses))].sort();
  return {
    id: derivedId(spec.operation, ids, params),
    operation: spec.operation,
    inputs: ids,
    params,
    fields: spec.fields.map((f) => ({ ...f })),
    rows: (spec.rows ?? []).map((r) => jsonSafe(r) as Record<string, Scalar>),
    asof_date: asof,
    license: licenses.join('; '),
  };
}
