import { Registry } from 'prom-client';
import { beforeEach, describe, it, expect, vi } from 'vitest';
import { encodeEnvelope } from '../../src/data/cache/envelope.js';
import { ResultCache } from '../../src/data/cache/result-cache.js';
import { MemoryStore, getMemoryStore, resetMemoryStore, type CacheStore } from '../../src/data/cache/stores.js';
import { DataError } from '../../src/data/errors.js';
import { createDataMetrics, type DataMetrics } from '../../src/data/metrics.js';
import type { StoredResult } from '../../src/data/model.js';
import { storedResultToJson } from '../../src/data/result-json.js';
import { row, rowKeys, storedResult } from './cache-fixtures.js';

const KEY = 'qnwis:ddl:v1:5bd22dad75a2:syn_sector_employment_latest:4e67e2aab4edb62f';
const QUERY_ID = 'syn_sector_employment_latest';
const CACHE_60 = { mode: 'cache', ttlS: 60 } as const;

/** Current value of one counter series (0 when the series does not exist yet). */
async function counterValue(
  counter: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels));
  return match?.value ?? 0;
}

function counting(result: StoredResult) {
  const calls = { count: 0 };
  const compute = async (): Promise<StoredResult> => {
    calls.count += 1;
    return result;
  };
  return { calls, compute };
}

let now: number;
let store: MemoryStore;
let metrics: DataMetrics;
let cache: ResultCache;

beforeEach(() => {
  now = 1_000_000;
  store = new MemoryStore({ maxEntries: 100, maxBytes: 1_000_000, now: () => now });
  metrics = createDataMetrics(new Registry());
  cache = new ResultCache(store, metrics);
});

