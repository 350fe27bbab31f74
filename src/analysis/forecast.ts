/**
 * The pure baseline forecasting engine of analysis spec §3.4: four baseline methods, a rolling-origin one-step
 * backtest, the method choice, the stability guard, MAD-based prediction intervals and metric bounds. No I/O.
 */
import type { AgentWarning } from './model.js';
import { cusum, ewma, finiteOrNull, mean, median, theilSen, zScores } from './math/stats.js';
import { shiftPeriod } from './series.js';

export const FORECAST_METHODS = ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'] as const;
export type ForecastMethod = (typeof FORECAST_METHODS)[number];

/** α of the ewma baseline method. */
export const FORECAST_EWMA_ALPHA = 0.3;
/** Points averaged by rolling_mean: min(12, n). */
export const ROLLING_MEAN_POINTS = 12;
/** Points Theil–Sen is fitted on: min(24, n), at least 3. */
export const THEIL_SEN_POINTS = 24;
export const THEIL_SEN_MIN_POINTS = 3;
/** z multiplier and MAD-to-SD factor of the interval: hw_h = 1.96 · 1.4826 · MAD_0 · √h. */
export const INTERVAL_Z = 1.96;
export const MAD_SCALE = 1.4826;
/** Stability guard CUSUM parameters. */
export const GUARD_CUSUM_K = 1;
export const GUARD_CUSUM_H = 5;

export type ForecastFrequency = 'monthly' | 'annual';
export type ForecastUnit = 'percent' | 'count' | 'qar';

export interface BacktestSettings {
  /** Season length s: 12 or 1. */
  season: 12 | 1;
  /** min_train: 24 monthly, 4 annual. */
  minTrain: number;
  /** F: 12 monthly, n (all) annual. */
  maxFolds: number | 'all';
  /** Folds needed for a usable backtest: 3 monthly, 2 annual. */
  minFolds: number;
}

export function backtestSettings(frequency: ForecastFrequency): BacktestSettings {
  return frequency === 'monthly'
    ? { season: 12, minTrain: 24, maxFolds: 12, minFolds: 3 }
    : { season: 1, minTrain: 4, maxFolds: 'all', minFolds: 2 };
}

/** Forecast of `method` at step h ≥ 1 from training values y_0..y_{n−1}; null when the method cannot run. */
export function forecastAt(method: ForecastMethod, train: readonly number[], h: number, season: number): number | null {
  const n = train.length;
  if (n === 0 || h < 1) return null;
  switch (method) {
    case 'seasonal_naive': {
      if (n < season) return null;
      return train[n - 1 + h - season * Math.ceil(h / season)] ?? null;
    }
    case 'ewma': {
      const levels = ewma(train, FORECAST_EWMA_ALPHA);
      return finiteOrNull(levels[levels.length - 1]);
    }
    case 'rolling_mean':
      return mean(train.slice(n - Math.min(ROLLING_MEAN_POINTS, n)));
    case 'theil_sen': {
      const m = Math.min(THEIL_SEN_POINTS, n);
      if (m < THEIL_SEN_MIN_POINTS) return null;
      const fit = theilSen(train.slice(n - m));
      if (fit === null) return null;
      return finiteOrNull(fit.intercept + fit.slope * (m - 1 + h));
    }
  }
}

export interface BacktestResult {
  method: ForecastMethod;
  mae: number | null;
  rmse: number | null;
  mape: number | null;
  folds: number;
  /** e_t = y_t − ŷ_t per fold, oldest first. */
  errors: number[];
}

/** Rolling-origin one-step backtest: folds t = max(min_train, n − F) … n−1, trained on y_0..y_{t−1}. */
export function backtest(
  method: ForecastMethod,
  values: readonly number[],
  settings: BacktestSettings,
): BacktestResult {
  const n = values.length;
  const f = settings.maxFolds === 'all' ? n : settings.maxFolds;
  const errors: number[] = [];
  const actuals: number[] = [];
  for (let t = Math.max(settings.minTrain, n - f); t < n; t++) {
    const yhat = forecastAt(method, values.slice(0, t), 1, settings.season);
    if (yhat === null) continue;
    errors.push(values[t]! - yhat);
    actuals.push(values[t]!);
  }
  if (errors.length === 0) return { method, mae: null, rmse: null, mape: null, folds: 0, errors };
  const mae = mean(errors.map(Math.abs));
  const mse = mean(errors.map((e) => e * e));
  const ape: number[] = [];
  errors.forEach((e, i) => {
    if (Math.abs(actuals[i]!) > 1e-9) ape.push(Math.abs(e) / Math.abs(actuals[i]!));
  });
  const mapeRatio = mean(ape);
  return {
    method,
    mae,
    rmse: mse === null ? null : finiteOrNull(Math.sqrt(mse)),
    mape: mapeRatio === null ? null : finiteOrNull(mapeRatio * 100),
    folds: errors.length,
    errors,
  };
}

