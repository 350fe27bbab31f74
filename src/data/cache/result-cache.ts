/**
 * The result cache of data-layer spec §10: read-through with single-flight, fail-open on backend trouble.
 * Only StoredResults (no timings, no freshness warnings) go in.
 */
import { LRUCache } from 'lru-cache';
import { DataError } from '../errors.js';
import { ChildCache, CounterTallies } from '../metric-children.js';
import type { StoredResult } from '../model.js';
import type { CacheErrorOp, DataMetrics } from '../metrics.js';
import { storedResultToJson } from '../result-json.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import type { CacheStore, KeySelection } from './stores.js';
import type { ResolvedTtl } from './ttl.js';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

export interface CachedResult {
  result: StoredResult;
  cache: CacheOutcome;
  /** True when this call waited for another call's lookup/compute of the same key and its `compute` never ran. */
  shared: boolean;
}

/** Structurally compatible with a pino logger. */
export interface CacheLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

interface Flight {
  result: StoredResult;
  cache: 'hit' | 'miss';
}

export class ResultCache {
  private readonly inFlight = new Map<string, Promise<Flight>>();
  /** Decoded results by key, reused only while the stored text is identical: a hit then skips the decode. */
  private readonly decoded = new LRUCache<string, { text: string; result: StoredResult }>({ max: 256 });

  constructor(
    private readonly store: CacheStore,
    private readonly metrics: DataMetrics,
    private readonly log?: CacheLogger,
  ) {
    this.hits = new CounterTallies(metrics.cacheHits, ['query_id']);
  }

  get backend(): CacheStore['kind'] {
    return this.store.kind;
  }

  /**
   * Serves `key` from the cache or runs `compute` and stores its result for `ttl`.
   * Cache trouble never throws: it is counted in `qnwis_ddl_cache_errors_total{op}` and the query runs uncached.
   * Errors of `compute` propagate to every caller sharing that flight. Each call counts one hit, miss or bypass.
   */
  async getOrCompute(
    key: string,
    queryId: string,
    ttl: ResolvedTtl,
    compute: () => Promise<StoredResult>,
  ): Promise<CachedResult> {
    if (ttl.mode !== 'cache') {
      // Request TTL 0 and "never cache" alike: no read, no write, no delete.
      this.bypasses.get(queryId).inc();
      return { result: await compute(), cache: 'bypass', shared: false };
    }
    const running = this.inFlight.get(key);
    if (running) return this.settle(running, queryId, true);
    const flight = this.lookupOrCompute(key, queryId, ttl.ttlS, compute);
    this.inFlight.set(key, flight);
    try {
      return await this.settle(flight, queryId, false);
    } finally {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    }
  }

  /**
   * A hit answered without a promise: only from an in-process store and only when its text is already decoded.
   * Counts the hit; undefined means "ask getOrCompute" (nothing is counted then).
   */
  hitNow(key: string, queryId: string, ttl: ResolvedTtl): StoredResult | undefined {
    if (ttl.mode !== 'cache' || this.store.peek === undefined) return undefined;
    const stored = this.store.peek(key);
    if (stored === null) return undefined;
    const memo = this.decoded.get(key);
    if (memo === undefined || memo.text !== stored) return undefined;
    this.countOutcome(queryId, 'hit');
    return memo.result;
  }

  /** Removes every key of one query id (all override variants, all registry versions). */
  async invalidate(queryId: string): Promise<number> {
    return this.removeMatching({ queryId });
  }

  /** Removes every key of this cache generation. */
  async invalidateAll(): Promise<number> {
    return this.removeMatching('all');
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async lookupOrCompute(
    key: string,
    queryId: string,
    ttlS: number,
    compute: () => Promise<StoredResult>,
  ): Promise<Flight> {
    let readFailed = false;
    let stored: string | null = null;
    try {
      stored = await this.store.get(key);
    } catch (err) {
      readFailed = true;
      this.backendError('get', queryId, err);
    }
    if (stored !== null) {
      const memo = this.decoded.get(key);
      if (memo !== undefined && memo.text === stored) return { result: memo.result, cache: 'hit' };
      try {
        const result = decodeEnvelope(stored);
        this.decoded.set(key, { text: stored, result });
        return { result, cache: 'hit' };
      } catch (err) {
        this.backendError('decode', queryId, err);
        try {
          await this.store.delete(key);
        } catch (deleteErr) {
          this.backendError('delete', queryId, deleteErr);
        }
      }
    }
    const result = await compute();
    // After a failed read the backend is presumed down: skip the write rather than wait for a second timeout.
    if (!readFailed) {
      try {
        const text = encodeEnvelope(storedResultToJson(result));
        await this.store.set(key, text, ttlS);
        this.decoded.set(key, { text, result });
      } catch (err) {
        this.backendError('set', queryId, err);
      }
    }
    return { result, cache: 'miss' };
  }

  private async removeMatching(selection: KeySelection): Promise<number> {
    let removed: number;
    try {
      removed = await this.store.deleteMatching(selection);
    } catch (err) {
      if (err instanceof DataError) throw err;
      this.backendError('invalidate', selection === 'all' ? null : selection.queryId, err);
      // Unlike reads, an invalidation the caller cannot trust must be reported (CLI exit 4, HTTP 503).
      throw new DataError('source_unavailable', 'cache backend unavailable during invalidation');
    }
    this.metrics.cacheInvalidations.inc();
    return removed;
  }

  /** A flight only rejects when compute failed, which means the lookup missed. */
  private async settle(flight: Promise<Flight>, queryId: string, shared: boolean): Promise<CachedResult> {
    let done: Flight;
    try {
      done = await flight;
    } catch (err) {
      this.countOutcome(queryId, 'miss');
      throw err;
    }
    this.countOutcome(queryId, done.cache);
    return { result: done.result, cache: done.cache, shared };
  }

  private countOutcome(queryId: string, outcome: 'hit' | 'miss'): void {
    (outcome === 'hit' ? this.hits : this.misses).get(queryId).inc();
  }

  private readonly bypasses = new ChildCache((id) => this.metrics.cacheBypass.labels(id));
  private readonly hits: CounterTallies<'query_id'>;
  private readonly misses = new ChildCache((id) => this.metrics.cacheMisses.labels(id));

  private backendError(op: CacheErrorOp, queryId: string | null, err: unknown): void {
    this.metrics.cacheErrors.inc({ op });
    this.log?.warn(
      { op, query_id: queryId, backend: this.store.kind, err: err instanceof Error ? err.message : String(err) },
      'result cache operation failed; continuing without the cache',
    );
  }
}
