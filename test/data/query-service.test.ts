import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveDataConfig } from '../../src/config/data-config.js';
import { resetMemoryStore } from '../../src/data/cache/stores.js';
import { createDataServices, type DataServices } from '../../src/data/data-services.js';
import { DataError } from '../../src/data/errors.js';
import type { QueryResult } from '../../src/data/model.js';
import { TEST_PACK_DIR } from '../support/pack.js';

const ID = 'syn_attrition_hotspots_latest';
let today: Date;
let registry: Registry;
let data: DataServices;

beforeEach(async () => {
  resetMemoryStore();
  today = new Date('2026-01-15T12:00:00Z');
  registry = new Registry();
  data = await createDataServices(resolveDataConfig({ QNWIS_DATA_DIR: TEST_PACK_DIR }), {
    metricsRegistry: registry,
    now: () => today,
  });
});

afterEach(async () => {
  await data.close();
  resetMemoryStore();
});

function withoutTotal(r: QueryResult): Omit<QueryResult, 'timings'> & { timings: object } {
  const { total_ms: _total, ...timings } = r.timings;
  return { ...r, timings };
}

async function hits(): Promise<number> {
  const { values } = await data.metrics.cacheHits.get();
  return values.find((v) => v.labels.query_id === ID)?.value ?? 0;
}

describe('QueryService.runCachedNow', () => {
  it('answers an in-process hit exactly as run does, and counts it', async () => {
    expect(data.queryService.runCachedNow(ID)).toBeUndefined();
    const miss = await data.queryService.run(ID);
    expect(miss.timings.cache).toBe('miss');
    const now = data.queryService.runCachedNow(ID);
    const viaRun = await data.queryService.run(ID);
    expect(now).toBeDefined();
    expect(withoutTotal(now!)).toEqual(withoutTotal(viaRun));
    expect(now!.timings).toMatchObject({ cache: 'hit', source_ms: null, postprocess_ms: null });
    expect(now!.rows).toBe(viaRun.rows);
    expect(await hits()).toBe(2);
  });

  it('adds this call’s freshness warning to a cached result', async () => {
    await data.queryService.run(ID);
    today = new Date('2040-01-01T00:00:00Z');
    const stale = data.queryService.runCachedNow(ID)!;
    expect(stale.warnings.filter((w) => w.startsWith('stale_data:'))).toEqual(['stale_data:5479>3650']);
    today = new Date('2026-01-15T12:00:00Z');
    expect(data.queryService.runCachedNow(ID)!.warnings.some((w) => w.startsWith('stale_data:'))).toBe(false);
  });

  it('leaves misses, bypasses, bad input and unknown ids to run (which reports them)', async () => {
    await data.queryService.run(ID);
    expect(data.queryService.runCachedNow(ID, { ttlS: 0 })).toBeUndefined();
    expect(data.queryService.runCachedNow(ID, { ttlS: 'soon' })).toBeUndefined();
    expect(data.queryService.runCachedNow('no_such_query')).toBeUndefined();
    expect(data.queryService.runCachedNow(ID, { overrides: { nope: 1 } })).toBeUndefined();
    await expect(data.queryService.run(ID, { overrides: { nope: 1 } })).rejects.toBeInstanceOf(DataError);
    await expect(data.queryService.run('no_such_query')).rejects.toMatchObject({ code: 'unknown_query' });
    expect(await hits()).toBe(0);
  });
});
