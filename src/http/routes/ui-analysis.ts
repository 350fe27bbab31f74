/**
 * The dashboard's analysis endpoints under `/api/v1/ui` (ui.md §5.4, §5.6, §5.8, §6): Ask (suggestions, and the
 * question itself as JSON or as an NDJSON stage stream), the minister briefing, and the audit log. Ask reuses the flow
 * of `/api/v1/ask` (routes/ask.ts) and the briefing comes from the per-process BriefingCache (http/ui-briefing.ts).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AnalysisServices } from '../../analysis/analysis-services.js';
import { DEFAULT_ANSWER_OPTIONS } from '../../analysis/answer-service.js';
import { ParamsValidationError } from '../../analysis/intent-params.js';
import { AnalysisError, INTENTS, SECTORS, GCC_METRICS, SERIES_METRICS } from '../../analysis/model.js';
import { isDataError } from '../../data/errors.js';
import type { QueryRegistry } from '../../data/registry/registry.js';
import type { Executor } from '../../db/database.js';
import {
  AUDIT_STATUS_CLASSES,
  AuditCursorError,
  queryAuditEvents,
  type AuditFilter,
  type AuditOutcome,
  type AuditStatusClass,
} from '../../security/audit-query.js';
import { HttpError, SERVER_ERROR_MESSAGES, statusForDataError } from '../errors.js';
import { canonicalJson, sendCacheable } from '../etag.js';
import { ASK_SUGGESTIONS, failedAnswer, uiAnswer, type RegistryView, type UiAnswer } from '../ui-answer.js';
import { uiBriefing, type BriefingCache } from '../ui-briefing.js';
import { answerRouted, routeQuestion, type RoutingOutcome } from './ask.js';

export interface UiAnalysisRoutesOptions {
  analysis: AnalysisServices;
  registry: QueryRegistry;
  /** The process's briefing cache, shared with `GET /api/v1/export/briefing.md`. */
  briefing: BriefingCache;
  /** The database holding `audit_events`; null without one (the audit log then answers 503). */
  auditDb: Executor | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';
export const UI_ASK = '/api/v1/ui/ask';
/** ui.md §5.4: 3–500 characters after trimming. */
export const UI_QUESTION_MIN = 3;
export const UI_QUESTION_MAX = 500;
export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

export const ASK_STAGES = ['classify', 'fetch', 'analyse', 'verify', 'format'] as const;
export type AskStage = (typeof ASK_STAGES)[number];

/** One NDJSON line of `POST /api/v1/ui/ask` (ui.md §6). */
export type AskStreamEvent =
  | { type: 'accepted'; request_id: string }
  | { type: 'stage'; stage: AskStage; state: 'started' | 'done'; at: string }
  | { type: 'result'; answer: UiAnswer }
  | { type: 'error'; error: { code: string; message: string; request_id: string; error_id?: string } };

const lang = { type: 'string', enum: ['en', 'ar'] } as const;
const METRICS = [...SERIES_METRICS, ...GCC_METRICS];

const askBody = {
  type: 'object',
  additionalProperties: false,
  required: ['question'],
  properties: {
    // The length rule applies after trimming (checked in the handler); the schema only bounds the work.
    question: { type: 'string', maxLength: 2000 },
    clarification: {
      type: 'object',
      additionalProperties: false,
      required: ['original_question'],
      properties: {
        original_question: { type: 'string', maxLength: 2000 },
        choice_id: { type: 'string', enum: [...INTENTS] },
        sector: { type: 'string', enum: [...SECTORS, 'ALL'] },
        metric: { type: 'string', enum: METRICS },
      },
    },
    lang,
  },
} as const;

interface AskBody {
  question: string;
  clarification?: { original_question: string; choice_id?: string; sector?: string; metric?: string };
  lang?: 'en' | 'ar';
}

/** Query string of the audit log and its CSV export (ui.md §5.8). */
const ISO_TIME = '^\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?)?(?:Z|[+-]\\d{2}:?\\d{2})?$';
export const AUDIT_FILTER_PROPERTIES = {
  from: { type: 'string', maxLength: 40, pattern: ISO_TIME },
  to: { type: 'string', maxLength: 40, pattern: ISO_TIME },
  action: { type: 'string', minLength: 1, maxLength: 200 },
  principal_hash: { type: 'string', pattern: '^[0-9a-f]{12}$' },
  resource: { type: 'string', maxLength: 500 },
  outcome: { type: 'string', enum: ['success', 'failure'] },
  status_class: { type: 'string', enum: [...AUDIT_STATUS_CLASSES] },
} as const;

