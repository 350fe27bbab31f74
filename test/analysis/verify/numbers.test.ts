import { describe, expect, it } from 'vitest';
import {
  defaultVerificationConfig,
  type VerificationConfig,
} from '../../../src/analysis/verify/verification-config.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import type { Citable } from '../../../src/analysis/verify/types.js';
import { CLOCK, OPTIONS, derived, query } from './build.js';

const ATTRITION = query('syn_attrition_by_sector_latest', [
  { year: 2024, sector: 'Energy', attrition_percent: 5.81 },
  { year: 2024, sector: 'ICT', attrition_percent: 8.75 },
]);
const SLOPE = derived(
  'derived_trend_ab12cd34',
  [
    { name: 'slope', unit: 'ratio', kind: 'change' },
    { name: 'share', unit: 'ratio', kind: 'level' },
    { name: 'salary', unit: 'qar', kind: 'level' },
    { name: 'count', unit: 'count', kind: 'level' },
    { name: 'small', unit: 'ratio', kind: 'level' },
  ],
  [{ slope: -0.6694, share: 0.4567, salary: 1000, count: 12.8, small: 0.036 }],
  { z_threshold: 2.5, windows: [3, 6], nested: { alpha: 0.3 } },
);

/** The repository config with the relative tolerance switched off, to see each class's absolute tolerance alone. */
const ABS_ONLY: VerificationConfig = {
  ...defaultVerificationConfig(),
  numbers: { ...defaultVerificationConfig().numbers, relative_tolerance: 0 },
};

async function l2(narrative: string, citations: Citable[] = [ATTRITION, SLOPE], config?: VerificationConfig) {
  const v = await verifyAnswer({ narrative, citations, options: OPTIONS, clockDate: CLOCK, config });
  return { v, issues: v.issues.filter((i) => i.layer === 'L2') };
}

const summary = (issues: { code: string; details: Record<string, unknown> }[]) =>
  issues.map((i) => [i.code, i.details.token, i.details.hint ?? null]);

