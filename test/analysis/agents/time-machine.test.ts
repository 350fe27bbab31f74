import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseline, breaks, trend } from '../../../src/analysis/agents/time-machine.js';
import type { AgentResult, QueryResult } from '../../../src/analysis/model.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';
import {
  expectAllFinite,
  expectVerifiableSummaries,
  fakeClient,
  months,
  seriesResult,
  years,
} from './series-fixtures.js';

function metricValue(r: AgentResult, key: string): unknown {
  const m = r.findings[0]!.metrics.find((x) => x.key === key);
  if (!m) throw new Error(`metric ${key} missing`);
  return m.value;
}

function queries(...rs: QueryResult[]): Map<string, QueryResult> {
  return new Map(rs.map((r) => [r.query_id, r]));
}

function checked(r: AgentResult, qs: Map<string, QueryResult>): AgentResult {
  expectAllFinite(r);
  expectVerifiableSummaries(r, qs);
  return r;
}

describe('TimeMachine.baseline', () => {
  // Two years of months: 2023 = Jan 124, other months 100; 2024 = Jan 126, other months 102.
  const values = [124, ...Array(11).fill(100), 126, ...Array(11).fill(102)] as number[];
  const monthly = seriesResult('ts_employment_monthly', 'count', [
    { sector: 'Finance', periods: months(2023, 1, 24), values },
  ]);

  it('seasonal baseline with a MAD band (hand-computed)', async () => {
    const r = checked(
      await baseline(fakeClient([monthly]), { metric: 'employment', sector: 'Finance' }),
      queries(monthly),
    );
    expect(r.frequency).toBe('monthly');
    expect(r.sources).toEqual(['ts_employment_monthly']);
    expect(r.warnings).toEqual([]);
    // Month means: Jan 125, others 101; overall mean 103. Residuals ±1 → MAD 1 → band ± 1.5.
    expect(metricValue(r, 'latest_value')).toBe(102);
    expect(metricValue(r, 'baseline_value')).toBe(101);
    expect(metricValue(r, 'band_lower')).toBe(99.5);
    expect(metricValue(r, 'band_upper')).toBe(102.5);
    expect(metricValue(r, 'position')).toBe('within');
    expect(metricValue(r, 'gap_percent')).toBeCloseTo(100 / 101, 12);
    expect(metricValue(r, 'index_100')).toBeCloseTo((100 * 102) / 124, 12);
    expect(metricValue(r, 'periods_outside_band')).toBe(0);
    const si = r.derived[0]!.rows;
    expect(si).toHaveLength(12);
    expect(si[0]!.month).toBe(1);
    expect(si[0]!.seasonal_index).toBeCloseTo((100 * 125) / 103, 12);
    expect(si[1]!.seasonal_index).toBeCloseTo((100 * 101) / 103, 12);
    expect(r.findings[0]!.summary).toContain('highest in January at 121.4');
  });

  it('base_period moves the index base', async () => {
    const r = await baseline(fakeClient([monthly]), {
      metric: 'employment',
      sector: 'Finance',
      base_period: '2023-02',
    });
    expect(metricValue(r, 'index_100')).toBe(102);
  });

  it('monthly with fewer than 24 points: flat baseline and NO_SEASONAL_INDEX', async () => {
    const short = seriesResult('ts_employment_monthly', 'count', [
      { sector: 'ALL', periods: months(2024, 1, 6), values: [10, 12, 10, 12, 10, 20] },
    ]);
    const r = checked(await baseline(fakeClient([short]), { metric: 'employment', sector: 'ALL' }), queries(short));
    expect(r.warnings.map((w) => w.code)).toEqual(['NO_SEASONAL_INDEX']);
    // mean 74/6; residuals [−7/3, −1/3, −7/3, −1/3, −7/3, 23/3] → median −4/3 → |r − m| = [1,1,1,1,1,9] → MAD 1.
    expect(metricValue(r, 'baseline_value')).toBeCloseTo(74 / 6, 12);
    expect(metricValue(r, 'band_upper')).toBeCloseTo(74 / 6 + 1.5, 12);
    expect(metricValue(r, 'position')).toBe('above');
    expect(metricValue(r, 'periods_outside_band')).toBe(4);
    expect(r.derived[0]!.rows).toEqual([]);
  });

  it('percent bands stay within [0, 100]; zero variance gives ZERO_VARIANCE; y_base = 0 gives a null index', async () => {
    const flat = seriesResult('ts_retention_annual', 'percent', [
      { sector: 'ALL', periods: years(2019, 4), values: [0, 100, 100, 100] },
    ]);
    const r = checked(await baseline(fakeClient([flat]), { metric: 'retention' }), queries(flat));
    expect(r.warnings.map((w) => w.code)).toEqual(['ZERO_VARIANCE']);
    // mean 75, residuals [−75, 25, 25, 25] → median 25 → deviations [100, 0, 0, 0] → MAD 0.
    expect(metricValue(r, 'band_upper')).toBe(75);
    expect(metricValue(r, 'index_100')).toBeNull();
    const wide = seriesResult('ts_retention_annual', 'percent', [
      { sector: 'ALL', periods: years(2019, 4), values: [10, 90, 10, 90] },
    ]);
    const r2 = await baseline(fakeClient([wide]), { metric: 'retention' });
    // mean 50, MAD 40 → 50 ± 60 clipped to [0, 100].
    expect(metricValue(r2, 'band_lower')).toBe(0);
    expect(metricValue(r2, 'band_upper')).toBe(100);
  });

  it('too few points: INSUFFICIENT_DATA, no finding', async () => {
    const tiny = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2022, 3), values: [1, 2, 3] },
    ]);
    const r = await baseline(fakeClient([tiny]), { metric: 'employment' });
    expect(r.findings).toEqual([]);
    expect(r.derived).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['INSUFFICIENT_DATA', { have: 3, need: 4 }]]);
  });
});

