import { describe, expect, it } from 'vitest';
import type { ArgDecl } from '../../src/data/model.js';
import type { SpecIssue, SpecIssueCode } from '../../src/data/registry/issues.js';
import {
  coerceArgValue,
  DEFAULT_TEXT_MAX_LENGTH,
  validateArgDeclarations,
} from '../../src/data/registry/postgres-args.js';

const issue = (path: string, code: SpecIssueCode, message: string): SpecIssue => ({ path, code, message });
const ok = (value: string | number) => ({ ok: true, value });
const bad = (reason: string) => ({ ok: false, reason });

const ALL_KEYS = 'default, description, enum, max, max_length, min, name, type';

describe('validateArgDeclarations (data-layer spec §2.1)', () => {
  it('accepts the ts_retention_monthly declarations unchanged', () => {
    const args = [
      { name: 'sector', type: 'text', default: 'ALL' },
      { name: 'start', type: 'date', default: '1900-01-01' },
      { name: 'end', type: 'date', default: '2999-12-31' },
    ];
    expect(validateArgDeclarations(args)).toEqual({ decls: args, issues: [] });
  });

  it('keeps every allowed key and writes no defaults (max_length stays absent)', () => {
    const args = [
      { name: 'year', type: 'int', min: 2000, max: 2030, default: 2024, description: 'Calendar year' },
      { name: 'share', type: 'number', min: 0, max: 100.5 },
      { name: 'sector', type: 'text', enum: ['ALL', 'Energy'], max_length: 10, default: 'Energy' },
      { name: 'label', type: 'text' },
    ];
    const expected: ArgDecl[] = [
      { name: 'year', type: 'int', min: 2000, max: 2030, default: 2024, description: 'Calendar year' },
      { name: 'share', type: 'number', min: 0, max: 100.5 },
      { name: 'sector', type: 'text', enum: ['ALL', 'Energy'], max_length: 10, default: 'Energy' },
      { name: 'label', type: 'text' },
    ];
    const result = validateArgDeclarations(args);
    expect(result).toEqual({ decls: expected, issues: [] });
    expect('max_length' in (result.decls[3] as ArgDecl)).toBe(false);
  });

  it('treats an absent list as no args and rejects null or a mapping', () => {
    expect(validateArgDeclarations(undefined)).toEqual({ decls: [], issues: [] });
    expect(validateArgDeclarations([])).toEqual({ decls: [], issues: [] });
    expect(validateArgDeclarations(null)).toEqual({
      decls: [],
      issues: [issue('params.args', 'invalid_type', 'expected a list, got null')],
    });
    expect(validateArgDeclarations({ name: 'x', type: 'int' })).toEqual({
      decls: [],
      issues: [issue('params.args', 'invalid_type', 'expected a list, got mapping')],
    });
  });

  it('reports each declaration error with its path and code', () => {
    const result = validateArgDeclarations([
      { name: 'Year', type: 'int', bogus: 1 },
      { type: 'float' },
      { name: 'x', type: 'text', min: 1, enum: [], max_length: 0 },
      { name: 'y', type: 'int', min: 5, max: 3, default: '4' },
      'sector',
      { name: 'n', type: 'number', default: null },
      { name: 'd' },
      { name: 7, type: 3, description: 5 },
    ]);
    expect(result.decls).toEqual([]);
    expect(result.issues).toEqual([
      issue('params.args[0].bogus', 'unknown_key', `unknown key "bogus"; allowed: ${ALL_KEYS}`),
      issue('params.args[0].name', 'invalid_value', '"Year" must match ^[a-z][a-z0-9_]{0,62}$'),
      issue('params.args[1].name', 'missing_field', 'required'),
      issue('params.args[1].type', 'invalid_value', '"float" is not one of int, number, text, date'),
      issue(
        'params.args[2].min',
        'unknown_key',
        '"min" does not apply to text args; allowed: default, description, enum, max_length, name, type',
      ),
      issue('params.args[2].max_length', 'invalid_value', 'must be a positive integer, got 0'),
      issue('params.args[2].enum', 'invalid_value', 'must not be empty'),
      issue('params.args[3].min', 'invalid_value', 'min 5 is greater than max 3'),
      issue('params.args[3].default', 'invalid_type', 'expected an integer, got string'),
      issue('params.args[4]', 'invalid_type', 'expected a mapping, got string'),
      issue('params.args[5].default', 'invalid_type', 'null is not a valid value'),
      issue('params.args[6].type', 'missing_field', 'required'),
      issue('params.args[7].name', 'invalid_type', 'expected a string, got integer'),
      issue('params.args[7].type', 'invalid_type', 'expected a string, got integer'),
      issue('params.args[7].description', 'invalid_type', 'expected a string, got integer'),
    ]);
  });

  it('checks the keys that apply only to some types', () => {
    const result = validateArgDeclarations([
      { name: 'a', type: 'int', enum: ['1'], max_length: 3 },
      { name: 'b', type: 'date', min: 1, max: 2 },
      { name: 'c', type: 'int', min: 1.5, max: '10' },
      { name: 'd', type: 'number', min: '0', max: Number.POSITIVE_INFINITY },
      { name: 'e', type: 'text', max_length: '20' },
      { name: 'f', type: 'text', enum: 'ALL' },
    ]);
    expect(result.decls).toEqual([]);
    expect(result.issues).toEqual([
      issue(
        'params.args[0].enum',
        'unknown_key',
        '"enum" does not apply to int args; allowed: default, description, max, min, name, type',
      ),
      issue(
        'params.args[0].max_length',
        'unknown_key',
        '"max_length" does not apply to int args; allowed: default, description, max, min, name, type',
      ),
      issue(
        'params.args[1].min',
        'unknown_key',
        '"min" does not apply to date args; allowed: default, description, name, type',
      ),
      issue(
        'params.args[1].max',
        'unknown_key',
        '"max" does not apply to date args; allowed: default, description, name, type',
      ),
      issue('params.args[2].min', 'invalid_type', 'expected an integer, got number'),
      issue('params.args[2].max', 'invalid_type', 'expected an integer, got string'),
      issue('params.args[3].min', 'invalid_type', 'expected a number, got string'),
      issue('params.args[3].max', 'invalid_type', 'expected a number, got non-finite number'),
      issue('params.args[4].max_length', 'invalid_type', 'expected an integer, got string'),
      issue('params.args[5].enum', 'invalid_type', 'expected a list, got string'),
    ]);
  });

  it('checks enum entries against max_length, type and uniqueness', () => {
    const result = validateArgDeclarations([
      { name: 't', type: 'text', enum: ['A', 'A', 5, 'LONG', null], max_length: 2 },
    ]);
    expect(result).toEqual({
      decls: [],
      issues: [
        issue('params.args[0].enum[1]', 'invalid_value', 'duplicate entry "A"'),
        issue('params.args[0].enum[2]', 'invalid_type', 'expected a string, got integer'),
        issue('params.args[0].enum[3]', 'invalid_value', 'longer than max_length 2'),
        issue('params.args[0].enum[4]', 'invalid_type', 'expected a string, got null'),
      ],
    });
  });

  it('types defaults with the value rules and keeps them within bounds', () => {
    const result = validateArgDeclarations([
      { name: 'y', type: 'int', min: 2000, max: 2030, default: 1999 },
      { name: 'z', type: 'int', default: 1.5 },
      { name: 's', type: 'text', enum: ['A', 'B'], default: 'C' },
      { name: 'l', type: 'text', max_length: 3, default: 'ALLX' },
      { name: 'd', type: 'date', default: '2024-02-30' },
      { name: 'e', type: 'date', default: 20240101 },
      { name: 'n', type: 'number', max: 1, default: 1.5 },
      { name: 'ok', type: 'date', default: '2024-02-29' },
    ]);
    expect(result).toEqual({
      decls: [{ name: 'ok', type: 'date', default: '2024-02-29' }],
      issues: [
        issue('params.args[0].default', 'invalid_value', 'below the minimum 2000'),
        issue('params.args[1].default', 'invalid_type', 'expected an integer, got number'),
        issue('params.args[2].default', 'invalid_value', 'not one of A, B'),
        issue('params.args[3].default', 'invalid_value', 'longer than 3 characters'),
        issue('params.args[4].default', 'invalid_value', 'expected a real date as YYYY-MM-DD'),
        issue('params.args[5].default', 'invalid_type', 'expected a date string, got integer'),
        issue('params.args[6].default', 'invalid_value', 'above the maximum 1'),
      ],
    });
  });

  it('rejects duplicate names, keeping the first declaration', () => {
    const result = validateArgDeclarations([
      { name: 'x', type: 'int' },
      { name: 'x', type: 'text' },
    ]);
    expect(result).toEqual({
      decls: [{ name: 'x', type: 'int' }],
      issues: [issue('params.args[1].name', 'invalid_value', 'duplicate arg name "x" (also params.args[0])')],
    });
  });

  it('accepts names of up to 63 characters and uses the given base path', () => {
    const longest = `a${'b'.repeat(62)}`;
    expect(validateArgDeclarations([{ name: longest, type: 'int' }]).issues).toEqual([]);
    expect(validateArgDeclarations([{ name: `${longest}c`, type: 'int' }], 'x.args')).toEqual({
      decls: [],
      issues: [issue('x.args[0].name', 'invalid_value', `"${longest}c" must match ^[a-z][a-z0-9_]{0,62}$`)],
    });
    expect(
      validateArgDeclarations([
        { name: '_x', type: 'int' },
        { name: 'a-b', type: 'int' },
      ]).issues,
    ).toEqual([
      issue('params.args[0].name', 'invalid_value', '"_x" must match ^[a-z][a-z0-9_]{0,62}$'),
      issue('params.args[1].name', 'invalid_value', '"a-b" must match ^[a-z][a-z0-9_]{0,62}$'),
    ]);
  });
});

