/**
 * TimeMachine (analysis spec §3.1): baseline, trend and structural breaks of one sector's ts_<metric>_<frequency>
 * series. Every number in a summary is cited to the series query or to the method's derived result, whose params
 * hold each displayed value.
 */
import type {
  AgentResult,
  DataClient,
  DerivedResult,
  Finding,
  FindingMetric,
  SectorOrAll,
  SeriesMetric,
} from '../model.js';
import { derive } from '../derived.js';
import {
  cite,
  formatDecimal3,
  formatIndex,
  formatPercent,
  formatValue,
  formatCount,
  formatParam,
  type LevelUnit,
} from '../format.js';
import { cusum, ewma, mad, mean, pctChange, sdSample, slopeLast } from '../math/stats.js';
import {
  describeSeries,
  loadSeries,
  METRIC_LABELS,
  normalisePeriod,
  periodMonth,
  type FrequencyChoice,
  type LoadedSeries,
} from '../series.js';
import { WarningCollector } from '../warnings.js';

export const TIME_MACHINE = 'TimeMachine';

/** Parameters shared by the three methods (§2.4); the router or the agent endpoint has applied the defaults. */
export interface TimeSeriesParams {
  metric: SeriesMetric;
  /** Default ALL. */
  sector?: SectorOrAll;
  start?: string | null;
  end?: string | null;
  /** Period the index_100 is based on; default the first period of the window. */
  base_period?: string | null;
  /** Default auto. */
  frequency?: FrequencyChoice;
}

export type BaselineParams = TimeSeriesParams;

export interface TrendParams extends TimeSeriesParams {
  /** EWMA smoothing in (0, 1]; default 0.25. */
  alpha?: number;
}

export interface BreaksParams extends TimeSeriesParams {
  /** Default 2.5. */
  z_threshold?: number;
  /** Default 1.0. */
  cusum_k?: number;
  /** Default 5.0. */
  cusum_h?: number;
}

/** Method minimum points (§3.1). */
export const BASELINE_MIN_POINTS = 4;
export const TREND_MIN_POINTS = { monthly: 13, annual: 3 } as const;
export const BREAKS_MIN_POINTS = { monthly: 12, annual: 6 } as const;
/** Monthly series of at least this many points get a seasonal baseline. */
export const SEASONAL_MIN_POINTS = 24;
/** Band half-width multiplier on MAD of the residuals. */
export const BAND_MULTIPLIER = 1.5;
export const DEFAULT_TREND_ALPHA = 0.25;
export const DEFAULT_Z_THRESHOLD = 2.5;
export const DEFAULT_CUSUM_K = 1.0;
export const DEFAULT_CUSUM_H = 5.0;
/** Rows of the trend table. */
export const TREND_TABLE_ROWS = 12;

interface Common {
  metric: SeriesMetric;
  sector: SectorOrAll;
  start: string | null;
  end: string | null;
  base_period: string | null;
  frequency: FrequencyChoice;
}

