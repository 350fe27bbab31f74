/**
 * Predictor (analysis spec §3.4): baseline forecast with the method chosen by backtest, the side-by-side comparison
 * of the baseline methods, and the early-warning risk score (one sector, or every sector plus ALL ranked).
 */
import type {
  AgentResult,
  AgentWarning,
  DataClient,
  DerivedResult,
  Finding,
  FindingMetric,
  Intent,
  SectorOrAll,
  SeriesMetric,
} from '../model.js';
import { SECTORS } from '../model.js';
import { derive } from '../derived.js';
import {
  cite,
  formatCount,
  formatLevelDelta,
  formatDecimal3,
  formatPercent,
  formatScore,
  formatValue,
  type LevelUnit,
} from '../format.js';
import { mean, sdSample } from '../math/stats.js';
import {
  baselineForecast,
  FORECAST_METHODS,
  type BaselineForecast,
  type ForecastMethod,
  type ForecastRow,
} from '../forecast.js';
import { describeSeries, loadSeries, METRIC_LABELS, type FrequencyChoice, type LoadedSeries } from '../series.js';
import { WarningCollector } from '../warnings.js';

export const PREDICTOR = 'Predictor';

/** Points a forecast needs at least (ewma without a backtest below the backtest minimum). */
export const FORECAST_MIN_POINTS = 3;
/** Early warning needs a history of at least two points plus the last one. */
export const EARLY_WARNING_MIN_POINTS = 3;
export const DEFAULT_HORIZON_MONTHS = 6;
export const MAX_HORIZON_MONTHS = 24;

export interface ForecastParams {
  metric: SeriesMetric;
  /** Default ALL. */
  sector?: SectorOrAll;
  /** 1..24, default 6 (months; annual series use ⌈h/12⌉ steps). */
  horizon_months?: number;
  /** Last period used; default the latest. */
  end?: string | null;
  /** Default auto. */
  frequency?: FrequencyChoice;
}

export interface CompareMethodsParams extends ForecastParams {
  /** Default all four, in table order. */
  methods?: ForecastMethod[];
}

export interface EarlyWarningParams {
  metric: SeriesMetric;
  /** Absent or null: every canonical sector and ALL are scored and ranked. */
  sector?: SectorOrAll | null;
  end?: string | null;
  /** Default auto. */
  frequency?: FrequencyChoice;
}

/** Flag weights of the risk score. */
export const RISK_WEIGHTS = { band_breach: 0.5, slope_reversal: 0.3, volatility_spike: 0.2 } as const;
export type RiskFlag = keyof typeof RISK_WEIGHTS;
export const RISK_FLAGS: readonly RiskFlag[] = ['band_breach', 'slope_reversal', 'volatility_spike'];
export type RiskLevel = 'low' | 'moderate' | 'high' | 'critical';
/** Multiplier on sd_s(B) for a volatility spike. */
export const VOLATILITY_SD_MULTIPLIER = 2.5;
/** Changes before the last one that volatility compares with: up to 6, at least 3. */
export const VOLATILITY_BASE_MAX = 6;
export const VOLATILITY_BASE_MIN = 3;
/** Sectors named in the ranking summary. */
export const RANKING_TOP = 5;

/** The fixed recommended action per active flag. */
export const RISK_ACTIONS: Readonly<Record<RiskFlag, string>> = {
  band_breach:
    'Review the latest period against its forecast band: confirm the figure and look for a one-off cause before acting on it.',
  slope_reversal: 'Re-examine plans that assume the earlier direction: the series has recently turned the other way.',
  volatility_spike:
    'Monitor the next periods closely: the latest change is unusually large compared with recent changes.',
};

export function riskLevel(score: number): RiskLevel {
  return score >= 80 ? 'critical' : score >= 50 ? 'high' : score >= 30 ? 'moderate' : 'low';
}

function horizonOf(p: ForecastParams): number {
  const h =
    typeof p.horizon_months === 'number' && Number.isFinite(p.horizon_months)
      ? Math.floor(p.horizon_months)
      : DEFAULT_HORIZON_MONTHS;
  return Math.min(MAX_HORIZON_MONTHS, Math.max(1, h));
}

function warnHorizon(p: ForecastParams, horizon: number, w: WarningCollector, what: string): void {
  if (typeof p.horizon_months === 'number' && p.horizon_months > MAX_HORIZON_MONTHS) {
    w.add('HORIZON_CAPPED', `${what}: horizon capped at ${MAX_HORIZON_MONTHS} months`, {
      requested: p.horizon_months,
      used: horizon,
    });
  }
}

