/**
 * Digests of audit manifests (analysis spec §6): SHA-256 over RFC 8785 canonical JSON, answers without their volatile
 * members (§8), and the HMAC over the manifest digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { jsonSafe } from '../derived.js';

// The package is CommonJS (`module.exports = fn`) while its typings declare an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** Members that differ between two runs of the same question (§8): removed at every nesting level. */
export const VOLATILE_KEYS: readonly string[] = ['request_id', 'audit_id', 'timings_ms'];

/**
 * A deep copy of a JSON value without `request_id`, `audit_id` and `timings_ms` members at any depth, NaN and
 * ±Infinity as null and undefined members dropped. Two answers to the same question on the same data and clock date
 * are equal after this (§8).
 */
export function stripVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : stripVolatile(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || VOLATILE_KEYS.includes(k)) continue;
      out[k] = stripVolatile(v);
    }
    return out;
  }
  return jsonSafe(value);
}

/** RFC 8785 canonical JSON (keys sorted by UTF-16 code units, ECMAScript number form); NaN/±Infinity become null. */
export function canonicalJson(value: unknown): string {
  return canonicalize(jsonSafe(value)) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 hex of the canonical JSON of the answer minus request_id, audit_id and timings_ms at every level. */
export function answerDigest(answer: unknown): string {
  return sha256Hex(canonicalJson(stripVolatile(answer)));
}

/** Members of a manifest left out of its own digest. */
export const MANIFEST_DIGEST_EXCLUDED: readonly string[] = ['manifest_digest_sha256', 'hmac_sha256'];

/** SHA-256 hex of the canonical manifest without manifest_digest_sha256 and hmac_sha256 (top level only). */
export function manifestDigest(manifest: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(manifest)) if (!MANIFEST_DIGEST_EXCLUDED.includes(k)) rest[k] = v;
  return sha256Hex(canonicalJson(rest));
}

/** HMAC-SHA256 hex with the UTF-8 key over the manifest digest (hex text); null without a key. */
export function manifestHmac(manifestDigestHex: string, key: string | null | undefined): string | null {
  if (key === null || key === undefined || key === '') return null;
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(manifestDigestHex, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests (false for different lengths or non-strings). */
export function sameDigest(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
