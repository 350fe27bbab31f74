import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareCodePoints } from '../../src/data/transforms/sorting.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkCsvPattern,
  compileCsvGlob,
  hasGlobCharacters,
  segmentMatches,
} from '../../src/data/connectors/csv-pattern.js';
import {
  castCsvCell,
  clearCsvParseCache,
  detectDelimiter,
  runCsvQuery,
  type CsvContext,
  type CsvSecurityEvent,
} from '../../src/data/connectors/csv.js';
import { DataError } from '../../src/data/errors.js';
import type { CsvParams, Scalar, SourceResult } from '../../src/data/model.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A canonical temp directory (the connector expects a realpath'd root). */
function tempDir(prefix = 'qnwis-csv-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  dirs.push(dir);
  return dir;
}

/** Builds a data root from relative path → content (string or raw bytes). */
function dataRoot(files: Record<string, string | Buffer>): string {
  const root = tempDir();
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

function rowsOf(result: SourceResult): Record<string, Scalar>[] {
  return result.rows.map((row) => Object.fromEntries(row));
}

async function failure(params: CsvParams, ctx: CsvContext): Promise<DataError> {
  try {
    await runCsvQuery(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected the CSV query to fail');
}

describe('checkCsvPattern', () => {
  it('accepts safe patterns (trimmed first)', () => {
    for (const pattern of [
      'aggregates/sector_employment_by_year.csv',
      'aggregates/*.csv',
      'employed-persons-15-years-and-above*.csv',
      'reports/2024/q?_[0-9].csv',
      '  aggregates/x.csv  ',
      'my data/file name.csv',
    ]) {
      expect(checkCsvPattern(pattern), pattern).toBeNull();
    }
  });

  it('rejects every hostile pattern of §11 with a reason', () => {
    const expected: Record<string, string> = {
      '/x.csv': 'pattern is absolute (starts with /)',
      '../x.csv': 'pattern contains ..',
      'aggregates/../../x.csv': 'pattern contains ..',
      'a;b.csv': 'pattern may only contain letters, digits, space and _ . - / * ? [ ]',
      '$(id).csv': 'pattern may only contain letters, digits, space and _ . - / * ? [ ]',
      '`id`.csv': 'pattern may only contain letters, digits, space and _ . - / * ? [ ]',
      'C:\\x.csv': 'pattern starts with a drive prefix',
      '**/*.csv': 'pattern contains a globstar (**)',
      '{a,b}.csv': 'pattern contains braces (not supported)',
    };
    for (const [pattern, reason] of Object.entries(expected)) expect(checkCsvPattern(pattern), pattern).toBe(reason);
  });

  it('rejects the other unsafe forms', () => {
    expect(checkCsvPattern('')).toBe('pattern is empty');
    expect(checkCsvPattern('   ')).toBe('pattern is empty');
    expect(checkCsvPattern('a\\b.csv')).toBe('pattern contains a backslash');
    expect(checkCsvPattern('a//b.csv')).toBe('pattern contains //');
    expect(checkCsvPattern('a/..x.csv')).toBe('pattern contains ..');
    expect(checkCsvPattern('data.txt')).toBe('pattern does not end in .csv');
    expect(checkCsvPattern('data.CSV')).toBe('pattern does not end in .csv');
    expect(checkCsvPattern('a\tb.csv')).toBe('pattern may only contain letters, digits, space and _ . - / * ? [ ]');
    expect(checkCsvPattern('a:b.csv')).toBe('pattern starts with a drive prefix');
    expect(checkCsvPattern('ab:c.csv')).toBe('pattern may only contain letters, digits, space and _ . - / * ? [ ]');
    expect(checkCsvPattern('année.csv')).toBe('pattern may only contain letters, digits, space and _ . - / * ? [ ]');
  });
});

describe('glob dialect', () => {
  const matches = (pattern: string, name: string): boolean => {
    const segments = compileCsvGlob(pattern);
    const parts = name.split('/');
    return segments.length === parts.length && segments.every((s, i) => segmentMatches(s, parts[i] as string));
  };

  it('matches * and ? within one segment only', () => {
    expect(matches('*.csv', 'a.csv')).toBe(true);
    expect(matches('*.csv', '.csv')).toBe(false);
    expect(matches('*.csv', 'sub/a.csv')).toBe(false);
    expect(matches('*/a.csv', 'sub/a.csv')).toBe(true);
    expect(matches('a?.csv', 'ab.csv')).toBe(true);
    expect(matches('a?.csv', 'a.csv')).toBe(false);
    expect(matches('a?.csv', 'abc.csv')).toBe(false);
    expect(matches('a?.csv', 'a😀.csv')).toBe(true);
    expect(matches('data*2024*.csv', 'data_x_2024_final.csv')).toBe(true);
  });

  it('supports classes, ranges and negation; an unclosed [ is literal', () => {
    expect(matches('q[0-9].csv', 'q7.csv')).toBe(true);
    expect(matches('q[0-9].csv', 'qa.csv')).toBe(false);
    expect(matches('q[ab].csv', 'qb.csv')).toBe(true);
    expect(matches('q[!ab].csv', 'qb.csv')).toBe(false);
    expect(matches('q[!ab].csv', 'qc.csv')).toBe(true);
    expect(matches('q[]].csv', 'q].csv')).toBe(true);
    expect(matches('q[-].csv', 'q-.csv')).toBe(true);
    expect(matches('q[.csv', 'q[.csv')).toBe(true);
    expect(matches('q[z-a].csv', 'qm.csv')).toBe(false);
  });

  it('is literal for braces and case-sensitive; hidden names never match', () => {
    expect(matches('{a,b}.csv', '{a,b}.csv')).toBe(true);
    expect(matches('{a,b}.csv', 'a.csv')).toBe(false);
    expect(matches('A.csv', 'a.csv')).toBe(false);
    expect(matches('*.csv', '.hidden.csv')).toBe(false);
    expect(matches('.hidden.csv', '.hidden.csv')).toBe(false);
    expect(matches('?hidden.csv', '.hidden.csv')).toBe(false);
    expect(matches('[.]hidden.csv', '.hidden.csv')).toBe(false);
    expect(matches('*/a.csv', '.git/a.csv')).toBe(false);
  });

  it('knows which patterns need a directory listing', () => {
    expect(hasGlobCharacters('aggregates/x.csv')).toBe(false);
    expect(hasGlobCharacters('aggregates/*.csv')).toBe(true);
    expect(hasGlobCharacters('a?.csv')).toBe(true);
    expect(hasGlobCharacters('a[1].csv')).toBe(true);
    expect(compileCsvGlob('aggregates/x.csv').map((s) => s.matcher)).toEqual([null, null]);
  });
});

describe('castCsvCell', () => {
  it('casts numbers exactly as §5.1.5', () => {
    const vectors: [string, Scalar][] = [
      ['2024', 2024],
      ['1,234', 1234],
      ['1,234,567.25', 1234567.25],
      ['-0', 0],
      ['-0.0', 0],
      ['12.50', 12.5],
      ['  42  ', 42],
      ['007', 7],
      ['-17', -17],
      ['0.1', 0.1],
      ['9007199254740991', 9007199254740991],
      ['-9007199254740991', -9007199254740991],
      ['9007199254740992', '9007199254740992'],
      ['-9,007,199,254,740,993', '-9,007,199,254,740,993'],
      ['123456789012345678901234567890', '123456789012345678901234567890'],
      ['+5', '+5'],
      ['1e3', '1e3'],
      ['.5', '.5'],
      ['5.', '5.'],
      ['1,23', '1,23'],
      ['12,345.6.7', '12,345.6.7'],
      ['1 000', '1 000'],
      ['-', '-'],
      ['٢٠٢٤', '٢٠٢٤'],
      ['  Energy ', 'Energy'],
      ['', null],
      ['   ', null],
    ];
    for (const [raw, expected] of vectors) expect(castCsvCell(raw), JSON.stringify(raw)).toStrictEqual(expected);
    expect(Object.is(castCsvCell('-0'), 0)).toBe(true);
    expect(Number.isInteger(castCsvCell('2024'))).toBe(true);
  });
});

describe('detectDelimiter', () => {
  it('takes the first of ; , TAB | present in the first line', () => {
    expect(detectDelimiter('a;b,c\n1,2,3')).toBe(';');
    expect(detectDelimiter('a,b\tc|d\n')).toBe(',');
    expect(detectDelimiter('a\tb|c\n')).toBe('\t');
    expect(detectDelimiter('a|b\n1;2')).toBe('|');
    expect(detectDelimiter('abc\n1;2')).toBe(',');
    expect(detectDelimiter('')).toBe(',');
    expect(detectDelimiter(`${'x'.repeat(2047)};\n`)).toBe(';');
    expect(detectDelimiter(`${'x'.repeat(2048)};\n`)).toBe(',');
  });
});

describe('compareCodePoints', () => {
  it('orders by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('a\u{1F600}', 'a\uFFFF')).toBeGreaterThan(0);
    expect('a\u{1F600}' < 'a\uFFFF').toBe(true);
    expect(compareCodePoints('b', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('x', 'x')).toBe(0);
  });
});

describe('runCsvQuery', () => {
  const SECTORS =
    'year;sector;employees\r\n2023;Energy;37000\r\n2023;ICT;1,250\r\n2024;Energy;38280\r\n2024;ICT;1,310\r\n';

  it('reads a CRLF semicolon file with provenance and freshness', async () => {
    const root = dataRoot({ 'aggregates/sector_employment_by_year.csv': SECTORS });
    const result = await runCsvQuery({ pattern: ' aggregates/sector_employment_by_year.csv ' }, { dataRoot: root });
    expect(rowsOf(result)).toStrictEqual([
      { year: 2023, sector: 'Energy', employees: 37000 },
      { year: 2023, sector: 'ICT', employees: 1250 },
      { year: 2024, sector: 'Energy', employees: 38280 },
      { year: 2024, sector: 'ICT', employees: 1310 },
    ]);
    expect([...(result.rows[0]?.keys() ?? [])]).toEqual(['year', 'sector', 'employees']);
    expect(result.provenance).toStrictEqual({
      source: 'csv',
      dataset_id: 'aggregates/sector_employment_by_year.csv',
      locator: 'aggregates/sector_employment_by_year.csv',
      fields: ['year', 'sector', 'employees'],
      license: 'Qatar Open Data Portal License',
    });
    expect(result.freshness).toStrictEqual({ asof_date: '2024-12-31', updated_at: null });
    expect(result.warnings).toStrictEqual([]);
    expect(JSON.stringify(Object.fromEntries(result.rows[0] ?? []))).toBe(
      '{"year":2023,"sector":"Energy","employees":37000}',
    );
  });

  it('detects comma, tab and pipe delimiters and prefers ; over ,', async () => {
    const root = dataRoot({
      'comma.csv': 'year,value\n2024,"1,5"\n',
      'tab.csv': 'year\tvalue\n2024\t7\n',
      'pipe.csv': 'year|value\n2024|8\n',
      'both.csv': 'year;value,x\n2024;9,1\n',
      'none.csv': 'value\n10\n',
    });
    const run = async (pattern: string) => rowsOf(await runCsvQuery({ pattern }, { dataRoot: root }));
    expect(await run('comma.csv')).toStrictEqual([{ year: 2024, value: '1,5' }]);
    expect(await run('tab.csv')).toStrictEqual([{ year: 2024, value: 7 }]);
    expect(await run('pipe.csv')).toStrictEqual([{ year: 2024, value: 8 }]);
    expect(await run('both.csv')).toStrictEqual([{ year: 2024, 'value,x': '9,1' }]);
    expect(await run('none.csv')).toStrictEqual([{ value: 10 }]);
  });

  it('looks for the delimiter only in the first 2048 characters of the first line', async () => {
    const longName = 'x'.repeat(2048);
    const root = dataRoot({ 'long.csv': `${longName};b,c\n1;2,3\n` });
    const result = await runCsvQuery({ pattern: 'long.csv' }, { dataRoot: root });
    expect(result.provenance.fields).toStrictEqual([`${longName};b`, 'c']);
    expect(rowsOf(result)).toStrictEqual([{ [`${longName};b`]: '1;2', c: 3 }]);
  });

  it('drops a BOM, handles quoting, quoted line breaks, CRLF, empty lines and ragged rows', async () => {
    const text =
      '\uFEFF year ; name ;note\r\n' +
      '2024;"Line one\r\nline two";"say ""hi"""\r\n' +
      '\r\n' +
      '\n' +
      '2023;"a;b";x;extra;more\r\n' +
      '2022;short\r\n' +
      ' ;;\r\n';
    const root = dataRoot({ 'q.csv': text });
    const result = await runCsvQuery({ pattern: 'q.csv' }, { dataRoot: root });
    expect(result.provenance.fields).toStrictEqual(['year', 'name', 'note']);
    expect(rowsOf(result)).toStrictEqual([
      { year: 2024, name: 'Line one\r\nline two', note: 'say "hi"' },
      { year: 2023, name: 'a;b', note: 'x' },
      { year: 2022, name: 'short', note: null },
      { year: null, name: null, note: null },
    ]);
  });

  it('keeps the later column of a duplicated header in first-occurrence position', async () => {
    const root = dataRoot({ 'dup.csv': 'year,value,other,value\n2024,1,2,3\n' });
    const result = await runCsvQuery({ pattern: 'dup.csv' }, { dataRoot: root });
    expect(result.provenance.fields).toStrictEqual(['year', 'value', 'other']);
    expect(rowsOf(result)).toStrictEqual([{ year: 2024, value: 3, other: 2 }]);
  });

  it('decodes invalid UTF-8 as U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('year;name\n2024;Caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n')]);
    const root = dataRoot({ 'bad.csv': bytes });
    const result = await runCsvQuery({ pattern: 'bad.csv' }, { dataRoot: root });
    expect(rowsOf(result)).toStrictEqual([{ year: 2024, name: 'Caf\uFFFD\uFFFD' }]);
  });

  it('casts cells and keeps huge integers as strings', async () => {
    const root = dataRoot({
      'cast.csv':
        'year;a;b;c;d;e;f;g\n2024;1,234;-0;12.50;+5;1e3;.5;12345678901234567890\n2024; ;9007199254740991;1,000.5;x;;0;-9007199254740992\n',
    });
    const result = await runCsvQuery({ pattern: 'cast.csv' }, { dataRoot: root });
    expect(rowsOf(result)).toStrictEqual([
      { year: 2024, a: 1234, b: 0, c: 12.5, d: '+5', e: '1e3', f: '.5', g: '12345678901234567890' },
      { year: 2024, a: null, b: 9007199254740991, c: 1000.5, d: 'x', e: null, f: 0, g: '-9007199254740992' },
    ]);
    expect(JSON.stringify(Object.fromEntries(result.rows[0] ?? []))).toBe(
      '{"year":2024,"a":1234,"b":0,"c":12.5,"d":"+5","e":"1e3","f":".5","g":"12345678901234567890"}',
    );
  });

  it('filters on the trimmed raw year text', async () => {
    const root = dataRoot({ 'y.csv': 'year,v\n2024,1\n2024.0,2\n 2024 ,3\n02024,4\n2023,5\n' });
    const result = await runCsvQuery({ pattern: 'y.csv', year: 2024 }, { dataRoot: root });
    expect(rowsOf(result)).toStrictEqual([
      { year: 2024, v: 1 },
      { year: 2024, v: 3 },
    ]);
    expect(result.freshness.asof_date).toBe('2024-12-31');
  });

  it('projects select columns in order, warning once per missing column', async () => {
    const root = dataRoot({ 's.csv': SECTORS });
    const result = await runCsvQuery(
      { pattern: 's.csv', select: ['employees', 'region', 'sector', 'zone'], year: 2024 },
      { dataRoot: root },
    );
    expect(rowsOf(result)).toStrictEqual([
      { employees: 38280, region: null, sector: 'Energy', zone: null },
      { employees: 1310, region: null, sector: 'ICT', zone: null },
    ]);
    expect([...(result.rows[0]?.keys() ?? [])]).toEqual(['employees', 'region', 'sector', 'zone']);
    expect(result.warnings).toStrictEqual(['csv_missing_column:region', 'csv_missing_column:zone']);
    expect(result.provenance.fields).toStrictEqual(['employees', 'region', 'sector', 'zone']);
    // The as-of year is read from the record before projection.
    expect(result.freshness.asof_date).toBe('2024-12-31');
  });

  it('warns about the row limit only when a further matching row exists', async () => {
    const root = dataRoot({ 'r.csv': 'year,v\n2024,1\n2024,2\n2023,3\n2024,4\n2022,5\n' });
    const ctx = { dataRoot: root };
    const exact = await runCsvQuery({ pattern: 'r.csv', year: 2024, max_rows: 3 }, ctx);
    expect(rowsOf(exact).map((r) => r.v)).toStrictEqual([1, 2, 4]);
    expect(exact.warnings).toStrictEqual([]);

    const cut = await runCsvQuery({ pattern: 'r.csv', year: 2024, max_rows: 2 }, ctx);
    expect(rowsOf(cut).map((r) => r.v)).toStrictEqual([1, 2]);
    expect(cut.warnings).toStrictEqual(['row_limit_reached:2']);

    const onlyOneMore = await runCsvQuery({ pattern: 'r.csv', year: 2023, max_rows: 1 }, ctx);
    expect(onlyOneMore.warnings).toStrictEqual([]);

    const all = await runCsvQuery({ pattern: 'r.csv', max_rows: 4 }, ctx);
    expect(rowsOf(all).map((r) => r.v)).toStrictEqual([1, 2, 3, 4]);
    expect(all.warnings).toStrictEqual(['row_limit_reached:4']);
    expect(all.freshness.asof_date).toBe('2024-12-31');

    const both = await runCsvQuery({ pattern: 'r.csv', max_rows: 1, select: ['v', 'w'] }, ctx);
    expect(both.warnings).toStrictEqual(['row_limit_reached:1', 'csv_missing_column:w']);
  });

  it('applies the default max_rows of 100000', async () => {
    let text = 'year,v\n';
    for (let i = 0; i <= 100_000; i++) text += `2024,${i}\n`;
    const root = dataRoot({ 'big.csv': text });
    const result = await runCsvQuery({ pattern: 'big.csv' }, { dataRoot: root });
    expect(result.rows.length).toBe(100_000);
    expect(result.rows[99_999]?.get('v')).toBe(99_999);
    expect(result.warnings).toStrictEqual(['row_limit_reached:100000']);
  });

  it('multiplies numeric to_percent fields by 100 after the limit', async () => {
    const root = dataRoot({
      'p.csv': 'year,share,label,count\n2024,0.25,a,3\n2024,,b,4\n2024,n/a,c,5\n2024,0.5,d,6\n',
    });
    const result = await runCsvQuery(
      { pattern: 'p.csv', to_percent: ['share', 'count', 'label', 'absent', 'share'], max_rows: 3 },
      { dataRoot: root },
    );
    expect(rowsOf(result)).toStrictEqual([
      { year: 2024, share: 25, label: 'a', count: 300 },
      { year: 2024, share: null, label: 'b', count: 400 },
      { year: 2024, share: 'n/a', label: 'c', count: 500 },
    ]);
    expect(Number.isInteger(result.rows[0]?.get('count'))).toBe(true);
    expect(result.warnings).toStrictEqual(['row_limit_reached:3']);
  });

  it('takes as-of from the largest integer year 1000..9999 among kept rows, else null', async () => {
    const root = dataRoot({
      'a.csv': 'year,v\n2019,1\n2024.0,2\n2021,3\n',
      'b.csv': 'year,v\n999,1\nlate,2\n2024.0,3\n',
      'c.csv': 'v\n1\n',
      'd.csv': 'year,v\n"2,020",1\n',
      'e.csv': 'year,v\n2019,1\n2030,2\n',
    });
    const asof = async (params: CsvParams) => (await runCsvQuery(params, { dataRoot: root })).freshness.asof_date;
    expect(await asof({ pattern: 'a.csv' })).toBe('2021-12-31');
    expect(await asof({ pattern: 'b.csv' })).toBeNull();
    expect(await asof({ pattern: 'c.csv' })).toBeNull();
    expect(await asof({ pattern: 'd.csv' })).toBe('2020-12-31');
    expect(await asof({ pattern: 'e.csv', max_rows: 1 })).toBe('2019-12-31');
  });

  it('fails with no_rows_matched naming the pattern and year filter', async () => {
    const root = dataRoot({ 'n.csv': SECTORS, 'h.csv': 'year;v\n', 'empty.csv': '' });
    const ctx = { dataRoot: root };
    const err = await failure({ pattern: 'n.csv', year: 1999 }, ctx);
    expect(err.code).toBe('no_rows_matched');
    expect(err.message).toBe("no rows matched pattern 'n.csv' with year 1999");
    const headerOnly = await failure({ pattern: 'h.csv' }, ctx);
    expect(headerOnly.code).toBe('no_rows_matched');
    expect(headerOnly.message).toBe("no rows matched pattern 'h.csv' with no year filter");
    expect((await failure({ pattern: 'empty.csv' }, ctx)).code).toBe('no_rows_matched');
  });

  it('fails with source_not_found naming the pattern, never the root', async () => {
    const root = dataRoot({ 'aggregates/a.csv': SECTORS, 'dir.csv/x.csv': SECTORS });
    for (const pattern of ['aggregates/missing.csv', 'missing/*.csv', 'nothing*.csv', 'dir.csv', '*.csv']) {
      const err = await failure({ pattern }, { dataRoot: root });
      expect(err.code).toBe('source_not_found');
      expect(err.message).toBe(`no CSV file matches pattern '${pattern}'`);
      expect(err.message).not.toContain(root);
    }
    const gone = await failure({ pattern: 'a.csv' }, { dataRoot: path.join(root, 'no-such-root') });
    expect(gone.code).toBe('source_not_found');
  });

  it('picks the latest file by relative path in code-point order', async () => {
    const root = dataRoot({
      'exports/2019/data.csv': 'year\n2019\n',
      'exports/2023/data.csv': 'year\n2023\n',
      'exports/2023b/data.csv': 'year\n2030\n',
      'exports/2024/data.csv': 'year\n2024\n',
      'exports/2024/other.csv': 'year\n1\n',
      'exports/2025.csv/data.csv': 'year\n2025\n',
      'u/a\uFFFF.csv': 'year\n1111\n',
      'u/a\u{1F600}.csv': 'year\n2222\n',
    });
    const ctx = { dataRoot: root };
    const latest = await runCsvQuery({ pattern: 'exports/20[0-9][0-9]/data.csv' }, ctx);
    expect(latest.provenance.locator).toBe('exports/2024/data.csv');
    expect(rowsOf(latest)).toStrictEqual([{ year: 2024 }]);
    const any = await runCsvQuery({ pattern: 'exports/*/data.csv' }, ctx);
    expect(any.provenance.locator).toBe('exports/2025.csv/data.csv');
    const unicode = await runCsvQuery({ pattern: 'u/a*.csv' }, ctx);
    expect(unicode.provenance.locator).toBe('u/a\u{1F600}.csv');
  });

  it('never matches hidden files or directories', async () => {
    const root = dataRoot({
      'a.csv': 'year\n2020\n',
      '.z.csv': 'year\n2099\n',
      '.git/a.csv': 'year\n2098\n',
      'sub/.b.csv': 'year\n2097\n',
    });
    const ctx = { dataRoot: root };
    expect((await runCsvQuery({ pattern: '*.csv' }, ctx)).provenance.locator).toBe('a.csv');
    expect((await failure({ pattern: '?z.csv' }, ctx)).code).toBe('source_not_found');
    expect((await failure({ pattern: '.z.csv' }, ctx)).code).toBe('source_not_found');
    expect((await failure({ pattern: '*/a.csv' }, ctx)).code).toBe('source_not_found');
    expect((await failure({ pattern: '.git/a.csv' }, ctx)).code).toBe('source_not_found');
    expect((await failure({ pattern: 'sub/*.csv' }, ctx)).code).toBe('source_not_found');
  });

  it('rejects an unsafe pattern at run time too', async () => {
    const root = dataRoot({ 'a.csv': 'year\n2020\n' });
    const err = await failure({ pattern: '../a.csv' }, { dataRoot: root });
    expect(err.code).toBe('source_error');
    expect(err.message).toBe("unsafe CSV pattern '../a.csv': pattern contains ..");
  });

  it('fails with path_outside_root for symlinks escaping the root and logs a security event', async () => {
    const outside = tempDir('qnwis-outside-');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'year\n2024\n');
    fs.mkdirSync(path.join(outside, 'dir'));
    fs.writeFileSync(path.join(outside, 'dir', 'x.csv'), 'year\n2024\n');
    const root = dataRoot({ 'aggregates/a.csv': 'year\n2020\n', 'inside.csv': 'year\n2021\n' });
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(root, 'aggregates', 'z.csv'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(root, 'linked'));
    fs.symlinkSync(path.join(root, 'inside.csv'), path.join(root, 'aggregates', 'b.csv'));
    const events: CsvSecurityEvent[] = [];
    const ctx: CsvContext = { dataRoot: root, onSecurityEvent: (e) => events.push(e) };

    for (const pattern of ['aggregates/*.csv', 'aggregates/z.csv', 'linked/x.csv', 'l*/x.csv']) {
      const err = await failure({ pattern }, ctx);
      expect(err.code).toBe('path_outside_root');
      expect(err.message).toBe(`the file matched by pattern '${pattern}' resolves outside the data root`);
      expect(err.message).not.toContain(outside);
    }
    expect(events).toStrictEqual([
      { event: 'path_outside_root', pattern: 'aggregates/*.csv', locator: 'aggregates/z.csv' },
      { event: 'path_outside_root', pattern: 'aggregates/z.csv', locator: 'aggregates/z.csv' },
      { event: 'path_outside_root', pattern: 'linked/x.csv', locator: 'linked/x.csv' },
      { event: 'path_outside_root', pattern: 'l*/x.csv', locator: 'linked/x.csv' },
    ]);
    // A symlink that stays inside the root is fine; the locator is the matched path.
    const inside = await runCsvQuery({ pattern: 'aggregates/b.csv' }, ctx);
    expect(inside.provenance.locator).toBe('aggregates/b.csv');
    expect(rowsOf(inside)).toStrictEqual([{ year: 2021 }]);
  });

  it('re-reads a file when its stat changes (parse cache revalidation)', async () => {
    const root = dataRoot({ 'c.csv': 'year,v\n2024,1\n' });
    const file = path.join(root, 'c.csv');
    const ctx = { dataRoot: root };
    expect(rowsOf(await runCsvQuery({ pattern: 'c.csv' }, ctx))).toStrictEqual([{ year: 2024, v: 1 }]);
    // Same size, rewritten in place; the explicit mtime keeps the test independent of timestamp granularity.
    fs.writeFileSync(file, 'year,v\n2024,2\n');
    fs.utimesSync(file, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    expect(rowsOf(await runCsvQuery({ pattern: 'c.csv' }, ctx))).toStrictEqual([{ year: 2024, v: 2 }]);
    // Replaced by rename (new inode) with the same size and mtime.
    const tmp = path.join(root, 'c.tmp');
    fs.writeFileSync(tmp, 'year,v\n2024,3\n');
    fs.utimesSync(tmp, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    fs.renameSync(tmp, file);
    expect(rowsOf(await runCsvQuery({ pattern: 'c.csv' }, ctx))).toStrictEqual([{ year: 2024, v: 3 }]);
    // Unchanged files are served from the cache, and each run returns fresh row maps.
    const first = await runCsvQuery({ pattern: 'c.csv' }, ctx);
    first.rows[0]?.set('v', 99);
    expect(rowsOf(await runCsvQuery({ pattern: 'c.csv' }, ctx))).toStrictEqual([{ year: 2024, v: 3 }]);
    clearCsvParseCache();
    expect(rowsOf(await runCsvQuery({ pattern: 'c.csv' }, ctx))).toStrictEqual([{ year: 2024, v: 3 }]);
  });

  it('lists directories on every run', async () => {
    const root = dataRoot({ 'd/2023.csv': 'year\n2023\n' });
    const ctx = { dataRoot: root };
    expect((await runCsvQuery({ pattern: 'd/*.csv' }, ctx)).provenance.locator).toBe('d/2023.csv');
    fs.writeFileSync(path.join(root, 'd', '2024.csv'), 'year\n2024\n');
    expect((await runCsvQuery({ pattern: 'd/*.csv' }, ctx)).provenance.locator).toBe('d/2024.csv');
    fs.rmSync(path.join(root, 'd', '2024.csv'));
    expect((await runCsvQuery({ pattern: 'd/*.csv' }, ctx)).provenance.locator).toBe('d/2023.csv');
  });

  it('fails with timeout when elapsed time exceeds timeout_s', async () => {
    const root = dataRoot({ 't.csv': 'year,v\n2024,1\n2024,2\n2024,3\n' });
    const ticks = [0, 100, 900, 1000.5];
    const now = () => ticks.shift() ?? 5000;
    const err = await failure({ pattern: 't.csv', timeout_s: 1 }, { dataRoot: root, now });
    expect(err.code).toBe('timeout');
    expect(err.message).toBe("CSV query for pattern 't.csv' exceeded 1 s");
    // Exactly at the limit is not over it.
    const atLimit = [0, 1000, 1000, 1000, 1000];
    const ok = await runCsvQuery(
      { pattern: 't.csv', timeout_s: 1 },
      { dataRoot: root, now: () => atLimit.shift() ?? 0 },
    );
    expect(ok.rows.length).toBe(3);
  });

  it('maps unparseable CSV to source_error without paths', async () => {
    const root = dataRoot({ 'broken.csv': 'year,v\n2024,"unterminated\n' });
    const err = await failure({ pattern: 'broken.csv' }, { dataRoot: root });
    expect(err.code).toBe('source_error');
    expect(err.message).toBe("cannot parse CSV file 'broken.csv': CSV_QUOTE_NOT_CLOSED");
  });
});
