import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import type { Row, Scalar, TransformStep } from '../../src/data/model.js';
import { isTransformName, TRANSFORM_NAMES, validateTransformParams } from '../../src/data/transforms/catalogue.js';
import { doubleToExact, exactMean, intTrueDivide, ratioToDouble } from '../../src/data/transforms/exact.js';
import { filterEquals } from '../../src/data/transforms/filter-equals.js';
import { runPostprocess } from '../../src/data/transforms/pipeline.js';
import { renameColumns } from '../../src/data/transforms/rename-columns.js';
import { rollingAvg } from '../../src/data/transforms/rolling-avg.js';
import { selectColumns } from '../../src/data/transforms/select.js';
import { shareOfTotal } from '../../src/data/transforms/share-of-total.js';
import { compareCodePoints, stableSortRows } from '../../src/data/transforms/sorting.js';
import { toPercent } from '../../src/data/transforms/to-percent.js';
import { topN } from '../../src/data/transforms/top-n.js';
import { yoy } from '../../src/data/transforms/yoy.js';

type Entries = [string, Scalar][];

// Object.freeze does not stop Map.prototype.set, so frozen rows are registered here and mutators throw on them.
const frozenRows = new WeakSet<object>();
const originals = { set: Map.prototype.set, delete: Map.prototype.delete, clear: Map.prototype.clear };

beforeAll(() => {
  Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
    if (frozenRows.has(this)) throw new TypeError('a transform mutated an input row (set)');
    return originals.set.call(this, key, value);
  };
  Map.prototype.delete = function (this: Map<unknown, unknown>, key: unknown) {
    if (frozenRows.has(this)) throw new TypeError('a transform mutated an input row (delete)');
    return originals.delete.call(this, key);
  };
  Map.prototype.clear = function (this: Map<unknown, unknown>) {
    if (frozenRows.has(this)) throw new TypeError('a transform mutated an input row (clear)');
    return originals.clear.call(this);
  };
});

afterAll(() => {
  Map.prototype.set = originals.set;
  Map.prototype.delete = originals.delete;
  Map.prototype.clear = originals.clear;
});

function rows(...list: Entries[]): readonly Row[] {
  const built = list.map((entries) => {
    const row: Row = new Map(entries);
    frozenRows.add(row);
    return row;
  });
  return Object.freeze(built);
}

const dump = (list: readonly Row[]): Entries[] => list.map((row) => [...row]);

/** Runs a transform on deep-frozen rows and checks it neither mutated them nor returned any input row object. */
function pure(input: readonly Row[], apply: (rows: readonly Row[]) => Row[]): Entries[] {
  const before = dump(input);
  const out = apply(input);
  expect(dump(input)).toEqual(before);
  for (const row of out) expect(input.includes(row)).toBe(false);
  return dump(out);
}

function transformError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

describe('the freeze harness', () => {
  it('really catches mutation of input rows', () => {
    const input = rows([['a', 1]]);
    expect(() => (input[0] as Row).set('a', 2)).toThrow('mutated an input row');
    expect(() => (input as Row[]).push(new Map())).toThrow(TypeError);
  });
});

