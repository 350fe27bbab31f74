import { describe, expect, it } from 'vitest';
import { queryRunResponseJson } from '../../src/http/serialize.js';
import { queryResult } from '../data/cache-fixtures.js';

const KEYS = [
  'query_id',
  'unit',
  'rows',
  'row_count',
  'provenance',
  'freshness',
  'warnings',
  'registry_version',
  'timings',
  'pagination',
  'auto_paginated',
  'request_id',
];

describe('queryRunResponseJson', () => {
  it('writes every member in the documented order, rows in column order', () => {
    const r = queryResult();
    const text = queryRunResponseJson(r, r.rows, null, false, 'req-1');
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(KEYS);
    expect(text).toContain('"rows":[{"sector":"Construction","10":1,"2":"two","employees":1200},');
    expect(body).toMatchObject({
      query_id: r.query_id,
      unit: r.unit,
      row_count: 2,
      provenance: r.provenance,
      freshness: r.freshness,
      warnings: ['sum_to_one'],
      registry_version: r.registry_version,
      timings: { total_ms: 12.5, source_ms: 10, postprocess_ms: 1.25, cache: 'miss' },
      pagination: null,
      auto_paginated: false,
      request_id: 'req-1',
    });
  });

  it('reuses nothing that changed: per-call members and a new provenance or version on the same rows', () => {
    const r = queryResult();
    queryRunResponseJson(r, r.rows, null, false, 'req-1');
    const page = { page: 2, page_size: 1, total_items: 2, total_pages: 2, has_prev: true, has_next: false };
    const next = {
      ...r,
      provenance: { ...r.provenance, license: 'CC-BY-4.0' },
      registry_version: '0123456789ab',
      warnings: ['stale_data:9>1'],
      timings: { total_ms: 0.25, source_ms: null, postprocess_ms: null, cache: 'hit' as const },
    };
    const body = JSON.parse(queryRunResponseJson(next, next.rows, page, true, 'req-2')) as Record<string, unknown>;
    expect(body).toMatchObject({
      provenance: { license: 'CC-BY-4.0' },
      registry_version: '0123456789ab',
      warnings: ['stale_data:9>1'],
      timings: { total_ms: 0.25, source_ms: null, postprocess_ms: null, cache: 'hit' },
      pagination: page,
      auto_paginated: true,
      request_id: 'req-2',
    });
    const again = JSON.parse(queryRunResponseJson(r, r.rows, null, false, 'req-3')) as Record<string, unknown>;
    expect(again).toMatchObject({
      provenance: r.provenance,
      registry_version: r.registry_version,
      warnings: ['sum_to_one'],
    });
  });
});
