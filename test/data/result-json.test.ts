import { describe, it, expect } from 'vitest';
import {
  ResultSchemaError,
  parseStoredResult,
  parseStoredResultText,
  resultToJson,
  rowToJson,
  rowToPlainObject,
  storedResultToJson,
} from '../../src/data/result-json.js';
import { queryResult, row, rowKeys, storedResult } from './cache-fixtures.js';

const COMPACT =
  '{"query_id":"syn_sector_employment_latest","unit":"count","rows":[' +
  '{"sector":"Construction","10":1,"2":"two","employees":1200},' +
  '{"sector":"Finance","10":null,"2":true,"employees":45.5}],"row_count":2,' +
  '"provenance":{"source":"csv","dataset_id":"sector_employment_by_year",' +
  '"locator":"aggregates/sector_employment_by_year.csv","fields":["year","sector","employees"],' +
  '"license":"MIT-SYNTHETIC"},"freshness":{"asof_date":"2024-12-31","updated_at":"2025-01-02T03:04:05Z"},' +
  '"warnings":["sum_to_one"],"registry_version":"5bd22dad75a2"}';

describe('writing results', () => {
  it('writes compact stored JSON with members and row keys in order', () => {
    expect(storedResultToJson(storedResult())).toBe(COMPACT);
  });

  it('never writes timings into the stored form', () => {
    expect(storedResultToJson(queryResult())).toBe(COMPACT);
  });

  it('appends timings last in the full result', () => {
    expect(resultToJson(queryResult())).toBe(
      `${COMPACT.slice(0, -1)},"timings":{"total_ms":12.5,"source_ms":10,"postprocess_ms":1.25,"cache":"miss"}}`,
    );
  });

  it('pretty-prints with indent 2 and keeps row key order', () => {
    const result = queryResult({
      rows: [row(['b', 1], ['10', 'x'], ['2', null]), row()],
      warnings: [],
      provenance: { source: 'postgres', dataset_id: 'lmis', locator: 'postgres:lmis.x', fields: [], license: null },
    });
    expect(resultToJson(result, 2)).toBe(
      [
        '{',
        '  "query_id": "syn_sector_employment_latest",',
        '  "unit": "count",',
        '  "rows": [',
        '    {',
        '      "b": 1,',
        '      "10": "x",',
        '      "2": null',
        '    },',
        '    {}',
        '  ],',
        '  "row_count": 2,',
        '  "provenance": {',
        '    "source": "postgres",',
        '    "dataset_id": "lmis",',
        '    "locator": "postgres:lmis.x",',
        '    "fields": [],',
        '    "license": null',
        '  },',
        '  "freshness": {',
        '    "asof_date": "2024-12-31",',
        '    "updated_at": "2025-01-02T03:04:05Z"',
        '  },',
        '  "warnings": [],',
        '  "registry_version": "5bd22dad75a2",',
        '  "timings": {',
        '    "total_ms": 12.5,',
        '    "source_ms": 10,',
        '    "postprocess_ms": 1.25,',
        '    "cache": "miss"',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('matches JSON.stringify when no key is integer-like', () => {
    const result = queryResult({ rows: [row(['a', 'é"\\\n'], ['b', -0.5]), row(['c', false])] });
    const plain = { ...result, rows: result.rows.map(rowToPlainObject) };
    expect(resultToJson(result, 2)).toBe(JSON.stringify(plain, null, 2));
    expect(resultToJson(result, 4)).toBe(JSON.stringify(plain, null, 4));
    expect(resultToJson(result)).toBe(JSON.stringify(plain));
  });

  it('writes single rows in order; the plain-object form reorders integer-like keys', () => {
    const r = row(['z', 1], ['10', 2], ['2', 3]);
    expect(rowToJson(r)).toBe('{"z":1,"10":2,"2":3}');
    expect(Object.keys(rowToPlainObject(r))).toEqual(['2', '10', 'z']);
    expect(Object.getPrototypeOf(rowToPlainObject(row(['__proto__', 1])))).toBe(Object.prototype);
    expect(Object.keys(rowToPlainObject(row(['__proto__', 1])))).toEqual(['__proto__']);
  });
});

describe('reading results', () => {
  it('round-trips and keeps integer-like keys where they were written', () => {
    const parsed = parseStoredResultText(COMPACT);
    expect(parsed).toEqual(storedResult());
    expect(rowKeys(parsed.rows)).toEqual([
      ['sector', '10', '2', 'employees'],
      ['sector', '10', '2', 'employees'],
    ]);
    expect(storedResultToJson(parsed)).toBe(COMPACT);
  });

  it('keeps a different key order per row', () => {
    const original = storedResult({ rows: [row(['2', 1], ['10', 2], ['x', 3]), row(['x', 4], ['0', 5], ['2', 6])] });
    const parsed = parseStoredResultText(storedResultToJson(original));
    expect(rowKeys(parsed.rows)).toEqual([
      ['2', '10', 'x'],
      ['x', '0', '2'],
    ]);
    expect([...parsed.rows[1]!.values()]).toEqual([4, 5, 6]);
  });

  it('accepts pretty-printed text and rows given as Maps', () => {
    const parsed = parseStoredResultText(JSON.stringify(JSON.parse(COMPACT), null, 2));
    expect(parsed.rows[0]!.get('employees')).toBe(1200);
    const fromMaps = parseStoredResult({ ...JSON.parse(COMPACT), rows: storedResult().rows });
    expect(rowKeys(fromMaps.rows)).toEqual([
      ['sector', '10', '2', 'employees'],
      ['sector', '10', '2', 'employees'],
    ]);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseStoredResultText('{"query_id":')).toThrow(ResultSchemaError);
    expect(() => parseStoredResultText('')).toThrow(ResultSchemaError);
  });

  const base = (): Record<string, unknown> => JSON.parse(COMPACT) as Record<string, unknown>;
  const provenance = (): Record<string, unknown> => base().provenance as Record<string, unknown>;
  const freshness = (): Record<string, unknown> => base().freshness as Record<string, unknown>;
  const withoutKey = (key: string): Record<string, unknown> => {
    const value = base();
    delete value[key];
    return value;
  };
  const malformed: [string, unknown][] = [
    ['not an object', []],
    ['null', null],
    ['missing rows', withoutKey('rows')],
    ['missing registry_version', withoutKey('registry_version')],
    ['extra member', { ...base(), timings: {} }],
    ['bad query id', { ...base(), query_id: 'a:b' }],
    ['unknown unit', { ...base(), unit: 'dollars' }],
    ['rows not a list', { ...base(), rows: {} }],
    ['row is a list', { ...base(), rows: [[1], {}] }],
    ['row is null', { ...base(), rows: [null, {}] }],
    ['nested value', { ...base(), rows: [{ a: { b: 1 } }, {}] }],
    ['list value', { ...base(), rows: [{ a: [1] }, {}] }],
    ['row_count mismatch', { ...base(), row_count: 3 }],
    ['row_count fractional', { ...base(), row_count: 2.5 }],
    ['provenance extra key', { ...base(), provenance: { ...provenance(), x: 1 } }],
    ['provenance source', { ...base(), provenance: { ...provenance(), source: 'excel' } }],
    ['absolute locator', { ...base(), provenance: { ...provenance(), locator: '/data/x.csv' } }],
    ['dotdot locator', { ...base(), provenance: { ...provenance(), locator: 'a/../x.csv' } }],
    ['drive locator', { ...base(), provenance: { ...provenance(), locator: 'C:x.csv' } }],
    ['fields not strings', { ...base(), provenance: { ...provenance(), fields: [1] } }],
    ['license number', { ...base(), provenance: { ...provenance(), license: 1 } }],
    ['asof_date format', { ...base(), freshness: { ...freshness(), asof_date: '2024-1-1' } }],
    ['updated_at without Z', { ...base(), freshness: { ...freshness(), updated_at: '2025-01-02T03:04:05' } }],
    ['freshness missing member', { ...base(), freshness: { asof_date: null } }],
    ['warnings not strings', { ...base(), warnings: [null] }],
    ['registry version', { ...base(), registry_version: 'ABCDEF123456' }],
    ['Map row with a non-string key', { ...base(), rows: [new Map([[1, 2]]), {}] }],
  ];
  for (const [name, value] of malformed) {
    it(`rejects: ${name}`, () => {
      expect(() => parseStoredResult(value)).toThrow(ResultSchemaError);
    });
  }

  it('accepts null freshness members and a null licence', () => {
    const parsed = parseStoredResult({
      ...base(),
      freshness: { asof_date: null, updated_at: null },
      provenance: { ...provenance(), license: null },
    });
    expect(parsed.freshness).toEqual({ asof_date: null, updated_at: null });
    expect(parsed.provenance.license).toBeNull();
  });
});