describe('catalogue', () => {
  it('lists the eight transforms sorted', () => {
    expect(TRANSFORM_NAMES).toEqual([
      'filter_equals',
      'rename_columns',
      'rolling_avg',
      'select',
      'share_of_total',
      'to_percent',
      'top_n',
      'yoy',
    ]);
    expect(isTransformName('top_n')).toBe(true);
    expect(isTransformName('topn')).toBe(false);
    expect(isTransformName('constructor')).toBe(false);
    expect(isTransformName('toString')).toBe(false);
  });

  const base = 'postprocess[1].params';
  const check = (name: string, params: unknown) =>
    validateTransformParams(name, params, base).map((i) => `${i.path}|${i.code}`);

  it('accepts every documented shape, null params meaning {}', () => {
    expect(check('select', { columns: ['year', 'sector'] })).toEqual([]);
    expect(check('filter_equals', { where: {} })).toEqual([]);
    expect(check('filter_equals', { where: { year: 2024, sector: 'ICT', flag: true, gone: null, x: 1.5 } })).toEqual(
      [],
    );
    expect(check('rename_columns', { mapping: { employees: 'total_employees' } })).toEqual([]);
    expect(check('rename_columns', { mapping: {} })).toEqual([]);
    expect(check('to_percent', { columns: ['a'], scale: 1000 })).toEqual([]);
    expect(check('to_percent', { columns: ['a', 'a'], scale: 0.5 })).toEqual([]);
    expect(check('top_n', { sort_key: 'v', n: -3 })).toEqual([]);
    expect(check('top_n', { sort_key: 'v', n: 5, descending: null })).toEqual([]);
    expect(check('top_n', { sort_key: 'v', n: 5, descending: false })).toEqual([]);
    expect(check('share_of_total', { group_keys: [], value_key: 'v' })).toEqual([]);
    expect(check('share_of_total', { group_keys: ['year'], value_key: 'v', out_key: 's' })).toEqual([]);
    expect(check('yoy', { key: 'v', sort_keys: ['year'], out_key: 'y' })).toEqual([]);
    expect(check('rolling_avg', { key: 'v', sort_keys: ['year', 'month'], window: 1, out_key: 'r' })).toEqual([]);
  });

  it('reports missing required fields, including when params is null or absent', () => {
    expect(check('top_n', null)).toEqual([`${base}.sort_key|missing_field`, `${base}.n|missing_field`]);
    expect(check('select', undefined)).toEqual([`${base}.columns|missing_field`]);
    expect(check('filter_equals', {})).toEqual([`${base}.where|missing_field`]);
    expect(check('rename_columns', {})).toEqual([`${base}.mapping|missing_field`]);
    expect(check('to_percent', { scale: 100 })).toEqual([`${base}.columns|missing_field`]);
    expect(check('share_of_total', {})).toEqual([
      `${base}.group_keys|missing_field`,
      `${base}.value_key|missing_field`,
    ]);
    expect(check('yoy', { key: 'v' })).toEqual([`${base}.sort_keys|missing_field`]);
    expect(check('rolling_avg', { sort_keys: ['year'] })).toEqual([`${base}.key|missing_field`]);
  });

  it('reports unknown keys with the allowed set', () => {
    const issues = validateTransformParams('top_n', { sort_key: 'v', n: 1, limit: 3 }, base);
    expect(issues).toEqual([
      {
        path: `${base}.limit`,
        code: 'unknown_key',
        message: 'unknown key "limit" for top_n; allowed: descending, n, sort_key',
      },
    ]);
    expect(check('yoy', { key: 'v', sort_keys: ['year'], window: 3 })).toEqual([`${base}.window|unknown_key`]);
  });

  it('reports wrong YAML types as invalid_type', () => {
    expect(check('top_n', { sort_key: 'v', n: '5' })).toEqual([`${base}.n|invalid_type`]);
    expect(check('top_n', { sort_key: 'v', n: 5.5 })).toEqual([`${base}.n|invalid_type`]);
    expect(check('top_n', { sort_key: 3, n: 5, descending: 'yes' })).toEqual([
      `${base}.sort_key|invalid_type`,
      `${base}.descending|invalid_type`,
    ]);
    expect(check('select', { columns: 'year' })).toEqual([`${base}.columns|invalid_type`]);
    expect(check('select', { columns: ['year', 7] })).toEqual([`${base}.columns[1]|invalid_type`]);
    expect(check('filter_equals', { where: ['year'] })).toEqual([`${base}.where|invalid_type`]);
    expect(check('filter_equals', { where: { year: [2024] } })).toEqual([`${base}.where.year|invalid_type`]);
    expect(check('rename_columns', { mapping: { a: 1 } })).toEqual([`${base}.mapping.a|invalid_type`]);
    expect(check('to_percent', { columns: ['a'], scale: '100' })).toEqual([`${base}.scale|invalid_type`]);
    expect(check('to_percent', { columns: ['a'], scale: true })).toEqual([`${base}.scale|invalid_type`]);
    expect(check('share_of_total', { group_keys: 'year', value_key: 'v' })).toEqual([
      `${base}.group_keys|invalid_type`,
    ]);
    expect(check('rolling_avg', { key: 'v', sort_keys: ['year'], window: '3' })).toEqual([
      `${base}.window|invalid_type`,
    ]);
    expect(check('yoy', { key: 'v', sort_keys: ['year'], out_key: null })).toEqual([`${base}.out_key|invalid_type`]);
    expect(check('select', ['year'])).toEqual([`${base}|invalid_type`]);
  });

  it('reports out-of-range values as invalid_value', () => {
    expect(check('select', { columns: [] })).toEqual([`${base}.columns|invalid_value`]);
    expect(check('select', { columns: ['a', 'b', 'a'] })).toEqual([`${base}.columns[2]|invalid_value`]);
    expect(check('to_percent', { columns: [] })).toEqual([`${base}.columns|invalid_value`]);
    expect(check('to_percent', { columns: ['a'], scale: Infinity })).toEqual([`${base}.scale|invalid_value`]);
    expect(check('yoy', { key: 'v', sort_keys: [] })).toEqual([`${base}.sort_keys|invalid_value`]);
    expect(check('rolling_avg', { key: 'v', sort_keys: ['year'], window: 0 })).toEqual([
      `${base}.window|invalid_value`,
    ]);
    expect(check('rename_columns', { mapping: { a: '' } })).toEqual([`${base}.mapping.a|invalid_value`]);
    expect(check('filter_equals', { where: { a: NaN } })).toEqual([`${base}.where.a|invalid_value`]);
  });

  it('flags names outside the catalogue', () => {
    expect(check('pivot', {})).toEqual([`${base}|unknown_transform`]);
  });
});

