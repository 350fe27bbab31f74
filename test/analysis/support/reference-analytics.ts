/**
 * An independent re-implementation of the analysis spec's formulas (analysis.md §3) and display formats (§4.2), used
 * by test/analysis/pinned-answers.test.ts to recompute every number an answer shows from the raw query rows. It
 * deliberately shares no code with src/analysis: a number only passes when two implementations agree.
 */

// ---------------------------------------------------------------------------------------------------------------
// Display formats (§4.2): toFixed rounding, ASCII minus, thousands separators.

function group(fixed: string): string {
  const negative = fixed.startsWith('-');
  const body = negative ? fixed.slice(1) : fixed;
  const [int, frac] = body.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** percent: 1 decimal + "%". */
export const pct = (x: number): string => `${x.toFixed(1)}%`;
/** percentage points: 2 decimals + " pp". */
export const pp = (x: number): string => `${x.toFixed(2)} pp`;
/** QAR: integer with separators + " QAR". */
export const qar = (x: number): string => `${group(x.toFixed(0))} QAR`;
/** counts: integer with separators. */
export const count = (x: number): string => group(x.toFixed(0));
/** correlations, z-scores, slopes, ratios: 3 decimals. */
export const r3 = (x: number): string => x.toFixed(3);

// ---------------------------------------------------------------------------------------------------------------
// Shared mathematics (§3.0.2)

export const sum = (x: readonly number[]): number => x.reduce((a, b) => a + b, 0);
export const mean = (x: readonly number[]): number => sum(x) / x.length;

export function median(x: readonly number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sdSample(x: readonly number[]): number {
  const m = mean(x);
  return Math.sqrt(sum(x.map((v) => (v - m) ** 2)) / (x.length - 1));
}

export function sdPopulation(x: readonly number[]): number {
  const m = mean(x);
  return Math.sqrt(sum(x.map((v) => (v - m) ** 2)) / x.length);
}

export const mad = (x: readonly number[]): number => {
  const m = median(x);
  return median(x.map((v) => Math.abs(v - m)));
};

export function pctChange(current: number, previous: number): number | null {
  return previous === 0 ? null : ((current - previous) / Math.abs(previous)) * 100;
}

/** 1-based average ranks (ties share the mean of their positions). */
export function averageRanks(x: readonly number[]): number[] {
  const order = x.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(x.length);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && order[j + 1]!.v === order[k]!.v) j++;
    const r = (k + j) / 2 + 1;
    for (let t = k; t <= j; t++) ranks[order[t]!.i] = r;
    k = j + 1;
  }
  return ranks;
}

