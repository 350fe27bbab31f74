/** Cache keys of data-layer spec §10.1: `qnwis:ddl:v1:<registry_version>:<query_id>:<h>`. */
import { createHash } from 'node:crypto';
import { DataError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';

export const KEY_PREFIX = 'qnwis:ddl:v1:';
/** Glob (Redis MATCH syntax) for every key of this cache generation. */
export const ALL_KEYS_PATTERN = `${KEY_PREFIX}*`;

/** Same rule as the registry's `id` field; it also guarantees no `:` or glob character can reach a key pattern. */
const QUERY_ID_RE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
const REGISTRY_VERSION_RE = /^(?:[0-9a-f]{12}|empty)$/;
const HASH_RE = /^[0-9a-f]{16}$/;

export interface KeyedStep {
  name: string;
  params?: Record<string, unknown>;
}

/** What goes into the hash: params already in key form (csv/world_bank: as written plus overrides; postgres: `{bind}`). */
export interface KeyedSpec {
  id: string;
  source: string;
  params: Record<string, unknown>;
  postprocess: readonly KeyedStep[];
}

/** First 16 lowercase hex digits of SHA-256 over the canonical JSON of `{id, source, params, postprocess}`. */
export function queryHash(spec: KeyedSpec): string {
  // Only these four members are hashed: title, description, unit and constraints never change the key.
  const keyed = {
    id: spec.id,
    source: spec.source,
    params: spec.params,
    postprocess: spec.postprocess.map((step) => ({ name: step.name, params: step.params ?? {} })),
  };
  return createHash('sha256').update(canonicalJson(keyed), 'utf8').digest('hex').slice(0, 16);
}

export function cacheKey(registryVersion: string, queryId: string, hash: string): string {
  if (!REGISTRY_VERSION_RE.test(registryVersion)) {
    throw new DataError('internal_error', 'cache key: malformed registry version');
  }
  if (!QUERY_ID_RE.test(queryId)) {
    throw new DataError('internal_error', 'cache key: malformed query id');
  }
  if (!HASH_RE.test(hash)) {
    throw new DataError('internal_error', 'cache key: malformed query hash');
  }
  return `${KEY_PREFIX}${registryVersion}:${queryId}:${hash}`;
}

/** Every override variant and registry version of one query (§10.5). */
export function queryKeyPattern(queryId: string): string {
  if (!QUERY_ID_RE.test(queryId)) {
    // An id with `*`, `?`, `[` or `:` would widen the pattern to other queries' keys.
    throw new DataError('unknown_query', 'not a valid query id');
  }
  return `${KEY_PREFIX}*:${queryId}:*`;
}
