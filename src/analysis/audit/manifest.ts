/**
 * Audit manifests (analysis spec §6): what was asked, how it was answered, on which data and code, with digests that
 * make later tampering detectable. created_at is the only wall-clock value and lives only here, never in the answer.
 */
import { randomUUID } from 'node:crypto';
import { jsonSafe } from '../derived.js';
import type { AnswerEnvelope } from '../render/envelope-types.js';
import { answerDigest, manifestDigest, manifestHmac } from './digest.js';
import { sortedEvidence, type Evidence } from './evidence.js';

export { buildEvidence } from './evidence.js';

export interface AuditManifest {
  audit_id: string;
  request_id: string | null;
  created_at: string;
  endpoint: string;
  question: string | null;
  intent: string | null;
  params_used: Record<string, unknown> | null;
  router: { confidence: number; threshold: number } | null;
  clock_date: string;
  registry_version: string;
  code_version: string;
  query_ids: string[];
  derived_ids: string[];
  data_asof: Record<string, string | null>;
  verification: { passed: boolean; issue_codes: string[] };
  confidence: { score: number; band: string } | null;
  answer_digest_sha256: string;
  manifest_digest_sha256: string;
  hmac_sha256: string | null;
}

/** Manifest members in the order of the §6 table. */
export const MANIFEST_FIELDS: readonly (keyof AuditManifest)[] = [
  'audit_id',
  'request_id',
  'created_at',
  'endpoint',
  'question',
  'intent',
  'params_used',
  'router',
  'clock_date',
  'registry_version',
  'code_version',
  'query_ids',
  'derived_ids',
  'data_asof',
  'verification',
  'confidence',
  'answer_digest_sha256',
  'manifest_digest_sha256',
  'hmac_sha256',
];

/** A stored audit pack: the index columns of `audit_manifests`, the manifest, the answer and the evidence rows. */
export interface AuditRecord {
  audit_id: string;
  request_id: string | null;
  endpoint: string;
  intent: string | null;
  registry_version: string;
  code_version: string;
  /** UTC ISO-8601 with milliseconds and Z. */
  created_at: string;
  query_ids: string[];
  answer_digest_sha256: string;
  manifest_digest_sha256: string;
  hmac_sha256: string | null;
  manifest: AuditManifest;
  answer: Record<string, unknown>;
  /** Cited result id → its full rows. */
  evidence: Evidence;
}

/** Redacts personal data from a question before it is stored (§5.4); supplied by the verification layer. */
export type Redactor = (text: string) => string;

export interface ManifestInput {
  request_id: string | null;
  /** "/api/v1/ask", an agent route, "council" or "briefing". */
  endpoint: string;
  /** The question as asked; stored only after `redact`. Null when there was none (agent endpoints, council). */
  question: string | null;
  redact: Redactor;
  intent: string | null;
  params_used: Record<string, unknown> | null;
  router: { confidence: number; threshold: number } | null;
  clock_date: string;
  registry_version: string;
  code_version: string;
  query_ids: readonly string[];
  derived_ids: readonly string[];
  data_asof: Readonly<Record<string, string | null>>;
  verification: { passed: boolean; issues: readonly { layer: string; code: string }[] };
  confidence: { score: number; band: string } | null;
  /** The full response body; its request_id, audit_id and timings_ms (at any depth) are not digested. */
  answer: object;
  evidence: Evidence;
  /** QNWIS_AUDIT_HMAC_KEY as configured; without it hmac_sha256 is null. */
  hmacKey: string | null | undefined;
  /** Source of created_at (default: the wall clock). */
  now?: () => Date;
  /** Source of audit_id (default: crypto.randomUUID, a UUID v4). */
  newAuditId?: () => string;
}

/** "<version>+<commit>" when the build commit is known, the version alone otherwise, "unknown" without a version. */
export function codeVersion(version: string | null | undefined, commit?: string | null): string {
  const v = version?.trim() ?? '';
  const c = commit?.trim() ?? '';
  if (v === '') return c === '' ? 'unknown' : `unknown+${c}`;
  return c === '' ? v : `${v}+${c}`;
}

