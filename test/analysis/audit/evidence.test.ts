/** Audit evidence (analysis spec §6): plain JSON-safe rows per cited id, prepared once per cached row array. */
import { describe, expect, it } from 'vitest';
import { buildEvidence, evidenceHasNul, evidenceJson, sortedEvidence } from '../../../src/analysis/audit/evidence.js';
import type { DerivedResult, QueryResult } from '../../../src/analysis/model.js';

function queryResult(id: string, rows: Map<string, unknown>[]): QueryResult {
  return { query_id: id, rows } as unknown as QueryResult;
}

function derivedResult(id: string, rows: Record<string, unknown>[]): DerivedResult {
  return { id, rows } as unknown as DerivedResult;
}

describe('audit evidence', () => {
  const cached = [
    new Map<string, unknown>([
      ['year', 2024],
      ['sector', 'Energy'],
      ['value', 12.5],
    ]),
    new Map<string, unknown>([
      ['year', 2023],
      ['sector', 'Energy'],
      ['value', Number.NaN],
    ]),
  ];

  it('keys rows by id in code-unit order, query rows as plain objects in column order, non-finite numbers as null', () => {
    const evidence = buildEvidence(
      [queryResult('z_query', cached), queryResult('a_query', [new Map([['n', 1]])])],
      [derivedResult('derived_x_1', [{ score: Number.POSITIVE_INFINITY, label: 'ok' }])],
    );
    expect(Object.keys(evidence)).toEqual(['a_query', 'derived_x_1', 'z_query']);
    expect(evidence.z_query).toEqual([
      { year: 2024, sector: 'Energy', value: 12.5 },
      { year: 2023, sector: 'Energy', value: null },
    ]);
    expect(Object.keys(evidence.z_query![0] as object)).toEqual(['year', 'sector', 'value']);
    expect(evidence.derived_x_1).toEqual([{ score: null, label: 'ok' }]);
    expect(JSON.parse(evidenceJson(evidence))).toEqual(JSON.parse(JSON.stringify(evidence)));
    expect(evidenceJson(evidence)).toBe(JSON.stringify(evidence));
  });

  it('a derived result never replaces the rows of a query with the same id', () => {
    const evidence = buildEvidence([queryResult('q', cached)], [derivedResult('q', [{ other: 1 }])]);
    expect(evidence.q).toHaveLength(2);
  });

  it('prepares the rows of one cached array once and shares the frozen result between answers', () => {
    const first = buildEvidence([queryResult('q', cached)], []);
    const second = buildEvidence([queryResult('q', cached)], []);
    expect(second.q).toBe(first.q);
    expect(Object.isFrozen(first.q)).toBe(true);
    expect(Object.isFrozen(first.q![0])).toBe(true);
    expect(sortedEvidence(first).q).toBe(first.q);
    // a different array with equal content is prepared on its own
    const copy = buildEvidence(
      [
        queryResult(
          'q',
          cached.map((r) => new Map(r)),
        ),
      ],
      [],
    );
    expect(copy.q).not.toBe(first.q);
    expect(copy.q).toEqual(first.q);
  });

  it('finds U+0000 in values and ids, and nowhere else', () => {
    expect(evidenceHasNul(buildEvidence([queryResult('q', cached)], []))).toBe(false);
    expect(evidenceHasNul(sortedEvidence({ q: [{ name: 'a\u0000b' }] }))).toBe(true);
    expect(evidenceHasNul({ 'q\u0000': [] })).toBe(true);
    expect(evidenceHasNul({ q: [{ text: 'a literal \\u0000 backslash sequence' }] })).toBe(false);
    expect(evidenceHasNul({ q: [{ text: 'two backslashes \\\\u0000' }] })).toBe(false);
    expect(evidenceHasNul({ q: [{ text: 'two backslashes \\\\u0000, then NUL \\\u0000' }] })).toBe(true);
  });
});
