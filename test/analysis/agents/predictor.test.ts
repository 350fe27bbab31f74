import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assessRisk,
  compareMethods,
  earlyWarning,
  forecast,
  RISK_ACTIONS,
  riskLevel,
} from '../../../src/analysis/agents/predictor.js';
import { SECTORS, type AgentResult, type QueryResult } from '../../../src/analysis/model.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';
import { expectAllFinite, expectVerifiableSummaries, fakeClient, seriesResult, years } from './series-fixtures.js';

const K = 1.96 * 1.4826;

function metricValue(r: AgentResult, key: string): unknown {
  const m = r.findings[0]!.metrics.find((x) => x.key === key);
  if (!m) throw new Error(`metric ${key} missing`);
  return m.value;
}

function checked(r: AgentResult, ...qs: QueryResult[]): AgentResult {
  expectAllFinite(r);
  expectVerifiableSummaries(r, new Map(qs.map((q) => [q.query_id, q])));
  return r;
}

const hand = seriesResult('ts_employment_annual', 'count', [
  { sector: 'ALL', periods: years(2017, 6), values: [10, 12, 11, 13, 12, 15] },
]);

describe('Predictor.forecast', () => {
  it('annual: horizon 12 months is one step; theil_sen chosen by backtest (hand-computed)', async () => {
    const r = checked(await forecast(fakeClient([hand]), { metric: 'employment', horizon_months: 12 }), hand);
    expect(r.intent).toBe('predict.forecast');
    expect(r.params).toEqual({ metric: 'employment', sector: 'ALL', horizon_months: 12, end: null, frequency: 'auto' });
    expect(metricValue(r, 'chosen_method')).toBe('theil_sen');
    expect(metricValue(r, 'forecast_steps')).toBe(1);
    expect(metricValue(r, 'forecast_first')).toBeCloseTo(14.875, 12);
    expect(metricValue(r, 'backtest_mae')).toBeCloseTo(1.9375, 12);
    const [bt, fd] = r.derived;
    expect(bt!.operation).toBe('forecast_backtest');
    expect(bt!.rows.map((x) => x.method)).toEqual(['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen']);
    expect(fd!.rows).toEqual([
      {
        step: 1,
        period: '2023',
        yhat: 14.875,
        lo: expect.closeTo(14.875 - K * 1.9375, 9),
        hi: expect.closeTo(14.875 + K * 1.9375, 9),
      },
    ]);
    expect(r.findings[0]!.summary).toContain('Each step is one year.');
  });

  it('annual: 24 months are two steps', async () => {
    const r = checked(await forecast(fakeClient([hand]), { metric: 'employment', horizon_months: 24 }), hand);
    expect(r.derived[1]!.rows.map((x) => x.period)).toEqual(['2023', '2024']);
    expect(metricValue(r, 'forecast_final')).toBeCloseTo(15.625, 12);
    expect(r.warnings).toEqual([]);
  });

  it('a horizon above 24 months is capped (HORIZON_CAPPED)', async () => {
    const r = checked(await forecast(fakeClient([hand]), { metric: 'employment', horizon_months: 36 }), hand);
    expect(r.params.horizon_months).toBe(24);
    expect(r.derived[1]!.rows).toHaveLength(2);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['HORIZON_CAPPED', { requested: 36, used: 24 }]]);
  });

  it('short history: ewma without an interval', async () => {
    const short = seriesResult('ts_retention_annual', 'percent', [
      { sector: 'Energy', periods: years(2021, 4), values: [90, 91, 92, 93] },
    ]);
    const r = checked(await forecast(fakeClient([short]), { metric: 'retention', sector: 'Energy' }), short);
    expect(r.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_HISTORY_FOR_BACKTEST']);
    expect(metricValue(r, 'chosen_method')).toBe('ewma');
    expect(metricValue(r, 'interval_lo_final')).toBeNull();
    expect(r.findings[0]!.summary).toContain('no interval');
  });

  it('too few points, or a sector without data: INSUFFICIENT_DATA and no finding', async () => {
    const two = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2023, 2), values: [1, 2] },
    ]);
    const r = await forecast(fakeClient([two]), { metric: 'employment' });
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['INSUFFICIENT_DATA', { have: 2, need: 3 }]]);
    const none = await forecast(fakeClient([hand]), { metric: 'employment', sector: 'ICT' });
    expect(none.findings).toEqual([]);
    expect(none.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_DATA']);
  });
});