describe('sorting rules', () => {
  it('orders strings by code point, not UTF-16 unit', () => {
    // U+FF5E is below U+1F600, although its UTF-16 unit 0xFF5E is above the lead surrogate 0xD83D.
    expect(compareCodePoints('\uFF5E', '😀')).toBeLessThan(0);
    expect('\uFF5E' < '😀').toBe(false);
    expect(compareCodePoints('Z', 'a')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('é', 'é')).toBe(0);
  });

  it('sorts key by key, stably, with nulls and missing keys last in both directions', () => {
    const input = rows(
      [
        ['id', 'a'],
        ['y', 2],
        ['m', null],
      ],
      [
        ['id', 'b'],
        ['y', 1],
        ['m', 3],
      ],
      [
        ['id', 'c'],
        ['m', 1],
      ],
      [
        ['id', 'd'],
        ['y', 2],
        ['m', 1],
      ],
      [
        ['id', 'e'],
        ['y', 1],
        ['m', 3],
      ],
    );
    const read = (k: string) => (row: Row) => (row.has(k) ? (row.get(k) as Scalar) : null);
    const ids = (desc: boolean) =>
      stableSortRows(input, [
        { name: 'y', read: read('y'), descending: desc },
        { name: 'm', read: read('m'), descending: desc },
      ]).map((r) => r.get('id'));
    expect(ids(false)).toEqual(['b', 'e', 'd', 'a', 'c']);
    expect(ids(true)).toEqual(['d', 'a', 'b', 'e', 'c']);
  });

  it('orders booleans false before true and rejects mixed kinds whatever pairs get compared', () => {
    const flags = rows([['f', true]], [['f', false]], [['f', null]]);
    expect(
      stableSortRows(flags, [{ name: 'f', read: (r) => r.get('f') as Scalar, descending: false }]).map((r) =>
        r.get('f'),
      ),
    ).toEqual([false, true, null]);
    const mixed = rows([['k', 1]], [['k', null]], [['k', 'x']]);
    const err = transformError(() =>
      stableSortRows(mixed, [{ name: 'k', read: (r) => r.get('k') as Scalar, descending: false }]),
    );
    expect(err.code).toBe('transform_failed');
    expect(err.message).toBe('cannot sort by "k": it mixes number and string values');
  });
});

describe('select', () => {
  it('projects in column order with null for missing keys', () => {
    const input = rows([
      ['year', 2024],
      ['sector', 'Energy'],
      ['employees', 10],
    ]);
    expect(pure(input, (r) => selectColumns(r, { columns: ['sector', 'missing', 'year'] }))).toEqual([
      [
        ['sector', 'Energy'],
        ['missing', null],
        ['year', 2024],
      ],
    ]);
  });

  it('keeps integer-like keys in the listed order', () => {
    const input = rows([
      ['b', 1],
      ['2024', 2],
    ]);
    expect(pure(input, (r) => selectColumns(r, { columns: ['b', '2024', '10'] }))).toEqual([
      [
        ['b', 1],
        ['2024', 2],
        ['10', null],
      ],
    ]);
  });
});