/** Unique "L2/NUMBER_NOT_FOUND"-style codes, sorted. */
export function issueCodes(issues: readonly { layer: string; code: string }[]): string[] {
  return [...new Set(issues.map((i) => `${i.layer}/${i.code}`))].sort(byCodeUnits);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text jsonb can store: NUL removed, lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return text
    .replaceAll('\u0000', '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort(byCodeUnits)) out[k] = record[k] as T;
  return out;
}

/** Builds the manifest and the record to store. The stored answer carries the new audit_id. */
export function buildAuditRecord(input: ManifestInput): AuditRecord {
  const auditId = (input.newAuditId ?? randomUUID)().toLowerCase();
  const createdAt = (input.now ?? (() => new Date()))().toISOString();
  const answer = jsonSafe(input.answer) as Record<string, unknown>;
  if ('audit_id' in answer) answer.audit_id = auditId;
  const question = input.question === null ? null : storableText(input.redact(input.question));
  const draft: Omit<AuditManifest, 'manifest_digest_sha256' | 'hmac_sha256'> = {
    audit_id: auditId,
    request_id: input.request_id,
    created_at: createdAt,
    endpoint: input.endpoint,
    question,
    intent: input.intent,
    params_used: input.params_used === null ? null : (jsonSafe(input.params_used) as Record<string, unknown>),
    router: input.router === null ? null : { confidence: input.router.confidence, threshold: input.router.threshold },
    clock_date: input.clock_date,
    registry_version: input.registry_version,
    code_version: input.code_version,
    query_ids: [...new Set(input.query_ids)].sort(byCodeUnits),
    derived_ids: [...new Set(input.derived_ids)].sort(byCodeUnits),
    data_asof: sortedRecord(input.data_asof),
    verification: { passed: input.verification.passed, issue_codes: issueCodes(input.verification.issues) },
    confidence: input.confidence === null ? null : { score: input.confidence.score, band: input.confidence.band },
    answer_digest_sha256: answerDigest(answer),
  };
  const digest = manifestDigest(draft);
  const manifest: AuditManifest = {
    ...draft,
    manifest_digest_sha256: digest,
    hmac_sha256: manifestHmac(digest, input.hmacKey),
  };
  return {
    audit_id: auditId,
    request_id: manifest.request_id,
    endpoint: manifest.endpoint,
    intent: manifest.intent,
    registry_version: manifest.registry_version,
    code_version: manifest.code_version,
    created_at: createdAt,
    query_ids: [...manifest.query_ids],
    answer_digest_sha256: manifest.answer_digest_sha256,
    manifest_digest_sha256: manifest.manifest_digest_sha256,
    hmac_sha256: manifest.hmac_sha256,
    manifest,
    answer,
    evidence: sortedEvidence(input.evidence),
  };
}

export interface AnswerAuditContext {
  endpoint: string;
  question: string | null;
  redact: Redactor;
  registry_version: string;
  code_version: string;
  /** Used when the answer has no router (agent endpoints): the agent's effective parameters. */
  params_used?: Record<string, unknown> | null;
  evidence: Evidence;
  hmacKey: string | null | undefined;
  now?: () => Date;
  newAuditId?: () => string;
}

/** The record of an /ask or agent-endpoint answer (or clarification): every manifest field read from the envelope. */
export function buildAnswerAuditRecord(answer: AnswerEnvelope, ctx: AnswerAuditContext): AuditRecord {
  const queryCitations = answer.citations.filter((c) => c.kind === 'query');
  const dataAsof: Record<string, string | null> = {};
  for (const c of queryCitations) dataAsof[c.id] = c.asof_date;
  return buildAuditRecord({
    request_id: answer.request_id,
    endpoint: ctx.endpoint,
    question: ctx.question,
    redact: ctx.redact,
    intent: answer.intent,
    params_used: answer.router?.params_used ?? ctx.params_used ?? null,
    router:
      answer.router === null ? null : { confidence: answer.router.confidence, threshold: answer.router.threshold },
    clock_date: answer.freshness.clock_date,
    registry_version: ctx.registry_version,
    code_version: ctx.code_version,
    query_ids: queryCitations.map((c) => c.id),
    derived_ids: answer.citations.filter((c) => c.kind === 'derived').map((c) => c.id),
    data_asof: dataAsof,
    verification: answer.verification,
    confidence: answer.confidence === null ? null : { score: answer.confidence.score, band: answer.confidence.band },
    answer,
    evidence: ctx.evidence,
    hmacKey: ctx.hmacKey,
    now: ctx.now,
    newAuditId: ctx.newAuditId,
  });
}
