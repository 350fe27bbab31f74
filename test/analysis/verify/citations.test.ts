import { describe, expect, it } from 'vitest';
import { numericTokens } from '../../../src/analysis/verify/numeric-tokens.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import { CLOCK, OPTIONS, query } from './build.js';

const raws = (text: string, listMarkers = false): string[] =>
  numericTokens(text, { listMarkers, yearMin: 1900, yearMax: 2100 }).map((t) => t.raw);

const Q = query('syn_attrition_by_sector_latest', [
  { year: 2024, sector: 'Energy', attrition_percent: 5.81 },
  { year: 2024, sector: 'ICT', attrition_percent: 8.75 },
]);

async function l1(narrative: string, options = OPTIONS) {
  const v = await verifyAnswer({ narrative, citations: [Q], options, clockDate: CLOCK });
  return { v, issues: v.issues.filter((i) => i.layer === 'L1') };
}

describe('numeric token grammar (§5.1)', () => {
  it('reads sign, separators, decimals and units', () => {
    const tokens = numericTokens(
      'Pay was 12,345 QAR, up 1.25 pp; rate 45 percent, 3 percentage points, 25 bps, -0.669 and 7 QR',
      {
        listMarkers: false,
        yearMin: 1900,
        yearMax: 2100,
      },
    );
    expect(tokens.map((t) => [t.raw, t.value, t.unit, t.decimals])).toEqual([
      ['12,345 QAR', 12345, 'currency', 0],
      ['1.25 pp', 1.25, 'pp', 2],
      ['45 percent', 45, 'percent', 0],
      ['3 percentage points', 3, 'pp', 0],
      ['25 bps', 25, 'bps', 0],
      ['-0.669', -0.669, null, 3],
      ['7 QR', 7, 'currency', 0],
    ]);
  });

  it('treats "-" as a sign only after whitespace, "(" or the start of a line', () => {
    expect(
      numericTokens('(-3.5 pp) and x-5', { listMarkers: false, yearMin: 1900, yearMax: 2100 }).map((t) => t.value),
    ).toEqual([-3.5, 5]);
    expect(raws('-4% at line start')).toEqual(['-4%']);
    expect(raws('2019-2021')).toEqual([]); // two years, no sign
  });

  it('exempts years, ISO dates and periods, Q1–Q4, identifiers, markers and ordered-list markers', () => {
    expect(raws('In 2024, as of 2024-12-31 and 2024-06, over Q1–Q4 and 2017–2024')).toEqual([]);
    expect(raws('ts_employment_annual, derived_x_ab12cd34, derived_trend_12345678, SL.UEM.TOTL.ZS')).toEqual([]);
    expect(raws('the 5th sector, 3x, FY2024 [cite:derived_x_ab12cd34]')).toEqual([]);
    expect(raws('1. Energy', true)).toEqual([]);
    expect(raws('1. Energy has 5 firms', true)).toEqual(['5']);
    expect(raws('12) item', true)).toEqual([]);
  });

  it('checks everything else: single digits, values below 1, zero, non-year four digits, signed years', () => {
    expect(raws('0, 1, 0.5, 7 and 0.031')).toEqual(['0', '1', '0.5', '7', '0.031']);
    expect(raws('2,024 and 2200 and 1899 and -2020 and 2024%')).toEqual(['2,024', '2200', '1899', '-2020', '2024%']);
  });
});