describe('filter_equals', () => {
  const input = rows(
    [
      ['id', 1],
      ['year', 2024],
      ['flag', true],
    ],
    [
      ['id', 2],
      ['year', '2024'],
      ['flag', 1],
    ],
    [
      ['id', 3],
      ['year', 2024.0],
      ['flag', null],
    ],
    [
      ['id', 4],
      ['year', null],
    ],
    [['id', 5]],
  );
  const ids = (where: Record<string, Scalar>) => pure(input, (r) => filterEquals(r, { where })).map((r) => r[0]![1]);

  it('compares numbers numerically and never equal to strings', () => {
    expect(ids({ year: 2024 })).toEqual([1, 3]);
    expect(ids({ year: '2024' })).toEqual([2]);
  });

  it('compares booleans only with booleans and null only with null (missing reads as null)', () => {
    expect(ids({ flag: true })).toEqual([1]);
    expect(ids({ flag: 1 })).toEqual([2]);
    expect(ids({ year: null })).toEqual([4, 5]);
    expect(ids({ flag: null })).toEqual([3, 4, 5]);
  });

  it('needs every entry to match; empty where keeps all rows as copies', () => {
    expect(ids({ year: 2024, flag: true })).toEqual([1]);
    expect(ids({ year: 2024, flag: false })).toEqual([]);
    expect(ids({})).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('rename_columns', () => {
  it('renames in place, keeping order', () => {
    const input = rows([
      ['employees', 10],
      ['share_percent', 50],
      ['year', 2024],
    ]);
    const mapping = { employees: 'total_employees', share_percent: 'employment_share_pct' };
    expect(pure(input, (r) => renameColumns(r, { mapping }))).toEqual([
      [
        ['total_employees', 10],
        ['employment_share_pct', 50],
        ['year', 2024],
      ],
    ]);
  });

  it('on collision the later value wins at the earlier position', () => {
    const input = rows([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(pure(input, (r) => renameColumns(r, { mapping: { c: 'a' } }))).toEqual([
      [
        ['a', 3],
        ['b', 2],
      ],
    ]);
    expect(pure(input, (r) => renameColumns(r, { mapping: { a: 'b' } }))).toEqual([
      [
        ['b', 2],
        ['c', 3],
      ],
    ]);
    expect(pure(input, (r) => renameColumns(r, { mapping: { a: 'b', b: 'a' } }))).toEqual([
      [
        ['b', 1],
        ['a', 2],
        ['c', 3],
      ],
    ]);
  });

  it('keeps insertion order for integer-like names and ignores inherited mapping keys', () => {
    const input = rows([
      ['x', 1],
      ['2024', 5],
      ['constructor', 7],
    ]);
    expect(pure(input, (r) => renameColumns(r, { mapping: { x: '9' } }))).toEqual([
      [
        ['9', 1],
        ['2024', 5],
        ['constructor', 7],
      ],
    ]);
  });
});

describe('to_percent', () => {
  it('scales only numeric values of listed columns, by 100 by default', () => {
    const input = rows([
      ['share', 0.25],
      ['label', 'a'],
      ['flag', true],
      ['n', null],
      ['count', 3],
    ]);
    expect(pure(input, (r) => toPercent(r, { columns: ['share', 'label', 'flag', 'n', 'count', 'missing'] }))).toEqual([
      [
        ['share', 25],
        ['label', 'a'],
        ['flag', true],
        ['n', null],
        ['count', 300],
      ],
    ]);
  });

  it('uses the given scale (value × scale, one rounding) and scales a twice-listed column once', () => {
    const input = rows([
      ['a', 0.1234],
      ['b', 2],
    ]);
    expect(pure(input, (r) => toPercent(r, { columns: ['a', 'a'], scale: 1000 }))).toEqual([
      [
        ['a', 123.39999999999999],
        ['b', 2],
      ],
    ]);
  });
});

describe('top_n', () => {
  const input = rows(
    [
      ['id', 'a'],
      ['v', 5],
    ],
    [
      ['id', 'b'],
      ['v', null],
    ],
    [['id', 'c']],
    [
      ['id', 'd'],
      ['v', 7],
    ],
    [
      ['id', 'e'],
      ['v', 5],
    ],
    [
      ['id', 'f'],
      ['v', -1],
    ],
  );
  const ids = (params: { n: number; descending?: boolean | null }) =>
    pure(input, (r) => topN(r, { sort_key: 'v', ...params })).map((r) => r[0]![1]);

  it('sorts descending by default, stable, a missing key reading as 0 and null last', () => {
    expect(ids({ n: 10 })).toEqual(['d', 'a', 'e', 'c', 'f', 'b']);
    expect(ids({ n: 3 })).toEqual(['d', 'a', 'e']);
    expect(ids({ n: 3, descending: null })).toEqual(['d', 'a', 'e']);
  });

  it('keeps nulls last when ascending too', () => {
    expect(ids({ n: 6, descending: false })).toEqual(['f', 'c', 'a', 'e', 'd', 'b']);
  });

  it('returns nothing for n ≤ 0', () => {
    expect(ids({ n: 0 })).toEqual([]);
    expect(ids({ n: -2 })).toEqual([]);
  });

  it('keeps the rows whole and fails on numbers mixed with strings', () => {
    expect(pure(input, (r) => topN(r, { sort_key: 'v', n: 1 }))).toEqual([
      [
        ['id', 'd'],
        ['v', 7],
      ],
    ]);
    const mixed = rows([['v', 1]], [['v', '2']]);
    expect(transformError(() => topN(mixed, { sort_key: 'v', n: 1 })).code).toBe('transform_failed');
    // A missing key reads as 0, a number, so it clashes with string sort values as well.
    const missing = rows([['v', 'x']], [['w', 1]]);
    expect(transformError(() => topN(missing, { sort_key: 'v', n: 1 })).message).toBe(
      'cannot sort by "v": it mixes string and number values',
    );
  });

  it('sorts strings by code point', () => {
    const names = rows([['v', 'b']], [['v', '😀']], [['v', 'B']], [['v', '\uFF5E']]);
    expect(pure(names, (r) => topN(r, { sort_key: 'v', n: 4, descending: false })).map((r) => r[0]![1])).toEqual([
      'B',
      'b',
      '\uFF5E',
      '😀',
    ]);
  });
});

describe('share_of_total', () => {
  it('shares per group with typed group keys, zero totals and non-numeric values', () => {
    const input = rows(
      [
        ['year', 2024],
        ['s', 'A'],
        ['v', 30],
      ],
      [
        ['year', 2023],
        ['s', 'E'],
        ['v', 0],
      ],
      [
        ['year', 2024],
        ['s', 'B'],
        ['v', 10],
      ],
      [
        ['year', '2024'],
        ['s', 'D'],
        ['v', 5],
      ],
      [
        ['year', 2024],
        ['s', 'C'],
        ['v', null],
      ],
      [
        ['year', 2023],
        ['s', 'F'],
        ['v', 'n/a'],
      ],
      [
        ['year', 2024],
        ['s', 'G'],
        ['v', true],
      ],
    );
    const out = pure(input, (r) => shareOfTotal(r, { group_keys: ['year'], value_key: 'v' }));
    expect(out.map((r) => [r[1]![1], r[3]])).toEqual([
      ['A', ['share_percent', 75]],
      ['E', ['share_percent', 0]],
      ['B', ['share_percent', 25]],
      ['D', ['share_percent', 100]],
      ['C', ['share_percent', null]],
      ['F', ['share_percent', 0]],
      ['G', ['share_percent', null]],
    ]);
  });

  it('treats an empty group_keys as one group and leaves shares unrounded', () => {
    const input = rows(
      [
        ['sector', 'A'],
        ['n', 1],
      ],
      [
        ['sector', 'B'],
        ['n', 2],
      ],
    );
    expect(pure(input, (r) => shareOfTotal(r, { group_keys: [], value_key: 'n', out_key: 'pct' }))).toEqual([
      [
        ['sector', 'A'],
        ['n', 1],
        ['pct', 33.333333333333336],
      ],
      [
        ['sector', 'B'],
        ['n', 2],
        ['pct', 66.66666666666667],
      ],
    ]);
  });

  it('groups by tuples of several keys, a missing key reading as null', () => {
    const input = rows(
      [
        ['a', 1],
        ['b', 'x'],
        ['v', 1],
      ],
      [
        ['a', 1],
        ['v', 3],
      ],
      [
        ['a', 1],
        ['b', null],
        ['v', 1],
      ],
      [
        ['a', 1],
        ['b', 'x'],
        ['v', 3],
      ],
    );
    const out = pure(input, (r) => shareOfTotal(r, { group_keys: ['a', 'b'], value_key: 'v' }));
    expect(out.map((r) => r[r.length - 1]![1])).toEqual([25, 75, 25, 75]);
  });

  it('overwrites an existing out_key in place', () => {
    const input = rows([
      ['share_percent', 'old'],
      ['v', 4],
    ]);
    expect(pure(input, (r) => shareOfTotal(r, { group_keys: [], value_key: 'v' }))).toEqual([
      [
        ['share_percent', 100],
        ['v', 4],
      ],
    ]);
  });

  it('divides big integers exactly, as CPython int / int does', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const input = rows([['v', big]], [['v', big]], [['v', 1]]);
    // total = 2^54 − 1 exactly (not a double); CPython's 100·(2^53 − 1) / (2^54 − 1) rounds the exact quotient
    // 49.9999999999999997… once, to 50.0. Plain doubles would give 49.99999999999999.
    const out = pure(input, (r) => shareOfTotal(r, { group_keys: [], value_key: 'v' }));
    expect(out.map((r) => r[1]![1])).toEqual([50, 50, 5.551115123125783e-15]);
    expect((100 * big) / (2 * big + 1)).toBe(49.99999999999999);
  });
});

describe('yoy', () => {
  it('sorts by the sort keys and compares adjacent rows', () => {
    const input = rows(
      [
        ['year', 2021],
        ['v', null],
      ],
      [
        ['year', 2019],
        ['v', 50],
      ],
      [
        ['year', 2024],
        ['v', 98.8],
      ],
      [
        ['year', 2018],
        ['v', 0],
      ],
      [
        ['year', 2020],
        ['v', 100],
      ],
      [
        ['year', 2023],
        ['v', 100],
      ],
      [
        ['year', 2022],
        ['v', 80],
      ],
    );
    const out = pure(input, (r) => yoy(r, { key: 'v', sort_keys: ['year'] }));
    expect(out).toEqual([
      [
        ['year', 2018],
        ['v', 0],
        ['yoy_percent', null],
      ],
      [
        ['year', 2019],
        ['v', 50],
        ['yoy_percent', null],
      ],
      [
        ['year', 2020],
        ['v', 100],
        ['yoy_percent', 100],
      ],
      [
        ['year', 2021],
        ['v', null],
        ['yoy_percent', null],
      ],
      [
        ['year', 2022],
        ['v', 80],
        ['yoy_percent', null],
      ],
      [
        ['year', 2023],
        ['v', 100],
        ['yoy_percent', 25],
      ],
      [
        ['year', 2024],
        ['v', 98.8],
        ['yoy_percent', -1.2],
      ],
    ]);
  });

  it('treats strings, booleans and missing values as non-numeric and rounds with round2', () => {
    const input = rows(
      [
        ['t', 1],
        ['v', 3],
      ],
      [
        ['t', 2],
        ['v', 4],
      ],
      [
        ['t', 3],
        ['v', 'n/a'],
      ],
      [
        ['t', 4],
        ['v', 5],
      ],
      [
        ['t', 5],
        ['v', true],
      ],
      [['t', 6]],
      [
        ['t', 7],
        ['v', 8],
      ],
      [
        ['t', 8],
        ['v', 9],
      ],
    );
    const out = pure(input, (r) => yoy(r, { key: 'v', sort_keys: ['t'], out_key: 'g' }));
    expect(out.map((r) => r[r.length - 1])).toEqual([
      ['g', null],
      ['g', 33.33],
      ['g', null],
      ['g', null],
      ['g', null],
      ['g', null],
      ['g', null],
      ['g', 12.5],
    ]);
  });

  it('does not check calendar gaps and sorts key by key', () => {
    const input = rows(
      [
        ['country', 'QAT'],
        ['year', 2020],
        ['v', 10],
      ],
      [
        ['country', 'ARE'],
        ['year', 2024],
        ['v', 30],
      ],
      [
        ['country', 'ARE'],
        ['year', 2010],
        ['v', 20],
      ],
    );
    const out = pure(input, (r) => yoy(r, { key: 'v', sort_keys: ['country', 'year'] }));
    expect(out.map((r) => [r[0]![1], r[1]![1], r[3]![1]])).toEqual([
      ['ARE', 2010, null],
      ['ARE', 2024, 50],
      ['QAT', 2020, -66.67],
    ]);
  });

  it('matches the #32 golden shape (salary falls 1.2 percent)', () => {
    const input = rows(
      [
        ['year', 2023],
        ['avg_salary_qr', 17167],
      ],
      [
        ['year', 2024],
        ['avg_salary_qr', 16961],
      ],
    );
    // (16961 − 17167) / 17167 × 100 = −1.19997…
    const out = pure(input, (r) => yoy(r, { key: 'avg_salary_qr', sort_keys: ['year'] }));
    expect(out[1]).toEqual([
      ['year', 2024],
      ['avg_salary_qr', 16961],
      ['yoy_percent', -1.2],
    ]);
  });
});

describe('rolling_avg', () => {
  it('buffers only numeric values, emits every row, null until the window is full', () => {
    const input = rows(
      [
        ['year', 2019],
        ['v', 'x'],
      ],
      [
        ['year', 2017],
        ['v', 1],
      ],
      [
        ['year', 2021],
        ['v', 0.1],
      ],
      [
        ['year', 2018],
        ['v', 2],
      ],
      [
        ['year', 2020],
        ['v', 4],
      ],
      [
        ['year', 2022],
        ['v', 0.2],
      ],
      [
        ['year', 2023],
        ['v', null],
      ],
    );
    const out = pure(input, (r) => rollingAvg(r, { key: 'v', sort_keys: ['year'] }));
    expect(out).toEqual([
      [
        ['year', 2017],
        ['v', 1],
        ['rolling_avg', null],
      ],
      [
        ['year', 2018],
        ['v', 2],
        ['rolling_avg', null],
      ],
      [
        ['year', 2019],
        ['v', 'x'],
        ['rolling_avg', null],
      ],
      [
        ['year', 2020],
        ['v', 4],
        ['rolling_avg', 2.33],
      ],
      [
        ['year', 2021],
        ['v', 0.1],
        ['rolling_avg', 2.03],
      ],
      [
        ['year', 2022],
        ['v', 0.2],
        ['rolling_avg', 1.43],
      ],
      [
        ['year', 2023],
        ['v', null],
        ['rolling_avg', 1.43],
      ],
    ]);
  });

  it('uses the exact mean (statistics.mean), not a float sum', () => {
    // Exact mean 1/3; (1e16 + 1 − 1e16) / 3 in doubles would be 0.
    const input = rows(
      [
        ['t', 1],
        ['v', 1e16],
      ],
      [
        ['t', 2],
        ['v', 1],
      ],
      [
        ['t', 3],
        ['v', -1e16],
      ],
    );
    const out = pure(input, (r) => rollingAvg(r, { key: 'v', sort_keys: ['t'], window: 3, out_key: 'm' }));
    expect(out.map((r) => r[2]![1])).toEqual([null, null, 0.33]);
  });

  it('supports window 1 and integer means', () => {
    const input = rows(
      [
        ['t', 2],
        ['v', 34768],
      ],
      [
        ['t', 1],
        ['v', 7],
      ],
    );
    expect(pure(input, (r) => rollingAvg(r, { key: 'v', sort_keys: ['t'], window: 1 })).map((r) => r[2]![1])).toEqual([
      7, 34768,
    ]);
  });
});

describe('exact arithmetic', () => {
  it('decomposes doubles exactly', () => {
    expect(doubleToExact(1)).toEqual({ mantissa: 1n << 52n, exponent: -52 });
    expect(doubleToExact(-0.5)).toEqual({ mantissa: -(1n << 52n), exponent: -53 });
    expect(doubleToExact(5e-324)).toEqual({ mantissa: 1n, exponent: -1074 });
    expect(doubleToExact(0)).toEqual({ mantissa: 0n, exponent: -1074 });
  });

  it('rounds rationals once, ties to even, subnormals included (vectors from CPython Fraction.__float__)', () => {
    const vectors: [bigint, bigint, number][] = [
      [-181n, 971n, -0.18640576725025745],
      [-358n, 405n, -0.8839506172839506],
      [154n, 50n, 3.08],
      [-467936199266299861n, 18750491129n, -24955943.60952911],
      [472356625107715189n, 6474387190n, 72957735.03279082],
      [87002887611763549829198104201349670n, 17477362246067780644n, 4978033091425925.0],
      [595107256336629604987750362345681720n, 29092414455253709042n, 2.0455753414758636e16],
      [-472866124224144197900641392331866451n, 20619627267267126253n, -2.293281629657783e16],
      [
        -635758672853784383544528642009899054286915791726347543722773488273474875506096140571858376n,
        2867693479331685281069280050141285310927303172n,
        -2.2169687152266624e44,
      ],
      [1n, 3n, 0.3333333333333333],
      [2n ** 53n + 1n, 1n, 9007199254740992],
      [2n ** 53n + 3n, 1n, 9007199254740996],
      [1n, 2n ** 1075n, 0],
      [3n, 2n ** 1075n, 1e-323],
      [1n, 2n ** 1074n, 5e-324],
      [2n ** 1022n - 1n, 2n ** 2044n, 2.2250738585072014e-308],
    ];
    for (const [p, q, want] of vectors) expect(ratioToDouble(p, q)).toBe(want);
    expect(ratioToDouble(3n, 1n, -1075)).toBe(1e-323);
    expect(intTrueDivide(1n, -3n)).toBe(-0.3333333333333333);
    expect(Object.is(intTrueDivide(0n, -3n), -0)).toBe(true);
  });

  it('computes statistics.mean exactly, the integer fast path included', () => {
    expect(exactMean([1e16, 1, -1e16])).toBe(0.3333333333333333);
    expect(exactMean([0.1, 0.2, 0.4])).toBe(0.23333333333333334);
    expect((0.1 + 0.2 + 0.4) / 3).toBe(0.23333333333333336);
    expect(exactMean([2, 4, 0.1])).toBe(2.033333333333333);
    const big = Number.MAX_SAFE_INTEGER;
    expect(exactMean([big, big, 1])).toBe(6004799503160661);
    expect(exactMean([5e-324, 0])).toBe(0);
    expect(exactMean([1.5e-323, 0])).toBe(1e-323);
    expect(exactMean([1, 2, 4])).toBe(2.3333333333333335);
    expect(Object.is(exactMean([-0, -0]), 0)).toBe(true);
  });
});

describe('runPostprocess', () => {
  const source = rows(
    [
      ['year', 2023],
      ['sector', 'ICT'],
      ['v', 100],
    ],
    [
      ['year', 2024],
      ['sector', 'ICT'],
      ['v', 110],
    ],
    [
      ['year', 2024],
      ['sector', 'Energy'],
      ['v', 90],
    ],
  );

  it('runs steps in order and traces them when asked', () => {
    const steps: TransformStep[] = [
      { name: 'filter_equals', params: { where: { sector: 'ICT' } } },
      { name: 'yoy', params: { key: 'v', sort_keys: ['year'] } },
      { name: 'select', params: { columns: ['year', 'yoy_percent'] } },
    ];
    const before = dump(source);
    const traced = runPostprocess(steps, source, true);
    expect(dump(traced.rows)).toEqual([
      [
        ['year', 2023],
        ['yoy_percent', null],
      ],
      [
        ['year', 2024],
        ['yoy_percent', 10],
      ],
    ]);
    expect(traced.warnings).toEqual(['transform:filter_equals', 'transform:yoy', 'transform:select']);
    expect(runPostprocess(steps, source, false).warnings).toEqual([]);
    expect(dump(source)).toEqual(before);
  });

  it('returns copies when there are no steps', () => {
    const out = runPostprocess([], source, true);
    expect(out.warnings).toEqual([]);
    expect(dump(out.rows)).toEqual(dump(source));
    for (const row of out.rows) expect(source.includes(row)).toBe(false);
  });

  it('reports run-time failures with step position and name', () => {
    const steps: TransformStep[] = [
      { name: 'select', params: { columns: ['sector', 'v'] } },
      { name: 'top_n', params: { sort_key: 'sector', n: 1 } },
      { name: 'top_n', params: { sort_key: 'x', n: 1 } },
    ];
    const mixed = rows([['sector', 'A']], [['sector', 3]]);
    const err = transformError(() => runPostprocess(steps, mixed, false));
    expect(err.code).toBe('transform_failed');
    expect(err.message).toBe('postprocess[1] top_n: cannot sort by "sector": it mixes string and number values');
  });

  it('rejects parameters that skipped load-time validation', () => {
    const steps = [{ name: 'top_n', params: { sort_key: 'v', n: '5' } }] as TransformStep[];
    const err = transformError(() => runPostprocess(steps, source, false));
    expect(err.code).toBe('transform_failed');
    expect(err.message).toBe(
      'postprocess[0] top_n: postprocess[0].params.n: invalid_type: expected an integer, got string',
    );
    const unknown = [{ name: 'pivot', params: {} }] as unknown as TransformStep[];
    expect(transformError(() => runPostprocess(unknown, source, false)).message).toMatch(
      /^postprocess\[0\] pivot: postprocess\[0\]\.params: unknown_transform: "pivot" is not a transform; valid: filter_equals, /,
    );
  });
});
