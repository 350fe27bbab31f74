import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { contentDisposition, csvField, exportFileName, toCsv } from '../../src/http/routes/export.js';

describe('CSV export (RFC 4180)', () => {
  it('round-trips commas, quotes, line breaks and Arabic text through csv-parse', () => {
    const columns = ['year', 'sector', 'note', 'value', 'ok'];
    const rows = [
      [2024, 'Energy, Oil & Gas', 'He said "high"', 12.5, true],
      [2023, 'الطاقة', 'line one\r\nline two', null, false],
      [2022, 'ICT', '', -3, null],
    ];
    const text = toCsv(columns, rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')[0]).toBe('year,sector,note,value,ok');
    expect(text).toContain('2024,"Energy, Oil & Gas","He said ""high""",12.5,true\r\n');
    const parsed = parse(text, { columns: true, bom: true }) as Record<string, string>[];
    expect(parsed).toEqual([
      { year: '2024', sector: 'Energy, Oil & Gas', note: 'He said "high"', value: '12.5', ok: 'true' },
      { year: '2023', sector: 'الطاقة', note: 'line one\r\nline two', value: '', ok: 'false' },
      { year: '2022', sector: 'ICT', note: '', value: '-3', ok: '' },
    ]);
  });

  it('guards text cells against formulas and leaves numbers alone', () => {
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('=a,b')).toBe(`"'=a,b"`);
    expect(csvField(-1)).toBe('-1');
    expect(csvField(0.1)).toBe('0.1');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('writes the header alone for zero rows, and a BOM only on request', () => {
    expect(toCsv(['year', 'sector'], [])).toBe('year,sector\r\n');
    expect(toCsv(['a'], [[1]], true)).toBe('\ufeffa\r\n1\r\n');
  });

  it('names files from validated values only', () => {
    expect(exportFileName('sector-employment', 2024, 'en', 'csv')).toBe('qnwis-sector-employment-2024-en.csv');
    expect(exportFileName('salary-trend', 'Oil & Gas', 'ar', 'png')).toBe('qnwis-salary-trend-oil-gas-ar.png');
    expect(exportFileName('salary-trend', 'الطاقة', 'ar', 'svg')).toBe('qnwis-salary-trend-x-ar.svg');
    expect(exportFileName('syn_sector_employment_by_year', null, 'en', 'json')).toBe(
      'qnwis-syn-sector-employment-by-year-en.json',
    );
    expect(contentDisposition('qnwis-a-2024-en.csv')).toBe(
      `attachment; filename="qnwis-a-2024-en.csv"; filename*=UTF-8''qnwis-a-2024-en.csv`,
    );
  });
});
