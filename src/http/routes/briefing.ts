/**
 * `POST /api/v1/council/run` and `POST /api/v1/briefing/minister` (service spec §1.3, analysis spec §7). Both take an
 * optional body `{"ttl_s"?: 60..86400}` and nothing else (422 otherwise). The briefing answers JSON unless the
 * client asks for `text/markdown`, which gets the Markdown alone.
 *
 * `ttl_s` is validated and then ignored: the agents read data through the AnswerService's DataClient, which has no
 * per-call cache TTL, so the data layer's configured TTLs apply.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AnswerService } from '../../analysis/answer-service.js';
import { runBriefing } from '../../analysis/briefing.js';
import { runCouncil } from '../../analysis/council.js';
import { analysisHttpError } from './agents.js';

export interface BriefingRoutesOptions {
  answers: AnswerService;
}

const JSON_TYPE = 'application/json; charset=utf-8';
export const MARKDOWN_TYPE = 'text/markdown; charset=utf-8';

export const runBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ttl_s: { type: 'integer', minimum: 60, maximum: 86400 },
  },
} as const;

interface RunBody {
  ttl_s?: number;
}

/** q of a media range in an Accept header ("type/sub;q=0.5"); 1 when absent, 0 when unparseable. */
function qualityOf(params: readonly string[]): number {
  for (const p of params) {
    const [name, value] = p.split('=').map((s) => s.trim());
    if (name?.toLowerCase() === 'q') {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}

/**
 * Whether an Accept header prefers Markdown: `text/markdown` is listed with q > 0 and ranks above (or, listed first,
 * equal to) `application/json`. Wildcards mean JSON, the default.
 */
export function wantsMarkdown(accept: string | undefined): boolean {
  if (!accept) return false;
  let markdown = 0;
  let json = 0;
  let markdownFirst = false;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';');
    const media = (type ?? '').trim().toLowerCase();
    const q = qualityOf(params);
    if (media === 'text/markdown' && q > markdown) {
      markdown = q;
      if (json === 0) markdownFirst = true;
    } else if (media === 'application/json' && q > json) {
      json = q;
    }
  }
  return markdown > 0 && (markdown > json || (markdown === json && markdownFirst));
}

/** A request without a body is the empty body (the body is optional); any body given is validated. */
function emptyBodyAsObject(req: FastifyRequest, _reply: unknown, done: () => void): void {
  if (req.body === undefined) req.body = {};
  done();
}

export async function briefingRoutes(app: FastifyInstance, opts: BriefingRoutesOptions): Promise<void> {
  const route = { schema: { body: runBodySchema }, preValidation: emptyBodyAsObject };

  app.post<{ Body: RunBody | undefined }>('/api/v1/council/run', route, async (req, reply) => {
    try {
      const run = await runCouncil(opts.answers, { requestId: req.id });
      reply.type(JSON_TYPE);
      return JSON.stringify(run.response);
    } catch (err) {
      throw analysisHttpError(err);
    }
  });

  app.post<{ Body: RunBody | undefined }>('/api/v1/briefing/minister', route, async (req, reply) => {
    let run;
    try {
      run = await runBriefing(opts.answers, { requestId: req.id });
    } catch (err) {
      throw analysisHttpError(err);
    }
    reply.header('vary', 'accept');
    if (wantsMarkdown(req.headers.accept)) {
      reply.type(MARKDOWN_TYPE);
      return run.response.markdown;
    }
    reply.type(JSON_TYPE);
    return JSON.stringify(run.response);
  });
}