describe('TimeMachine.trend', () => {
  const annual = seriesResult('ts_employment_annual', 'count', [
    { sector: 'ALL', periods: years(2019, 6), values: [100, 110, 120, 130, 125, 150] },
  ]);

  it('YoY, window change, EWMA, slopes and direction (hand-computed)', async () => {
    const r = checked(await trend(fakeClient([annual]), { metric: 'employment', alpha: 0.5 }), queries(annual));
    expect(r.intent).toBe('time.trend');
    expect(r.params).toMatchObject({ metric: 'employment', sector: 'ALL', alpha: 0.5, frequency: 'auto' });
    expect(metricValue(r, 'latest_value')).toBe(150);
    expect(metricValue(r, 'yoy_percent')).toBe(20);
    expect(metricValue(r, 'qoq_percent')).toBeNull();
    expect(metricValue(r, 'window_change_percent')).toBe(50);
    // EWMA α = 0.5: 100, 105, 112.5, 121.25, 123.125, 136.5625.
    expect(metricValue(r, 'ewma_latest')).toBe(136.5625);
    expect(metricValue(r, 'slope_3')).toBe(10);
    expect(metricValue(r, 'slope_6')).toBeCloseTo(152.5 / 17.5, 12);
    expect(metricValue(r, 'slope_12')).toBeNull();
    expect(metricValue(r, 'direction')).toBe('up');
    expect(metricValue(r, 'employment_yoy_percent')).toBe(20);
    expect(r.findings[0]!.summary).toContain('Quarter over quarter is not defined for annual data.');
    expect(r.findings[0]!.summary).toContain('last twelve: not available');
    const table = r.derived[0]!.rows;
    expect(table).toHaveLength(6);
    expect(table[0]).toEqual({ period: '2019', value: 100, yoy_percent: null, qoq_percent: null, ewma: 100 });
    expect(table[5]!.yoy_percent).toBe(20);
  });

  it('monthly: YoY over 12 months and QoQ over 3; the table holds the last 12 periods', async () => {
    const values = Array.from({ length: 15 }, (_, i) => 100 + i);
    const m = seriesResult('ts_employment_monthly', 'count', [{ sector: 'ICT', periods: months(2023, 1, 15), values }]);
    const r = checked(await trend(fakeClient([m]), { metric: 'employment', sector: 'ICT' }), queries(m));
    expect(metricValue(r, 'yoy_percent')).toBeCloseTo(((114 - 102) / 102) * 100, 12);
    expect(metricValue(r, 'qoq_percent')).toBeCloseTo(((114 - 111) / 111) * 100, 12);
    expect(metricValue(r, 'slope_12')).toBe(1);
    expect(r.findings[0]!.metrics.some((x) => x.key === 'employment_yoy_percent')).toBe(false);
    expect(r.derived[0]!.rows).toHaveLength(12);
    expect(r.derived[0]!.rows[0]!.period).toBe('2023-04');
  });

  it('flat series: direction flat; a zero base gives a null YoY (division by zero)', async () => {
    const zero = seriesResult('ts_qatarization_annual', 'percent', [
      { sector: 'ALL', periods: years(2021, 5), values: [5, 0, 5, 5, 5] },
    ]);
    const r = checked(await trend(fakeClient([zero]), { metric: 'qatarization' }), queries(zero));
    expect(metricValue(r, 'direction')).toBe('flat');
    expect(metricValue(r, 'yoy_percent')).toBe(0);
    expect(r.derived[0]!.rows[2]!.yoy_percent).toBeNull();
    expect(metricValue(r, 'national_qatarization_percent')).toBe(5);
    expect(metricValue(r, 'qatarization_yoy_percent')).toBe(0);
  });

  it('nulls and gaps: MISSING_VALUES and SERIES_GAP, trend on the tail', async () => {
    const gappy = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2017, 8), values: [1, 2, null, 10, 20, 30, 40, 50] },
    ]);
    const r = checked(await trend(fakeClient([gappy]), { metric: 'employment' }), queries(gappy));
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([
      ['MISSING_VALUES', { count: 1 }],
      ['SERIES_GAP', { dropped: 2, tail_start: '2020' }],
    ]);
    expect(metricValue(r, 'window_change_percent')).toBe(400);
  });

  it('too few points (annual minimum 3)', async () => {
    const two = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2023, 2), values: [1, 2] },
    ]);
    const r = await trend(fakeClient([two]), { metric: 'employment' });
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['INSUFFICIENT_DATA', { have: 2, need: 3 }]]);
  });
});

