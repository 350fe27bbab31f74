/** `POST /api/v1/ask` (analysis spec §4.1, §4.2): route the question, then answer or ask for clarification. */
import type { FastifyInstance } from 'fastify';
import type { AnalysisServices } from '../../analysis/analysis-services.js';
import type { AnswerOptions } from '../../analysis/answer-service.js';
import type { RouteResult } from '../../analysis/router/router.js';
import type { AnswerEnvelope, RouterLike } from '../../analysis/render/envelope-types.js';
import { analysisHttpError } from './agents.js';
import { answerOptions, answerOptionsSchema, type AnswerOptionsBody } from './answer-options.js';

export interface AskRoutesOptions {
  analysis: AnalysisServices;
}

const ASK = '/api/v1/ask';

const askSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['question'],
  properties: {
    // Length rules are the router's (400 invalid_request, not 422), so the schema only bounds the work.
    question: { type: 'string', maxLength: 100_000 },
    intent: { type: 'string', maxLength: 64 },
    params: { type: 'object' },
    options: answerOptionsSchema,
  },
} as const;

interface AskBody {
  question: string;
  intent?: string;
  params?: Record<string, unknown>;
  options?: AnswerOptionsBody;
}

/** The envelope's `router` member from the router's result. */
export function routerBlock(r: RouteResult): RouterLike {
  return {
    method: r.method,
    confidence: r.kind === 'route' ? r.confidence : (r.candidate?.score ?? 0),
    threshold: r.threshold,
    entities: r.entities,
    entities_ignored: r.entities_ignored,
    alternatives: r.alternatives,
    params_used: r.kind === 'route' ? r.params_used : {},
    defaults_applied: r.kind === 'route' ? r.defaults_applied : [],
  };
}

/** A question as the ask flow takes it, from `/api/v1/ask` or the dashboard's `/api/v1/ui/ask`. */
export interface AskRequest {
  requestId: string;
  /** The route recorded in the audit manifest. */
  endpoint: string;
  question: string;
  intent?: string;
  params?: Record<string, unknown>;
  options: AnswerOptions;
}

export interface RoutingOutcome {
  routed: RouteResult;
  routeMs: number;
}

/**
 * Step 1 of the ask flow: the routed intent with its params, or a clarification. Throws the router's errors
 * (AnalysisError, ParamsValidationError); `analysisHttpError` maps them to HTTP errors.
 */
export async function routeQuestion(
  analysis: AnalysisServices,
  req: Pick<AskRequest, 'question' | 'intent' | 'params'>,
): Promise<RoutingOutcome> {
  const router = await analysis.router();
  const started = performance.now();
  const routed = router.route(req.question, {
    ...(req.intent !== undefined ? { intent: req.intent } : {}),
    ...(req.params !== undefined ? { params: req.params } : {}),
  });
  return { routed, routeMs: performance.now() - started };
}

/** Step 2 of the ask flow: the verified, audited answer envelope of a routed question (or the clarification). */
export async function answerRouted(
  analysis: AnalysisServices,
  req: AskRequest,
  { routed, routeMs }: RoutingOutcome,
): Promise<AnswerEnvelope> {
  const common = {
    requestId: req.requestId,
    endpoint: req.endpoint,
    question: req.question.trim(),
    router: routerBlock(routed),
    routerWarnings: routed.warnings,
    routeMs,
  };
  return routed.kind === 'clarification'
    ? analysis.answers.clarification({
        ...common,
        clarification: routed.clarification,
        auditPack: req.options.audit_pack,
      })
    : analysis.answers.answer({ ...common, intent: routed.intent, params: routed.params_used, options: req.options });
}

/** The whole ask flow: route, then answer or ask for clarification. */
export async function askQuestion(analysis: AnalysisServices, req: AskRequest): Promise<AnswerEnvelope> {
  return answerRouted(analysis, req, await routeQuestion(analysis, req));
}

export async function askRoutes(app: FastifyInstance, opts: AskRoutesOptions): Promise<void> {
  app.post<{ Body: AskBody }>(ASK, { schema: { body: askSchema } }, async (req, reply) => {
    const body = req.body;
    try {
      const answer = await askQuestion(opts.analysis, {
        requestId: req.id,
        endpoint: ASK,
        question: body.question,
        ...(body.intent !== undefined ? { intent: body.intent } : {}),
        ...(body.params !== undefined ? { params: body.params } : {}),
        options: answerOptions(body.options),
      });
      reply.type('application/json; charset=utf-8');
      return JSON.stringify(answer);
    } catch (err) {
      throw analysisHttpError(err);
    }
  });
}