function base(
  method: string,
  intent: Intent,
  params: Record<string, unknown>,
  series: LoadedSeries | null,
  requested: FrequencyChoice,
): Omit<AgentResult, 'findings' | 'derived' | 'warnings'> {
  return {
    agent: PREDICTOR,
    method,
    intent,
    params,
    sources: series ? [series.queryId] : [],
    frequency: series ? series.frequency : requested === 'monthly' ? 'monthly' : 'annual',
  };
}

function stepsFor(series: LoadedSeries, horizon: number): number {
  return series.frequency === 'monthly' ? horizon : Math.ceil(horizon / 12);
}

function metricRow(
  key: string,
  label: string,
  value: number | string | null,
  unit: FindingMetric['unit'],
  citation: string,
): FindingMetric {
  return { key, label, value, unit, citation };
}

function intervalText(row: ForecastRow, unit: LevelUnit): string {
  return row.lo === null || row.hi === null
    ? 'no interval'
    : `interval ${formatValue(row.lo, unit)} to ${formatValue(row.hi, unit)}`;
}

function backtestDerived(series: LoadedSeries, fc: BaselineForecast, extra: Record<string, unknown>): DerivedResult {
  const unit = series.unit;
  return derive({
    operation: 'forecast_backtest',
    inputs: [series.result],
    params: {
      metric: series.metric,
      sector: series.sector,
      frequency: series.frequency,
      train_start_period: fc.train_start_period,
      train_end_period: series.periods[series.periods.length - 1] ?? null,
      backtested: fc.backtested,
      chosen_method: fc.chosen_method,
      ...extra,
    },
    fields: [
      { name: 'method', unit: 'text', kind: 'level' },
      { name: 'mae', unit, kind: 'level' },
      { name: 'rmse', unit, kind: 'level' },
      { name: 'mape', unit: 'percent', kind: 'level' },
      { name: 'folds', unit: 'count', kind: 'level' },
    ],
    rows: fc.backtest.map((b) => ({ method: b.method, mae: b.mae, rmse: b.rmse, mape: b.mape, folds: b.folds })),
  });
}

/**
 * The `forecast_baseline` derived result of a forecast; Scenario cites the same record for its baseline, so both
 * agents build it here and their ids agree.
 */
export function forecastBaselineDerived(
  series: LoadedSeries,
  fc: BaselineForecast,
  horizon: number,
  steps: number,
): DerivedResult {
  const unit = series.unit;
  const first = fc.rows[0]!;
  const last = fc.rows[fc.rows.length - 1]!;
  return derive({
    operation: 'forecast_baseline',
    inputs: [series.result],
    params: {
      metric: series.metric,
      sector: series.sector,
      frequency: series.frequency,
      horizon_months: horizon,
      steps,
      chosen_method: fc.chosen_method,
      train_start_period: fc.train_start_period,
      mad0: fc.mad0,
      hw1: fc.hw1,
      latest_value: series.values[series.values.length - 1]!,
      forecast_first: first.yhat,
      forecast_final: last.yhat,
      lo_final: last.lo,
      hi_final: last.hi,
    },
    fields: [
      { name: 'step', unit: 'count', kind: 'level' },
      { name: 'period', unit: 'text', kind: 'level' },
      { name: 'yhat', unit, kind: 'level' },
      { name: 'lo', unit, kind: 'level' },
      { name: 'hi', unit, kind: 'level' },
    ],
    rows: fc.rows.map((r) => ({ step: r.step, period: r.period, yhat: r.yhat, lo: r.lo, hi: r.hi })),
  });
}

