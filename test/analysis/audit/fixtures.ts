/** An assembled answer and its audit record, for the audit and CLI tests. */
import { renderAnswer } from '../../../src/analysis/render/render-answer.js';
import { assembleAnswer } from '../../../src/analysis/render/envelope.js';
import type { AnswerEnvelope } from '../../../src/analysis/render/envelope-types.js';
import { buildAnswerAuditRecord, buildEvidence, type AuditRecord } from '../../../src/analysis/audit/manifest.js';
import { trendFixture } from '../render/fixtures.js';

export const HMAC_KEY = 'audit-test-key-0123456789abcdefghijklmnopqrstuv';
export const CREATED_AT = '2025-01-15T08:30:00.123Z';

export function sampleAnswer(
  requestId = 'req-audit-1',
  totalMs = 12.5,
): { answer: AnswerEnvelope; evidence: AuditRecord['evidence'] } {
  const { result, queries } = trendFixture();
  const rendered = renderAnswer({ result, queries, clockDate: '2025-01-15' });
  const answer = assembleAnswer({
    request_id: requestId,
    router: {
      method: 'classified',
      confidence: 0.82,
      threshold: 0.55,
      entities: { sectors: ['Energy'], metrics: ['qatarization'] },
      entities_ignored: [],
      alternatives: [],
      params_used: { metric: 'qatarization', sector: 'Energy' },
      defaults_applied: [],
    },
    rendered,
    verification: {
      passed: true,
      issues: [
        { layer: 'L5', code: 'STALE_DATA', severity: 'warning', message: 'stale' },
        { layer: 'L3', code: 'XCHK_TOLERANCE_EXCEEDED', severity: 'warning', message: 'gap' },
        { layer: 'L5', code: 'STALE_DATA', severity: 'warning', message: 'stale again' },
      ],
    },
    confidence: {
      score: 91,
      band: 'GREEN',
      components: { citation: 100, numbers: 100, cross_check: 97, privacy: 100, freshness: 60 },
      reasons: ['stale source'],
    },
    audit_id: null,
    timings_ms: { route: 0.1, agent: 5, render: 1, verify: 2, audit: 0, total: totalMs },
  });
  return { answer, evidence: buildEvidence(rendered.cited.queries, rendered.cited.derived) };
}

export function sampleRecord(
  key: string | null = HMAC_KEY,
  auditId = '3b241101-e2bb-4255-8caf-4136c566a962',
): AuditRecord {
  const { answer, evidence } = sampleAnswer();
  return buildAnswerAuditRecord(answer, {
    endpoint: '/api/v1/ask',
    question: 'What is the trend of Qatarization in Energy? Mail fatima@example.org\u0000',
    redact: (q) => q.replace(/\S+@\S+\.\w+/g, '[REDACTED_EMAIL]'),
    registry_version: 'reg-1',
    code_version: '0.1.0+abc1234',
    evidence,
    hmacKey: key,
    now: () => new Date(CREATED_AT),
    newAuditId: () => auditId,
  });
}
