/**
 * `GET /api/v1/health/details` (service spec §4.2): component states for administrators. Failures are reported as
 * categories, never as raw messages.
 */
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { migrationStatus } from '../db/migrate.js';
import type { DrainState } from './drain.js';

export type FailureCategory = 'timeout' | 'connection_refused' | 'auth_failed' | 'error';

export interface HealthDetailsSource {
  version: string;
  workerId: string;
  drain: DrainState;
  db: Database | undefined;
  dbMode: 'postgres' | 'embedded' | 'none';
  redis: Redis | undefined;
  cacheBackend: () => 'redis' | 'memory';
  rateLimiterState: () => 'up' | 'down' | 'none';
  auditQueue: () => { depth: number; dropped_total: number };
  timeoutMs: number;
}

function category(err: unknown): FailureCategory {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) return 'timeout';
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|connect/i.test(text)) return 'connection_refused';
  if (/auth|password|NOAUTH|WRONGPASS|28P01/i.test(text)) return 'auth_failed';
  return 'error';
}

const connectionErrors = new WeakMap<Redis, unknown>();

/**
 * Remembers a Redis client's newest connection error until the client is ready again. A client that cannot connect
 * fails the health PING with a symptom (no writable stream, retries exhausted, a closed connection) whose wording
 * depends on where in its reconnect cycle the PING lands; the connection error names the cause (a refused connection,
 * a handshake answered with NOAUTH).
 */
export function trackConnectionErrors(redis: Redis): void {
  redis.on('error', (err: unknown) => connectionErrors.set(redis, err));
  redis.on('ready', () => connectionErrors.delete(redis));
}

function redisFailure(redis: Redis, pingError: unknown): FailureCategory {
  const cause = redis.status === 'ready' ? undefined : connectionErrors.get(redis);
  return category(cause ?? pingError);
}

async function timed(
  fn: () => Promise<unknown>,
  timeoutMs: number,
): Promise<{ ok: boolean; ms: number; err?: unknown }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round((performance.now() - started) * 1000) / 1000 };
  } catch (err) {
    return { ok: false, ms: Math.round((performance.now() - started) * 1000) / 1000, err };
  } finally {
    clearTimeout(timer);
  }
}

export async function healthDetails(src: HealthDetailsSource, startedAtMs: number): Promise<Record<string, unknown>> {
  const pg = src.db
    ? await timed(() => src.db!.query('SELECT 1', [], { operation: 'health_check' }), src.timeoutMs)
    : { ok: false, ms: 0, err: new Error('not configured') };
  const redis = src.redis ? await timed(() => src.redis!.ping(), src.timeoutMs) : null;
  let migrations: { applied: number; pending: number } | { status: 'unknown' } = { status: 'unknown' };
  if (src.db && pg.ok) {
    const status = await migrationStatus(src.db).catch(() => null);
    if (status) migrations = { applied: status.applied.length, pending: status.pending.length };
  }
  const redisUp = redis === null ? null : redis.ok && src.rateLimiterState() !== 'down';
  const status = !pg.ok || src.drain.isDraining ? 'down' : redisUp === false ? 'degraded' : 'ok';
  return {
    status,
    version: src.version,
    uptime_s: Math.floor((Date.now() - startedAtMs) / 1000),
    draining: src.drain.isDraining,
    worker: { id: src.workerId, pid: process.pid },
    components: [
      {
        name: 'postgres',
        status: pg.ok ? 'up' : 'down',
        mode: src.dbMode === 'embedded' ? 'embedded' : 'postgres',
        latency_ms: pg.ok ? pg.ms : null,
        ...(pg.ok ? {} : { failure: category(pg.err) }),
      },
      redis === null
        ? { name: 'redis', status: 'not_configured', latency_ms: null }
        : {
            name: 'redis',
            status: redisUp ? 'up' : 'down',
            latency_ms: redis.ok ? redis.ms : null,
            ...(redis.ok ? {} : { failure: redisFailure(src.redis!, redis.err) }),
          },
      { name: 'rate_limiter', backend: src.rateLimiterState() === 'up' ? 'redis' : 'memory' },
      { name: 'cache', backend: src.cacheBackend() },
      { name: 'migrations', ...migrations },
      { name: 'audit_queue', ...src.auditQueue() },
    ],
  };
}