/** Predictor.forecast: the backtest-chosen baseline method with MAD intervals. */
export async function forecast(client: DataClient, params: ForecastParams): Promise<AgentResult> {
  const horizon = horizonOf(params);
  const p = {
    metric: params.metric,
    sector: params.sector ?? 'ALL',
    horizon_months: horizon,
    end: params.end ?? null,
    frequency: params.frequency ?? 'auto',
  };
  const w = new WarningCollector();
  const what = `${PREDICTOR}.forecast`;
  warnHorizon(params, horizon, w, what);
  const series = await loadSeries(
    client,
    { metric: p.metric, sector: p.sector, frequency: p.frequency, end: p.end, minPoints: FORECAST_MIN_POINTS, what },
    w,
  );
  const head = base('forecast', 'predict.forecast', p, series, p.frequency);
  if (!series || !series.sufficient) return { ...head, findings: [], derived: [], warnings: w.list() };

  const steps = stepsFor(series, horizon);
  const fc = baselineForecast(series.values, series.periods, { frequency: series.frequency, steps, unit: series.unit });
  w.addAll(fc.warnings.filter((x) => x.code !== 'BOUND_APPLIED' || x.details?.method === fc.chosen_method));
  if (fc.chosen_method === null || fc.rows.length === 0)
    return { ...head, findings: [], derived: [], warnings: w.list() };

  const unit = series.unit;
  const chosenBacktest = fc.backtest.find((b) => b.method === fc.chosen_method) ?? null;
  const bt = backtestDerived(series, fc, {});
  const first = fc.rows[0]!;
  const lastRow = fc.rows[fc.rows.length - 1]!;
  const fd = forecastBaselineDerived(series, fc, horizon, steps);
  const lines = [`**Forecast: ${describeSeries(series)}.**`];
  if (fc.backtested && chosenBacktest) {
    lines.push(
      `The backtest chose ${fc.chosen_method}, with a mean absolute error of ${formatLevelDelta(chosenBacktest.mae, unit)} over ${formatCount(chosenBacktest.folds)} one-step folds ${cite(bt.id)}.`,
    );
  } else {
    lines.push('The history is too short for a backtest, so the forecast uses ewma and has no interval.');
  }
  lines.push(
    `Forecast for ${first.period}: ${formatValue(first.yhat, unit)}, ${intervalText(first, unit)} ${cite(fd.id)}.`,
  );
  if (fc.rows.length > 1) {
    lines.push(
      `Forecast for ${lastRow.period}, ${formatCount(steps)} steps ahead: ${formatValue(lastRow.yhat, unit)}, ${intervalText(lastRow, unit)} ${cite(fd.id)}.`,
    );
  }
  if (series.frequency === 'annual') lines.push('Each step is one year.');
  const metrics: FindingMetric[] = [
    metricRow('chosen_method', 'Method chosen by backtest', fc.chosen_method, 'text', fd.id),
    metricRow('forecast_steps', 'Forecast steps', steps, 'count', fd.id),
    metricRow('forecast_first', `Forecast ${first.period}`, first.yhat, unit, fd.id),
    metricRow('forecast_final', `Forecast ${lastRow.period}`, lastRow.yhat, unit, fd.id),
    metricRow('interval_lo_final', `Interval low ${lastRow.period}`, lastRow.lo, unit, fd.id),
    metricRow('interval_hi_final', `Interval high ${lastRow.period}`, lastRow.hi, unit, fd.id),
  ];
  if (chosenBacktest) {
    metrics.push(metricRow('backtest_mae', 'Backtest MAE', chosenBacktest.mae, unit, bt.id));
    metrics.push(metricRow('backtest_mape', 'Backtest MAPE', chosenBacktest.mape, 'percent', bt.id));
  }
  const finding: Finding = {
    id: 'forecast',
    title: `${METRIC_LABELS[p.metric]} forecast, ${p.sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [bt.id, fd.id],
  };
  return { ...head, findings: [finding], derived: [bt, fd], warnings: w.list() };
}

/** Predictor.compareMethods: backtest accuracy and forecasts of the requested methods side by side. */
export async function compareMethods(client: DataClient, params: CompareMethodsParams): Promise<AgentResult> {
  const horizon = horizonOf(params);
  const requested = (params.methods && params.methods.length > 0 ? [...new Set(params.methods)] : [...FORECAST_METHODS])
    .filter((m) => FORECAST_METHODS.includes(m))
    .sort((a, b) => FORECAST_METHODS.indexOf(a) - FORECAST_METHODS.indexOf(b));
  const methods = requested.length > 0 ? requested : [...FORECAST_METHODS];
  const p = {
    metric: params.metric,
    sector: params.sector ?? 'ALL',
    horizon_months: horizon,
    methods,
    end: params.end ?? null,
    frequency: params.frequency ?? 'auto',
  };
  const w = new WarningCollector();
  const what = `${PREDICTOR}.compareMethods`;
  warnHorizon(params, horizon, w, what);
  const series = await loadSeries(
    client,
    { metric: p.metric, sector: p.sector, frequency: p.frequency, end: p.end, minPoints: FORECAST_MIN_POINTS, what },
    w,
  );
  const head = base('compareMethods', 'predict.scenario_compare', p, series, p.frequency);
  if (!series || !series.sufficient) return { ...head, findings: [], derived: [], warnings: w.list() };

  const steps = stepsFor(series, horizon);
  const fc = baselineForecast(series.values, series.periods, {
    frequency: series.frequency,
    steps,
    unit: series.unit,
    methods,
  });
  w.addAll(fc.warnings);
  const unit = series.unit;
  const winner = fc.backtested ? fc.chosen_method : null;
  const perMethod = fc.per_method.filter((m) => methods.includes(m.method));
  if (perMethod.length === 0) return { ...head, findings: [], derived: [], warnings: w.list() };

  const pathRows: Record<string, string | number | null>[] = [];
  const deltas: number[] = [];
  for (let h = 1; h <= steps; h++) {
    const row: Record<string, string | number | null> = { step: h, period: perMethod[0]!.rows[h - 1]!.period };
    const ys: number[] = [];
    for (const m of perMethod) {
      const yhat = m.rows[h - 1]!.yhat;
      row[m.method] = yhat;
      ys.push(yhat);
    }
    const delta = Math.max(...ys) - Math.min(...ys);
    row.max_delta_h = delta;
    deltas.push(delta);
    pathRows.push(row);
  }
  const finalDelta = deltas[deltas.length - 1]!;
  const btExtra: Record<string, unknown> = { winner };
  for (const b of fc.backtest) {
    btExtra[`${b.method}_mae`] = b.mae;
    btExtra[`${b.method}_rmse`] = b.rmse;
    btExtra[`${b.method}_mape`] = b.mape;
  }
  const bt = backtestDerived(series, fc, btExtra);
  const paths = derive({
    operation: 'forecast_compare',
    inputs: [series.result],
    params: {
      metric: p.metric,
      sector: p.sector,
      frequency: series.frequency,
      horizon_months: horizon,
      steps,
      methods: perMethod.map((m) => m.method).join(','),
      max_delta_final: finalDelta,
      ...Object.fromEntries(perMethod.map((m) => [`${m.method}_final`, m.rows[m.rows.length - 1]!.yhat])),
    },
    fields: [
      { name: 'step', unit: 'count', kind: 'level' },
      { name: 'period', unit: 'text', kind: 'level' },
      ...perMethod.map((m) => ({ name: m.method, unit, kind: 'level' as const })),
      { name: 'max_delta_h', unit, kind: 'level' },
    ],
    rows: pathRows,
  });
  const lastPeriod = pathRows[pathRows.length - 1]!.period as string;
  const lines = [`**Forecast methods compared: ${describeSeries(series)}.**`];
  lines.push(
    winner === null
      ? 'The history is too short for a backtest, so no method can be ranked on accuracy.'
      : `Lowest backtest error: ${winner} ${cite(bt.id)}.`,
  );
  const bullets: string[] = [];
  for (const b of fc.backtest) {
    const path = perMethod.find((m) => m.method === b.method);
    const final = path ? path.rows[path.rows.length - 1]!.yhat : null;
    const acc =
      b.folds > 0
        ? `MAE ${formatLevelDelta(b.mae, unit)}, RMSE ${formatLevelDelta(b.rmse, unit)}, MAPE ${formatPercent(b.mape)} over ${formatCount(b.folds)} folds`
        : 'no backtest folds';
    bullets.push(
      `- ${b.method}: ${acc}; forecast for ${lastPeriod}: ${formatValue(final, unit)} ${cite(bt.id, paths.id)}`,
    );
  }
  lines.push(
    `At ${lastPeriod} the methods' forecasts differ by up to ${formatLevelDelta(finalDelta, unit)} ${cite(paths.id)}.`,
  );
  if (series.frequency === 'annual') lines.push('Each step is one year.');
  const metrics: FindingMetric[] = [metricRow('winner', 'Most accurate method', winner, 'text', bt.id)];
  for (const b of fc.backtest) {
    metrics.push(metricRow(`${b.method}_mae`, `${b.method} MAE`, b.mae, unit, bt.id));
    metrics.push(metricRow(`${b.method}_rmse`, `${b.method} RMSE`, b.rmse, unit, bt.id));
    metrics.push(metricRow(`${b.method}_mape`, `${b.method} MAPE`, b.mape, 'percent', bt.id));
  }
  metrics.push(metricRow('max_delta_final', `Largest gap between methods, ${lastPeriod}`, finalDelta, unit, paths.id));
  const finding: Finding = {
    id: 'compare_methods',
    title: `${METRIC_LABELS[p.metric]} forecast methods, ${p.sector}`,
    summary: `${lines.join(' ')}\n\n${bullets.join('\n')}`,
    metrics,
    citations: [bt.id, paths.id],
  };
  return { ...head, findings: [finding], derived: [bt, paths], warnings: w.list() };
}

