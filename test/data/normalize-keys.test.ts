import { describe, expect, it } from 'vitest';
import type { Row, Scalar } from '../../src/data/model.js';
import { normalizeKey, normalizeRows } from '../../src/data/normalize-keys.js';

const vectors: [string, string][] = [
  ['Male Percent', 'male_percent'],
  ['GDP(QAR)', 'gdp_qar'],
  ['Total__Value', 'total_value'],
  ['camelCase', 'camel_case'],
  ['ABCDef', 'abcdef'],
  ['__Total Value__', 'total_value'],
  ['yoyPercent2024', 'yoy_percent2024'],
  ['a1B', 'a1_b'],
  ['aBcD', 'a_bc_d'],
  ['HTTPServer', 'httpserver'],
  ['Share%', 'share'],
  ['café Bar', 'caf_bar'],
  ['year', 'year'],
  ['2024', '2024'],
  ['total_percent', 'total_percent'],
];

describe('normalizeKey', () => {
  it('converts the spec vectors and more', () => {
    for (const [key, want] of vectors) expect(normalizeKey(key)).toBe(want);
  });

  it('keeps a key that would become empty', () => {
    expect(normalizeKey('%')).toBe('%');
    expect(normalizeKey('')).toBe('');
    expect(normalizeKey('__')).toBe('__');
    expect(normalizeKey('é')).toBe('é');
  });

  it('is idempotent', () => {
    for (const [key] of vectors) expect(normalizeKey(normalizeKey(key))).toBe(normalizeKey(key));
    for (const key of ['%', '', ' _ ', 'Ünïcode Name']) expect(normalizeKey(normalizeKey(key))).toBe(normalizeKey(key));
  });
});

describe('normalizeRows', () => {
  it('normalises keys in order, trims strings only, and leaves the input untouched', () => {
    const input: Row[] = [
      new Map<string, Scalar>([
        ['Sector Name', '  Energy \t'],
        ['2024', 5],
        ['Male Percent', 69.76],
        ['Flag', true],
        ['Note', null],
      ]),
    ];
    const before = input.map((r) => [...r]);
    const out = normalizeRows(input);
    expect(out.map((r) => [...r])).toEqual([
      [
        ['sector_name', 'Energy'],
        ['2024', 5],
        ['male_percent', 69.76],
        ['flag', true],
        ['note', null],
      ],
    ]);
    expect(input.map((r) => [...r])).toEqual(before);
    expect(out[0]).not.toBe(input[0]);
  });

  it('lets the later value win at the earlier position on collision', () => {
    const input: Row[] = [
      new Map<string, Scalar>([
        ['Male Percent', 1],
        ['x', 'a'],
        ['male_percent', 2],
        ['MALE__PERCENT', 3],
      ]),
    ];
    expect(normalizeRows(input).map((r) => [...r])).toEqual([
      [
        ['male_percent', 3],
        ['x', 'a'],
      ],
    ]);
  });

  it('is idempotent on rows', () => {
    const input: Row[] = [
      new Map<string, Scalar>([
        ['GDP(QAR)', ' 1 '],
        ['%', 2],
      ]),
    ];
    const once = normalizeRows(input);
    expect(once.map((r) => [...r])).toEqual([
      [
        ['gdp_qar', '1'],
        ['%', 2],
      ],
    ]);
    expect(normalizeRows(once).map((r) => [...r])).toEqual(once.map((r) => [...r]));
  });
});
