/**
 * Re-checks a stored audit record (analysis spec §6, `qnwis audit verify`, `GET /api/v1/audit/{id}`): the answer
 * digest, the manifest digest (and that the index columns agree with the manifest), and the HMAC.
 */
import { answerDigest, manifestDigest, manifestHmac, sameDigest } from './digest.js';
import type { AuditRecord } from './manifest.js';

export interface AuditVerification {
  audit_id: string;
  answer_digest_ok: boolean;
  manifest_digest_ok: boolean;
  /** null when the manifest carries no HMAC, or when it does and no key was given (see hmac_key_missing). */
  hmac_ok: boolean | null;
  /** The manifest carries an HMAC that cannot be checked because no key was given (CLI exit 78). */
  hmac_key_missing: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameStrings(a: unknown, b: unknown): boolean {
  return (
    Array.isArray(a) &&
    Array.isArray(b) &&
    a.length === b.length &&
    a.every((v, i) => typeof v === 'string' && v === b[i])
  );
}

/** The index columns hold the same values as the manifest they index. */
function columnsMatch(record: AuditRecord, m: Record<string, unknown>): boolean {
  const createdAt = typeof m.created_at === 'string' ? Date.parse(m.created_at) : NaN;
  return (
    m.audit_id === record.audit_id &&
    (m.request_id ?? null) === record.request_id &&
    m.endpoint === record.endpoint &&
    (m.intent ?? null) === record.intent &&
    m.registry_version === record.registry_version &&
    m.code_version === record.code_version &&
    !Number.isNaN(createdAt) &&
    createdAt === Date.parse(record.created_at) &&
    sameStrings(m.query_ids, record.query_ids) &&
    m.answer_digest_sha256 === record.answer_digest_sha256 &&
    m.manifest_digest_sha256 === record.manifest_digest_sha256 &&
    (m.hmac_sha256 ?? null) === record.hmac_sha256
  );
}

/**
 * Recomputes the digests and the HMAC of a stored record. Never throws: a malformed record simply fails its checks.
 * `hmacKey` is QNWIS_AUDIT_HMAC_KEY as configured (null or undefined when unset).
 */
export function verifyAuditRecord(record: AuditRecord, hmacKey: string | null | undefined): AuditVerification {
  const manifest: unknown = record.manifest;
  const result: AuditVerification = {
    audit_id: record.audit_id,
    answer_digest_ok: false,
    manifest_digest_ok: false,
    hmac_ok: null,
    hmac_key_missing: false,
  };
  if (!isObject(manifest)) return { ...result, hmac_ok: false };
  let recomputedManifest: string | null = null;
  try {
    const digest = answerDigest(record.answer);
    result.answer_digest_ok =
      isObject(record.answer) &&
      sameDigest(digest, manifest.answer_digest_sha256) &&
      sameDigest(digest, record.answer_digest_sha256);
    recomputedManifest = manifestDigest(manifest);
    result.manifest_digest_ok =
      sameDigest(recomputedManifest, manifest.manifest_digest_sha256) && columnsMatch(record, manifest);
  } catch {
    // non-JSON content (cannot come from jsonb): the checks stay false
  }
  const stored = manifest.hmac_sha256 ?? null;
  if (stored === null && record.hmac_sha256 === null) return result;
  const key = hmacKey ?? '';
  if (key === '') return { ...result, hmac_key_missing: true };
  const expected = recomputedManifest === null ? null : manifestHmac(recomputedManifest, key);
  result.hmac_ok = expected !== null && sameDigest(expected, stored) && sameDigest(expected, record.hmac_sha256);
  return result;
}

/** The single `verified` flag of `GET /api/v1/audit/{id}`: digests match and the HMAC (when present) checks out. */
export function isAuditVerified(v: AuditVerification): boolean {
  return v.answer_digest_ok && v.manifest_digest_ok && !v.hmac_key_missing && v.hmac_ok !== false;
}

/** The body of `GET /api/v1/audit/{audit_id}` (service spec §1.5). */
export function auditResponseBody(
  record: AuditRecord,
  hmacKey: string | null | undefined,
): {
  audit_id: string;
  created_at: string;
  request_id: string | null;
  manifest: AuditRecord['manifest'];
  answer: AuditRecord['answer'];
  verified: boolean;
} {
  return {
    audit_id: record.audit_id,
    created_at: record.created_at,
    request_id: record.request_id,
    manifest: record.manifest,
    answer: record.answer,
    verified: isAuditVerified(verifyAuditRecord(record, hmacKey)),
  };
}
