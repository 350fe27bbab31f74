import { describe, it, expect } from 'vitest';
import { canonicalJson } from '../../src/data/cache/canonical-json.js';
import { ALL_KEYS_PATTERN, cacheKey, queryHash, queryKeyPattern } from '../../src/data/cache/key.js';
import { DataError } from '../../src/data/errors.js';

const sectorEmployment = {
  id: 'syn_sector_employment_latest',
  source: 'csv',
  params: {
    pattern: 'aggregates/sector_employment_by_year.csv',
    select: ['year', 'sector', 'employees'],
    year: 2024,
  },
  postprocess: [],
};

const attritionHotspots = {
  id: 'syn_attrition_hotspots_latest',
  source: 'csv',
  params: {
    pattern: 'aggregates/attrition_by_sector.csv',
    select: ['year', 'sector', 'attrition_percent'],
    year: 2024,
  },
  postprocess: [{ name: 'top_n', params: { sort_key: 'attrition_percent', n: 5, descending: true } }],
};

describe('queryHash (spec §10.1 vectors)', () => {
  it('matches the sector employment vector', () => {
    expect(queryHash(sectorEmployment)).toBe('4e67e2aab4edb62f');
  });

  it('matches the attrition hotspots vector', () => {
    expect(queryHash(attritionHotspots)).toBe('fbb3542097aff0a1');
  });

  it('hashes exactly the canonical text of {id, source, params, postprocess}', () => {
    expect(canonicalJson({ ...sectorEmployment })).toBe(
      '{"id":"syn_sector_employment_latest","params":{"pattern":"aggregates/sector_employment_by_year.csv",' +
        '"select":["year","sector","employees"],"year":2024},"postprocess":[],"source":"csv"}',
    );
  });

  it('changes with overrides (values computed with Python hashlib over the canonical text)', () => {
    expect(queryHash({ ...sectorEmployment, params: { ...sectorEmployment.params, year: 2023 } })).toBe(
      'ca5b1892ec045202',
    );
    expect(queryHash({ ...sectorEmployment, params: { ...sectorEmployment.params, max_rows: 10 } })).toBe(
      '0a1e34ecf7d87a56',
    );
  });

  it('ignores title, description, unit, constraints and the order params were written in', () => {
    const withDecorations = {
      ...attritionHotspots,
      title: 'Another title',
      description: 'Changed',
      expected_unit: 'percent',
      constraints: { cache_ttl_s: 600 },
      file: 'x.yaml',
      params: {
        year: 2024,
        select: ['year', 'sector', 'attrition_percent'],
        pattern: 'aggregates/attrition_by_sector.csv',
      },
    };
    expect(queryHash(withDecorations)).toBe('fbb3542097aff0a1');
  });

  it('writes an omitted step params as {} and hashes a postgres bind member as given', () => {
    const spec = { id: 'q', source: 'postgres', params: { bind: { year: 2024 } }, postprocess: [{ name: 'yoy' }] };
    expect(queryHash(spec)).toBe('6a712118f07c6352');
    expect(queryHash({ ...spec, postprocess: [{ name: 'yoy', params: {} }] })).toBe('6a712118f07c6352');
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, including objects inside arrays, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }, 1], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1},1]},"b":1}',
    );
  });

  it('orders keys by UTF-16 code units, not code points', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF5A although its code point is larger.
    const value = { '\uFF5A': 5, '\u{1F600}': 4, é: 3, z: 2, A: 1, '10': 6, '9': 7 };
    expect(canonicalJson(value)).toBe('{"10":6,"9":7,"A":1,"z":2,"é":3,"\u{1F600}":4,"\uFF5A":5}');
  });

  it('writes strings and numbers exactly as JSON.stringify', () => {
    expect(canonicalJson([1e21, -0, 0.1, 1.5e-7, 'a"b\\c', '\u0001', '\ud800', '\u2028', null, true])).toBe(
      '[1e+21,0,0.1,1.5e-7,"a\\"b\\\\c","\\u0001","\\ud800","\u2028",null,true]',
    );
  });

  it('treats Maps as objects and drops undefined members like JSON.stringify', () => {
    expect(
      canonicalJson(
        new Map<string, unknown>([
          ['b', 2],
          ['a', undefined],
          ['c', [undefined]],
        ]),
      ),
    ).toBe('{"b":2,"c":[null]}');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  it('rejects values without a JSON form', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => canonicalJson(circular)).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('cache keys and patterns', () => {
  it('builds qnwis:ddl:v1:<version>:<id>:<hash>', () => {
    expect(cacheKey('5bd22dad75a2', 'syn_sector_employment_latest', '4e67e2aab4edb62f')).toBe(
      'qnwis:ddl:v1:5bd22dad75a2:syn_sector_employment_latest:4e67e2aab4edb62f',
    );
    expect(cacheKey('empty', 'a', '0123456789abcdef')).toBe('qnwis:ddl:v1:empty:a:0123456789abcdef');
  });

  it('refuses malformed parts', () => {
    expect(() => cacheKey('5BD22DAD75A2', 'a', '0123456789abcdef')).toThrow(DataError);
    expect(() => cacheKey('5bd22dad75a2', 'a:b', '0123456789abcdef')).toThrow(DataError);
    expect(() => cacheKey('5bd22dad75a2', 'a', '0123')).toThrow(DataError);
  });

  it('gives the invalidation patterns of §10.5', () => {
    expect(ALL_KEYS_PATTERN).toBe('qnwis:ddl:v1:*');
    expect(queryKeyPattern('syn_attrition_hotspots_latest')).toBe('qnwis:ddl:v1:*:syn_attrition_hotspots_latest:*');
  });

  it('rejects ids that would widen the pattern', () => {
    for (const id of ['*', 'a*', 'a?', 'a[b]', 'a:b', '', '1abc']) {
      let caught: unknown;
      try {
        queryKeyPattern(id);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DataError);
      expect((caught as DataError).code).toBe('unknown_query');
    }
  });
});