describe('L2 number verification (§5.2)', () => {
  it('percent claims match within 0.5 pp; within 1 pp is a rounding mismatch with a hint; beyond is not found', async () => {
    const { issues, v } = await l2(
      [
        '- Energy 6.3% [cite:syn_attrition_by_sector_latest]',
        '- Energy 6.4% [cite:syn_attrition_by_sector_latest]',
        '- Energy 7.5% [cite:syn_attrition_by_sector_latest]',
        '- ICT 8.75 percent [cite:syn_attrition_by_sector_latest]',
      ].join('\n'),
    );
    expect(summary(issues)).toEqual([
      ['ROUNDING_MISMATCH', '6.4%', 'replace 6.4% with 5.8% (syn_attrition_by_sector_latest)'],
      ['NUMBER_NOT_FOUND', '7.5%', null],
    ]);
    expect(issues.map((i) => i.severity)).toEqual(['warning', 'error']);
    expect(issues[1]!.details).toMatchObject({
      class: 'percent',
      nearest: { value: 8.75, id: 'syn_attrition_by_sector_latest' },
    });
    expect(v.reports.numbers).toMatchObject({ claims_total: 4, claims_matched: 2, issues: 2, math_checks: [] });
  });

  it('currency claims (QAR, QR or "riyal" nearby) get 50; the same digits as a count get 0.5', async () => {
    const { issues } = await l2(
      [
        '- pay 1,045 QAR [cite:derived_trend_ab12cd34]',
        '- pay 1,045 Qatari riyals a month [cite:derived_trend_ab12cd34]',
        '- pay 1,045 [cite:derived_trend_ab12cd34]',
        '- pay 1,090 QR [cite:derived_trend_ab12cd34]',
      ].join('\n'),
      [SLOPE],
      ABS_ONLY,
    );
    expect(summary(issues)).toEqual([
      ['NUMBER_NOT_FOUND', '1,045', null],
      ['ROUNDING_MISMATCH', '1,090 QR', 'replace 1,090 QR with 1,000 QR (derived_trend_ab12cd34)'],
    ]);
    expect(issues.map((i) => i.details.class)).toEqual(['count', 'currency']);
  });

  it('decimals get half a unit of the last displayed decimal (0.0005 for -0.669)', async () => {
    const near = await l2('Slope -0.669 [cite:derived_trend_ab12cd34].', [SLOPE], ABS_ONLY);
    expect(near.issues).toEqual([]);
    const off = derived(
      'derived_trend_ab12cd34',
      [{ name: 'slope', unit: 'ratio', kind: 'change' }],
      [{ slope: -0.6696 }],
    );
    const far = await l2('Slope -0.669 [cite:derived_trend_ab12cd34].', [off], ABS_ONLY);
    expect(summary(far.issues)).toEqual([
      ['ROUNDING_MISMATCH', '-0.669', 'replace -0.669 with -0.670 (derived_trend_ab12cd34)'],
    ]);
    const small = await l2('Share 0.03 and 0.04 and 0.05 [cite:derived_trend_ab12cd34].', [SLOPE], ABS_ONLY);
    // 0.036: 0.04 is within 0.005; 0.03 is 0.006 away (≤ 0.01: rounding); 0.05 is 0.014 away (not found).
    expect(summary(small.issues)).toEqual([
      ['ROUNDING_MISMATCH', '0.03', 'replace 0.03 with 0.04 (derived_trend_ab12cd34)'],
      ['NUMBER_NOT_FOUND', '0.05', null],
    ]);
  });

  it('counts get 0.5 and the relative tolerance of 1% applies to every class', async () => {
    const { issues } = await l2(
      'About 13 and 12 [cite:derived_trend_ab12cd34]. Pay 1,008 [cite:derived_trend_ab12cd34].',
      [SLOPE],
    );
    // 13 vs 12.8 is within 0.5; 12 is 0.8 away and 6.7% off (≤ 1: rounding); 1,008 is 0.8% off 1000.
    expect(summary(issues)).toEqual([['ROUNDING_MISMATCH', '12', 'replace 12 with 13 (derived_trend_ab12cd34)']]);
  });

  it('candidates include numeric params (nested too), row_count, and ratio fields × 100 for percent claims only', async () => {
    const { issues, v } = await l2(
      [
        '- z above 2.5, windows 3 and 6, alpha 0.3 [cite:derived_trend_ab12cd34]',
        '- share 45.7% or 0.457 [cite:derived_trend_ab12cd34]',
        '- 2 sectors [cite:syn_attrition_by_sector_latest]',
        '- share 45.7 [cite:derived_trend_ab12cd34]',
      ].join('\n'),
    );
    expect(summary(issues)).toEqual([['NUMBER_NOT_FOUND', '45.7', null]]);
    expect(v.reports.numbers).toMatchObject({ claims_total: 8, claims_matched: 7 });
  });

  it('a marker with several ids offers the candidates of all of them', async () => {
    const { issues } = await l2(
      'Energy 5.81% against a threshold of 2.5 [cite:syn_attrition_by_sector_latest,derived_trend_ab12cd34].',
    );
    expect(issues).toEqual([]);
  });

  it('tokens covered only by unknown ids are left to L1 and are not claims', async () => {
    const { issues, v } = await l2('Energy 99.9% [cite:nope].');
    expect(issues).toEqual([]);
    expect(v.reports.numbers?.claims_total).toBe(0);
    expect(v.issues.filter((i) => i.severity !== 'info').map((i) => i.code)).toEqual(['CITATION_UNKNOWN_ID']);
  });

  it('MATH_INCONSISTENT when a numeric column does not add up to its Total row within 0.5', async () => {
    const table = derived(
      'derived_table_00aa11bb',
      [
        { name: 'count', unit: 'count', kind: 'level' },
        { name: 'share', unit: 'percent', kind: 'level' },
      ],
      [
        { count: 1000, share: 33.3 },
        { count: 2000, share: 66.7 },
        { count: 3100, share: 100 },
        { count: 3000, share: 100.4 },
      ],
    );
    const narrative = [
      'Employment by group [cite:derived_table_00aa11bb]',
      '',
      '| Group | Count | Share |',
      '|---|---:|---:|',
      '| A | 1,000 | 33.3% |',
      '| B | 2,000 | 66.7% |',
      '| **Total** | 3,100 | 100.4% |',
    ].join('\n');
    const { issues, v } = await l2(narrative, [table]);
    expect(issues.map((i) => [i.code, i.details.column, i.details.sum, i.details.total, i.details.line])).toEqual([
      ['MATH_INCONSISTENT', 'Count', 3000, 3100, 7],
    ]);
    expect(issues[0]!.severity).toBe('error');
    expect(v.reports.numbers?.math_checks).toEqual([
      { line: 7, column: 'Count', sum: 3000, total: 3100, ok: false },
      { line: 7, column: 'Share', sum: 100, total: 100.4, ok: true },
    ]);
    expect(v.passed).toBe(false);
  });

  it('no Total row, no math check; bullet lists of percentages need not sum to 100', async () => {
    const { issues, v } = await l2(
      [
        '- Energy 5.81% [cite:syn_attrition_by_sector_latest]',
        '- ICT 8.75% [cite:syn_attrition_by_sector_latest]',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    expect(v.reports.numbers?.math_checks).toEqual([]);
  });

  it('verify_numbers=false skips L2 entirely', async () => {
    const v = await verifyAnswer({
      narrative: 'Energy 70% [cite:syn_attrition_by_sector_latest].\n\n| A | B |\n|---|---|\n| 1 | 2 |\n| Total | 9 |',
      citations: [ATTRITION],
      options: { enforce_citations: true, verify_numbers: false },
      clockDate: CLOCK,
    });
    expect(v.issues.filter((i) => i.layer === 'L2')).toEqual([]);
    expect(v.reports.numbers).toBeNull();
  });
});
