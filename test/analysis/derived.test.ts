import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derive, derivedId, jsonSafe } from '../../src/analysis/derived.js';
import type { QueryResult } from '../../src/analysis/model.js';

function query(id: string, asof: string | null, license: string | null): QueryResult {
  return {
    query_id: id,
    unit: 'count',
    rows: [],
    row_count: 0,
    provenance: { source: 'csv', dataset_id: id, locator: `${id}.csv`, fields: [], license },
    freshness: { asof_date: asof, updated_at: null },
    warnings: [],
    registry_version: 'test',
    timings: { total_ms: 0, source_ms: null, postprocess_ms: null, cache: 'bypass' },
  };
}

describe('derived results (§1.5)', () => {
  it('id hashes the RFC 8785 JSON of {operation, sorted inputs, params}', () => {
    const canonical =
      '{"inputs":["a_query","b_query"],"operation":"tm_trend","params":{"alpha":0.25,"metric":"employment"}}';
    const h8 = createHash('sha256').update(canonical).digest('hex').slice(0, 8);
    expect(derivedId('tm_trend', ['b_query', 'a_query'], { metric: 'employment', alpha: 0.25 })).toBe(
      `derived_tm_trend_${h8}`,
    );
  });

  it('records inputs sorted, the minimum as-of and the sorted unique licences', () => {
    const a = query('q_b', '2024-12-31', 'MIT-SYNTHETIC');
    const b = query('q_a', '2023-12-31', 'World Bank Open Data (CC BY 4.0)');
    const c = query('q_c', null, 'MIT-SYNTHETIC');
    const d = derive({
      operation: 'op',
      inputs: [a, b, c],
      params: { threshold: 2.5 },
      fields: [{ name: 'value', unit: 'count', kind: 'level' }],
      rows: [{ value: 3 }],
    });
    expect(d.inputs).toEqual(['q_a', 'q_b', 'q_c']);
    expect(d.asof_date).toBe('2023-12-31');
    expect(d.license).toBe('MIT-SYNTHETIC; World Bank Open Data (CC BY 4.0)');
    expect(d.id).toBe(derivedId('op', ['q_a', 'q_b', 'q_c'], { threshold: 2.5 }));
    expect(d.rows).toEqual([{ value: 3 }]);

    // A derived result over a derived result inherits its as-of and licences.
    const e = derive({ operation: 'next', inputs: [d], params: {}, fields: [] });
    expect(e.inputs).toEqual([d.id]);
    expect(e.asof_date).toBe('2023-12-31');
    expect(e.license).toBe('MIT-SYNTHETIC; World Bank Open Data (CC BY 4.0)');
  });

  it('same computation, same id; a changed param, another id', () => {
    const q = query('q', '2024-12-31', 'MIT-SYNTHETIC');
    const one = derive({ operation: 'op', inputs: [q], params: { a: 1, b: 'x' }, fields: [] });
    const two = derive({ operation: 'op', inputs: [q], params: { b: 'x', a: 1 }, fields: [] });
    const three = derive({ operation: 'op', inputs: [q], params: { a: 2, b: 'x' }, fields: [] });
    expect(one.id).toBe(two.id);
    expect(one.id).not.toBe(three.id);
  });

  it('non-finite numbers become null, so the record is valid JSON', () => {
    const q = query('q', null, null);
    const d = derive({
      operation: 'op',
      inputs: [q],
      params: { bad: Number.NaN, inf: Number.POSITIVE_INFINITY, gone: undefined },
      fields: [],
      rows: [{ v: Number.NEGATIVE_INFINITY }],
    });
    expect(d.params).toEqual({ bad: null, inf: null });
    expect(d.rows).toEqual([{ v: null }]);
    expect(d.asof_date).toBeNull();
    expect(d.license).toBe('');
    expect(jsonSafe([1, Number.NaN, { x: [Number.NaN] }])).toEqual([1, null, { x: [null] }]);
  });
});