describe('ResultCache on the in-process LRU', () => {
  it('misses, stores the envelope, then hits without computing again', async () => {
    const { calls, compute } = counting(storedResult());
    const first = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(first).toEqual({ result: storedResult(), cache: 'miss', shared: false });
    expect(await store.get(KEY)).toBe(encodeEnvelope(storedResultToJson(storedResult())));

    const second = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(second.cache).toBe('hit');
    expect(second.result).toEqual(storedResult());
    expect(rowKeys(second.result.rows)[0]).toEqual(['sector', '10', '2', 'employees']);
    expect(calls.count).toBe(1);
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(1);
    expect(await counterValue(metrics.cacheHits, { query_id: QUERY_ID })).toBe(1);
    expect(await counterValue(metrics.cacheBypass, { query_id: QUERY_ID })).toBe(0);
  });

  it('expires an entry once its TTL has passed', async () => {
    const { calls, compute } = counting(storedResult());
    await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    now += 60_000;
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('hit');
    now += 1;
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('miss');
    expect(calls.count).toBe(2);
  });

  it('bypass and never-cache neither read, write nor delete', async () => {
    await store.set(KEY, 'kept as is', 60);
    const { calls, compute } = counting(storedResult());
    expect(await cache.getOrCompute(KEY, QUERY_ID, { mode: 'bypass' }, compute)).toEqual({
      result: storedResult(),
      cache: 'bypass',
      shared: false,
    });
    expect((await cache.getOrCompute(KEY, QUERY_ID, { mode: 'nocache' }, compute)).cache).toBe('bypass');
    expect(calls.count).toBe(2);
    expect(await store.get(KEY)).toBe('kept as is');
    expect(await counterValue(metrics.cacheBypass, { query_id: QUERY_ID })).toBe(2);
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(0);
  });

  it('deletes and counts an entry that fails to decode, then recomputes', async () => {
    await store.set(KEY, '{"_meta":{"content_encoding":"identity"', 60);
    const failing = async (): Promise<StoredResult> => {
      throw new DataError('source_error', 'boom');
    };
    await expect(cache.getOrCompute(KEY, QUERY_ID, CACHE_60, failing)).rejects.toThrow('boom');
    expect(await store.get(KEY)).toBeNull();
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(1);

    await store.set(KEY, encodeEnvelope('{"query_id":"x"}'), 60);
    const { calls, compute } = counting(storedResult());
    const outcome = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(outcome.cache).toBe('miss');
    expect(calls.count).toBe(1);
    expect(await store.get(KEY)).toBe(encodeEnvelope(storedResultToJson(storedResult())));
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(2);
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(2);
  });

  it('shares one compute between concurrent misses of one key', async () => {
    let release: (r: StoredResult) => void = () => undefined;
    let calls = 0;
    const compute = (): Promise<StoredResult> => {
      calls += 1;
      return new Promise((resolve) => {
        release = resolve;
      });
    };
    const first = cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    const second = cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    await new Promise((resolve) => setImmediate(resolve));
    release(storedResult());
    const [a, b] = await Promise.all([first, second]);
    expect(calls).toBe(1);
    expect(a).toEqual({ result: storedResult(), cache: 'miss', shared: false });
    expect(b).toEqual({ result: storedResult(), cache: 'miss', shared: true });
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(2);
    // The flight is over: the next call reads the stored entry.
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('hit');
  });

  it('hands a compute error to every sharer and forgets the flight', async () => {
    let calls = 0;
    const failing = async (): Promise<StoredResult> => {
      calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      throw new DataError('timeout', 'too slow');
    };
    const results = await Promise.allSettled([
      cache.getOrCompute(KEY, QUERY_ID, CACHE_60, failing),
      cache.getOrCompute(KEY, QUERY_ID, CACHE_60, failing),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    // The lookup missed for both callers, whatever compute did afterwards.
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(2);
    const { compute } = counting(storedResult());
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('miss');
  });

  it('invalidates all override variants and registry versions of one query only', async () => {
    const keys = [
      'qnwis:ddl:v1:5bd22dad75a2:syn_a:0000000000000001',
      'qnwis:ddl:v1:5bd22dad75a2:syn_a:0000000000000002',
      'qnwis:ddl:v1:aaaaaaaaaaaa:syn_a:0000000000000001',
      'qnwis:ddl:v1:empty:syn_a:0000000000000003',
      'qnwis:ddl:v1:5bd22dad75a2:syn_a_b:0000000000000001',
      'qnwis:ddl:v1:5bd22dad75a2:syn_b:0000000000000001',
      'qnwis:ddl:v1:5bd22dad75a2:xsyn_a:0000000000000001',
      'other:syn_a:1',
    ];
    for (const key of keys) await store.set(key, 'v', 60);
    expect(await cache.invalidate('syn_a')).toBe(4);
    for (const key of keys.slice(0, 4)) expect(await store.get(key)).toBeNull();
    for (const key of keys.slice(4)) expect(await store.get(key)).toBe('v');
    expect(await cache.invalidate('syn_a')).toBe(0);
    expect(await cache.invalidateAll()).toBe(3);
    expect(store.size).toBe(1);
    expect(await store.get('other:syn_a:1')).toBe('v');
    expect(await counterValue(metrics.cacheInvalidations)).toBe(3);
  });

  it('does not count expired entries as invalidated', async () => {
    await store.set('qnwis:ddl:v1:empty:syn_a:0000000000000001', 'v', 60);
    await store.set('qnwis:ddl:v1:empty:syn_a:0000000000000002', 'v', 120);
    now += 61_000;
    expect(await cache.invalidate('syn_a')).toBe(1);
  });

  it('refuses an id that would match other queries', async () => {
    await expect(cache.invalidate('syn_*')).rejects.toMatchObject({ code: 'unknown_query' });
  });
});

describe('ResultCache.hitNow (a hit without a promise)', () => {
  it('answers a decoded in-process hit with the stored result and counts it once', async () => {
    const { compute } = counting(storedResult());
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    const miss = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBe(miss.result);
    expect(await counterValue(metrics.cacheHits, { query_id: QUERY_ID })).toBe(1);
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(1);
  });

  it('declines a key being computed, bypass, never-cache, expired and replaced entries without counting', async () => {
    let release: ((r: StoredResult) => void) | undefined;
    const slow = cache.getOrCompute(KEY, QUERY_ID, CACHE_60, () => new Promise<StoredResult>((r) => (release = r)));
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    await vi.waitFor(() => expect(release).toBeDefined());
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    release!(storedResult());
    await slow;
    expect(cache.hitNow(KEY, QUERY_ID, { mode: 'bypass' })).toBeUndefined();
    expect(cache.hitNow(KEY, QUERY_ID, { mode: 'nocache' })).toBeUndefined();
    // another writer (or worker) replaced the text: the decoded copy no longer stands for it
    await store.set(KEY, encodeEnvelope(storedResultToJson(storedResult({ warnings: [] }))), 60);
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    const decoded = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, counting(storedResult()).compute);
    expect(decoded.result.warnings).toEqual([]);
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBe(decoded.result);
    now += 60_001;
    expect(cache.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    expect(await counterValue(metrics.cacheHits, { query_id: QUERY_ID })).toBe(2);
  });

  it('is never taken on a store that cannot answer without waiting (Redis)', async () => {
    const remote: CacheStore = {
      kind: 'redis',
      get: (key) => store.get(key),
      set: (key, value, ttl) => store.set(key, value, ttl),
      delete: (key) => store.delete(key),
      deleteMatching: (selection) => store.deleteMatching(selection),
      close: async () => {},
    };
    const overRedis = new ResultCache(remote, metrics);
    await overRedis.getOrCompute(KEY, QUERY_ID, CACHE_60, counting(storedResult()).compute);
    expect(overRedis.hitNow(KEY, QUERY_ID, CACHE_60)).toBeUndefined();
    expect((await overRedis.getOrCompute(KEY, QUERY_ID, CACHE_60, counting(storedResult()).compute)).cache).toBe('hit');
  });
});

describe('MemoryStore bounds', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const small = new MemoryStore({ maxEntries: 3, maxBytes: 1_000_000 });
    await small.set('k1', 'a', 60);
    await small.set('k2', 'b', 60);
    await small.set('k3', 'c', 60);
    expect(await small.get('k1')).toBe('a');
    await small.set('k4', 'd', 60);
    expect(small.size).toBe(3);
    expect(await small.get('k2')).toBeNull();
    expect([await small.get('k1'), await small.get('k3'), await small.get('k4')]).toEqual(['a', 'c', 'd']);
  });

  it('bounds the UTF-8 bytes of stored values', async () => {
    const small = new MemoryStore({ maxEntries: 100, maxBytes: 100 });
    await small.set('k1', 'é'.repeat(30), 60); // 60 bytes, 30 UTF-16 units
    expect(small.bytes).toBe(60);
    await small.set('k2', 'x'.repeat(40), 60);
    expect(small.bytes).toBe(100);
    await small.set('k3', 'y', 60);
    expect(await small.get('k1')).toBeNull();
    expect(small.bytes).toBe(41);
    await small.set('k4', 'z'.repeat(101), 60);
    expect(await small.get('k4')).toBeNull();
    expect(small.bytes).toBe(41);
  });

  it('is one store per process until reset', () => {
    resetMemoryStore();
    const a = getMemoryStore(10, 1000);
    expect(getMemoryStore(20, 2000)).toBe(a);
    resetMemoryStore();
    expect(getMemoryStore(10, 1000)).not.toBe(a);
    resetMemoryStore();
  });

  it('keeps rows with integer-like keys in order through the store', async () => {
    const result = storedResult({ rows: [row(['x', 1], ['10', 2], ['2', 3])] });
    const { compute } = counting(result);
    await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    const hit = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(hit.cache).toBe('hit');
    expect(rowKeys(hit.result.rows)).toEqual([['x', '10', '2']]);
  });
});