describe('TimeMachine.breaks', () => {
  it('CUSUM breaks, jumps, gaps and outliers (hand-computed)', async () => {
    // 2 at 50, 3 at 150, 25 at 50: mean 60, sd_s 30.51; z = −0.328 / 2.949. With k = 0.5, h = 2 the three high
    // points each break upwards (s⁺ = 2.449 > 2, reset each time).
    const values = [50, 50, 150, 150, 150, ...Array(25).fill(50)] as number[];
    const s = seriesResult('ts_employment_annual', 'count', [{ sector: 'ALL', periods: years(1995, 30), values }]);
    const r = checked(
      await breaks(fakeClient([s]), { metric: 'employment', cusum_k: 0.5, cusum_h: 2, z_threshold: 2.5 }),
      queries(s),
    );
    expect(metricValue(r, 'break_count')).toBe(3);
    expect(metricValue(r, 'first_break_period')).toBe('1997');
    expect(metricValue(r, 'max_abs_jump_percent')).toBe(200);
    expect(metricValue(r, 'outlier_count')).toBe(3);
    const rows = r.derived[0]!.rows;
    expect(rows.filter((x) => x.type === 'break')).toEqual([
      {
        type: 'break',
        period: '1997',
        value: 150,
        z: expect.closeTo(90 / Math.sqrt(27000 / 29), 9),
        direction: 'up',
        jump_percent: 200,
        gap_to_baseline_percent: 150,
        periods_since_previous: null,
      },
      expect.objectContaining({ period: '1998', jump_percent: 0, periods_since_previous: 1 }),
      expect.objectContaining({ period: '1999', jump_percent: 0, periods_since_previous: 1 }),
    ]);
    expect(r.findings[0]!.summary).toContain('- 1997: up');
  });

  it('default k = 1, h = 5: one break once s⁺ passes 5', async () => {
    const values = [50, 50, 150, 150, 150, ...Array(25).fill(50)] as number[];
    const s = seriesResult('ts_employment_annual', 'count', [{ sector: 'ALL', periods: years(1995, 30), values }]);
    const r = checked(await breaks(fakeClient([s]), { metric: 'employment' }), queries(s));
    expect(metricValue(r, 'break_count')).toBe(1);
    expect(metricValue(r, 'first_break_period')).toBe('1999');
  });

  it('a break at a zero level has a null jump (division by zero)', async () => {
    const values = [0, 0, 100, 100, 100, ...Array(25).fill(0)] as number[];
    const s = seriesResult('ts_employment_annual', 'count', [{ sector: 'ALL', periods: years(1995, 30), values }]);
    const r = checked(await breaks(fakeClient([s]), { metric: 'employment', cusum_k: 0.5, cusum_h: 2 }), queries(s));
    expect(r.derived[0]!.rows[0]).toMatchObject({ period: '1997', jump_percent: null });
    expect(metricValue(r, 'max_abs_jump_percent')).toBe(0);
  });

  it('zero variance: no breaks, no outliers, ZERO_VARIANCE', async () => {
    const s = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2017, 8), values: Array(8).fill(42) as number[] },
    ]);
    const r = checked(await breaks(fakeClient([s]), { metric: 'employment' }), queries(s));
    expect(r.warnings.map((w) => w.code)).toEqual(['ZERO_VARIANCE']);
    expect(metricValue(r, 'break_count')).toBe(0);
    expect(metricValue(r, 'outlier_count')).toBe(0);
    expect(metricValue(r, 'first_break_period')).toBeNull();
  });

  it('too few points (annual minimum 6)', async () => {
    const s = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2020, 5), values: [1, 2, 3, 4, 5] },
    ]);
    const r = await breaks(fakeClient([s]), { metric: 'employment' });
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['INSUFFICIENT_DATA', { have: 5, need: 6 }]]);
  });
});

