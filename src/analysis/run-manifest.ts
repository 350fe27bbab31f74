/**
 * The audit manifest of a council run or a minister briefing (analysis spec §6, §7): built from the response and its
 * citations and stored through the AnswerService's audit store. A failed write never fails the run: the caller gets
 * null and adds AUDIT_WRITE_FAILED.
 */
import type { AnalysisContext, AnswerService } from './answer-service.js';
import type { Evidence } from './audit/evidence.js';
import { buildAuditRecord } from './audit/manifest.js';
import type { Citation } from './render/envelope-types.js';
import { redactText } from './verify/privacy.js';

/**
 * The AnswerService's context (clock, code version, HMAC key, audit store). AnswerService keeps it private and has
 * no accessor yet; it is read here and only here until it has one.
 */
export function analysisContext(answers: AnswerService): AnalysisContext {
  return answers.context;
}

export interface RunManifestInput {
  requestId: string;
  endpoint: 'council' | 'briefing';
  /** Effective parameters of the run (the council's methods and their params). */
  paramsUsed: Record<string, unknown> | null;
  clockDate: string;
  citations: readonly Citation[];
  verification: { passed: boolean; issues: readonly { layer: string; code: string }[] };
  confidence: { score: number; band: string } | null;
  /** The response body; its request_id, audit_id and timings_ms are not digested. */
  answer: object;
  evidence: Evidence;
}

/** Stores the manifest; returns its audit_id, or null when there is no store or the write failed. */
export async function storeRunManifest(answers: AnswerService, input: RunManifestInput): Promise<string | null> {
  const ctx = analysisContext(answers);
  if (ctx.audit === null) return null;
  try {
    const queries = input.citations.filter((c) => c.kind === 'query');
    const dataAsof: Record<string, string | null> = {};
    for (const c of queries) dataAsof[c.id] = c.asof_date;
    const record = buildAuditRecord({
      request_id: input.requestId,
      endpoint: input.endpoint,
      question: null,
      redact: redactText,
      intent: null,
      params_used: input.paramsUsed,
      router: null,
      clock_date: input.clockDate,
      registry_version: answers.registryVersion,
      code_version: ctx.codeVersion,
      query_ids: queries.map((c) => c.id),
      derived_ids: input.citations.filter((c) => c.kind === 'derived').map((c) => c.id),
      data_asof: dataAsof,
      verification: input.verification,
      confidence: input.confidence,
      answer: input.answer,
      evidence: input.evidence,
      hmacKey: ctx.hmacKey,
    });
    await ctx.audit.put(record);
    return record.audit_id;
  } catch (err) {
    ctx.onAuditError?.(err);
    return null;
  }
}
