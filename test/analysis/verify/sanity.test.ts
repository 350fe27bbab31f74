import { describe, expect, it } from 'vitest';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import type { Citable } from '../../../src/analysis/verify/types.js';
import { OPTIONS, derived, query } from './build.js';

async function l5(citations: Citable[], clockDate = '2025-01-15') {
  const v = await verifyAnswer({ narrative: '', citations, options: OPTIONS, clockDate });
  return { v, issues: v.issues.filter((i) => i.layer === 'L5') };
}

const brief = (issues: { code: string; severity: string; details: Record<string, unknown> }[]) =>
  issues.map((i) => [i.code, i.severity, i.details.id, i.details.field ?? null, i.details.rows ?? null]);

describe('L5 sanity (§5.5)', () => {
  it('query results are judged by field names; the result unit applies to "value"', async () => {
    const q = query(
      'syn_mixed',
      [
        { year: 2024, sector: 'Energy', employees: -5, qatarization_percent: 120, yoy_percent: 250, value: 5 },
        { year: 2024, sector: 'ICT', employees: 10, qatarization_percent: 50, yoy_percent: 150, value: -1 },
        {
          year: '2024',
          sector: 'Finance',
          employees: 'many',
          qatarization_percent: null,
          yoy_percent: -20,
          value: 101,
        },
      ],
      { unit: 'percent' },
    );
    const { issues } = await l5([q]);
    expect(brief(issues)).toEqual([
      ['NON_NUMERIC_VALUE', 'error', 'syn_mixed', 'year', 1],
      ['NON_NUMERIC_VALUE', 'error', 'syn_mixed', 'employees', 1],
      ['NEGATIVE_VALUE', 'error', 'syn_mixed', 'employees', 1],
      ['RATE_OUT_OF_RANGE', 'error', 'syn_mixed', 'qatarization_percent', 1],
      ['RATE_OUT_OF_RANGE', 'error', 'syn_mixed', 'value', 2],
      ['CHANGE_OUT_OF_RANGE', 'warning', 'syn_mixed', 'yoy_percent', 1],
    ]);
    expect(issues.find((i) => i.details.field === 'value')?.details.examples).toEqual([
      { row: 1, value: -1 },
      { row: 2, value: 101 },
    ]);
  });

  it('a count-unit query checks "value" for negatives; avg_salary_qr is currency; suppressed nulls are fine', async () => {
    const counts = query(
      'ts_employment_annual',
      [
        { period: '2023', sector: 'ALL', value: -3, base: 10, suppressed: false },
        { period: '2024', sector: 'ALL', value: null, base: 9, suppressed: true },
      ],
      { unit: 'count' },
    );
    const pay = query('syn_avg_salary_by_sector_latest', [{ year: 2024, sector: 'ICT', avg_salary_qr: -1 }], {
      unit: 'qar',
    });
    const { issues } = await l5([counts, pay]);
    expect(brief(issues)).toEqual([
      ['NEGATIVE_VALUE', 'error', 'ts_employment_annual', 'value', 1],
      ['NEGATIVE_VALUE', 'error', 'syn_avg_salary_by_sector_latest', 'avg_salary_qr', 1],
    ]);
  });

  it('derived results use their declared fields: level vs change, percent, count, text', async () => {
    const d = derived(
      'derived_mix_12ab34cd',
      [
        { name: 'rate', unit: 'percent', kind: 'level' },
        { name: 'growth', unit: 'percent', kind: 'change' },
        { name: 'headcount', unit: 'count', kind: 'level' },
        { name: 'delta', unit: 'count', kind: 'change' },
        { name: 'label', unit: 'text', kind: 'level' },
        { name: 'z', unit: 'ratio', kind: 'level' },
      ],
      [
        { rate: 101, growth: -150, headcount: -1, delta: -40, label: 'x', z: 'oops' },
        { rate: 50, growth: 199, headcount: 3, delta: 2, label: 'y', z: -9 },
      ],
    );
    const { issues } = await l5([d]);
    expect(brief(issues)).toEqual([
      ['NON_NUMERIC_VALUE', 'error', 'derived_mix_12ab34cd', 'z', 1],
      ['NEGATIVE_VALUE', 'error', 'derived_mix_12ab34cd', 'headcount', 1],
      ['RATE_OUT_OF_RANGE', 'error', 'derived_mix_12ab34cd', 'rate', 1],
      ['CHANGE_OUT_OF_RANGE', 'warning', 'derived_mix_12ab34cd', 'growth', 1],
    ]);
  });
});

describe('L5 freshness with an injected clock', () => {
  const fresh = query('syn_a', [{ value: 1 }], { asof: '2024-12-31', sla: 3650 });
  const noSla = query('syn_b', [{ value: 1 }], { asof: '2024-12-31', sla: null });

  it('SLA from freshness_sla_days, else 72 h; age in whole days × 24', async () => {
    const atLimit = await l5([fresh, noSla], '2025-01-03');
    expect(atLimit.issues).toEqual([]);
    expect(atLimit.v.reports.freshness).toEqual({ checked: 2, worst_overrun_hours: 0, stale: [], unknown: [] });

    const late = await l5([fresh, noSla], '2025-01-04');
    expect(late.issues).toEqual([
      {
        layer: 'L5',
        code: 'STALE_DATA',
        severity: 'warning',
        message: 'syn_b: data as of 2024-12-31 is 96 h old on 2025-01-04, SLA 72 h',
        details: {
          id: 'syn_b',
          asof_date: '2024-12-31',
          clock_date: '2025-01-04',
          age_hours: 96,
          sla_hours: 72,
          overrun_hours: 24,
        },
      },
    ]);
    expect(late.v.reports.freshness).toEqual({ checked: 2, worst_overrun_hours: 24, stale: ['syn_b'], unknown: [] });
    expect(late.v.passed).toBe(true);
  });

  it('the spec SLA holds ten years for the pack; beyond it the data is stale', async () => {
    expect((await l5([fresh], '2034-12-29')).issues).toEqual([]);
    const stale = await l5([fresh], '2034-12-30');
    expect(stale.issues.map((i) => [i.code, i.details.overrun_hours])).toEqual([['STALE_DATA', 24]]);
  });

  it('FRESHNESS_UNKNOWN for a missing or impossible as-of date, or an unparseable clock date', async () => {
    const missing = query('syn_c', [{ value: 1 }], { asof: null });
    const impossible = query('syn_d', [{ value: 1 }], { asof: '2024-02-30' });
    const { issues, v } = await l5([missing, impossible]);
    expect(issues.map((i) => [i.code, i.details.id, i.details.asof_date])).toEqual([
      ['FRESHNESS_UNKNOWN', 'syn_c', null],
      ['FRESHNESS_UNKNOWN', 'syn_d', '2024-02-30'],
    ]);
    expect(v.reports.freshness).toEqual({
      checked: 0,
      worst_overrun_hours: null,
      stale: [],
      unknown: ['syn_c', 'syn_d'],
    });
    const clock = await l5([fresh], 'yesterday');
    expect(clock.issues.map((i) => [i.code, i.message])).toEqual([
      ['FRESHNESS_UNKNOWN', 'syn_a: the clock date "yesterday" is not a YYYY-MM-DD date'],
    ]);
  });

  it('derived results are not judged for freshness (their as-of follows their inputs)', async () => {
    const d = derived('derived_x_ab12cd34', [{ name: 'v', unit: 'count', kind: 'level' }], [{ v: 1 }]);
    expect((await l5([{ ...d, asof_date: null }], '2030-01-01')).issues).toEqual([]);
  });
});
