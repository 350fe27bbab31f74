/**
 * `qnwis audit verify <id> --replay` (analysis spec §6): the stored intent and parameters run again on the stored
 * clock date through the same answer service; the new answer's digest is compared with the stored one.
 */
import { AGENT_METHODS } from '../analysis/agents/catalogue.js';
import { AnswerService, DEFAULT_ANSWER_OPTIONS } from '../analysis/answer-service.js';
import { answerDigest } from '../analysis/audit/digest.js';
import type { AuditRecord } from '../analysis/audit/manifest.js';
import { buildClarificationEnvelope } from '../analysis/render/envelope.js';
import type { ClarificationLike, EnvelopeWarning, RouterLike } from '../analysis/render/envelope-types.js';
import type { Intent } from '../analysis/model.js';
import type { ReplayOutcome } from './commands/audit.js';
import { runCouncil } from '../analysis/council.js';
import { runBriefing } from '../analysis/briefing.js';
import type { CliContext } from './context.js';

function routerWarnings(answer: Record<string, unknown>): Omit<EnvelopeWarning, 'source'>[] {
  const warnings = (answer.warnings as EnvelopeWarning[] | undefined) ?? [];
  return warnings.filter((w) => w.source === 'router').map(({ source: _source, ...rest }) => rest);
}

export async function replayAuditRecord(record: AuditRecord, ctx: CliContext): Promise<ReplayOutcome> {
  const queries = await ctx.queryService();
  const registryVersion = queries.registry.version();
  const { manifest, answer } = record;
  const requestId = typeof answer.request_id === 'string' ? answer.request_id : (record.request_id ?? '');
  const router = (answer.router as RouterLike | null | undefined) ?? null;
  if (answer.status === 'clarification') {
    // A clarification reads no data: rebuilding it from its parts checks the envelope construction.
    const rebuilt = buildClarificationEnvelope({
      request_id: requestId,
      router,
      clarification: answer.clarification as ClarificationLike,
      clockDate: manifest.clock_date,
      routerWarnings: routerWarnings(answer),
      timings_ms: { route: 0, agent: 0, render: 0, verify: 0, audit: 0, total: 0 },
    });
    return { answerDigest: answerDigest(rebuilt), registryVersion };
  }
  if (manifest.endpoint === 'council' || manifest.endpoint === 'briefing') {
    const service = new AnswerService({
      queries,
      clockDate: () => manifest.clock_date,
      codeVersion: manifest.code_version,
      hmacKey: undefined,
      audit: null,
    });
    const body =
      manifest.endpoint === 'council'
        ? (await runCouncil(service, { requestId, audit: false })).response
        : (await runBriefing(service, { requestId, audit: false })).response;
    return { answerDigest: answerDigest(body), registryVersion };
  }
  const intent = manifest.intent;
  if (intent === null || !(intent in AGENT_METHODS)) {
    throw new Error(`replay of ${manifest.endpoint} records is not available (no intent)`);
  }
  const service = new AnswerService({
    queries,
    clockDate: () => manifest.clock_date,
    codeVersion: manifest.code_version,
    hmacKey: undefined,
    audit: null,
  });
  const replayed = await service.answer({
    requestId,
    endpoint: manifest.endpoint,
    intent: intent as Intent,
    params: manifest.params_used ?? {},
    options: { ...DEFAULT_ANSWER_OPTIONS, audit_pack: false },
    router,
    routerWarnings: routerWarnings(answer),
    question: null,
  });
  return { answerDigest: answerDigest(replayed), registryVersion };
}
