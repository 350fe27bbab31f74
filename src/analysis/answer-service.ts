/**
 * From a resolved intent to the verified, audited answer envelope (analysis spec §4.2, §5, §6): run the agent method,
 * render, verify, score, store the audit manifest. Shared by /ask, the agent endpoints, the CLI and replay.
 */
import type { QueryService } from '../data/query-service.js';
import { AGENT_METHODS } from './agents/catalogue.js';
import { createDataClient } from './data-client.js';
import type { AgentResult, DataClient, DerivedResult, Intent, QueryResult } from './model.js';
import { loadCitedQueries } from './render/citations.js';
import { renderAnswer } from './render/render-answer.js';
import { assembleAnswer, buildClarificationEnvelope, timingsBlock } from './render/envelope.js';
import type {
  AnswerEnvelope,
  ClarificationLike,
  EnvelopeWarning,
  RouterLike,
  TimingsMs,
} from './render/envelope-types.js';
import { verifyAnswer } from './verify/verify-answer.js';
import type { Citable, VerificationResult } from './verify/types.js';
import { redactText } from './verify/privacy.js';
import { scoreConfidence } from './confidence.js';
import type { AuditStore } from './audit/store.js';
import type { Evidence } from './audit/evidence.js';
import { buildAnswerAuditRecord, buildEvidence } from './audit/manifest.js';
import type { AuditRecord } from './audit/manifest.js';

export interface AnswerOptions {
  enforce_citations: boolean;
  verify_numbers: boolean;
  audit_pack: boolean;
  max_rows: number;
}

export const DEFAULT_ANSWER_OPTIONS: AnswerOptions = {
  enforce_citations: true,
  verify_numbers: true,
  audit_pack: true,
  max_rows: 50,
};

export interface AnalysisContext {
  queries: QueryService;
  /** The injected clock (§8): QNWIS_CLOCK_DATE, else the current UTC date. */
  clockDate: () => string;
  codeVersion: string;
  hmacKey: string | undefined;
  /** Null: manifests are not stored (answers then carry audit_id null and AUDIT_WRITE_FAILED). */
  audit: AuditStore | null;
  onAuditError?: (err: unknown) => void;
}

export interface IntentRequest {
  requestId: string;
  /** "/api/v1/ask" or the agent route. */
  endpoint: string;
  intent: Intent;
  params: Record<string, unknown>;
  options: AnswerOptions;
  router: RouterLike | null;
  routerWarnings?: readonly Omit<EnvelopeWarning, 'source'>[];
  question: string | null;
  /** Milliseconds already spent routing. */
  routeMs?: number;
}

export interface ClarificationRequest {
  requestId: string;
  endpoint: string;
  question: string | null;
  router: RouterLike | null;
  clarification: ClarificationLike;
  routerWarnings?: readonly Omit<EnvelopeWarning, 'source'>[];
  auditPack: boolean;
  routeMs?: number;
}

/** One verified method result (the council renders each method as its own answer). */
export interface VerifiedResult {
  result: AgentResult;
  envelope: AnswerEnvelope;
  verification: VerificationResult;
  /** The results behind the citations (audit evidence). */
  cited: { queries: QueryResult[]; derived: DerivedResult[] };
  client: DataClient;
}

/** UTC date of `now` as YYYY-MM-DD. */
export function utcDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

const elapsed = (from: number): number => performance.now() - from;

export class AnswerService {
  constructor(private readonly ctx: AnalysisContext) {}

  /** The analysis context (clock, code version, HMAC key, audit store) for the council and the briefing. */
  get context(): AnalysisContext {
    return this.ctx;
  }

  get registryVersion(): string {
    return this.ctx.queries.registry.version();
  }

  /** A fresh client: one answer reads one consistent snapshot of each query. */
  dataClient(): DataClient {
    return createDataClient(this.ctx.queries);
  }

  /** Citable form of the cited results: query results carry their spec's freshness SLA. */
  citables(cited: { queries: readonly QueryResult[]; derived: readonly Citable[] }): Citable[] {
    const registry = this.ctx.queries.registry;
    const queries = cited.queries.map((q) => ({
      ...q,
      freshness_sla_days: registry.has(q.query_id)
        ? (registry.get(q.query_id).constraints.freshness_sla_days ?? null)
        : null,
    }));
    return [...queries, ...cited.derived];
  }