describe('ResultCache with a failing backend', () => {
  function brokenStore(failing: ReadonlySet<keyof CacheStore>): CacheStore & { sets: number } {
    const inner = new MemoryStore({ maxEntries: 10, maxBytes: 100_000 });
    const fail = (op: string) => Promise.reject(new Error(`${op} failed`));
    return {
      kind: 'redis',
      sets: 0,
      get: (key) => (failing.has('get') ? fail('get') : inner.get(key)),
      async set(key, value, ttlS) {
        this.sets += 1;
        return failing.has('set') ? fail('set') : inner.set(key, value, ttlS);
      },
      delete: (key) => (failing.has('delete') ? fail('delete') : inner.delete(key)),
      deleteMatching: (selection) => (failing.has('deleteMatching') ? fail('scan') : inner.deleteMatching(selection)),
      close: () => inner.close(),
    };
  }

  it('runs uncached when get fails, and skips the write', async () => {
    const broken = brokenStore(new Set(['get']));
    const warnings: Record<string, unknown>[] = [];
    const failOpen = new ResultCache(broken, metrics, { warn: (fields) => warnings.push(fields) });
    const { calls, compute } = counting(storedResult());
    const outcome = await failOpen.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(outcome).toEqual({ result: storedResult(), cache: 'miss', shared: false });
    expect(calls.count).toBe(1);
    expect(broken.sets).toBe(0);
    expect(await counterValue(metrics.cacheErrors, { op: 'get' })).toBe(1);
    expect(warnings).toEqual([{ op: 'get', query_id: QUERY_ID, backend: 'redis', err: 'get failed' }]);
  });

  it('returns the computed result when set fails', async () => {
    const broken = brokenStore(new Set(['set']));
    const failOpen = new ResultCache(broken, metrics);
    const { compute } = counting(storedResult());
    expect((await failOpen.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).result).toEqual(storedResult());
    expect(await counterValue(metrics.cacheErrors, { op: 'set' })).toBe(1);
  });

  it('still answers when deleting a corrupt entry fails', async () => {
    const broken = brokenStore(new Set(['delete']));
    await broken.set(KEY, 'not json', 60);
    const failOpen = new ResultCache(broken, metrics);
    const { compute } = counting(storedResult());
    expect((await failOpen.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('miss');
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(1);
    expect(await counterValue(metrics.cacheErrors, { op: 'delete' })).toBe(1);
  });

  it('reports a failed invalidation as source_unavailable and counts it', async () => {
    const failOpen = new ResultCache(brokenStore(new Set(['deleteMatching'])), metrics);
    await expect(failOpen.invalidate('syn_a')).rejects.toMatchObject({ code: 'source_unavailable' });
    await expect(failOpen.invalidateAll()).rejects.toMatchObject({ code: 'source_unavailable' });
    expect(await counterValue(metrics.cacheErrors, { op: 'invalidate' })).toBe(2);
    expect(await counterValue(metrics.cacheInvalidations)).toBe(0);
  });
});

describe('createDataMetrics', () => {
  it('returns the same metrics for the same registry and registers every §10.5 name', async () => {
    const registry = new Registry();
    const first = createDataMetrics(registry);
    expect(createDataMetrics(registry)).toBe(first);
    expect(createDataMetrics(new Registry())).not.toBe(first);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      'qnwis_ddl_cache_bypass_total',
      'qnwis_ddl_cache_errors_total',
      'qnwis_ddl_cache_hits_total',
      'qnwis_ddl_cache_invalidations_total',
      'qnwis_ddl_cache_misses_total',
      'qnwis_ddl_query_duration_seconds',
      'qnwis_ddl_query_errors_total',
      'qnwis_registry_info',
    ]);
  });
});