describe('L1 citation units and codes', () => {
  it('a marker covers its sentence only, and must come before the final punctuation', async () => {
    const { issues, v } = await l1(
      'Energy attrition was 5.81% [cite:syn_attrition_by_sector_latest]. ICT reached 8.75%. Then 8.75%. [cite:syn_attrition_by_sector_latest]',
    );
    expect(issues.map((i) => [i.code, i.details.token])).toEqual([
      ['UNCITED_NUMBER', '8.75%'],
      ['UNCITED_NUMBER', '8.75%'],
    ]);
    expect(v.reports.citations.total_numbers).toBe(3);
    expect(v.reports.citations.cited_numbers).toBe(1);
    expect(v.reports.citations.uncited).toEqual([
      { token: '8.75%', line: 1, context: 'ICT reached 8.75%.' },
      { token: '8.75%', line: 1, context: 'Then 8.75%.' },
    ]);
    expect(v.passed).toBe(false);
  });

  it('a sentence may span lines of a paragraph; a list item is one unit', async () => {
    const { issues } = await l1(
      [
        'Energy attrition was 5.81%',
        'and ICT 8.75% [cite:syn_attrition_by_sector_latest].',
        '',
        '- Energy 5.81%, ICT 8.75% [cite:syn_attrition_by_sector_latest]',
        '- ICT 8.75%',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.code, i.details.line])).toEqual([['UNCITED_NUMBER', 5]]);
  });

  it('a table row needs its own marker unless the caption line above the table carries one', async () => {
    const table = ['| Sector | Attrition |', '|---|---|', '| Energy | 5.81% |', '| ICT | 8.75% |'];
    const captioned = await l1(['Attrition by sector [cite:syn_attrition_by_sector_latest]', '', ...table].join('\n'));
    expect(captioned.issues).toEqual([]);
    const directly = await l1(['Attrition by sector [cite:syn_attrition_by_sector_latest]', ...table].join('\n'));
    expect(directly.issues).toEqual([]);
    const bare = await l1(
      ['Attrition by sector', '', ...table.slice(0, 3), '| ICT | 8.75% [cite:syn_attrition_by_sector_latest] |'].join(
        '\n',
      ),
    );
    expect(bare.issues.map((i) => [i.code, i.details.token, i.details.line])).toEqual([['UNCITED_NUMBER', '5.81%', 5]]);
  });

  it('headings are checked; the Evidence, Provenance and Licences sections are skipped', async () => {
    const { issues, v } = await l1(
      [
        '## Top 5 sectors',
        '',
        '## Evidence',
        '',
        '| Id | Kind | Dataset | As of | Licence |',
        '|---|---|---|---|---|',
        '| syn_attrition_by_sector_latest | query | aggregates/x.csv | 2024-12-31 | CC BY 4.0 |',
        '',
        '## Provenance',
        '',
        'Row count 10 and [cite:not_listed]',
        '',
        '## Licences',
        '',
        '- CC BY 4.0',
        '',
        '## Method Notes',
        '',
        'Window of 3 years.',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.code, i.details.token, i.details.line])).toEqual([
      ['UNCITED_NUMBER', '5', 1],
      ['UNCITED_NUMBER', '3', 19],
    ]);
    expect(v.reports.citations.total_numbers).toBe(2);
  });

  it('unknown and malformed marker ids give CITATION_UNKNOWN_ID once per id, with their lines', async () => {
    const { issues, v } = await l1(
      [
        'Energy 5.81% [cite:nope].',
        'ICT 8.75% [cite:syn_attrition_by_sector_latest,nope].',
        'Again 8.75% [cite:bad id].',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.code, i.details.id, i.details.lines, i.details.malformed])).toEqual([
      ['CITATION_UNKNOWN_ID', 'nope', [1, 2], false],
      ['CITATION_UNKNOWN_ID', 'bad id', [3], true],
    ]);
    // Covered tokens are not UNCITED_NUMBER, whatever the marker names.
    expect(v.reports.citations).toEqual({ total_numbers: 3, cited_numbers: 3, uncited: [] });
  });

  it('enforce_citations=false keeps the layer but lowers its issues to warnings', async () => {
    const { issues, v } = await l1('ICT 8.75% [cite:nope]. And 9 more.', {
      enforce_citations: false,
      verify_numbers: true,
    });
    expect(issues.map((i) => [i.code, i.severity])).toEqual([
      ['CITATION_UNKNOWN_ID', 'warning'],
      ['UNCITED_NUMBER', 'warning'],
    ]);
    expect(v.passed).toBe(true);
  });

  it('quotes a long unit around the token, redacted before it is cut', async () => {
    // "7" is at offset 100; 40 characters before it falls inside "Fatima Al-Thani" (offsets 55–70).
    const text = `${'filler words '.repeat(4)}by Fatima Al-Thani who counted plenty of cases: 7 of them ${'and then more words '.repeat(4)}end.`;
    const { v } = await l1(text);
    expect(v.reports.citations.uncited).toEqual([
      {
        token: '7',
        line: 1,
        context: '…[REDACTED_NAME] who counted plenty of cases: 7 of them and then more words and then more…',
      },
    ]);
  });

  it('lists at most 10 uncited numbers in the report but raises an issue for each', async () => {
    const text = Array.from({ length: 12 }, (_, i) => `- value ${i + 1}`).join('\n');
    const { issues, v } = await l1(text);
    expect(issues).toHaveLength(12);
    expect(v.reports.citations.uncited.map((u) => u.token)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
    ]);
  });
});