describe('Predictor.compareMethods', () => {
  it('backtests and forecasts every method; max_delta_h across methods (hand-computed)', async () => {
    const r = checked(await compareMethods(fakeClient([hand]), { metric: 'employment' }), hand);
    expect(r.intent).toBe('predict.scenario_compare');
    expect(metricValue(r, 'winner')).toBe('theil_sen');
    expect(metricValue(r, 'seasonal_naive_mae')).toBe(2);
    expect(metricValue(r, 'rolling_mean_mae')).toBeCloseTo(1.95, 12);
    // Step 1: seasonal_naive 15, ewma 12.60796, rolling_mean 73/6, theil_sen 14.875 → max − min = 15 − 73/6.
    expect(metricValue(r, 'max_delta_final')).toBeCloseTo(15 - 73 / 6, 12);
    const paths = r.derived[1]!.rows;
    expect(paths).toHaveLength(1);
    expect(paths[0]!.ewma).toBeCloseTo(12.60796, 9);
    expect(paths[0]!.period).toBe('2023');
  });

  it('a subset of methods, given in any order, runs in table order', async () => {
    const r = checked(
      await compareMethods(fakeClient([hand]), { metric: 'employment', methods: ['theil_sen', 'ewma'] }),
      hand,
    );
    expect(r.params.methods).toEqual(['ewma', 'theil_sen']);
    expect(r.derived[0]!.rows.map((x) => x.method)).toEqual(['ewma', 'theil_sen']);
    expect(metricValue(r, 'winner')).toBe('theil_sen');
    expect(metricValue(r, 'max_delta_final')).toBeCloseTo(14.875 - 12.60796, 9);
  });

  it('without a usable backtest there is no winner', async () => {
    const short = seriesResult('ts_employment_annual', 'count', [
      { sector: 'ALL', periods: years(2020, 4), values: [5, 6, 7, 8] },
    ]);
    const r = checked(await compareMethods(fakeClient([short]), { metric: 'employment' }), short);
    expect(metricValue(r, 'winner')).toBeNull();
    expect(r.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_HISTORY_FOR_BACKTEST']);
  });
});

describe('early-warning flags and score', () => {
  it('risk levels', () => {
    expect(riskLevel(0)).toBe('low');
    expect(riskLevel(29.9)).toBe('low');
    expect(riskLevel(30)).toBe('moderate');
    expect(riskLevel(49.9)).toBe('moderate');
    expect(riskLevel(50)).toBe('high');
    expect(riskLevel(79.9)).toBe('high');
    expect(riskLevel(80)).toBe('critical');
  });

  it('volatility spike with a zero-SD base; band unavailable on a short history', () => {
    // changes [1,1,1,1,10]: B = [1,1,1,1], sd 0 → spike as 10 > 1; slope_prev = (10 − 10)/2 = 0 → no reversal.
    const r = assessRisk([10, 11, 10, 11, 10, 20], years(2019, 6), 'annual', 'count');
    expect(r).toMatchObject({
      band_breach: null,
      slope_reversal: false,
      volatility_spike: true,
      flags_unavailable: ['band_breach'],
      risk_score: 20,
      risk_level: 'low',
      change_last: 10,
      change_base_mean: 1,
      change_base_sd: 0,
    });
  });

  it('slope reversal', () => {
    const r = assessRisk([1, 2, 3, 4, 3, 2], years(2019, 6), 'annual', 'count');
    expect(r).toMatchObject({ slope_prev: 1, slope_last: -1, slope_reversal: true, volatility_spike: false });
    expect(r.risk_score).toBe(30);
    expect(r.risk_level).toBe('moderate');
  });

  it('band breach against a zero-width interval, plus a spike: 70, high', () => {
    const r = assessRisk([10, 10, 10, 10, 10, 10, 20], years(2018, 7), 'annual', 'count');
    expect(r).toMatchObject({ band_breach: true, forecast: 10, hw1: 0, slope_reversal: false, volatility_spike: true });
    expect(r.risk_score).toBe(70);
    expect(r.risk_level).toBe('high');
  });

  it('all three flags: 100, critical (hand-computed)', () => {
    // History [10×6, 12, 14, 16]: seasonal_naive errors 0,0,2,2,2 (MAE 1.2) → ŷ = 16, hw_1 = K·2; |5 − 16| > hw_1.
    // Slopes (12 − 10)/2 = 1 and (5 − 14)/2 = −4.5. Last change 11 vs B = [0,0,0,2,2,2]: 1 + 2.5·√1.2.
    const r = assessRisk([10, 10, 10, 10, 10, 10, 12, 14, 16, 5], years(2015, 10), 'annual', 'count');
    expect(r).toMatchObject({
      band_breach: true,
      method: 'seasonal_naive',
      forecast: 16,
      slope_prev: 1,
      slope_last: -4.5,
      slope_reversal: true,
      volatility_spike: true,
      change_last: 11,
      change_base_mean: 1,
      risk_score: 100,
      risk_level: 'critical',
    });
    expect(r.hw1).toBeCloseTo(K * 2, 12);
    expect(r.change_base_sd).toBeCloseTo(Math.sqrt(1.2), 12);
  });

  it('a flat series raises nothing; too short a series has every flag unavailable', () => {
    const flat = assessRisk([4, 4, 4, 4, 4, 4, 4], years(2018, 7), 'annual', 'count');
    expect(flat.risk_score).toBe(0);
    expect(flat.band_breach).toBe(false);
    const tiny = assessRisk([1, 2, 3], years(2022, 3), 'annual', 'count');
    expect(tiny.risk_score).toBeNull();
    expect(tiny.flags_unavailable).toEqual(['band_breach', 'slope_reversal', 'volatility_spike']);
  });
});

describe('Predictor.earlyWarning', () => {
  const data = seriesResult('ts_attrition_annual', 'percent', [
    { sector: 'Energy', periods: years(2018, 7), values: [10, 10, 10, 10, 10, 10, 20] },
    { sector: 'Construction', periods: years(2019, 6), values: [1, 2, 3, 4, 3, 2] },
    { sector: 'Finance', periods: years(2019, 6), values: [1, 2, 3, 4, 3, 2] },
    { sector: 'ALL', periods: years(2018, 7), values: [1, 2, 3, 4, 5, 6, 7] },
  ]);

  it('one sector: score, level, flags and the fixed actions', async () => {
    const r = checked(await earlyWarning(fakeClient([data]), { metric: 'attrition', sector: 'Energy' }), data);
    expect(r.intent).toBe('predict.early_warning');
    expect(metricValue(r, 'risk_score')).toBe(70);
    expect(metricValue(r, 'risk_level')).toBe('high');
    expect(metricValue(r, 'band_breach')).toBe('yes');
    expect(metricValue(r, 'slope_reversal')).toBe('no');
    expect(metricValue(r, 'volatility_spike')).toBe('yes');
    const s = r.findings[0]!.summary;
    expect(s).toContain(RISK_ACTIONS.band_breach);
    expect(s).toContain(RISK_ACTIONS.volatility_spike);
    expect(s).not.toContain(RISK_ACTIONS.slope_reversal);
  });

  it('no sector: every sector and ALL scored, ranked by score then canonical order, top names only above 0', async () => {
    const r = checked(await earlyWarning(fakeClient([data]), { metric: 'attrition' }), data);
    const rows = r.derived[0]!.rows;
    expect(rows.map((x) => [x.sector, x.risk_score])).toEqual([
      ['Energy', 70],
      ['Construction', 30],
      ['Finance', 30],
      ['ALL', 0],
    ]);
    expect(r.warnings.map((w) => [w.code, w.details?.sectors])).toEqual([
      ['SECTOR_SKIPPED', ['Hospitality', 'Education', 'Healthcare', 'Public', 'Manufacturing', 'Transport', 'ICT']],
    ]);
    const s = r.findings[0]!.summary;
    expect(s).toContain('- Energy: risk score 70 (high)');
    expect(s).toContain('- Construction: risk score 30 (moderate)');
    expect(s).not.toContain('- ALL:');
    expect(metricValue(r, 'highest_risk_sector')).toBe('Energy');
    expect(metricValue(r, 'at_risk_count')).toBe(3);
  });

  it('every flag unavailable: no finding', async () => {
    const tiny = seriesResult('ts_attrition_annual', 'percent', [
      { sector: 'ALL', periods: years(2022, 3), values: [1, 2, 3] },
    ]);
    const r = await earlyWarning(fakeClient([tiny]), { metric: 'attrition', sector: 'ALL' });
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.details])).toEqual([['INSUFFICIENT_DATA', { have: 3, need: 5 }]]);
    const none = await earlyWarning(fakeClient([tiny]), { metric: 'attrition' });
    expect(none.findings).toEqual([]);
    expect(none.warnings.map((w) => w.code)).toEqual(['SECTOR_SKIPPED']);
  });
});

