/** `POST /api/v1/ask` (analysis spec §4.1, §4.2): route the question, then answer or ask for clarification. */
import type { FastifyInstance } from 'fastify';
import type { AnalysisServices } from '../../analysis/analysis-services.js';
import type { RouteResult } from '../../analysis/router/router.js';
import type { RouterLike } from '../../analysis/render/envelope-types.js';
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

export async function askRoutes(app: FastifyInstance, opts: AskRoutesOptions): Promise<void> {
  app.post<{ Body: AskBody }>(ASK, { schema: { body: askSchema } }, async (req, reply) => {
    const body = req.body;
    const options = answerOptions(body.options);
    try {
      const router = await opts.analysis.router();
      const started = performance.now();
      const routed = router.route(body.question, {
        ...(body.intent !== undefined ? { intent: body.intent } : {}),
        ...(body.params !== undefined ? { params: body.params } : {}),
      });
      const routeMs = performance.now() - started;
      const common = {
        requestId: req.id,
        endpoint: ASK,
        question: body.question.trim(),
        router: routerBlock(routed),
        routerWarnings: routed.warnings,
        routeMs,
      };
      const answer =
        routed.kind === 'clarification'
          ? await opts.analysis.answers.clarification({
              ...common,
              clarification: routed.clarification,
              auditPack: options.audit_pack,
            })
          : await opts.analysis.answers.answer({
              ...common,
              intent: routed.intent,
              params: routed.params_used,
              options,
            });
      reply.type('application/json; charset=utf-8');
      return JSON.stringify(answer);
    } catch (err) {
      throw analysisHttpError(err);
    }
  });
}