export interface AuditFilterQuery {
  from?: string;
  to?: string;
  action?: string;
  principal_hash?: string;
  resource?: string;
  outcome?: AuditOutcome;
  status_class?: AuditStatusClass;
}

function timeParam(name: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // A time without a zone is UTC (the API exchanges UTC, ui.md §4.3).
  const zoned = /T|\s/.test(value) && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) {
    throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
      details: [{ path: `querystring.${name}`, message: 'must be an ISO 8601 date or date-time' }],
    });
  }
  return new Date(ms);
}

/** The audit filter of a validated query string; 422 for a date that matches the pattern but is not a date. */
export function auditFilterFromQuery(q: AuditFilterQuery): AuditFilter {
  const from = timeParam('from', q.from);
  const to = timeParam('to', q.to);
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(q.action !== undefined ? { action: q.action } : {}),
    ...(q.principal_hash !== undefined ? { principalHash: q.principal_hash } : {}),
    ...(q.resource !== undefined && q.resource !== '' ? { resource: q.resource } : {}),
    ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
    ...(q.status_class !== undefined ? { statusClass: q.status_class } : {}),
  };
}

/** The audit database, or 503 when the app has none. */
export function requireAuditDb(db: Executor | null): Executor {
  if (db === null) throw new HttpError(503, 'dependency_unavailable', 'a dependency is unavailable');
  return db;
}

function wantsNdjson(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && /application\/x-ndjson/i.test(accept);
}

/** The error object of a failure after the stream started (5xx: fixed message and an error id that is logged). */
function streamError(err: unknown, requestId: string, log: FastifyRequest['log']): AskStreamEvent {
  let status = 500;
  let code = 'internal_error';
  let message = SERVER_ERROR_MESSAGES[500]!;
  if (err instanceof HttpError) ({ statusCode: status, code, message } = err);
  else if (isDataError(err)) {
    const mapped = statusForDataError(err.code);
    status = mapped.status;
    code = mapped.apiCode;
    message = err.message;
  }
  if (status >= 500) {
    const errorId = randomUUID();
    log.error({ err, error_id: errorId, request_id: requestId }, 'ask stream failed');
    return {
      type: 'error',
      error: {
        code,
        message: SERVER_ERROR_MESSAGES[status] ?? SERVER_ERROR_MESSAGES[500]!,
        request_id: requestId,
        error_id: errorId,
      },
    };
  }
  return { type: 'error', error: { code, message, request_id: requestId } };
}

export const STILL_AMBIGUOUS =
  'The question is still ambiguous after one clarification. Please rephrase it with a metric (employment, ' +
  'retention, attrition, Qatarization or salary) and a sector, or choose one of the suggestions.';