/** Lowest MAE; ties go to RMSE, then to the table order of FORECAST_METHODS. Null when no candidate has an MAE. */
export function chooseMethod(results: readonly BacktestResult[]): ForecastMethod | null {
  const usable = results.filter((r) => r.mae !== null);
  if (usable.length === 0) return null;
  const order = (m: ForecastMethod) => FORECAST_METHODS.indexOf(m);
  const sorted = [...usable].sort(
    (a, b) =>
      a.mae! - b.mae! ||
      (a.rmse ?? Number.POSITIVE_INFINITY) - (b.rmse ?? Number.POSITIVE_INFINITY) ||
      order(a.method) - order(b.method),
  );
  return sorted[0]!.method;
}

/** Half-width at step h: 1.96 · 1.4826 · MAD_0 · √h. */
export function intervalHalfWidth(mad0: number, h: number): number {
  return INTERVAL_Z * MAD_SCALE * mad0 * Math.sqrt(h);
}

/** Clamps to the metric's natural bounds (≥ 0; ≤ 100 for percent). */
export function clampToBounds(value: number, unit: ForecastUnit): number {
  const lo = Math.max(0, value);
  return unit === 'percent' ? Math.min(100, lo) : lo;
}

export interface ForecastRow {
  step: number;
  period: string;
  yhat: number;
  lo: number | null;
  hi: number | null;
}

export interface MethodForecast {
  method: ForecastMethod;
  rows: ForecastRow[];
}

export interface BaselineForecastOptions {
  frequency: ForecastFrequency;
  /** H ≥ 1 forecast steps in the series' own frequency. */
  steps: number;
  unit: ForecastUnit;
  /** Candidate methods (default all four, in table order). */
  methods?: readonly ForecastMethod[];
}

export interface BaselineForecast {
  /** The method used for `rows`; null only when nothing could be forecast (empty series). */
  chosen_method: ForecastMethod | null;
  rows: ForecastRow[];
  /** One row per candidate method, in table order, from the training values actually used. */
  backtest: Omit<BacktestResult, 'errors'>[];
  /** Forecasts of every candidate method that can run, each with its own interval; for compareMethods. */
  per_method: MethodForecast[];
  /** False when the history cannot be backtested (no interval; ewma chosen). */
  backtested: boolean;
  /** MAD_0 of the chosen method's backtest errors, and hw_1 = 1.96 · 1.4826 · MAD_0; null without a backtest. */
  mad0: number | null;
  hw1: number | null;
  /** Index into the input values where training starts (> 0 after TRAINED_AFTER_BREAK). */
  train_start: number;
  /** Period label of the first training value, or null for an empty series. */
  train_start_period: string | null;
  warnings: AgentWarning[];
}

function methodRows(
  method: ForecastMethod,
  train: readonly number[],
  lastPeriod: string,
  opts: BaselineForecastOptions,
  season: number,
  mad0: number | null,
  warn: (w: AgentWarning) => void,
): ForecastRow[] | null {
  const rows: ForecastRow[] = [];
  for (let h = 1; h <= opts.steps; h++) {
    const raw = forecastAt(method, train, h, season);
    if (raw === null) return null;
    const yhat = clampToBounds(raw, opts.unit);
    if (yhat !== raw) {
      warn({
        code: 'BOUND_APPLIED',
        message: `${method} forecast at step ${h} clamped to the metric's bounds`,
        details: { method, step: h, value: raw },
      });
    }
    let lo: number | null = null;
    let hi: number | null = null;
    if (mad0 !== null) {
      const hw = intervalHalfWidth(mad0, h);
      const rawLo = raw - hw;
      const rawHi = raw + hw;
      lo = clampToBounds(rawLo, opts.unit);
      hi = clampToBounds(rawHi, opts.unit);
      if (lo !== rawLo || hi !== rawHi) {
        warn({
          code: 'BOUND_APPLIED',
          message: `${method} interval at step ${h} clamped to the metric's bounds`,
          details: { method, step: h, lo: rawLo, hi: rawHi },
        });
      }
    }
    rows.push({ step: h, period: shiftPeriod(lastPeriod, h) ?? `+${h}`, yhat, lo, hi });
  }
  return rows;
}