/** Early-warning flags and score of one series (pure). */
export interface RiskAssessment {
  latest_value: number;
  latest_period: string;
  risk_score: number | null;
  risk_level: RiskLevel | null;
  band_breach: boolean | null;
  slope_reversal: boolean | null;
  volatility_spike: boolean | null;
  flags_unavailable: RiskFlag[];
  /** One-step forecast of the history and hw_1; null when the history cannot be backtested. */
  forecast: number | null;
  hw1: number | null;
  slope_prev: number | null;
  slope_last: number | null;
  change_last: number | null;
  change_base_mean: number | null;
  change_base_sd: number | null;
  method: ForecastMethod | null;
}

/** Scores one series (values and periods oldest first, at least one point). */
export function assessRisk(
  values: readonly number[],
  periods: readonly string[],
  frequency: 'monthly' | 'annual',
  unit: LevelUnit,
): RiskAssessment {
  const n = values.length;
  const a = values[n - 1]!;
  const unavailable: RiskFlag[] = [];

  // band_breach: the last point against the one-step forecast of the history.
  let bandBreach: boolean | null = null;
  let yhat: number | null = null;
  let hw1: number | null = null;
  let method: ForecastMethod | null = null;
  if (n >= 2) {
    const fc = baselineForecast(values.slice(0, n - 1), periods.slice(0, n - 1), { frequency, steps: 1, unit });
    if (fc.backtested && fc.hw1 !== null && fc.rows[0]) {
      yhat = fc.rows[0].yhat;
      hw1 = fc.hw1;
      method = fc.chosen_method;
      bandBreach = Math.abs(a - yhat) > hw1;
    }
  }
  if (bandBreach === null) unavailable.push('band_breach');

  // slope_reversal: (y_{n−4} − y_{n−6})/2 against (y_{n−1} − y_{n−3})/2.
  let slopeReversal: boolean | null = null;
  let slopePrev: number | null = null;
  let slopeLastV: number | null = null;
  if (n >= 6) {
    slopePrev = (values[n - 4]! - values[n - 6]!) / 2;
    slopeLastV = (values[n - 1]! - values[n - 3]!) / 2;
    const threshold = 1e-9 * Math.max(1, Math.abs(mean(values) ?? 0));
    slopeReversal =
      Math.abs(slopePrev) > threshold &&
      Math.abs(slopeLastV) > threshold &&
      Math.sign(slopePrev) !== Math.sign(slopeLastV);
  } else unavailable.push('slope_reversal');

  // volatility_spike: the last absolute change against up to six changes before it.
  let spike: boolean | null = null;
  let dLast: number | null = null;
  let bMean: number | null = null;
  let bSd: number | null = null;
  const changes: number[] = [];
  for (let i = 1; i < n; i++) changes.push(Math.abs(values[i]! - values[i - 1]!));
  if (changes.length >= VOLATILITY_BASE_MIN + 1) {
    dLast = changes[changes.length - 1]!;
    const before = changes.slice(0, changes.length - 1);
    const B = before.slice(Math.max(0, before.length - VOLATILITY_BASE_MAX));
    bMean = mean(B)!;
    bSd = sdSample(B) ?? 0;
    spike = bSd === 0 ? dLast > bMean : dLast > bMean + VOLATILITY_SD_MULTIPLIER * bSd;
  } else unavailable.push('volatility_spike');

  const allUnavailable = unavailable.length === RISK_FLAGS.length;
  const score = allUnavailable
    ? null
    : 100 *
      (RISK_WEIGHTS.band_breach * (bandBreach ? 1 : 0) +
        RISK_WEIGHTS.slope_reversal * (slopeReversal ? 1 : 0) +
        RISK_WEIGHTS.volatility_spike * (spike ? 1 : 0));
  const rounded = score === null ? null : Math.round(score * 1e9) / 1e9;
  return {
    latest_value: a,
    latest_period: periods[n - 1]!,
    risk_score: rounded,
    risk_level: rounded === null ? null : riskLevel(rounded),
    band_breach: bandBreach,
    slope_reversal: slopeReversal,
    volatility_spike: spike,
    flags_unavailable: unavailable,
    forecast: yhat,
    hw1,
    slope_prev: slopePrev,
    slope_last: slopeLastV,
    change_last: dLast,
    change_base_mean: bMean,
    change_base_sd: bSd,
    method,
  };
}

