/**
 * Conditional GET for UI data and exports (ui.md §8, service.md §1.4): strong ETag = quoted SHA-256 hex of the exact
 * body bytes, weak comparison of If-None-Match (list, `W/`, `*`), 304 without a body.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const DATA_CACHE_CONTROL = 'private, max-age=60';
export const DATA_VARY = 'Cookie, Authorization, X-API-Key';

export function etagOf(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}

function opaque(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/** Weak comparison of an If-None-Match header value against a tag: any listed tag (W/ ignored) or `*` matches. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const wanted = opaque(etag);
  for (const item of header.split(',')) {
    const candidate = item.trim();
    if (candidate === '*' || (candidate !== '' && opaque(candidate) === wanted)) return true;
  }
  return false;
}

/** Adds header names to `Vary`, keeping what an earlier stage (CORS) put there. */
export function addVary(reply: FastifyReply, names: string): void {
  const vary = reply.getHeader('vary');
  reply.header('vary', typeof vary === 'string' && vary !== '' ? `${vary}, ${names}` : names);
}

/**
 * Sends a cacheable GET body: ETag, `Cache-Control` (private, max-age=60 unless `noStore`) and `Vary`; answers 304
 * with the same headers and no body when If-None-Match matches. Returns the reply for `return` from a handler.
 */
export function sendCacheable(
  req: FastifyRequest,
  reply: FastifyReply,
  body: string | Buffer,
  contentType: string,
  opts: { noStore?: boolean } = {},
): FastifyReply {
  const etag = etagOf(body);
  addVary(reply, DATA_VARY);
  reply.header('etag', etag).header('cache-control', opts.noStore ? 'no-store' : DATA_CACHE_CONTROL);
  if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
    return reply.code(304).send();
  }
  return reply.type(contentType).send(body);
}

/** Canonical JSON (keys sorted recursively, no whitespace) for UI payloads, so equal data gives equal tags. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