function common(p: TimeSeriesParams): Common {
  return {
    metric: p.metric,
    sector: p.sector ?? 'ALL',
    start: p.start ?? null,
    end: p.end ?? null,
    base_period: p.base_period ?? null,
    frequency: p.frequency ?? 'auto',
  };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function result(
  method: 'baseline' | 'trend' | 'breaks',
  params: Record<string, unknown>,
  series: LoadedSeries | null,
  findings: Finding[],
  derived: DerivedResult[],
  warnings: WarningCollector,
  requested: FrequencyChoice,
): AgentResult {
  return {
    agent: TIME_MACHINE,
    method,
    intent: `time.${method}`,
    params,
    findings,
    derived,
    sources: series ? [series.queryId] : [],
    warnings: warnings.list(),
    frequency: series ? series.frequency : requested === 'monthly' ? 'monthly' : 'annual',
  };
}

function metric(
  key: string,
  label: string,
  value: number | string | null,
  unit: FindingMetric['unit'],
  citation: string,
): FindingMetric {
  return { key, label, value, unit, citation };
}

function levelText(value: number | null, unit: LevelUnit): string {
  return formatValue(value, unit);
}

/** TimeMachine.baseline: seasonal (monthly, n ≥ 24) or flat baseline, MAD band and the latest value's position. */
export async function baseline(client: DataClient, params: BaselineParams): Promise<AgentResult> {
  const p = common(params);
  const w = new WarningCollector();
  const what = `${TIME_MACHINE}.baseline`;
  const series = await loadSeries(
    client,
    {
      metric: p.metric,
      sector: p.sector,
      frequency: p.frequency,
      start: p.start,
      end: p.end,
      minPoints: BASELINE_MIN_POINTS,
      what,
    },
    w,
  );
  const effective = { ...p };
  if (!series || !series.sufficient) return result('baseline', effective, series, [], [], w, p.frequency);

  const y = series.values;
  const periods = series.periods;
  const n = y.length;
  const unit = series.unit;
  const overall = mean(y)!;
  const seasonal = series.frequency === 'monthly' && n >= SEASONAL_MIN_POINTS;
  const monthMeans = new Map<number, number>();
  if (seasonal) {
    for (let m = 1; m <= 12; m++) {
      const vals = y.filter((_, i) => periodMonth(periods[i]!) === m);
      const mm = mean(vals);
      if (mm !== null) monthMeans.set(m, mm);
    }
  } else if (series.frequency === 'monthly') {
    w.add(
      'NO_SEASONAL_INDEX',
      `${what}: fewer than ${SEASONAL_MIN_POINTS} monthly points; the baseline is the window mean`,
      {
        have: n,
        need: SEASONAL_MIN_POINTS,
      },
    );
  }
  const b = y.map((_, i) => (seasonal ? (monthMeans.get(periodMonth(periods[i]!)!) ?? overall) : overall));
  const residuals = y.map((v, i) => v - b[i]!);
  const madR = mad(residuals) ?? 0;
  if (madR === 0) w.add('ZERO_VARIANCE', `${what}: the residuals have zero MAD; the band has zero width`, { mad: 0 });
  const lower = (i: number) => Math.max(0, b[i]! - BAND_MULTIPLIER * madR);
  const upper = (i: number) =>
    unit === 'percent' ? Math.min(100, b[i]! + BAND_MULTIPLIER * madR) : b[i]! + BAND_MULTIPLIER * madR;
  const last = n - 1;
  const latest = y[last]!;
  const baselineValue = b[last]!;
  const bandLower = lower(last);
  const bandUpper = upper(last);
  const position = latest > bandUpper ? 'above' : latest < bandLower ? 'below' : 'within';
  const gap = w.finite(pctChange(latest, baselineValue), 'gap_percent');
  const basePeriodWanted = normalisePeriod(p.base_period, series.frequency, 'start');
  const baseIdx = basePeriodWanted === null ? 0 : Math.max(0, periods.indexOf(basePeriodWanted));
  const yBase = y[baseIdx]!;
  const index100 = yBase === 0 ? null : w.finite((100 * latest) / yBase, 'index_100');
  const outside = y.filter((v, i) => v < lower(i) || v > upper(i)).length;

  const siRows = seasonal
    ? [...monthMeans.entries()].map(([month, mm]) => ({
        month,
        mean: mm,
        seasonal_index: overall === 0 ? null : w.finite((100 * mm) / overall, 'seasonal_index'),
      }))
    : [];
  const d = derive({
    operation: 'tm_baseline',
    inputs: [series.result],
    params: {
      metric: p.metric,
      sector: p.sector,
      frequency: series.frequency,
      window_start: periods[0],
      window_end: periods[last],
      base_period: periods[baseIdx],
      n_points: n,
      band_multiplier: BAND_MULTIPLIER,
      seasonal,
      window_mean: overall,
      mad_residual: madR,
      latest_value: latest,
      baseline_value: baselineValue,
      band_lower: bandLower,
      band_upper: bandUpper,
      position,
      gap_percent: gap,
      index_100: index100,
      periods_outside_band: outside,
    },
    fields: [
      { name: 'mean', unit, kind: 'level' },
      { name: 'seasonal_index', unit: 'index', kind: 'level' },
    ],
    rows: siRows,
  });
  const q = series.queryId;
  const lines = [
    `**${describeSeries(series)}.**`,
    `The latest value, ${levelText(latest, unit)} in ${periods[last]} ${cite(q)}, is ${position} the normal band around its ${seasonal ? 'seasonal ' : ''}baseline of ${levelText(baselineValue, unit)} ${cite(d.id)}.`,
    `The band runs from ${levelText(bandLower, unit)} to ${levelText(bandUpper, unit)}: the baseline plus or minus ${formatParam(BAND_MULTIPLIER)} times the median absolute deviation of the residuals ${cite(d.id)}.`,
    `Gap to the baseline: ${formatPercent(gap)} ${cite(d.id)}; index against ${periods[baseIdx]}: ${formatIndex(index100)} ${cite(d.id)}.`,
    `${formatCount(outside)} of ${formatCount(n)} periods fall outside the band ${cite(d.id)}.`,
  ];
  if (seasonal && siRows.length > 0) {
    const sorted = [...siRows]
      .filter((r) => r.seasonal_index !== null)
      .sort((a, b2) => b2.seasonal_index! - a.seasonal_index! || a.month - b2.month);
    const hi = sorted[0];
    const lo = sorted[sorted.length - 1];
    if (hi && lo) {
      lines.push(
        `Seasonal index: highest in ${MONTH_NAMES[hi.month - 1]} at ${formatIndex(hi.seasonal_index)}, lowest in ${MONTH_NAMES[lo.month - 1]} at ${formatIndex(lo.seasonal_index)} ${cite(d.id)}.`,
      );
    }
  }
  const metrics: FindingMetric[] = [
    metric('latest_value', 'Latest value', latest, unit, q),
    metric('baseline_value', 'Baseline', baselineValue, unit, d.id),
    metric('band_upper', 'Band upper', bandUpper, unit, d.id),
    metric('band_lower', 'Band lower', bandLower, unit, d.id),
    metric('position', 'Position', position, 'text', d.id),
    metric('gap_percent', 'Gap to baseline', gap, 'percent', d.id),
    metric('index_100', `Index (${periods[baseIdx]} = base)`, index100, 'index', d.id),
    metric('periods_outside_band', 'Periods outside the band', outside, 'count', d.id),
  ];
  const finding: Finding = {
    id: 'baseline',
    title: `${METRIC_LABELS[p.metric]} baseline, ${p.sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [q, d.id],
  };
  return result('baseline', effective, series, [finding], [d], w, p.frequency);
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** TimeMachine.trend: YoY, QoQ (monthly), EWMA, slopes and direction. */
export async function trend(client: DataClient, params: TrendParams): Promise<AgentResult> {
  const p = common(params);
  const alpha =
    typeof params.alpha === 'number' && params.alpha > 0 && params.alpha <= 1 ? params.alpha : DEFAULT_TREND_ALPHA;
  const w = new WarningCollector();
  const what = `${TIME_MACHINE}.trend`;
  const series = await loadSeries(
    client,
    {
      metric: p.metric,
      sector: p.sector,
      frequency: p.frequency,
      start: p.start,
      end: p.end,
      minPoints: TREND_MIN_POINTS,
      what,
    },
    w,
  );
  const effective = { ...p, alpha };
  if (!series || !series.sufficient) return result('trend', effective, series, [], [], w, p.frequency);

  const y = series.values;
  const periods = series.periods;
  const n = y.length;
  const unit = series.unit;
  const monthly = series.frequency === 'monthly';
  const lag = monthly ? 12 : 1;
  const yoyAt = (t: number) => (t - lag >= 0 ? w.finite(pctChange(y[t], y[t - lag]), 'yoy_percent') : null);
  const qoqAt = (t: number) => (monthly && t - 3 >= 0 ? w.finite(pctChange(y[t], y[t - 3]), 'qoq_percent') : null);
  const levels = ewma(y, alpha);
  const last = n - 1;
  const latest = y[last]!;
  const yoy = yoyAt(last);
  const qoq = qoqAt(last);
  const ewmaLatest = w.finite(levels[last], 'ewma_latest');
  const slope3 = w.finite(slopeLast(y, 3), 'slope_3');
  const slope6 = w.finite(slopeLast(y, 6), 'slope_6');
  const slope12 = w.finite(slopeLast(y, 12), 'slope_12');
  const eps = 0.001 * Math.abs(mean(y.slice(n - 3)) ?? 0);
  const direction = slope3 === null ? 'flat' : slope3 > eps ? 'up' : slope3 < -eps ? 'down' : 'flat';
  const windowChange = w.finite(pctChange(latest, y[0]), 'window_change_percent');

  const tableRows = [];
  for (let t = Math.max(0, n - TREND_TABLE_ROWS); t < n; t++) {
    tableRows.push({
      period: periods[t]!,
      value: y[t]!,
      yoy_percent: yoyAt(t),
      qoq_percent: qoqAt(t),
      ewma: levels[t]!,
    });
  }
  const nationalKey = p.sector === 'ALL' ? `${p.metric}_yoy_percent` : null;
  const d = derive({
    operation: 'tm_trend',
    inputs: [series.result],
    params: {
      metric: p.metric,
      sector: p.sector,
      frequency: series.frequency,
      window_start: periods[0],
      window_end: periods[last],
      n_points: n,
      alpha,
      yoy_lag: lag,
      latest_value: latest,
      yoy_percent: yoy,
      qoq_percent: qoq,
      ewma_latest: ewmaLatest,
      slope_3: slope3,
      slope_6: slope6,
      slope_12: slope12,
      direction_epsilon: eps,
      direction,
      window_change_percent: windowChange,
      ...(nationalKey ? { [nationalKey]: yoy } : {}),
      ...(p.sector === 'ALL' && p.metric === 'qatarization' ? { national_qatarization_percent: latest } : {}),
    },
    fields: [
      { name: 'period', unit: 'text', kind: 'level' },
      { name: 'value', unit, kind: 'level' },
      { name: 'yoy_percent', unit: 'percent', kind: 'change' },
      { name: 'qoq_percent', unit: 'percent', kind: 'change' },
      { name: 'ewma', unit, kind: 'level' },
    ],
    rows: tableRows,
  });
  const q = series.queryId;
  const slopeText = (s: number | null, words: string) =>
    s === null ? `${words}: not available (the window is shorter)` : `${words}: ${formatDecimal3(s)}`;
  const lines = [
    `**${describeSeries(series)}: direction ${direction}.**`,
    `The latest value is ${levelText(latest, unit)} in ${periods[last]} ${cite(q)}.`,
    `Year over year: ${formatPercent(yoy)}; change over the window: ${formatPercent(windowChange)} ${cite(d.id)}.`,
    monthly
      ? `Quarter over quarter (three months): ${formatPercent(qoq)} ${cite(d.id)}.`
      : 'Quarter over quarter is not defined for annual data.',
    `EWMA (alpha ${formatParam(alpha)}): ${levelText(ewmaLatest, unit)} ${cite(d.id)}.`,
    `OLS slopes per period, ${slopeText(slope3, 'last three points')}; ${slopeText(slope6, 'last six')}; ${slopeText(slope12, 'last twelve')} ${cite(d.id)}.`,
  ];
  const metrics: FindingMetric[] = [
    metric('latest_value', 'Latest value', latest, unit, q),
    metric('yoy_percent', 'Year over year', yoy, 'percent', d.id),
    metric('qoq_percent', 'Quarter over quarter', qoq, 'percent', d.id),
    metric('ewma_latest', 'EWMA level', ewmaLatest, unit, d.id),
    metric('slope_3', 'Slope, last three points', slope3, 'ratio', d.id),
    metric('slope_6', 'Slope, last six points', slope6, 'ratio', d.id),
    metric('slope_12', 'Slope, last twelve points', slope12, 'ratio', d.id),
    metric('window_change_percent', 'Change over the window', windowChange, 'percent', d.id),
    metric('direction', 'Direction', direction, 'text', d.id),
  ];
  if (nationalKey)
    metrics.push(metric(nationalKey, `${METRIC_LABELS[p.metric]} year over year (national)`, yoy, 'percent', d.id));
  if (p.sector === 'ALL' && p.metric === 'qatarization') {
    metrics.push(metric('national_qatarization_percent', 'National Qatarization', latest, 'percent', q));
  }
  const finding: Finding = {
    id: 'trend',
    title: `${METRIC_LABELS[p.metric]} trend, ${p.sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [q, d.id],
  };
  return result('trend', effective, series, [finding], [d], w, p.frequency);
}

/** TimeMachine.breaks: CUSUM structural breaks on the standardised window and z-score outliers. */
export async function breaks(client: DataClient, params: BreaksParams): Promise<AgentResult> {
  const p = common(params);
  const zThreshold = positiveOr(params.z_threshold, DEFAULT_Z_THRESHOLD);
  const k =
    typeof params.cusum_k === 'number' && Number.isFinite(params.cusum_k) && params.cusum_k >= 0
      ? params.cusum_k
      : DEFAULT_CUSUM_K;
  const h = positiveOr(params.cusum_h, DEFAULT_CUSUM_H);
  const w = new WarningCollector();
  const what = `${TIME_MACHINE}.breaks`;
  const series = await loadSeries(
    client,
    {
      metric: p.metric,
      sector: p.sector,
      frequency: p.frequency,
      start: p.start,
      end: p.end,
      minPoints: BREAKS_MIN_POINTS,
      what,
    },
    w,
  );
  const effective = { ...p, z_threshold: zThreshold, cusum_k: k, cusum_h: h };
  if (!series || !series.sufficient) return result('breaks', effective, series, [], [], w, p.frequency);

  const y = series.values;
  const periods = series.periods;
  const n = y.length;
  const unit = series.unit;
  const m = mean(y)!;
  const sd = sdSample(y);
  type BreakRow = {
    type: 'break' | 'outlier';
    period: string;
    value: number;
    z: number;
    direction: string | null;
    jump_percent: number | null;
    gap_to_baseline_percent: number | null;
    periods_since_previous: number | null;
  };
  const rows: BreakRow[] = [];
  let breakCount = 0;
  let outlierCount = 0;
  if (sd === null || sd === 0) {
    w.add('ZERO_VARIANCE', `${what}: the series has zero variance; no breaks or outliers can be scored`, { sd: 0 });
  } else {
    const z = y.map((v) => (v - m) / sd);
    let prev: number | null = null;
    for (const br of cusum(z, k, h)) {
      const t = br.index;
      rows.push({
        type: 'break',
        period: periods[t]!,
        value: y[t]!,
        z: z[t]!,
        direction: br.direction,
        jump_percent: t > 0 ? w.finite(pctChange(y[t], y[t - 1]), 'jump_percent') : null,
        gap_to_baseline_percent: w.finite(pctChange(y[t], m), 'gap_to_baseline_percent'),
        periods_since_previous: prev === null ? null : t - prev,
      });
      prev = t;
      breakCount++;
    }
    z.forEach((zt, t) => {
      if (Math.abs(zt) >= zThreshold) {
        rows.push({
          type: 'outlier',
          period: periods[t]!,
          value: y[t]!,
          z: zt,
          direction: zt > 0 ? 'high' : 'low',
          jump_percent: null,
          gap_to_baseline_percent: w.finite(pctChange(y[t], m), 'gap_to_baseline_percent'),
          periods_since_previous: null,
        });
        outlierCount++;
      }
    });
  }
  const breakRows = rows.filter((r) => r.type === 'break');
  const jumps = breakRows.map((r) => r.jump_percent).filter((j): j is number => j !== null);
  const maxAbsJump = jumps.length === 0 ? null : jumps.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
  const firstBreak = breakRows[0]?.period ?? null;
  const d = derive({
    operation: 'tm_breaks',
    inputs: [series.result],
    params: {
      metric: p.metric,
      sector: p.sector,
      frequency: series.frequency,
      window_start: periods[0],
      window_end: periods[n - 1],
      n_points: n,
      window_mean: m,
      window_sd: sd,
      z_threshold: zThreshold,
      cusum_k: k,
      cusum_h: h,
      break_count: breakCount,
      first_break_period: firstBreak,
      max_abs_jump_percent: maxAbsJump === null ? null : Math.abs(maxAbsJump),
      max_jump_percent: maxAbsJump,
      outlier_count: outlierCount,
    },
    fields: [
      { name: 'type', unit: 'text', kind: 'level' },
      { name: 'period', unit: 'text', kind: 'level' },
      { name: 'value', unit, kind: 'level' },
      { name: 'z', unit: 'ratio', kind: 'change' },
      { name: 'direction', unit: 'text', kind: 'level' },
      { name: 'jump_percent', unit: 'percent', kind: 'change' },
      { name: 'gap_to_baseline_percent', unit: 'percent', kind: 'change' },
      { name: 'periods_since_previous', unit: 'count', kind: 'level' },
    ],
    rows,
  });
  const c = cite(d.id);
  const lines = [
    `**${describeSeries(series)}.**`,
    `CUSUM on the standardised series (k ${formatParam(k)}, h ${formatParam(h)}) finds ${formatCount(breakCount)} structural break(s) over ${formatCount(n)} periods ${c}.`,
  ];
  if (breakRows.length > 0) {
    lines.push(`The first is in ${firstBreak}; the largest jump at a break is ${formatPercent(maxAbsJump)} ${c}.`);
  }
  lines.push(
    `Outliers with an absolute z-score of at least ${formatParam(zThreshold)}: ${formatCount(outlierCount)} ${c}.`,
  );
  const bullets = breakRows.map(
    (r) =>
      `- ${r.period}: ${r.direction}, value ${levelText(r.value, unit)}, jump ${formatPercent(r.jump_percent)}, gap to the mean ${formatPercent(r.gap_to_baseline_percent)} ${c}`,
  );
  const summary = bullets.length > 0 ? `${lines.join(' ')}\n\n${bullets.join('\n')}` : lines.join(' ');
  const metrics: FindingMetric[] = [
    metric('break_count', 'Structural breaks', breakCount, 'count', d.id),
    metric('first_break_period', 'First break', firstBreak, 'text', d.id),
    metric(
      'max_abs_jump_percent',
      'Largest absolute jump at a break',
      maxAbsJump === null ? null : Math.abs(maxAbsJump),
      'percent',
      d.id,
    ),
    metric('outlier_count', 'Outliers', outlierCount, 'count', d.id),
  ];
  const finding: Finding = {
    id: 'breaks',
    title: `${METRIC_LABELS[p.metric]} structural breaks, ${p.sector}`,
    summary,
    metrics,
    citations: [d.id],
  };
  return result('breaks', effective, series, [finding], [d], w, p.frequency);
}
