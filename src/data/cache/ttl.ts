/** TTL resolution of data-layer spec §10.3. */
import { DataError } from '../errors.js';

export const MIN_TTL_S = 60;
export const MAX_TTL_S = 86_400;

/**
 * `bypass`: the request asked for TTL 0 (no read, no write, no delete).
 * `nocache`: the spec says `cache_ttl_s: 0` or the default TTL is 0 (never cached; timings report it as `bypass`).
 */
export type ResolvedTtl = { mode: 'bypass' } | { mode: 'nocache' } | { mode: 'cache'; ttlS: number };

/**
 * First that applies: request TTL, the spec's `constraints.cache_ttl_s`, the configured default.
 * `requestTtl` is undefined/null when absent; a number or a decimal digit string (CLI/HTTP text) otherwise.
 */
export function resolveTtl(requestTtl: unknown, specCacheTtl: number | undefined, defaultTtl: number): ResolvedTtl {
  if (requestTtl !== undefined && requestTtl !== null) {
    const ttl = parseRequestTtl(requestTtl);
    if (ttl === 0) return { mode: 'bypass' };
    return { mode: 'cache', ttlS: Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, ttl)) };
  }
  if (specCacheTtl !== undefined) {
    // Validated at load as 0 or 60..86400.
    return specCacheTtl === 0 ? { mode: 'nocache' } : { mode: 'cache', ttlS: specCacheTtl };
  }
  if (!Number.isInteger(defaultTtl) || defaultTtl < 0 || defaultTtl > MAX_TTL_S) {
    throw new DataError('internal_error', 'default cache TTL must be an integer in 0..86400');
  }
  return defaultTtl === 0 ? { mode: 'nocache' } : { mode: 'cache', ttlS: defaultTtl };
}

function parseRequestTtl(value: unknown): number {
  let ttl: number | undefined;
  if (typeof value === 'number') {
    ttl = value;
  } else if (typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) {
    ttl = Number(value);
  }
  if (ttl === undefined || !Number.isInteger(ttl) || ttl < 0) {
    throw new DataError('invalid_ttl', 'ttl_s must be a non-negative integer number of seconds');
  }
  // -0 is an integer and not negative: it means bypass like 0.
  return ttl === 0 ? 0 : ttl;
}
