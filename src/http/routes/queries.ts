import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QueryService } from '../../data/query-service.js';
import type { QueryResult } from '../../data/model.js';
import type { QueryRegistry } from '../../data/registry/registry.js';
import type { ResultCache } from '../../data/cache/result-cache.js';
import { SPEC_ID_PATTERN } from '../../data/registry/spec-validation.js';
import { isDataError } from '../../data/errors.js';
import { statusForDataError } from '../errors.js';
import { paginate, type PaginationSettings } from '../pagination.js';
import { requestAuditEvent, type RequestAuditSink } from '../request-audit.js';
import { ndjsonMetaLine, ndjsonRowLine, queryRunResponseJson } from '../serialize.js';

export interface QueryRoutesOptions {
  queries: QueryService;
  registry: QueryRegistry;
  cache: ResultCache;
  pagination: PaginationSettings & { maxPageSize: number };
  audit: RequestAuditSink;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: SPEC_ID_PATTERN.source, maxLength: 128 } },
} as const;
const runBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    ttl_s: { type: 'integer', minimum: 0 },
    override_params: { type: 'object' },
  },
} as const;

interface RunBody {
  ttl_s?: number;
  override_params?: Record<string, unknown>;
}

type RunRequest = FastifyRequest<{ Querystring: { page?: number; page_size?: number } }>;

/** The JSON body of a run: the requested page of the result (a module function: no closure per request). */
function runResponse(
  req: RunRequest,
  reply: FastifyReply,
  result: QueryResult,
  pagination: QueryRoutesOptions['pagination'],
): string {
  const page = paginate(result.rows.length, { page: req.query.page, pageSize: req.query.page_size }, pagination);
  reply.type(JSON_TYPE).header('x-total-rows', String(result.rows.length));
  // The whole result keeps its array identity, so a cache hit reuses its serialised rows.
  const whole = page.start === 0 && page.end === result.rows.length;
  return queryRunResponseJson(
    result,
    whole ? result.rows : result.rows.slice(page.start, page.end),
    page.pagination,
    page.autoPaginated,
    req.id,
  );
}

/** The deterministic queries API (service spec §1.2). Routes validate, call one function, shape the reply. */
export async function queryRoutes(app: FastifyInstance, opts: QueryRoutesOptions): Promise<void> {
  const { queries, registry, cache } = opts;
  const runQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      page: { type: 'integer', minimum: 1 },
      page_size: { type: 'integer', minimum: 1, maximum: opts.pagination.maxPageSize },
      ttl_s: { type: 'integer', minimum: 0 },
    },
  } as const;

  app.get('/api/v1/queries', async (_req, reply) => {
    reply.type(JSON_TYPE);
    return JSON.stringify({ ids: registry.ids(), registry_version: registry.version() });
  });

  app.get<{ Params: { id: string } }>('/api/v1/queries/:id', { schema: { params: idParams } }, async (req, reply) => {
    const { file: _file, ...spec } = registry.get(req.params.id);
    reply.type(JSON_TYPE);
    return JSON.stringify({ query: spec });
  });

  app.post<{
    Params: { id: string };
    Querystring: { page?: number; page_size?: number; ttl_s?: number };
    Body: RunBody | null;
  }>(
    '/api/v1/queries/:id/run',
    { schema: { params: idParams, querystring: runQuery, body: runBody } },
    (req, reply) => {
      const body = req.body ?? {};
      const options = { overrides: body.override_params, mode: 'json', ttlS: req.query.ttl_s ?? body.ttl_s } as const;
      // An in-process cache hit is answered at once; everything else (and every error) goes through run.
      const cached = queries.runCachedNow(req.params.id, options);
      if (cached !== undefined) return reply.send(runResponse(req, reply, cached, opts.pagination));
      return queries.run(req.params.id, options).then((result) => runResponse(req, reply, result, opts.pagination));
    },
  );

  app.post<{ Params: { id: string }; Querystring: { ttl_s?: number }; Body: RunBody | null }>(
    '/api/v1/queries/:id/stream',
    {
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ttl_s: { type: 'integer', minimum: 0 } },
        },
        body: runBody,
      },
    },
    async (req, reply) => {
      const body = req.body ?? {};
      const result = await queries.run(req.params.id, {
        overrides: body.override_params,
        mode: 'json',
        ttlS: req.query.ttl_s ?? body.ttl_s,
      });
      reply
        .type('application/x-ndjson; charset=utf-8')
        .header('x-query-id', result.query_id)
        .header('cache-control', 'no-store');
      return Readable.from(ndjsonLines(result, req, reply));
    },
  );

  app.post<{ Body: { queries: { query_id: string; override_params?: Record<string, unknown> }[] } }>(
    '/api/v1/queries::batch',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['queries'],
          properties: {
            queries: {
              type: 'array',
              minItems: 1,
              maxItems: 20,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['query_id'],
                properties: {
                  query_id: { type: 'string', pattern: SPEC_ID_PATTERN.source, maxLength: 128 },
                  override_params: { type: 'object' },
                },
              },
            },
          },
        },
      },
      config: { routeLabel: '/api/v1/queries:batch' },
    },
    async (req, reply) => {
      const items = req.body.queries;
      const results: string[] = new Array<string>(items.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < items.length; i = next++) {
          const item = items[i]!;
          try {
            const r = await queries.run(item.query_id, { overrides: item.override_params, mode: 'json' });
            const response = queryRunResponseJson(r, r.rows, null, false, req.id);
            results[i] = `{"query_id":${JSON.stringify(item.query_id)},"ok":true,"response":${response}}`;
          } catch (err) {
            results[i] = JSON.stringify({ query_id: item.query_id, ok: false, error: itemError(err) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, items.length) }, worker));
      reply.type(JSON_TYPE);
      return `{"results":[${results.join(',')}]}`;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/queries/:id/cache/invalidate',
    { schema: { params: idParams } },
    async (req, reply) => {
      registry.get(req.params.id);
      const removed = await cache.invalidate(req.params.id);
      opts.audit(requestAuditEvent(req, 'cache.invalidate', 200, { query_id: req.params.id, removed }));
      reply.type(JSON_TYPE);
      return JSON.stringify({ status: 'ok', query_id: req.params.id, removed });
    },
  );
}

function itemError(err: unknown): { code: string; message: string } {
  if (isDataError(err)) {
    const { status, apiCode } = statusForDataError(err.code);
    return { code: apiCode, message: status >= 500 ? 'query failed' : err.message };
  }
  return { code: 'internal_error', message: 'query failed' };
}

async function* ndjsonLines(
  result: Awaited<ReturnType<QueryService['run']>>,
  req: FastifyRequest,
  reply: FastifyReply,
): AsyncGenerator<string> {
  yield ndjsonMetaLine(result);
  for (const row of result.rows) {
    if (reply.raw.destroyed || req.raw.destroyed) return;
    yield ndjsonRowLine(row);
  }
  yield `{"type":"end","row_count":${result.rows.length}}\n`;
}
