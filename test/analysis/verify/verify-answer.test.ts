import { describe, expect, it } from 'vitest';
import type { Citable } from '../../../src/analysis/verify/types.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import { CLOCK, OPTIONS, derived, query } from './build.js';

const ATTRITION = query('syn_attrition_by_sector_latest', [
  { year: 2024, sector: 'Energy', attrition_percent: 5.81 },
  { year: 2024, sector: 'ICT', attrition_percent: 8.75 },
]);
const TREND = derived(
  'derived_trend_ab12cd34',
  [{ name: 'slope', unit: 'ratio', kind: 'change' }],
  [{ slope: -0.669 }],
  {
    window: 8,
  },
);

describe('verifyAnswer', () => {
  it('a seeded bad narrative raises every code, in layer order, and fails', async () => {
    const companies = query('lmis_company_retention_latest', [
      { company_id: 1, company_name: 'Company 00001', base: 9, value: 50 },
    ]);
    const narrative = [
      '## Executive Summary',
      '',
      'Energy attrition was 5.8% [cite:syn_attrition_by_sector_latest]. ICT was 9.9% [cite:ghost]. It fell by 3 points.',
      '',
      '## Key Findings',
      '',
      '- Energy attrition 6.4% [cite:syn_attrition_by_sector_latest]',
      '- ICT attrition 12.5% [cite:syn_attrition_by_sector_latest]',
      '- Slope -0.669 over 8 years [cite:derived_trend_ab12cd34]',
      '- Ask Fatima Al-Thani (fatima@example.com, +974 5555 1234, QID 28463412345).',
      '',
      'By sector [cite:syn_attrition_by_sector_latest]',
      '',
      '| Sector | Attrition |',
      '|---|---|',
      '| Energy | 5.81 |',
      '| ICT | 8.75 |',
      '| Total | 16.56 |',
    ].join('\n');
    const v = await verifyAnswer({
      narrative,
      citations: [ATTRITION, TREND, companies],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    const codes = v.issues.filter((i) => i.severity !== 'info').map((i) => `${i.layer}/${i.code}`);
    expect(codes).toEqual([
      'L1/CITATION_UNKNOWN_ID',
      'L1/UNCITED_NUMBER', // 3 points
      'L1/UNCITED_NUMBER', // +974
      'L1/UNCITED_NUMBER', // 5555
      'L1/UNCITED_NUMBER', // 1234
      'L1/UNCITED_NUMBER', // 28463412345
      'L2/ROUNDING_MISMATCH', // 6.4% vs 5.81
      'L2/NUMBER_NOT_FOUND', // 12.5% vs 8.75
      'L2/NUMBER_NOT_FOUND', // Total 16.56 is nowhere in the data
      'L2/MATH_INCONSISTENT', // 5.81 + 8.75 = 14.56
      'L4/PII_EMAIL',
      'L4/PII_ID',
      'L4/PII_PHONE',
      'L4/PII_NAME',
      'L4/SMALL_CELL',
    ]);
    expect(v.passed).toBe(false);
    expect(v.narrative).toContain('- Ask [REDACTED_NAME] ([REDACTED_EMAIL], [REDACTED_PHONE], QID [REDACTED_ID]).');
    // Issues and reports quote the narrative only in redacted form.
    expect(JSON.stringify(v)).not.toMatch(/Fatima|Al-Thani|example\.com|28463412345|5555 1234/);
    expect(v.reports.citations.uncited.map((u) => u.token)).toEqual(['3', '+974', '5555', '1234', '[REDACTED_ID]']);
  });

  it('passed ignores warnings and info', async () => {
    const v = await verifyAnswer({
      narrative: 'Energy 6.4% [cite:syn_attrition_by_sector_latest], says Fatima Al-Thani.',
      citations: [ATTRITION],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    expect(v.issues.map((i) => [i.code, i.severity])).toEqual([
      ['ROUNDING_MISMATCH', 'warning'],
      ['XCHK_SKIPPED', 'info'],
      ['PII_NAME', 'warning'],
    ]);
    expect(v.passed).toBe(true);
  });

  it('returns the options in force, the cited sources, and ignores duplicate or malformed citations', async () => {
    const v = await verifyAnswer({
      narrative: 'Slope -0.669 [cite:derived_trend_ab12cd34].',
      citations: [TREND, { ...TREND, rows: [] }, null, {}, 7] as unknown as Citable[],
      options: { enforce_citations: false, verify_numbers: true },
      clockDate: CLOCK,
    });
    expect(v.issues).toEqual([]);
    expect(v.options).toEqual({ enforce_citations: false, verify_numbers: true });
    expect(v.sources).toEqual([
      { id: 'derived_trend_ab12cd34', kind: 'derived', asof_date: '2024-12-31', license: 'MIT-SYNTHETIC' },
    ]);
  });

  it('never throws on odd text or odd citations', async () => {
    const odd = [
      '',
      '\u0000\u0001',
      '[cite:',
      '[cite:]',
      '[cite:,,] 5',
      '|||\n|-|\n| Total | x |',
      '#',
      '######## 7',
      '-'.repeat(5000),
      '9'.repeat(400),
      '1e309 and 0x1F and 1,2,3 and 1.2.3 and ..5',
      '🙂 Fatima 🙂 Al-Thani',
      '\r\n\r\n',
      '- \n  \n1)\n|',
      'a'.repeat(20000) + ' 5',
      '## Evidence\n### 5\n## Next 6',
    ];
    const weird = [
      query('q', [{ value: Number.NaN, base: Number.POSITIVE_INFINITY }]),
      { ...ATTRITION, rows: 'nope' },
      { ...ATTRITION, query_id: 'q2', freshness: null },
      { ...TREND, id: 'd2', fields: null, params: { a: [1, { b: 2 }], c: null } },
    ] as unknown as Citable[];
    for (const narrative of odd) {
      const v = await verifyAnswer({ narrative, citations: weird, options: OPTIONS, clockDate: 'not a date' });
      expect(typeof v.passed).toBe('boolean');
      expect(typeof v.narrative).toBe('string');
    }
    const none = await verifyAnswer({
      narrative: undefined as unknown as string,
      citations: undefined as unknown as Citable[],
      options: undefined as unknown as typeof OPTIONS,
      clockDate: CLOCK,
    });
    expect(none).toMatchObject({ passed: true, issues: [], narrative: '' });
  });

  it('is deterministic: the same input gives the same result', async () => {
    const input = {
      narrative: 'Energy 6.4% [cite:syn_attrition_by_sector_latest] and 7 [cite:nope]. Fatima Al-Thani.',
      citations: [ATTRITION, TREND],
      options: OPTIONS,
      clockDate: CLOCK,
    };
    expect(JSON.stringify(await verifyAnswer(input))).toBe(JSON.stringify(await verifyAnswer(input)));
  });
});
