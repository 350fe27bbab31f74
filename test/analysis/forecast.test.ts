import { describe, expect, it } from 'vitest';
import {
  backtest,
  backtestSettings,
  baselineForecast,
  chooseMethod,
  clampToBounds,
  forecastAt,
  intervalHalfWidth,
  type BacktestResult,
} from '../../src/analysis/forecast.js';
import { months, years } from './agents/series-fixtures.js';

const K = 1.96 * 1.4826;

describe('baseline methods', () => {
  const oneTo24 = Array.from({ length: 24 }, (_, i) => i + 1);

  it('seasonal_naive repeats the value one season earlier', () => {
    // n = 24, s = 12: h = 1 → y[12] = 13; h = 13 → y[23 + 13 − 24] = y[12] = 13; h = 12 → y[23] = 24.
    expect(forecastAt('seasonal_naive', oneTo24, 1, 12)).toBe(13);
    expect(forecastAt('seasonal_naive', oneTo24, 12, 12)).toBe(24);
    expect(forecastAt('seasonal_naive', oneTo24, 13, 12)).toBe(13);
    // s = 1: the last value.
    expect(forecastAt('seasonal_naive', [3, 5, 8], 4, 1)).toBe(8);
    // needs n ≥ s.
    expect(forecastAt('seasonal_naive', [1, 2, 3], 1, 12)).toBeNull();
  });

  it('ewma (α = 0.3) is flat at the last level', () => {
    expect(forecastAt('ewma', [10, 20], 1, 1)).toBeCloseTo(13, 12);
    expect(forecastAt('ewma', [10, 20], 5, 1)).toBeCloseTo(13, 12);
  });

  it('rolling_mean averages the last min(12, n) points', () => {
    const oneTo15 = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(forecastAt('rolling_mean', oneTo15, 1, 12)).toBe(9.5);
    expect(forecastAt('rolling_mean', [2, 4], 3, 1)).toBe(3);
  });

  it('theil_sen extrapolates a + β·(m − 1 + h) over the last min(24, n) points and needs 3', () => {
    expect(forecastAt('theil_sen', [1, 2, 3], 1, 1)).toBe(4);
    expect(forecastAt('theil_sen', [1, 2, 3], 3, 1)).toBe(6);
    // only the last 24 of 30 points: 100 at the start is ignored.
    const series = [100, 100, 100, 100, 100, 100, ...oneTo24];
    expect(forecastAt('theil_sen', series, 1, 12)).toBe(25);
    expect(forecastAt('theil_sen', [1, 2], 1, 1)).toBeNull();
  });
});

describe('backtest and choice', () => {
  it('annual folds t = 4..n−1 with MAE, RMSE and MAPE', () => {
    // seasonal_naive on [10,12,11,13,12,15]: e_4 = 12 − 13 = −1, e_5 = 15 − 12 = 3.
    const r = backtest('seasonal_naive', [10, 12, 11, 13, 12, 15], backtestSettings('annual'));
    expect(r.folds).toBe(2);
    expect(r.errors).toEqual([-1, 3]);
    expect(r.mae).toBe(2);
    expect(r.rmse).toBeCloseTo(Math.sqrt(5), 12);
    expect(r.mape).toBeCloseTo(((1 / 12 + 3 / 15) / 2) * 100, 12);
  });

  it('monthly folds are the last 12 with at least 24 training points', () => {
    const r = backtest(
      'rolling_mean',
      Array.from({ length: 40 }, () => 5),
      backtestSettings('monthly'),
    );
    expect(r.folds).toBe(12);
    expect(r.mae).toBe(0);
    expect(
      backtest(
        'rolling_mean',
        Array.from({ length: 26 }, () => 5),
        backtestSettings('monthly'),
      ).folds,
    ).toBe(2);
  });

  it('MAPE skips zero actuals and is null when all are zero', () => {
    const r = backtest('seasonal_naive', [1, 1, 1, 1, 0, 0], backtestSettings('annual'));
    expect(r.errors).toEqual([-1, 0]);
    expect(r.mape).toBeNull();
    expect(r.mae).toBe(0.5);
  });

  it('no folds: nulls, never NaN', () => {
    expect(backtest('ewma', [1, 2, 3], backtestSettings('annual'))).toEqual({
      method: 'ewma',
      mae: null,
      rmse: null,
      mape: null,
      folds: 0,
      errors: [],
    });
  });

  it('choice: lowest MAE, then RMSE, then table order', () => {
    const r = (method: BacktestResult['method'], mae: number | null, rmse: number | null): BacktestResult => ({
      method,
      mae,
      rmse,
      mape: null,
      folds: 3,
      errors: [],
    });
    expect(chooseMethod([r('seasonal_naive', 2, 3), r('ewma', 1, 5), r('theil_sen', 1.5, 1)])).toBe('ewma');
    expect(chooseMethod([r('seasonal_naive', 1, 3), r('ewma', 1, 2), r('theil_sen', 1, 2)])).toBe('ewma');
    expect(chooseMethod([r('theil_sen', 1, 2), r('rolling_mean', 1, 2)])).toBe('rolling_mean');
    expect(chooseMethod([r('ewma', null, null)])).toBeNull();
  });
});