  /** Runs one agent method and returns its verified envelope (no audit). */
  async verified(
    intent: Intent,
    params: Record<string, unknown>,
    opts: {
      requestId: string;
      options: AnswerOptions;
      router: RouterLike | null;
      routerWarnings?: readonly Omit<EnvelopeWarning, 'source'>[];
      client?: DataClient;
      timings?: Partial<TimingsMs>;
    },
  ): Promise<VerifiedResult> {
    const client = opts.client ?? this.dataClient();
    const clockDate = this.ctx.clockDate();
    let t = performance.now();
    const result = await AGENT_METHODS[intent].run(client, params);
    const agentMs = elapsed(t);
    t = performance.now();
    const queries = await loadCitedQueries(result, client);
    const rendered = renderAnswer({ result, queries, clockDate, maxRows: opts.options.max_rows });
    const renderMs = elapsed(t);
    t = performance.now();
    const verification = await verifyAnswer({
      narrative: rendered.narrative,
      citations: this.citables(rendered.cited),
      options: { enforce_citations: opts.options.enforce_citations, verify_numbers: opts.options.verify_numbers },
      clockDate,
      data: client,
    });
    const { confidence } = scoreConfidence(verification);
    const verifyMs = elapsed(t);
    const envelope = assembleAnswer({
      request_id: opts.requestId,
      router: opts.router,
      rendered,
      verification,
      confidence,
      ...(opts.routerWarnings ? { routerWarnings: opts.routerWarnings } : {}),
      audit_id: null,
      timings_ms: timingsBlock({
        route: opts.timings?.route ?? 0,
        agent: agentMs,
        render: renderMs,
        verify: verifyMs,
        audit: 0,
        total: 0,
      }),
    });
    return { result, envelope, verification, cited: rendered.cited, client };
  }

  /** The full answer of §4.2: agent, render, verification, confidence, then the audit manifest when asked for. */
  async answer(req: IntentRequest): Promise<AnswerEnvelope> {
    const started = performance.now() - (req.routeMs ?? 0);
    const { envelope, cited } = await this.verified(req.intent, req.params, {
      requestId: req.requestId,
      options: req.options,
      router: req.router,
      ...(req.routerWarnings ? { routerWarnings: req.routerWarnings } : {}),
      timings: { route: req.routeMs ?? 0 },
    });
    const t = performance.now();
    const stored = req.options.audit_pack
      ? await this.store(envelope, {
          endpoint: req.endpoint,
          question: req.question,
          params_used: req.router ? null : req.params,
          evidence: () => buildEvidence(cited.queries, cited.derived),
        })
      : envelope;
    return this.finish(stored, started, t);
  }

  /** A clarification reply (§2.7); its manifest is written like any answer's. */
  async clarification(req: ClarificationRequest): Promise<AnswerEnvelope> {
    const started = performance.now() - (req.routeMs ?? 0);
    const envelope = buildClarificationEnvelope({
      request_id: req.requestId,
      router: req.router,
      clarification: req.clarification,
      clockDate: this.ctx.clockDate(),
      ...(req.routerWarnings ? { routerWarnings: req.routerWarnings } : {}),
      audit_id: null,
      timings_ms: timingsBlock({ route: req.routeMs ?? 0, agent: 0, render: 0, verify: 0, audit: 0, total: 0 }),
    });
    const t = performance.now();
    const stored = req.auditPack
      ? await this.store(envelope, {
          endpoint: req.endpoint,
          question: req.question,
          params_used: null,
          evidence: () => ({}),
        })
      : envelope;
    return this.finish(stored, started, t);
  }

  /** Stores the manifest; on failure the answer still goes out with audit_id null and AUDIT_WRITE_FAILED. */
  private async store(
    envelope: AnswerEnvelope,
    meta: {
      endpoint: string;
      question: string | null;
      params_used: Record<string, unknown> | null;
      evidence: () => Evidence;
    },
  ): Promise<AnswerEnvelope> {
    const failed = (): AnswerEnvelope => ({
      ...envelope,
      warnings: [
        ...envelope.warnings,
        { code: 'AUDIT_WRITE_FAILED', message: 'the audit manifest could not be stored', source: 'agent' },
      ],
    });
    if (this.ctx.audit === null) return failed();
    try {
      const record: AuditRecord = buildAnswerAuditRecord(envelope, {
        endpoint: meta.endpoint,
        question: meta.question,
        redact: redactText,
        registry_version: this.registryVersion,
        code_version: this.ctx.codeVersion,
        params_used: meta.params_used,
        evidence: meta.evidence(),
        hmacKey: this.ctx.hmacKey,
      });
      await this.ctx.audit.put(record);
      return { ...envelope, audit_id: record.audit_id };
    } catch (err) {
      this.ctx.onAuditError?.(err);
      return failed();
    }
  }

  private finish(envelope: AnswerEnvelope, started: number, auditFrom: number): AnswerEnvelope {
    const t = envelope.timings_ms;
    return {
      ...envelope,
      timings_ms: timingsBlock({ ...t, audit: elapsed(auditFrom), total: elapsed(started) }),
    };
  }
}