export function pearson(x: readonly number[], y: readonly number[]): number | null {
  if (x.length < 3) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

export const spearman = (x: readonly number[], y: readonly number[]): number | null =>
  pearson(averageRanks(x), averageRanks(y));

/** OLS slope of the last w points against 0..w−1. */
export function slopeLast(y: readonly number[], w: number): number | null {
  if (w > y.length) return null;
  const tail = y.slice(-w);
  const xm = (w - 1) / 2;
  const ym = mean(tail);
  let num = 0;
  let den = 0;
  tail.forEach((v, i) => {
    num += (i - xm) * (v - ym);
    den += (i - xm) ** 2;
  });
  return num / den;
}

export function ewmaLast(y: readonly number[], alpha: number): number {
  let s = y[0]!;
  for (let t = 1; t < y.length; t++) s = alpha * y[t]! + (1 - alpha) * s;
  return s;
}

/** CUSUM break indices (both sums reset after a break). */
export function cusumBreaks(z: readonly number[], k: number, h: number): { index: number; up: boolean }[] {
  let sp = 0;
  let sn = 0;
  const out: { index: number; up: boolean }[] = [];
  z.forEach((v, t) => {
    sp = Math.max(0, sp + v - k);
    sn = Math.max(0, sn - v - k);
    if (sp > h || sn > h) {
      out.push({ index: t, up: sp > sn });
      sp = 0;
      sn = 0;
    }
  });
  return out;
}

export function standardise(y: readonly number[]): number[] {
  const m = mean(y);
  const sd = sdSample(y);
  return y.map((v) => (v - m) / sd);
}

export function winsorise(x: readonly number[], p: number): number[] {
  const s = [...x].sort((a, b) => a - b);
  const k = Math.floor(x.length * p);
  const lo = s[k]!;
  const hi = s[s.length - 1 - k]!;
  return x.map((v) => Math.min(Math.max(v, lo), hi));
}

// ---------------------------------------------------------------------------------------------------------------
// Predictor (§3.4)

export type ForecastMethod = 'seasonal_naive' | 'ewma' | 'rolling_mean' | 'theil_sen';
export const FORECAST_METHODS: readonly ForecastMethod[] = ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'];

function theilSenFit(y: readonly number[]): { a: number; beta: number } {
  const slopes: number[] = [];
  for (let i = 0; i < y.length; i++) for (let j = i + 1; j < y.length; j++) slopes.push((y[j]! - y[i]!) / (j - i));
  const beta = median(slopes);
  return { a: median(y.map((v, i) => v - beta * i)), beta };
}

/** Forecasts for steps 1..H of one method trained on y (monthly: s = 12), or null when the method cannot run. */
export function methodForecast(method: ForecastMethod, y: readonly number[], H: number, s: number): number[] | null {
  const n = y.length;
  const steps = Array.from({ length: H }, (_, i) => i + 1);
  switch (method) {
    case 'seasonal_naive':
      if (n < s) return null;
      return steps.map((h) => y[n - 1 + h - s * Math.ceil(h / s)]!);
    case 'ewma': {
      const level = ewmaLast(y, 0.3);
      return steps.map(() => level);
    }
    case 'rolling_mean': {
      const level = mean(y.slice(-Math.min(12, n)));
      return steps.map(() => level);
    }
    case 'theil_sen': {
      const m = Math.min(24, n);
      if (m < 3) return null;
      const { a, beta } = theilSenFit(y.slice(-m));
      return steps.map((h) => a + beta * (m - 1 + h));
    }
  }
}

export interface Backtest {
  method: ForecastMethod;
  errors: number[];
  mae: number;
  rmse: number;
  mape: number | null;
}

export function backtest(method: ForecastMethod, y: readonly number[], monthly: boolean): Backtest {
  const n = y.length;
  const minTrain = monthly ? 24 : 4;
  const F = monthly ? 12 : n;
  const errors: number[] = [];
  const apes: number[] = [];
  for (let t = Math.max(minTrain, n - F); t < n; t++) {
    const yhat = methodForecast(method, y.slice(0, t), 1, monthly ? 12 : 1)![0]!;
    const e = y[t]! - yhat;
    errors.push(e);
    if (Math.abs(y[t]!) > 1e-9) apes.push((Math.abs(e) / Math.abs(y[t]!)) * 100);
  }
  return {
    method,
    errors,
    mae: mean(errors.map(Math.abs)),
    rmse: Math.sqrt(mean(errors.map((e) => e * e))),
    mape: apes.length > 0 ? mean(apes) : null,
  };
}

export interface ReferenceForecast {
  method: ForecastMethod;
  /** Index into the input where training starts (0 unless the stability guard trimmed it). */
  trainStart: number;
  backtests: Backtest[];
  yhat: number[];
  lo: number[];
  hi: number[];
  hw1: number;
}

/** Backtest every method, choose by MAE (ties: RMSE, then table order), forecast with the interval. */
export function referenceForecast(
  series: readonly number[],
  H: number,
  opts: { monthly: boolean; percent: boolean; methods?: readonly ForecastMethod[] },
): ReferenceForecast {
  const minTrain = opts.monthly ? 24 : 4;
  const minFolds = opts.monthly ? 3 : 2;
  let trainStart = 0;
  const breaks = cusumBreaks(standardise(series), 1, 5);
  if (breaks.length > 0) {
    const last = breaks[breaks.length - 1]!.index;
    if (series.length - last >= minTrain + minFolds) trainStart = last;
  }
  const y = series.slice(trainStart);
  const methods = opts.methods ?? FORECAST_METHODS;
  const backtests = methods.map((m) => backtest(m, y, opts.monthly));
  const chosen = [...backtests].sort((a, b) => a.mae - b.mae || a.rmse - b.rmse)[0]!;
  const yhat = methodForecast(chosen.method, y, H, opts.monthly ? 12 : 1)!;
  const mad0 = median(chosen.errors.map(Math.abs));
  const hw = (h: number) => 1.96 * 1.4826 * mad0 * Math.sqrt(h);
  const upper = opts.percent ? 100 : Infinity;
  return {
    method: chosen.method,
    trainStart,
    backtests,
    yhat,
    lo: yhat.map((v, i) => Math.min(Math.max(v - hw(i + 1), 0), upper)),
    hi: yhat.map((v, i) => Math.min(Math.max(v + hw(i + 1), 0), upper)),
    hw1: hw(1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// PatternMiner (§3.3)

export interface Relation {
  effect: number;
  support: number;
  stability: number;
  composite: number;
  n: number;
  strength: 'strong' | 'moderate' | 'weak';
  flat: boolean;
}

export function relation(x: readonly number[], y: readonly number[], minSupport: number): Relation {
  const n = x.length;
  const clampR = (r: number | null) => Math.max(-1, Math.min(1, r ?? 0));
  const effect = clampR(spearman(x, y));
  const support = Math.min(1, n / minSupport);
  const base = Math.floor(n / 3);
  const sizes = [0, 1, 2].map((j) => base + (j < n % 3 ? 1 : 0));
  let stability: number;
  if (sizes.some((s) => s < 4)) {
    stability = 0.5;
  } else {
    const rs: number[] = [];
    let at = 0;
    for (const size of sizes) {
      rs.push(clampR(spearman(x.slice(at, at + size), y.slice(at, at + size))));
      at += size;
    }
    const sameSign = rs.filter((r) => Math.sign(r) === Math.sign(effect)).length;
    stability = Math.max(0, 1 - sdPopulation(rs)) * (sameSign / 3);
  }
  const abs = Math.abs(effect);
  return {
    effect,
    support,
    stability,
    composite: abs * support * stability,
    n,
    strength: abs > 0.7 ? 'strong' : abs > 0.4 ? 'moderate' : 'weak',
    flat: abs < 0.15,
  };
}

/** "effect -0.389 (weak), support 1.000, stability 0.457, composite 0.178 over 24 points" */
export const relationText = (r: Relation): string =>
  `effect ${r3(r.effect)} (${r.strength}), support ${r3(r.support)}, stability ${r3(r.stability)}, composite ${r3(r.composite)} over ${r.n} points`;