function firstScoredOr(
  scored: readonly { series: LoadedSeries }[],
  fallback: LoadedSeries | null,
): LoadedSeries | null {
  return scored[0]?.series ?? fallback;
}

function flagText(v: boolean | null): string {
  return v === null ? 'unavailable' : v ? 'yes' : 'no';
}

function activeFlags(r: RiskAssessment): RiskFlag[] {
  return RISK_FLAGS.filter((f) => r[f] === true);
}

function riskRow(sector: SectorOrAll, r: RiskAssessment) {
  return {
    sector,
    latest_period: r.latest_period,
    latest_value: r.latest_value,
    risk_score: r.risk_score,
    risk_level: r.risk_level,
    band_breach: flagText(r.band_breach),
    slope_reversal: flagText(r.slope_reversal),
    volatility_spike: flagText(r.volatility_spike),
    flags_unavailable: r.flags_unavailable.join(','),
    forecast: r.forecast,
    hw1: r.hw1,
    slope_prev: r.slope_prev,
    slope_last: r.slope_last,
    change_last: r.change_last,
    change_base_mean: r.change_base_mean,
    change_base_sd: r.change_base_sd,
    method: r.method,
  };
}

function riskFields(unit: LevelUnit) {
  return [
    { name: 'sector', unit: 'text' as const, kind: 'level' as const },
    { name: 'latest_period', unit: 'text' as const, kind: 'level' as const },
    { name: 'latest_value', unit, kind: 'level' as const },
    { name: 'risk_score', unit: 'score' as const, kind: 'level' as const },
    { name: 'risk_level', unit: 'text' as const, kind: 'level' as const },
    { name: 'band_breach', unit: 'text' as const, kind: 'level' as const },
    { name: 'slope_reversal', unit: 'text' as const, kind: 'level' as const },
    { name: 'volatility_spike', unit: 'text' as const, kind: 'level' as const },
    { name: 'flags_unavailable', unit: 'text' as const, kind: 'level' as const },
    { name: 'forecast', unit, kind: 'level' as const },
    { name: 'hw1', unit, kind: 'level' as const },
    { name: 'slope_prev', unit: 'ratio' as const, kind: 'change' as const },
    { name: 'slope_last', unit: 'ratio' as const, kind: 'change' as const },
    { name: 'change_last', unit, kind: 'level' as const },
    { name: 'change_base_mean', unit, kind: 'level' as const },
    { name: 'change_base_sd', unit, kind: 'level' as const },
    { name: 'method', unit: 'text' as const, kind: 'level' as const },
  ];
}