describe('Predictor on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  async function verified(r: AgentResult): Promise<AgentResult> {
    const client = pack.client();
    const qs = await Promise.all(r.sources.map((id) => client.run(id)));
    return checked(r, ...qs);
  }

  it('annual employment forecast for ALL continues 2017–2024 into 2025', async () => {
    const r = await verified(
      await forecast(pack.client(), { metric: 'employment', frequency: 'annual', horizon_months: 12 }),
    );
    expect(r.sources).toEqual(['ts_employment_annual']);
    expect(metricValue(r, 'chosen_method')).toBe('seasonal_naive');
    expect(r.derived[1]!.rows).toEqual([
      { step: 1, period: '2025', yhat: 11647, lo: expect.any(Number), hi: expect.any(Number) },
    ]);
    expect(r.derived[0]!.rows.map((x) => x.folds)).toEqual([4, 4, 4, 4]);
  });

  it('monthly forecast (auto) gives six monthly periods with intervals', async () => {
    const r = await verified(await forecast(pack.client(), { metric: 'attrition', horizon_months: 6 }));
    expect(r.frequency).toBe('monthly');
    const rows = r.derived[1]!.rows;
    expect(rows.map((x) => x.period)).toEqual(['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06']);
    for (const row of rows) {
      expect(row.lo as number).toBeLessThanOrEqual(row.yhat as number);
      expect(row.hi as number).toBeGreaterThanOrEqual(row.yhat as number);
      expect(row.hi as number).toBeLessThanOrEqual(100);
    }
  });

  it('compareMethods and earlyWarning run with every citation present', async () => {
    const c = await verified(await compareMethods(pack.client(), { metric: 'avg_salary', frequency: 'annual' }));
    expect(c.derived[0]!.rows).toHaveLength(4);
    const e = await verified(await earlyWarning(pack.client(), { metric: 'employment', sector: 'ALL' }));
    expect(typeof metricValue(e, 'risk_score')).toBe('number');
    const ranking = await verified(await earlyWarning(pack.client(), { metric: 'retention' }));
    const rows = ranking.derived[0]!.rows;
    expect(rows.some((x) => x.sector === 'ALL')).toBe(true);
    const order = (s: unknown) => (s === 'ALL' ? SECTORS.length : SECTORS.indexOf(s as (typeof SECTORS)[number]));
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      const ok =
        (a.risk_score as number) > (b.risk_score as number) ||
        (a.risk_score === b.risk_score && order(a.sector) < order(b.sector));
      expect(ok).toBe(true);
    }
  });
});
