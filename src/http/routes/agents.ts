/**
 * The agent endpoints (service spec §1.3, analysis spec §4.4): one route per intent, plus the reference API's
 * eleven routes kept as aliases with the reference intent names. Each answers the §4.2 envelope with router null.
 */
import type { FastifyInstance } from 'fastify';
import { AnalysisError, INTENTS, type Intent } from '../../analysis/model.js';
import { ParamsValidationError, resolveParams } from '../../analysis/intent-params.js';
import { REFERENCE_INTENT_ALIASES } from '../../analysis/agents/catalogue.js';
import type { AnswerService } from '../../analysis/answer-service.js';
import { CANONICAL_AGENT_ROUTES, REFERENCE_AGENT_ROUTES } from '../../security/permissions.js';
import { HttpError } from '../errors.js';
import { answerOptions, answerOptionsSchema, type AnswerOptionsBody } from './answer-options.js';

export interface AgentRoutesOptions {
  answers: AnswerService;
}

const JSON_TYPE = 'application/json; charset=utf-8';

const envelopeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['intent'],
  properties: {
    intent: { type: 'string', minLength: 1, maxLength: 64 },
    params: { type: 'object' },
    options: answerOptionsSchema,
  },
} as const;

interface AgentBody {
  intent: string;
  params?: Record<string, unknown>;
  options?: AnswerOptionsBody;
}

/** Analysis errors as HTTP errors: semantic problems are 400 with their code, schema problems 422. */
export function analysisHttpError(err: unknown): unknown {
  if (err instanceof ParamsValidationError) {
    return new HttpError(422, 'validation_failed', 'params do not match the schema', { details: err.details });
  }
  if (err instanceof AnalysisError) {
    const details = (err.details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
    return new HttpError(400, err.code, err.message, details ? { details } : {});
  }
  return err;
}

/** The intent a route serves and the body intent names it accepts (the reference name on alias routes). */
function routeIntents(path: string): { intent: Intent; accepted: Set<string>; want: string } {
  const dotted = path.replace('/', '.');
  const alias = REFERENCE_INTENT_ALIASES[dotted];
  if (alias) return { intent: alias, accepted: new Set([dotted, alias]), want: dotted };
  if (!(INTENTS as readonly string[]).includes(dotted)) throw new Error(`agent route ${path} has no intent`);
  return { intent: dotted as Intent, accepted: new Set([dotted]), want: dotted };
}

export async function agentRoutes(app: FastifyInstance, opts: AgentRoutesOptions): Promise<void> {
  const paths = [...new Set([...CANONICAL_AGENT_ROUTES, ...REFERENCE_AGENT_ROUTES])];
  for (const path of paths) {
    const { intent, accepted, want } = routeIntents(path);
    const url = `/api/v1/agents/${path}`;
    app.post<{ Body: AgentBody }>(url, { schema: { body: envelopeSchema } }, async (req, reply) => {
      const body = req.body;
      if (!accepted.has(body.intent)) {
        throw new HttpError(400, 'intent_mismatch', `intent '${body.intent}' does not match this endpoint ('${want}')`);
      }
      try {
        const resolved = resolveParams(intent, { explicit: body.params ?? {}, mode: 'endpoint' });
        const answer = await opts.answers.answer({
          requestId: req.id,
          endpoint: url,
          intent,
          params: resolved.params,
          options: answerOptions(body.options),
          router: null,
          routerWarnings: resolved.warnings,
          question: null,
        });
        reply.type(JSON_TYPE);
        return JSON.stringify(answer);
      } catch (err) {
        throw analysisHttpError(err);
      }
    });
  }
}