/** Predictor.earlyWarning: risk score from band breach, slope reversal and volatility spike. */
export async function earlyWarning(client: DataClient, params: EarlyWarningParams): Promise<AgentResult> {
  const p = {
    metric: params.metric,
    sector: params.sector ?? null,
    end: params.end ?? null,
    frequency: params.frequency ?? 'auto',
  };
  const w = new WarningCollector();
  const what = `${PREDICTOR}.earlyWarning`;
  const targets: SectorOrAll[] = p.sector === null ? [...SECTORS, 'ALL'] : [p.sector];
  const scored: { sector: SectorOrAll; series: LoadedSeries; risk: RiskAssessment }[] = [];
  const skipped: { sector: SectorOrAll; reason: string }[] = [];
  let firstSeries: LoadedSeries | null = null;
  const sources: string[] = [];
  for (const sector of targets) {
    const local = new WarningCollector();
    const series = await loadSeries(
      client,
      {
        metric: p.metric,
        sector,
        frequency: p.frequency,
        end: p.end,
        minPoints: EARLY_WARNING_MIN_POINTS,
        what: `${what} ${sector}`,
      },
      local,
    );
    if (series && !sources.includes(series.queryId)) sources.push(series.queryId);
    firstSeries ??= series;
    const risk =
      series && series.sufficient ? assessRisk(series.values, series.periods, series.frequency, series.unit) : null;
    if (p.sector !== null) {
      w.addAll(local.list());
      if (risk && risk.risk_score === null) {
        w.insufficient(
          series!.values.length,
          VOLATILITY_BASE_MIN + 2,
          `${what}: no early-warning flag can be evaluated`,
        );
      }
    } else if (!series || !risk || risk.risk_score === null) {
      const reasons: AgentWarning[] = local
        .list()
        .filter((x) => x.code === 'INSUFFICIENT_DATA' || x.code === 'DATA_SCHEMA_MISMATCH');
      skipped.push({ sector, reason: reasons[0]?.message ?? 'no early-warning flag can be evaluated' });
    } else {
      w.addAll(local.list());
    }
    if (series && risk && risk.risk_score !== null) scored.push({ sector, series, risk });
  }
  if (skipped.length > 0) {
    w.add(
      'SECTOR_SKIPPED',
      `${what}: ${skipped.length === 1 ? 'one sector has' : 'some sectors have'} too little data to score and ${skipped.length === 1 ? 'was' : 'were'} skipped`,
      {
        sectors: skipped.map((s) => s.sector),
        reasons: skipped.map((s) => s.reason),
      },
    );
  }
  const head = {
    agent: PREDICTOR,
    method: 'earlyWarning',
    intent: 'predict.early_warning' as const,
    params: p,
    sources,
    frequency: firstScoredOr(scored, firstSeries)
      ? firstScoredOr(scored, firstSeries)!.frequency
      : p.frequency === 'monthly'
        ? ('monthly' as const)
        : ('annual' as const),
  };
  if (scored.length === 0) return { ...head, findings: [], derived: [], warnings: w.list() };

  const order = (s: SectorOrAll) => (s === 'ALL' ? SECTORS.length : SECTORS.indexOf(s));
  const ranked = [...scored].sort(
    (a, b) => b.risk.risk_score! - a.risk.risk_score! || order(a.sector) - order(b.sector),
  );
  const unit = ranked[0]!.series.unit;
  const inputs = [...new Map(ranked.map((r) => [r.series.queryId, r.series.result])).values()];

  if (p.sector !== null) {
    const { series, risk } = ranked[0]!;
    const d = derive({
      operation: 'early_warning',
      inputs,
      params: {
        metric: p.metric,
        sector: p.sector,
        frequency: series.frequency,
        window_start: series.periods[0],
        window_end: series.periods[series.periods.length - 1],
        weight_band_breach: RISK_WEIGHTS.band_breach,
        weight_slope_reversal: RISK_WEIGHTS.slope_reversal,
        weight_volatility_spike: RISK_WEIGHTS.volatility_spike,
        volatility_sd_multiplier: VOLATILITY_SD_MULTIPLIER,
        risk_score: risk.risk_score,
        risk_level: risk.risk_level,
        latest_value: risk.latest_value,
        forecast: risk.forecast,
        hw1: risk.hw1,
        slope_prev: risk.slope_prev,
        slope_last: risk.slope_last,
        change_last: risk.change_last,
        change_base_mean: risk.change_base_mean,
      },
      fields: riskFields(unit),
      rows: [riskRow(p.sector, risk)],
    });
    const c = cite(d.id);
    const lines = [
      `**Early warning: ${describeSeries(series)}.**`,
      `Risk score ${formatScore(risk.risk_score)}, level ${risk.risk_level} ${c}.`,
    ];
    const detail: string[] = [];
    if (risk.band_breach !== null) {
      detail.push(
        `- Band breach: ${flagText(risk.band_breach)}; the latest value ${formatValue(risk.latest_value, unit)} against a one-step forecast of ${formatValue(risk.forecast, unit)} plus or minus ${formatLevelDelta(risk.hw1, unit)} ${c}`,
      );
    } else detail.push('- Band breach: unavailable, the history is too short for a backtest');
    if (risk.slope_reversal !== null) {
      detail.push(
        `- Slope reversal: ${flagText(risk.slope_reversal)}; slope before ${formatDecimal3(risk.slope_prev)}, latest slope ${formatDecimal3(risk.slope_last)} ${c}`,
      );
    } else detail.push('- Slope reversal: unavailable, the series is too short');
    if (risk.volatility_spike !== null) {
      detail.push(
        `- Volatility spike: ${flagText(risk.volatility_spike)}; latest absolute change ${formatLevelDelta(risk.change_last, unit)} against a recent mean of ${formatLevelDelta(risk.change_base_mean, unit)} ${c}`,
      );
    } else detail.push('- Volatility spike: unavailable, the series is too short');
    const actions = activeFlags(risk).map((f) => RISK_ACTIONS[f]);
    if (actions.length > 0) lines.push(`Recommended: ${actions.join(' ')}`);
    else lines.push('No flag is active; no action is recommended.');
    const metrics: FindingMetric[] = [
      metricRow('risk_score', 'Risk score', risk.risk_score, 'score', d.id),
      metricRow('risk_level', 'Risk level', risk.risk_level, 'text', d.id),
      metricRow('band_breach', 'Band breach', flagText(risk.band_breach), 'text', d.id),
      metricRow('slope_reversal', 'Slope reversal', flagText(risk.slope_reversal), 'text', d.id),
      metricRow('volatility_spike', 'Volatility spike', flagText(risk.volatility_spike), 'text', d.id),
      metricRow('flags_unavailable', 'Flags unavailable', risk.flags_unavailable.join(', ') || 'none', 'text', d.id),
    ];
    const finding: Finding = {
      id: 'early_warning',
      title: `${METRIC_LABELS[p.metric]} early warning, ${p.sector}`,
      summary: `${lines.join(' ')}\n\n${detail.join('\n')}`,
      metrics,
      citations: [d.id],
    };
    return { ...head, findings: [finding], derived: [d], warnings: w.list() };
  }

  // Ranking of every sector plus ALL.
  const top = ranked.filter((r) => r.risk.risk_score! > 0).slice(0, RANKING_TOP);
  const d = derive({
    operation: 'early_warning_ranking',
    inputs,
    params: {
      metric: p.metric,
      sector: 'every',
      frequency: ranked[0]!.series.frequency,
      weight_band_breach: RISK_WEIGHTS.band_breach,
      weight_slope_reversal: RISK_WEIGHTS.slope_reversal,
      weight_volatility_spike: RISK_WEIGHTS.volatility_spike,
      volatility_sd_multiplier: VOLATILITY_SD_MULTIPLIER,
      scored_count: ranked.length,
      skipped_count: skipped.length,
      at_risk_count: ranked.filter((r) => r.risk.risk_score! > 0).length,
      top_n: RANKING_TOP,
      max_risk_score: ranked[0]!.risk.risk_score,
    },
    fields: riskFields(unit),
    rows: ranked.map((r) => riskRow(r.sector, r.risk)),
  });
  const c = cite(d.id);
  const atRisk = ranked.filter((r) => r.risk.risk_score! > 0).length;
  const lines = [
    `**Early warning for ${METRIC_LABELS[p.metric].toLowerCase()}, every sector and ALL.**`,
    `${formatCount(ranked.length)} series scored, ${formatCount(atRisk)} with a risk score above zero ${c}.`,
  ];
  if (skipped.length > 0) lines.push(`${formatCount(skipped.length)} sector(s) skipped for lack of data ${c}.`);
  const bullets = top.map((r) => {
    const actions = activeFlags(r.risk).map((f) => RISK_ACTIONS[f]);
    return `- ${r.sector}: risk score ${formatScore(r.risk.risk_score)} (${r.risk.risk_level}); flags: ${activeFlags(r.risk).join(', ')} ${c}. ${actions.join(' ')}`;
  });
  if (top.length === 0) lines.push('No series has an active flag; no action is recommended.');
  const metrics: FindingMetric[] = [
    metricRow('scored_count', 'Series scored', ranked.length, 'count', d.id),
    metricRow('at_risk_count', 'Series with a risk score above zero', atRisk, 'count', d.id),
    metricRow('max_risk_score', 'Highest risk score', ranked[0]!.risk.risk_score, 'score', d.id),
    metricRow('highest_risk_sector', 'Highest-risk series', ranked[0]!.sector, 'text', d.id),
  ];
  for (const r of ranked)
    metrics.push(metricRow(`risk_score_${r.sector}`, `Risk score, ${r.sector}`, r.risk.risk_score, 'score', d.id));
  const finding: Finding = {
    id: 'early_warning_ranking',
    title: `${METRIC_LABELS[p.metric]} early warning, every sector`,
    summary: bullets.length > 0 ? `${lines.join(' ')}\n\n${bullets.join('\n')}` : lines.join(' '),
    metrics,
    citations: [d.id],
  };
  return { ...head, findings: [finding], derived: [d], warnings: w.list() };
}