describe('coerceArgValue (typing of §2.1)', () => {
  const year: ArgDecl = { name: 'year', type: 'int', min: 2000, max: 2030 };
  const int: ArgDecl = { name: 'n', type: 'int' };
  const num: ArgDecl = { name: 'r', type: 'number', min: -5, max: 5 };
  const text: ArgDecl = { name: 's', type: 'text' };
  const sector: ArgDecl = { name: 'sector', type: 'text', enum: ['ALL', 'Energy'] };
  const date: ArgDecl = { name: 'd', type: 'date' };

  it('int: a safe integer, as JSON integer or (from CLI/HTTP text) ^[+-]?\\d+$', () => {
    expect(coerceArgValue(year, 2024, false)).toEqual(ok(2024));
    expect(coerceArgValue(year, 2024, true)).toEqual(ok(2024));
    expect(coerceArgValue(year, '2024', true)).toEqual(ok(2024));
    expect(coerceArgValue(year, '+2024', true)).toEqual(ok(2024));
    expect(coerceArgValue(int, '-17', true)).toEqual(ok(-17));
    expect(coerceArgValue(int, '007', true)).toEqual(ok(7));
    const negativeZero = coerceArgValue(int, '-0', true);
    expect(negativeZero).toEqual(ok(0));
    expect(Object.is((negativeZero as { value: number }).value, 0)).toBe(true);
  });

  it('int: rejects typed strings, fractions, junk, unsafe integers and out-of-range values', () => {
    expect(coerceArgValue(year, '2024', false)).toEqual(bad('expected an integer, got string'));
    expect(coerceArgValue(year, 1.5, false)).toEqual(bad('expected an integer, got number'));
    expect(coerceArgValue(year, '1.5', true)).toEqual(bad('expected an integer'));
    expect(coerceArgValue(year, '2024; DROP TABLE x', true)).toEqual(bad('expected an integer'));
    expect(coerceArgValue(year, '2024; DROP TABLE x', false)).toEqual(bad('expected an integer, got string'));
    expect(coerceArgValue(year, ' 2024', true)).toEqual(bad('expected an integer'));
    expect(coerceArgValue(year, '', true)).toEqual(bad('expected an integer'));
    expect(coerceArgValue(year, '1e3', true)).toEqual(bad('expected an integer'));
    expect(coerceArgValue(year, true, true)).toEqual(bad('expected an integer, got boolean'));
    expect(coerceArgValue(year, [2024], false)).toEqual(bad('expected an integer, got list'));
    expect(coerceArgValue(int, Number.NaN, false)).toEqual(bad('expected an integer, got non-finite number'));
    expect(coerceArgValue(int, 2 ** 53, false)).toEqual(bad('integer outside the safe range'));
    expect(coerceArgValue(int, '9007199254740993', true)).toEqual(bad('integer outside the safe range'));
    expect(coerceArgValue(year, 1999, false)).toEqual(bad('below the minimum 2000'));
    expect(coerceArgValue(year, '2031', true)).toEqual(bad('above the maximum 2030'));
  });

  it('number: a finite number or decimal text, within min/max', () => {
    expect(coerceArgValue(num, 2.5, false)).toEqual(ok(2.5));
    expect(coerceArgValue(num, '2.5', true)).toEqual(ok(2.5));
    expect(coerceArgValue(num, '-3', true)).toEqual(ok(-3));
    expect(coerceArgValue(num, '.5', true)).toEqual(ok(0.5));
    expect(coerceArgValue(num, '+4.25', false)).toEqual(ok(4.25));
    expect(coerceArgValue(num, '1e3', true)).toEqual(bad('expected a finite decimal number'));
    expect(coerceArgValue(num, 'NaN', true)).toEqual(bad('expected a finite decimal number'));
    expect(coerceArgValue(num, 'Infinity', true)).toEqual(bad('expected a finite decimal number'));
    expect(coerceArgValue(num, '1,5', true)).toEqual(bad('expected a finite decimal number'));
    expect(coerceArgValue(num, Number.POSITIVE_INFINITY, false)).toEqual(bad('expected a finite number'));
    expect(coerceArgValue(num, false, false)).toEqual(bad('expected a number, got boolean'));
    expect(coerceArgValue(num, -5.5, false)).toEqual(bad('below the minimum -5'));
    expect(coerceArgValue(num, '5.01', true)).toEqual(bad('above the maximum 5'));
  });

  it('text: any string within max_length (default 200) and enum, kept verbatim', () => {
    expect(DEFAULT_TEXT_MAX_LENGTH).toBe(200);
    expect(coerceArgValue(text, "' OR 1=1 --", true)).toEqual(ok("' OR 1=1 --"));
    expect(coerceArgValue(text, "'; DROP TABLE x; --", false)).toEqual(ok("'; DROP TABLE x; --"));
    expect(coerceArgValue(text, '', true)).toEqual(ok(''));
    expect(coerceArgValue(text, 'x'.repeat(200), true)).toEqual(ok('x'.repeat(200)));
    expect(coerceArgValue(text, 'x'.repeat(201), true)).toEqual(bad('longer than 200 characters'));
    const short: ArgDecl = { name: 's', type: 'text', max_length: 5 };
    expect(coerceArgValue(short, '😀😀😀😀😀', true)).toEqual(ok('😀😀😀😀😀'));
    expect(coerceArgValue(short, 'abcdef', true)).toEqual(bad('longer than 5 characters'));
    expect(coerceArgValue(sector, 'Energy', true)).toEqual(ok('Energy'));
    expect(coerceArgValue(sector, 'energy', true)).toEqual(bad('not one of ALL, Energy'));
    expect(coerceArgValue(sector, "ALL' OR '1'='1", true)).toEqual(bad('not one of ALL, Energy'));
    expect(coerceArgValue(text, 2024, false)).toEqual(bad('expected a string, got integer'));
    expect(coerceArgValue(text, 'a\u0000b', true)).toEqual(bad('contains a NUL character'));
  });

  it('date: YYYY-MM-DD naming a real calendar date, returned as that string', () => {
    for (const d of ['2024-02-29', '2000-02-29', '2024-12-31', '1900-01-01', '2999-12-31', '0001-01-01']) {
      expect(coerceArgValue(date, d, true)).toEqual(ok(d));
    }
    const notADate = bad('expected a real date as YYYY-MM-DD');
    for (const d of [
      '2024-02-30',
      '2023-02-29',
      '1900-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '0000-01-01',
      '2024-1-1',
      '24-01-01',
      '2024-01-01T00:00:00Z',
      ' 2024-01-01',
      '2024/01/01',
      '',
    ]) {
      expect(coerceArgValue(date, d, true)).toEqual(notADate);
    }
    expect(coerceArgValue(date, 20240101, false)).toEqual(bad('expected a date string, got integer'));
  });

  it('null (or a missing value) is never valid', () => {
    for (const decl of [int, num, text, date]) {
      expect(coerceArgValue(decl, null, true)).toEqual(bad('null is not a valid value'));
      expect(coerceArgValue(decl, undefined, false)).toEqual(bad('null is not a valid value'));
    }
  });
});