/**
 * Baseline forecast of §3.4. `values` and `periods` are the (contiguous, null-free) series, oldest first. The
 * stability guard may train on the tail after the last CUSUM break; the backtest chooses the method; the interval
 * comes from the chosen method's backtest errors. Never throws; problems are warnings.
 */
export function baselineForecast(
  values: readonly number[],
  periods: readonly string[],
  opts: BaselineForecastOptions,
): BaselineForecast {
  const warnings: AgentWarning[] = [];
  const seenBound = new Set<string>();
  const warnBound = (w: AgentWarning) => {
    // One BOUND_APPLIED per method and kind keeps long horizons from flooding the warnings.
    const key = `${String(w.details?.method)}|${w.message.includes('interval') ? 'i' : 'y'}`;
    if (!seenBound.has(key)) {
      seenBound.add(key);
      warnings.push(w);
    }
  };
  const settings = backtestSettings(opts.frequency);
  const methods = (opts.methods && opts.methods.length > 0 ? [...new Set(opts.methods)] : [...FORECAST_METHODS]).sort(
    (a, b) => FORECAST_METHODS.indexOf(a) - FORECAST_METHODS.indexOf(b),
  );
  const steps = Math.max(1, Math.floor(opts.steps));
  const o = { ...opts, steps };
  const n = values.length;
  const empty: BaselineForecast = {
    chosen_method: null,
    rows: [],
    backtest: [],
    per_method: [],
    backtested: false,
    mad0: null,
    hw1: null,
    train_start: 0,
    train_start_period: null,
    warnings,
  };
  if (n === 0 || periods.length !== n || values.some((v) => !Number.isFinite(v))) {
    warnings.push({ code: 'INSUFFICIENT_DATA', message: 'forecast: no usable values', details: { have: 0, need: 1 } });
    return empty;
  }
  const lastPeriod = periods[n - 1]!;

  // Stability guard: train on the points after the last CUSUM break (the break period itself is where the
  // cumulative sum crossed h, still part of the old regime) when that tail still supports a backtest.
  let start = 0;
  const z = zScores(values);
  if (z !== null) {
    const breaks = cusum(z, GUARD_CUSUM_K, GUARD_CUSUM_H);
    const last = breaks[breaks.length - 1];
    if (last !== undefined && n - (last.index + 1) >= settings.minTrain + settings.minFolds) {
      start = last.index + 1;
      warnings.push({
        code: 'TRAINED_AFTER_BREAK',
        message: `forecast: structural break at ${periods[last.index]}; trained on the ${n - start} points after it`,
        details: { break_period: periods[last.index], train_start_period: periods[start], points: n - start },
      });
    }
  }
  const train = values.slice(start);

  const results = methods.map((m) => backtest(m, train, settings));
  const usable = results.filter((r) => r.folds >= settings.minFolds);
  const best = chooseMethod(usable);
  const backtested = best !== null;
  const chosen: ForecastMethod = best ?? 'ewma';
  if (!backtested) {
    warnings.push({
      code: 'INSUFFICIENT_HISTORY_FOR_BACKTEST',
      message: `forecast: fewer than ${settings.minFolds} backtest folds (need ${settings.minTrain} training points plus the folds); using ewma without an interval`,
      details: { have: train.length, need: settings.minTrain + settings.minFolds },
    });
  }
  const madOf = (r: BacktestResult | undefined) =>
    backtested && r && r.folds >= settings.minFolds ? median(r.errors.map(Math.abs)) : null;
  const chosenResult = results.find((r) => r.method === chosen);
  const mad0 = madOf(chosenResult);

  const perMethod: MethodForecast[] = [];
  for (const r of results) {
    const rows = methodRows(r.method, train, lastPeriod, o, settings.season, madOf(r), warnBound);
    if (rows !== null) perMethod.push({ method: r.method, rows });
  }
  let rows = perMethod.find((p) => p.method === chosen)?.rows ?? null;
  if (rows === null) rows = methodRows(chosen, train, lastPeriod, o, settings.season, mad0, warnBound) ?? [];

  return {
    chosen_method: chosen,
    rows,
    backtest: results.map(({ method, mae, rmse, mape, folds }) => ({ method, mae, rmse, mape, folds })),
    per_method: perMethod,
    backtested,
    mad0,
    hw1: mad0 === null ? null : intervalHalfWidth(mad0, 1),
    train_start: start,
    train_start_period: periods[start] ?? null,
    warnings,
  };
}
