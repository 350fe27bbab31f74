import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { encodeEnvelope } from '../../src/data/cache/envelope.js';
import { ResultCache } from '../../src/data/cache/result-cache.js';
import { RedisStore } from '../../src/data/cache/stores.js';
import { DataError } from '../../src/data/errors.js';
import { createDataMetrics, type DataMetrics } from '../../src/data/metrics.js';
import type { StoredResult } from '../../src/data/model.js';
import { storedResultToJson } from '../../src/data/result-json.js';
import { redisUrlForDb } from '../support/services.js';
import { row, rowKeys, storedResult } from './cache-fixtures.js';

const REDIS_URL = redisUrlForDb(3);
const KEY = 'qnwis:ddl:v1:5bd22dad75a2:syn_sector_employment_latest:4e67e2aab4edb62f';
const QUERY_ID = 'syn_sector_employment_latest';
const CACHE_60 = { mode: 'cache', ttlS: 60 } as const;

async function counterValue(
  counter: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

function counting(result: StoredResult) {
  const calls = { count: 0 };
  const compute = async (): Promise<StoredResult> => {
    calls.count += 1;
    return result;
  };
  return { calls, compute };
}

let raw: Redis;
let store: RedisStore;
let metrics: DataMetrics;
let cache: ResultCache;

beforeEach(async () => {
  raw = new Redis(REDIS_URL);
  await raw.flushdb();
  store = new RedisStore(REDIS_URL, { scanCount: 50 });
  metrics = createDataMetrics(new Registry());
  cache = new ResultCache(store, metrics);
});

afterEach(async () => {
  await cache.close();
  await raw.quit();
});

describe('ResultCache on Redis', () => {
  it('misses, stores the envelope with SET EX, then hits', async () => {
    const { calls, compute } = counting(storedResult());
    expect(await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).toEqual({
      result: storedResult(),
      cache: 'miss',
      shared: false,
    });
    expect(await raw.get(KEY)).toBe(encodeEnvelope(storedResultToJson(storedResult())));
    const ttl = await raw.ttl(KEY);
    expect(ttl === 59 || ttl === 60).toBe(true);

    const hit = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(hit.cache).toBe('hit');
    expect(hit.result).toEqual(storedResult());
    expect(rowKeys(hit.result.rows)[0]).toEqual(['sector', '10', '2', 'employees']);
    expect(calls.count).toBe(1);
    expect(await counterValue(metrics.cacheHits, { query_id: QUERY_ID })).toBe(1);
    expect(await counterValue(metrics.cacheMisses, { query_id: QUERY_ID })).toBe(1);
    expect(await counterValue(metrics.cacheErrors, { op: 'get' })).toBe(0);
  });

  it('round-trips a compressed entry', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => row(['sector', `s${i}`], ['10', i], ['2', i / 4]));
    const big = storedResult({ rows, row_count: rows.length });
    const { compute } = counting(big);
    await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    const stored = (await raw.get(KEY)) ?? '';
    expect(stored.startsWith('{"_meta":{"content_encoding":"zlib","compressed":true,')).toBe(true);
    const hit = await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(hit.cache).toBe('hit');
    expect(storedResultToJson(hit.result)).toBe(storedResultToJson(big));
  });

  it('misses again once Redis has expired the entry', async () => {
    const { calls, compute } = counting(storedResult());
    await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
    expect(await raw.pexpire(KEY, 200)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await raw.exists(KEY)).toBe(0);
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('miss');
    expect(calls.count).toBe(2);
  });

  it('bypass leaves Redis untouched', async () => {
    await raw.set(KEY, 'kept as is');
    const { calls, compute } = counting(storedResult());
    expect((await cache.getOrCompute(KEY, QUERY_ID, { mode: 'bypass' }, compute)).cache).toBe('bypass');
    expect(calls.count).toBe(1);
    expect(await raw.get(KEY)).toBe('kept as is');
    expect(await raw.ttl(KEY)).toBe(-1);
  });

  it('invalidates every override variant and registry version of one query; others survive', async () => {
    const target: string[] = [];
    for (let i = 0; i < 120; i += 1) {
      const version = i % 2 === 0 ? '5bd22dad75a2' : 'aaaaaaaaaaaa';
      target.push(`qnwis:ddl:v1:${version}:syn_a:${i.toString(16).padStart(16, '0')}`);
    }
    const survivors = [
      'qnwis:ddl:v1:5bd22dad75a2:syn_a_b:0000000000000001',
      'qnwis:ddl:v1:5bd22dad75a2:syn_b:0000000000000001',
      'qnwis:ddl:v1:empty:xsyn_a:0000000000000001',
    ];
    for (const key of [...target, ...survivors]) await store.set(key, 'v', 60);
    await raw.set('unrelated:syn_a:1', 'v');

    expect(await cache.invalidate('syn_a')).toBe(120);
    expect(await raw.exists(...target)).toBe(0);
    expect((await raw.keys('*')).sort()).toEqual([...survivors, 'unrelated:syn_a:1'].sort());
    expect(await cache.invalidate('syn_a')).toBe(0);

    expect(await cache.invalidateAll()).toBe(3);
    expect(await raw.keys('*')).toEqual(['unrelated:syn_a:1']);
    expect(await counterValue(metrics.cacheInvalidations)).toBe(3);
  });

  it('deletes and counts a corrupt entry', async () => {
    await raw.set(KEY, 'this is not an envelope', 'EX', 600);
    const failing = async (): Promise<StoredResult> => {
      throw new DataError('source_error', 'boom');
    };
    await expect(cache.getOrCompute(KEY, QUERY_ID, CACHE_60, failing)).rejects.toThrow('boom');
    expect(await raw.exists(KEY)).toBe(0);
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(1);

    await raw.set(KEY, encodeEnvelope('{"query_id":"syn_a"}'), 'EX', 600);
    const { compute } = counting(storedResult());
    expect((await cache.getOrCompute(KEY, QUERY_ID, CACHE_60, compute)).cache).toBe('miss');
    expect(await raw.get(KEY)).toBe(encodeEnvelope(storedResultToJson(storedResult())));
    expect(await counterValue(metrics.cacheErrors, { op: 'decode' })).toBe(2);
  });
});

describe('ResultCache with Redis down', () => {
  it('fails open within a second and counts the error', async () => {
    const outages: string[] = [];
    const downStore = new RedisStore('redis://127.0.0.1:1/0', {
      onConnectionError: (err) => outages.push(err.message),
    });
    const down = new ResultCache(downStore, metrics);
    try {
      const { calls, compute } = counting(storedResult());
      const started = Date.now();
      const first = await down.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
      const second = await down.getOrCompute(KEY, QUERY_ID, CACHE_60, compute);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(first).toEqual({ result: storedResult(), cache: 'miss', shared: false });
      expect(second.cache).toBe('miss');
      expect(calls.count).toBe(2);
      expect(await counterValue(metrics.cacheErrors, { op: 'get' })).toBe(2);
      expect(await counterValue(metrics.cacheErrors, { op: 'set' })).toBe(0);
      expect(outages).toHaveLength(1);
      expect(outages[0]).toContain('ECONNREFUSED');
      await expect(down.invalidate('syn_a')).rejects.toMatchObject({ code: 'source_unavailable' });
      expect(await counterValue(metrics.cacheErrors, { op: 'invalidate' })).toBe(1);
    } finally {
      await down.close();
    }
  });
});