export async function uiAnalysisRoutes(app: FastifyInstance, opts: UiAnalysisRoutesOptions): Promise<void> {
  const { analysis, registry } = opts;
  const registryView: RegistryView = {
    has: (id) => registry.has(id),
    slaDays: (id) => registry.get(id).constraints.freshness_sla_days ?? null,
  };

  // ---- Ask (ui.md §5.4) ----

  app.get(
    '/api/v1/ui/ask/suggestions',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { lang } } } },
    async (req, reply) =>
      sendCacheable(req, reply, canonicalJson({ suggestions: ASK_SUGGESTIONS }), JSON_TYPE, { noStore: true }),
  );

  /**
   * Route, then answer; `stage` reports progress. Router and agent refusals (unknown sector, a still ambiguous
   * question, …) become a `failed` answer; anything else is thrown.
   */
  async function ask(
    req: FastifyRequest,
    body: AskBody,
    stage: (s: AskStage, state: 'started' | 'done') => void,
    aborted: () => boolean,
  ): Promise<UiAnswer | null> {
    const started = performance.now();
    const question = body.question.trim();
    const second = body.clarification !== undefined;
    const c = body.clarification;
    const params = {
      ...(c?.sector !== undefined ? { sector: c.sector } : {}),
      ...(c?.metric !== undefined ? { metric: c.metric } : {}),
    };
    const failed = (message: string, warnings: string[] = []): UiAnswer =>
      failedAnswer({ requestId: req.id, question, message, warnings, totalMs: performance.now() - started });
    const refusal = (err: unknown): UiAnswer | null => {
      if (err instanceof AnalysisError) return failed(err.message);
      if (err instanceof ParamsValidationError)
        return failed(err.details.map((d) => `${d.path} ${d.message}`).join('; '));
      return null;
    };

    stage('classify', 'started');
    let routing: RoutingOutcome;
    try {
      routing = await routeQuestion(analysis, {
        question,
        ...(c?.choice_id !== undefined ? { intent: c.choice_id } : {}),
        ...(Object.keys(params).length > 0 ? { params } : {}),
      });
    } catch (err) {
      const answer = refusal(err);
      if (answer === null) throw err;
      stage('classify', 'done');
      return answer;
    }
    stage('classify', 'done');
    const { routed } = routing;
    if (routed.kind === 'clarification' && second) {
      // ui.md §5.4: the server asks at most once per original question.
      return failed(
        STILL_AMBIGUOUS,
        routed.warnings.map((w) => w.message),
      );
    }
    if (aborted()) return null;
    const answering = routed.kind === 'route';
    if (answering) stage('fetch', 'started');
    let envelope;
    try {
      envelope = await answerRouted(
        analysis,
        { requestId: req.id, endpoint: UI_ASK, question, options: DEFAULT_ANSWER_OPTIONS },
        routing,
      );
    } catch (err) {
      const answer = refusal(err);
      if (answer === null) throw err;
      return answer;
    }
    if (answering) {
      // The answer service runs fetch, analysis and verification as one step: they complete together.
      stage('fetch', 'done');
      stage('analyse', 'started');
      stage('analyse', 'done');
      stage('verify', 'started');
      stage('verify', 'done');
    }
    stage('format', 'started');
    const answer = uiAnswer(envelope, {
      question,
      registry: registryView,
      ...(routed.kind === 'clarification' ? { clarification: routed.clarification } : {}),
    });
    stage('format', 'done');
    return answer;
  }

  app.post<{ Body: AskBody }>(UI_ASK, { schema: { body: askBody } }, async (req, reply) => {
    const body = req.body;
    const length = body.question.trim().length;
    if (length < UI_QUESTION_MIN || length > UI_QUESTION_MAX) {
      throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
        details: [
          {
            path: 'body.question',
            message: `must be ${UI_QUESTION_MIN}-${UI_QUESTION_MAX} characters after trimming`,
          },
        ],
      });
    }
    reply.header('cache-control', 'no-store');
    if (!wantsNdjson(req)) {
      const answer = await ask(
        req,
        body,
        () => undefined,
        () => false,
      );
      reply.type(JSON_TYPE);
      return JSON.stringify(answer);
    }

    const out = new PassThrough();
    let closed = false;
    // The client went away (Cancel): no more lines, and no answer is started after routing.
    reply.raw.on('close', () => {
      closed = true;
    });
    const write = (event: AskStreamEvent): void => {
      if (!closed && !out.writableEnded) out.write(`${JSON.stringify(event)}\n`);
    };
    write({ type: 'accepted', request_id: req.id });
    void ask(
      req,
      body,
      (s, state) => write({ type: 'stage', stage: s, state, at: new Date().toISOString() }),
      () => closed,
    )
      .then(
        (answer) => {
          if (answer !== null) write({ type: 'result', answer });
        },
        (err: unknown) => write(streamError(err, req.id, req.log)),
      )
      .finally(() => out.end());
    reply.type(NDJSON_TYPE);
    return reply.send(out);
  });

  // ---- Briefing (ui.md §5.6) ----

  app.get(
    '/api/v1/ui/briefing',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { lang } } } },
    async (req, reply) => {
      const cached = await opts.briefing.get(req.id);
      return sendCacheable(req, reply, canonicalJson(uiBriefing(cached)), JSON_TYPE);
    },
  );

  // ---- Admin: audit log (ui.md §5.8) ----

  app.get<{ Querystring: AuditFilterQuery & { cursor?: string; limit: number } }>(
    '/api/v1/ui/admin/audit',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...AUDIT_FILTER_PROPERTIES,
            cursor: { type: 'string', minLength: 1, maxLength: 80 },
            limit: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT },
            lang,
          },
        },
      },
    },
    async (req, reply) => {
      const db = requireAuditDb(opts.auditDb);
      const filter = auditFilterFromQuery(req.query);
      let page;
      try {
        page = await queryAuditEvents(db, filter, { cursor: req.query.cursor ?? null, limit: req.query.limit });
      } catch (err) {
        if (err instanceof AuditCursorError) {
          throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
            details: [{ path: 'querystring.cursor', message: 'is not a cursor of this audit log' }],
          });
        }
        throw err;
      }
      reply.type(JSON_TYPE).header('cache-control', 'no-store');
      return canonicalJson(page);
    },
  );
}