describe('intervals and bounds', () => {
  it('hw_h = 1.96 · 1.4826 · MAD_0 · √h', () => {
    expect(intervalHalfWidth(2, 1)).toBeCloseTo(5.811792, 9);
    expect(intervalHalfWidth(2, 4)).toBeCloseTo(2 * 5.811792, 9);
    expect(intervalHalfWidth(0, 9)).toBe(0);
  });

  it('bounds: ≥ 0 always, ≤ 100 for percent', () => {
    expect(clampToBounds(-3, 'count')).toBe(0);
    expect(clampToBounds(130, 'percent')).toBe(100);
    expect(clampToBounds(130, 'qar')).toBe(130);
  });
});

describe('baselineForecast', () => {
  it('annual: chooses by backtest and builds the MAD interval (hand-computed)', () => {
    // Backtest folds 2021, 2022 on [10,12,11,13,12,15]: MAE seasonal_naive 2, ewma 2.0066, rolling_mean 1.95,
    // theil_sen 1.9375 (errors −1.375, 2.5). Theil–Sen on all six points: β = 0.75, a = 10.375.
    const f = baselineForecast([10, 12, 11, 13, 12, 15], years(2017, 6), {
      frequency: 'annual',
      steps: 2,
      unit: 'count',
    });
    expect(f.chosen_method).toBe('theil_sen');
    expect(f.backtested).toBe(true);
    expect(f.backtest.map((b) => [b.method, b.folds])).toEqual([
      ['seasonal_naive', 2],
      ['ewma', 2],
      ['rolling_mean', 2],
      ['theil_sen', 2],
    ]);
    expect(f.backtest[1]!.mae).toBeCloseTo((0.596 + 3.4172) / 2, 9);
    expect(f.backtest[2]!.mae).toBeCloseTo(1.95, 12);
    expect(f.backtest[3]!.mae).toBeCloseTo(1.9375, 12);
    expect(f.mad0).toBeCloseTo(1.9375, 12);
    expect(f.hw1).toBeCloseTo(K * 1.9375, 12);
    expect(f.rows.map((r) => r.period)).toEqual(['2023', '2024']);
    expect(f.rows[0]!.yhat).toBeCloseTo(14.875, 12);
    expect(f.rows[0]!.lo).toBeCloseTo(14.875 - K * 1.9375, 9);
    expect(f.rows[0]!.hi).toBeCloseTo(14.875 + K * 1.9375, 9);
    expect(f.rows[1]!.yhat).toBeCloseTo(15.625, 12);
    expect(f.rows[1]!.hi).toBeCloseTo(15.625 + K * 1.9375 * Math.SQRT2, 9);
    expect(f.warnings).toEqual([]);
    expect(f.per_method.map((m) => m.method)).toEqual(['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen']);
  });

  it('a single requested method: seasonal_naive errors −1 and 3 give MAD_0 = 2', () => {
    const f = baselineForecast([10, 12, 11, 13, 12, 15], years(2017, 6), {
      frequency: 'annual',
      steps: 1,
      unit: 'count',
      methods: ['seasonal_naive'],
    });
    expect(f.chosen_method).toBe('seasonal_naive');
    expect(f.mad0).toBe(2);
    expect(f.rows).toEqual([{ step: 1, period: '2023', yhat: 15, lo: 15 - K * 2, hi: 15 + K * 2 }]);
  });

  it('monthly: an exact seasonal pattern is forecast by seasonal_naive with a zero-width interval', () => {
    const pattern = [5, 3, 0, -2, -4, -5, -4, -2, 0, 3, 5, 6];
    const values = Array.from({ length: 36 }, (_, i) => 100 + pattern[i % 12]!);
    const f = baselineForecast(values, months(2022, 1, 36), { frequency: 'monthly', steps: 13, unit: 'count' });
    expect(f.chosen_method).toBe('seasonal_naive');
    expect(f.backtest[0]).toMatchObject({ method: 'seasonal_naive', mae: 0, rmse: 0, mape: 0, folds: 12 });
    expect(f.rows[0]).toEqual({ step: 1, period: '2025-01', yhat: 105, lo: 105, hi: 105 });
    expect(f.rows[12]).toEqual({ step: 13, period: '2026-01', yhat: 105, lo: 105, hi: 105 });
    expect(f.rows[11]!.period).toBe('2025-12');
  });

  it('percent bounds clamp the interval with BOUND_APPLIED', () => {
    // seasonal_naive errors: 93 − 99 = −6 and 99.5 − 93 = 6.5 → MAD_0 = 6.25; hi = 99.5 + 18.16 → 100.
    const f = baselineForecast([90, 98, 92, 99, 93, 99.5], years(2019, 6), {
      frequency: 'annual',
      steps: 1,
      unit: 'percent',
      methods: ['seasonal_naive'],
    });
    expect(f.rows[0]!.hi).toBe(100);
    expect(f.rows[0]!.lo).toBeCloseTo(99.5 - K * 6.25, 9);
    expect(f.warnings.map((w) => w.code)).toEqual(['BOUND_APPLIED']);
  });

  it('count bounds clamp the lower end at 0', () => {
    const f = baselineForecast([1, 5, 1, 5, 1, 5], years(2019, 6), {
      frequency: 'annual',
      steps: 1,
      unit: 'count',
      methods: ['seasonal_naive'],
    });
    expect(f.rows[0]!.lo).toBe(0);
    expect(f.rows[0]!.hi).toBeCloseTo(5 + K * 4, 9);
    expect(f.warnings.map((w) => w.code)).toEqual(['BOUND_APPLIED']);
  });

  it('short history: ewma without an interval and INSUFFICIENT_HISTORY_FOR_BACKTEST', () => {
    // annual n = 5 → one fold (< 2).
    const f = baselineForecast([10, 20, 30, 40, 50], years(2020, 5), { frequency: 'annual', steps: 2, unit: 'count' });
    expect(f.chosen_method).toBe('ewma');
    expect(f.backtested).toBe(false);
    expect(f.mad0).toBeNull();
    expect(f.hw1).toBeNull();
    expect(f.rows[0]!.lo).toBeNull();
    expect(f.rows[0]!.hi).toBeNull();
    expect(f.rows[0]!.period).toBe('2025');
    expect(f.warnings.map((w) => [w.code, w.details])).toEqual([
      ['INSUFFICIENT_HISTORY_FOR_BACKTEST', { have: 5, need: 6 }],
    ]);
    // monthly n = 26 → two folds (< 3).
    const m = baselineForecast(
      Array.from({ length: 26 }, (_, i) => i),
      months(2023, 1, 26),
      { frequency: 'monthly', steps: 1, unit: 'count' },
    );
    expect(m.backtested).toBe(false);
    expect(m.rows[0]!.period).toBe('2025-03');
  });

  it('stability guard trains on the tail after the last CUSUM break (TRAINED_AFTER_BREAK)', () => {
    // 3 points at 100 then 27 at 0: z(100) = 2.949, s⁺ = 1.949, 3.898, 5.848 > 5 → break at index 2.
    const values = [100, 100, 100, ...Array.from({ length: 27 }, () => 0)];
    const f = baselineForecast(values, years(1995, 30), { frequency: 'annual', steps: 1, unit: 'count' });
    expect(f.train_start).toBe(3);
    expect(f.train_start_period).toBe('1998');
    expect(f.warnings.map((w) => [w.code, w.details])).toEqual([
      ['TRAINED_AFTER_BREAK', { break_period: '1997', train_start_period: '1998', points: 27 }],
    ]);
    expect(f.chosen_method).toBe('seasonal_naive');
    expect(f.rows[0]).toEqual({ step: 1, period: '2025', yhat: 0, lo: 0, hi: 0 });
    expect(f.backtest[0]!.folds).toBe(23);
  });

  it('a break whose tail is too short is ignored', () => {
    // 27 points at 0 then 3 at 100: the break is near the end, the tail cannot be backtested.
    const values = [...Array.from({ length: 27 }, () => 0), 100, 100, 100];
    const f = baselineForecast(values, years(1995, 30), { frequency: 'annual', steps: 1, unit: 'count' });
    expect(f.train_start).toBe(0);
    expect(f.warnings.some((w) => w.code === 'TRAINED_AFTER_BREAK')).toBe(false);
  });

  it('zero variance, empty and non-finite input never throw', () => {
    const flat = baselineForecast([7, 7, 7, 7, 7, 7], years(2019, 6), { frequency: 'annual', steps: 1, unit: 'count' });
    expect(flat.chosen_method).toBe('seasonal_naive');
    expect(flat.rows[0]).toEqual({ step: 1, period: '2025', yhat: 7, lo: 7, hi: 7 });
    const empty = baselineForecast([], [], { frequency: 'annual', steps: 1, unit: 'count' });
    expect(empty.chosen_method).toBeNull();
    expect(empty.rows).toEqual([]);
    expect(empty.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_DATA']);
    const bad = baselineForecast([1, Number.NaN], ['2023', '2024'], { frequency: 'annual', steps: 1, unit: 'count' });
    expect(bad.rows).toEqual([]);
    const one = baselineForecast([4], ['2024'], { frequency: 'annual', steps: 2, unit: 'count' });
    expect(one.rows.map((r) => [r.period, r.yhat, r.lo])).toEqual([
      ['2025', 4, null],
      ['2026', 4, null],
    ]);
  });
});