describe('TimeMachine on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  async function packQueries(ids: string[]): Promise<Map<string, QueryResult>> {
    const client = pack.client();
    return new Map(await Promise.all(ids.map(async (id) => [id, await client.run(id)] as const)));
  }

  it('annual employment for ALL: 2017–2024, falling', async () => {
    const r = await trend(pack.client(), { metric: 'employment', frequency: 'annual' });
    checked(r, await packQueries(r.sources));
    expect(r.frequency).toBe('annual');
    expect(r.sources).toEqual(['ts_employment_annual']);
    expect(r.derived[0]!.params).toMatchObject({ window_start: '2017', window_end: '2024', n_points: 8 });
    expect(metricValue(r, 'latest_value')).toBe(11647);
    expect(metricValue(r, 'yoy_percent')).toBeCloseTo(((11647 - 12153) / 12153) * 100, 9);
    expect(metricValue(r, 'direction')).toBe('down');
    expect(metricValue(r, 'employment_yoy_percent')).toBeCloseTo(-4.1636, 4);
    expect(r.findings[0]!.summary).toContain('11,647 in 2024 [cite:ts_employment_annual]');
  });

  it('qatarization trend for ALL emits national_qatarization_percent', async () => {
    const r = await trend(pack.client(), { metric: 'qatarization', frequency: 'annual' });
    checked(r, await packQueries(r.sources));
    expect(metricValue(r, 'national_qatarization_percent')).toBe(14.49);
  });

  it('baseline and breaks with auto frequency use the monthly views (last 36 months)', async () => {
    const b = await baseline(pack.client(), { metric: 'employment' });
    const k = await breaks(pack.client(), { metric: 'attrition' });
    checked(b, await packQueries(b.sources));
    checked(k, await packQueries(k.sources));
    expect(b.frequency).toBe('monthly');
    expect(b.derived[0]!.params).toMatchObject({ window_start: '2022-01', window_end: '2024-12', seasonal: true });
    expect(b.findings).toHaveLength(1);
    expect(k.sources).toEqual(['ts_attrition_monthly']);
    expect(k.findings).toHaveLength(1);
    expect(typeof metricValue(k, 'break_count')).toBe('number');
  });
});
