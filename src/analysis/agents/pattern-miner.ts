/**
 * PatternMiner (analysis spec §3.3): relations between ts_<metric>_<frequency> series aligned on common periods
 * (stableRelations, driverScreen) and calendar-month effects of one monthly series (seasonalEffects).
 *
 * A pair (driver x, outcome y) with n aligned points gets effect (rank or linear correlation, null as 0), support
 * min(1, n / min_support), stability over three contiguous segments, composite |effect| · support · stability and a
 * strength band; pairs with |effect| < 0.15 are flat and dropped. Retention and attrition never drive each other.
 */
import {
  AnalysisError,
  SECTORS,
  SERIES_METRICS,
  type AgentResult,
  type DataClient,
  type DerivedResult,
  type Finding,
  type FindingMetric,
  type Intent,
  type QueryResult,
  type SectorOrAll,
  type SeriesMetric,
} from '../model.js';
import { derive } from '../derived.js';
import { cite, formatCount, formatDecimal3, formatParam, formatPercent, formatValue } from '../format.js';
import { mean, pearson, sdPopulation, spearman } from '../math/stats.js';
import {
  METRIC_LABELS,
  METRIC_UNITS,
  periodMonth,
  periodOrdinal,
  seriesQueryId,
  type FrequencyChoice,
  type SeriesFrequency,
} from '../series.js';
import {
  changeField,
  checkMetric,
  defined,
  isSector,
  levelField,
  listWords,
  metricOf,
  metricWords,
  mirrorOf,
  newContext,
  numberCell,
  readChecked,
  sectorRank,
  type ReadContext,
} from './pattern-detective.js';

export const PATTERN_MINER = 'PatternMiner';

/** A pair or cell with fewer aligned points is skipped (§3.3 driverScreen; also the pair minimum elsewhere). */
export const PAIR_MIN_POINTS = 4;
/** |effect| below this is flat and the pair is dropped. */
export const FLAT_EFFECT = 0.15;
/** |effect| above these is strong / moderate; otherwise weak. */
export const STRONG_EFFECT = 0.7;
export const MODERATE_EFFECT = 0.4;
export const STABILITY_SEGMENTS = 3;
/** A segment shorter than this gives the fallback stability. */
export const SEGMENT_MIN_POINTS = 4;
export const STABILITY_FALLBACK_VALUE = 0.5;
/** seasonalEffects needs at least this many monthly points. */
export const SEASONAL_MIN_POINTS = 24;
export const LIFT_CLAMP_PERCENT = 500;
/** driverScreen reports this many cells. */
export const DRIVER_SCREEN_TOP = 8;
/** Relations named in the stableRelations summary. */
export const STABLE_RELATIONS_SHOWN = 3;

export type CorrelationMethod = 'spearman' | 'pearson';
export type Strength = 'strong' | 'moderate' | 'weak' | 'flat';
/** A window in points, or "all" (every aligned point). */
export type PointWindow = number | 'all';

const SERIES_FIELDS = ['period', 'sector', 'value'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Pair statistics (§3.3 common quantities)
// ---------------------------------------------------------------------------------------------------------------

export interface PairStats {
  n: number;
  /** Clamped to [−1, 1]; an undefined correlation counts as 0. */
  effect: number;
  /** true when the correlation was undefined (zero variance or n < 3). */
  undefinedEffect: boolean;
  support: number;
  stability: number;
  stabilityFallback: boolean;
  /** The three segment effects, or null under the fallback. */
  segmentEffects: [number, number, number] | null;
  composite: number;
  strength: Strength;
}

function rawEffect(x: readonly number[], y: readonly number[], method: CorrelationMethod): number | null {
  const r = method === 'pearson' ? pearson(x, y) : spearman(x, y);
  return r === null || !Number.isFinite(r) ? null : Math.max(-1, Math.min(1, r));
}

/** Sizes of the three contiguous segments: ⌊n/3⌋ each, the first (n mod 3) one point longer. */
export function segmentSizes(n: number): [number, number, number] {
  const base = Math.floor(n / STABILITY_SEGMENTS);
  const extra = n % STABILITY_SEGMENTS;
  return [base + (extra > 0 ? 1 : 0), base + (extra > 1 ? 1 : 0), base];
}

export function strengthOf(effect: number): Strength {
  const a = Math.abs(effect);
  return a > STRONG_EFFECT ? 'strong' : a > MODERATE_EFFECT ? 'moderate' : a >= FLAT_EFFECT ? 'weak' : 'flat';
}

/** effect, support, stability, composite and strength of aligned x (driver) and y (outcome). */
export function pairStats(
  x: readonly number[],
  y: readonly number[],
  method: CorrelationMethod,
  minSupport: number,
): PairStats {
  const n = Math.min(x.length, y.length);
  const r = rawEffect(x.slice(0, n), y.slice(0, n), method);
  const effect = r ?? 0;
  const support = minSupport > 0 ? Math.min(1, n / minSupport) : 1;
  const sizes = segmentSizes(n);
  let stability = STABILITY_FALLBACK_VALUE;
  let fallback = true;
  let segmentEffects: [number, number, number] | null = null;
  if (sizes.every((s) => s >= SEGMENT_MIN_POINTS)) {
    fallback = false;
    const seg: number[] = [];
    let from = 0;
    for (const size of sizes) {
      seg.push(rawEffect(x.slice(from, from + size), y.slice(from, from + size), method) ?? 0);
      from += size;
    }
    segmentEffects = [seg[0]!, seg[1]!, seg[2]!];
    const spread = sdPopulation(seg) ?? 0;
    const sameSign = seg.filter((r2) => r2 !== 0 && effect !== 0 && Math.sign(r2) === Math.sign(effect)).length;
    stability = Math.max(0, 1 - spread) * (sameSign / STABILITY_SEGMENTS);
  }
  const composite = Math.abs(effect) * support * stability;
  return {
    n,
    effect,
    undefinedEffect: r === null,
    support,
    stability,
    stabilityFallback: fallback,
    segmentEffects,
    composite,
    strength: strengthOf(effect),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Series access
// ---------------------------------------------------------------------------------------------------------------

/** One sector's non-null points of a series result: period label → value (suppressed cells are missing). */
export interface SectorSeries {
  points: Map<string, number>;
  /** Rows of the sector with a null, non-numeric or suppressed value. */
  missing: number;
  /** Whether the result has any row for the sector. */
  present: boolean;
}

export function sectorSeries(result: QueryResult, sector: SectorOrAll): SectorSeries {
  const points = new Map<string, number>();
  let missing = 0;
  let present = false;
  for (const row of result.rows) {
    if (row.get('sector') !== sector) continue;
    const period = row.get('period');
    if (period === null || period === undefined) continue;
    const label = String(period);
    if (periodOrdinal(label) === null) continue;
    present = true;
    const v = numberCell(row.get('value'));
    if (v === null || row.get('suppressed') === true) {
      missing++;
      continue;
    }
    if (!points.has(label)) points.set(label, v);
  }
  return { points, missing, present };
}

const byPeriod = (a: string, b: string): number => periodOrdinal(a)! - periodOrdinal(b)!;

/** Periods present in both series, ascending, with the two value lists. */
export function alignSeries(
  x: ReadonlyMap<string, number>,
  y: ReadonlyMap<string, number>,
): { periods: string[]; x: number[]; y: number[] } {
  const periods = [...x.keys()].filter((p) => y.has(p)).sort(byPeriod);
  return { periods, x: periods.map((p) => x.get(p)!), y: periods.map((p) => y.get(p)!) };
}

/** The last `window` aligned points ("all" keeps every point). */
function lastPoints<T>(xs: readonly T[], window: PointWindow): T[] {
  return window === 'all' || window >= xs.length ? [...xs] : xs.slice(xs.length - window);
}

/**
 * The series result of a metric at a frequency. The DataClient runs registered ids without arguments, so the
 * rows are whatever the registry returns; each caller filters the sector it needs.
 */
async function readSeries(
  client: DataClient,
  metric: SeriesMetric,
  frequency: SeriesFrequency,
  ctx: ReadContext,
): Promise<QueryResult | null> {
  return readChecked(client, seriesQueryId(metric, frequency), SERIES_FIELDS, ctx);
}

/**
 * Frequency selection (§1.4): annual when asked; otherwise monthly when every metric's monthly id is registered
 * and (auto) some sector of `sectors` has at least `minPoints` monthly values of the first metric; else annual with
 * FREQ_FALLBACK_ANNUAL when a monthly id exists or monthly was asked for.
 */
async function chooseFrequency(
  client: DataClient,
  metrics: readonly SeriesMetric[],
  sectors: readonly SectorOrAll[],
  choice: FrequencyChoice,
  minPoints: number,
  ctx: ReadContext,
): Promise<SeriesFrequency> {
  if (choice === 'annual') return 'annual';
  const ids = metrics.map((m) => seriesQueryId(m, 'monthly'));
  const registered = ids.filter((id) => client.has(id));
  if (registered.length < ids.length) {
    if (choice === 'monthly' || registered.length > 0) {
      ctx.w.add('FREQ_FALLBACK_ANNUAL', `${ctx.what}: not every monthly series is registered; using annual series`, {
        missing: ids.filter((id) => !client.has(id)),
      });
    }
    return 'annual';
  }
  if (choice === 'monthly') return 'monthly';
  const probe = newContext(ctx.what);
  const first = await readSeries(client, metrics[0]!, 'monthly', probe);
  for (const id of probe.sources) if (!ctx.sources.includes(id)) ctx.sources.push(id);
  const have = first === null ? 0 : Math.max(0, ...sectors.map((s) => sectorSeries(first, s).points.size));
  if (first !== null && have >= minPoints) return 'monthly';
  ctx.w.add(
    'FREQ_FALLBACK_ANNUAL',
    `${ctx.what}: the monthly series has fewer than ${minPoints} usable points; using the annual series`,
    { monthly_points: have, need: minPoints },
  );
  return 'annual';
}

function minerResult(
  method: string,
  intent: Intent,
  params: Record<string, unknown>,
  findings: Finding[],
  derived: DerivedResult[],
  ctx: ReadContext,
  frequency: SeriesFrequency,
): AgentResult {
  return {
    agent: PATTERN_MINER,
    method,
    intent,
    params,
    findings,
    derived,
    sources: [...ctx.sources],
    warnings: ctx.w.list(),
    frequency,
  };
}

function checkSectorOrAll(v: unknown, fallback: SectorOrAll): SectorOrAll {
  if (v === null || v === undefined) return fallback;
  if (v === 'ALL' || isSector(v)) return v;
  throw new AnalysisError('unknown_sector', `unknown sector '${String(v)}'`);
}

function checkFrequency(v: unknown): FrequencyChoice {
  if (v === 'auto' || v === 'monthly' || v === 'annual') return v;
  throw new AnalysisError('invalid_param', "params.frequency must be 'auto', 'monthly' or 'annual'");
}

function checkMethod(v: unknown): CorrelationMethod {
  if (v === 'spearman' || v === 'pearson') return v;
  throw new AnalysisError('invalid_param', "params.method must be 'spearman' or 'pearson'");
}

function checkWindow(name: string, v: unknown): PointWindow {
  if (v === 'all') return 'all';
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  throw new AnalysisError('invalid_param', `params.${name} must be a positive integer or 'all'`);
}

function optionalPositive(name: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  throw new AnalysisError('invalid_param', `params.${name} must be a number greater than 0`);
}

const windowWords = (w: PointWindow): string => (w === 'all' ? 'all points' : `the last ${formatCount(w)} points`);

function pairFields(): ReturnType<typeof levelField>[] {
  return [
    levelField('effect', 'ratio'),
    levelField('support', 'ratio'),
    levelField('stability', 'ratio'),
    levelField('composite', 'ratio'),
    levelField('n', 'count'),
    levelField('strength', 'text'),
    levelField('segment_1', 'ratio'),
    levelField('segment_2', 'ratio'),
    levelField('segment_3', 'ratio'),
  ];
}

function pairRow(s: PairStats): Record<string, number | string | null> {
  return {
    effect: s.effect,
    support: s.support,
    stability: s.stability,
    composite: s.composite,
    n: s.n,
    strength: s.strength,
    segment_1: s.segmentEffects?.[0] ?? null,
    segment_2: s.segmentEffects?.[1] ?? null,
    segment_3: s.segmentEffects?.[2] ?? null,
  };
}

function pairText(s: PairStats): string {
  return `effect ${formatDecimal3(s.effect)} (${s.strength}), support ${formatDecimal3(s.support)}, stability ${formatDecimal3(s.stability)}, composite ${formatDecimal3(s.composite)} over ${formatCount(s.n)} points`;
}

/** Thresholds every pair-based derived result records, so the text can cite them. */
const PAIR_CONSTANTS = {
  flat_threshold: FLAT_EFFECT,
  strong_threshold: STRONG_EFFECT,
  moderate_threshold: MODERATE_EFFECT,
  segments: STABILITY_SEGMENTS,
  segment_min_points: SEGMENT_MIN_POINTS,
  stability_fallback: STABILITY_FALLBACK_VALUE,
  min_points: PAIR_MIN_POINTS,
};

// ---------------------------------------------------------------------------------------------------------------
// stableRelations
// ---------------------------------------------------------------------------------------------------------------

export interface StableRelationsParams {
  /** Required at the agent endpoint; /ask defaults it to retention. */
  outcome?: SeriesMetric;
  /** Default: the other series metrics, mirror excluded. */
  drivers?: SeriesMetric[] | null;
  sector?: SectorOrAll;
  /** Default: 24 points (monthly) or all (annual). */
  window?: PointWindow | null;
  /** Default: 12 (monthly) or 6 (annual). */
  min_support?: number | null;
  method?: CorrelationMethod;
  frequency?: FrequencyChoice;
}

export const STABLE_RELATIONS_DEFAULTS = {
  outcome: 'retention',
  drivers: null,
  sector: 'ALL',
  window: null,
  min_support: null,
  method: 'spearman',
  frequency: 'auto',
} as const satisfies StableRelationsParams;

export const STABLE_RELATIONS_WINDOW = { monthly: 24, annual: 'all' } as const;
export const MIN_SUPPORT_DEFAULT = { monthly: 12, annual: 6 } as const;

/** The other series metrics, the outcome's mirror excluded, in metric order. */
export function seriesDrivers(outcome: SeriesMetric): SeriesMetric[] {
  return SERIES_METRICS.filter((m) => m !== outcome && m !== mirrorOf(outcome));
}

interface Relation {
  driver: SeriesMetric;
  stats: PairStats;
  start: string;
  end: string;
}

/** PatternMiner.stableRelations: every driver against the outcome over the last `window` aligned points. */
export async function stableRelations(client: DataClient, params: StableRelationsParams): Promise<AgentResult> {
  const merged = { ...STABLE_RELATIONS_DEFAULTS, ...defined(params) };
  const outcome = checkMetric('pattern.stable_relations', merged.outcome, SERIES_METRICS);
  const requested =
    merged.drivers === null
      ? seriesDrivers(outcome)
      : (merged.drivers as readonly unknown[]).map((d) => checkMetric('pattern.stable_relations', d, SERIES_METRICS));
  const excluded = [...new Set(requested.filter((d) => d === outcome || d === mirrorOf(outcome)))];
  const drivers = SERIES_METRICS.filter((m) => requested.includes(m) && !excluded.includes(m));
  if (drivers.length === 0) {
    throw new AnalysisError(
      'invalid_param',
      `no usable driver for ${outcome}: the outcome and its mirror are never drivers of each other`,
    );
  }
  const sector = checkSectorOrAll(merged.sector, 'ALL');
  const method = checkMethod(merged.method);
  const choice = checkFrequency(merged.frequency);
  const windowParam = merged.window === null ? null : checkWindow('window', merged.window);
  const minSupportParam = optionalPositive('min_support', merged.min_support);
  const ctx = newContext(`${PATTERN_MINER}.stableRelations`);

  const frequency = await chooseFrequency(client, [outcome, ...drivers], [sector], choice, PAIR_MIN_POINTS, ctx);
  const window: PointWindow = windowParam ?? STABLE_RELATIONS_WINDOW[frequency];
  const minSupport = minSupportParam ?? MIN_SUPPORT_DEFAULT[frequency];
  const effective = {
    outcome,
    drivers,
    sector,
    window,
    min_support: minSupport,
    method,
    frequency,
  };
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    minerResult('stableRelations', 'pattern.stable_relations', effective, findings, derived, ctx, frequency);

  const yResult = await readSeries(client, outcome, frequency, ctx);
  if (!yResult) return done([], []);
  const y = sectorSeries(yResult, sector);
  if (y.missing > 0) {
    ctx.w.add('MISSING_VALUES', `${ctx.what}: ${y.missing} null or suppressed ${outcome} value(s) dropped`, {
      count: y.missing,
      metric: outcome,
    });
  }
  if (y.points.size < PAIR_MIN_POINTS) {
    ctx.w.insufficient(y.points.size, PAIR_MIN_POINTS, `${ctx.what}: ${outcome} for ${sector}`);
    return done([], []);
  }

  const inputs: QueryResult[] = [yResult];
  const relations: Relation[] = [];
  const flat: SeriesMetric[] = [];
  const skipped: { driver: SeriesMetric; n: number }[] = [];
  for (const driver of drivers) {
    const xResult = await readSeries(client, driver, frequency, ctx);
    if (!xResult) {
      skipped.push({ driver, n: 0 });
      continue;
    }
    inputs.push(xResult);
    const x = sectorSeries(xResult, sector);
    if (x.missing > 0) {
      ctx.w.add('MISSING_VALUES', `${ctx.what}: ${x.missing} null or suppressed ${driver} value(s) dropped`, {
        count: x.missing,
        metric: driver,
      });
    }
    const aligned = alignSeries(x.points, y.points);
    const periods = lastPoints(aligned.periods, window);
    if (periods.length < PAIR_MIN_POINTS) {
      skipped.push({ driver, n: periods.length });
      continue;
    }
    const stats = pairStats(lastPoints(aligned.x, window), lastPoints(aligned.y, window), method, minSupport);
    if (stats.undefinedEffect) {
      ctx.w.add(
        'ZERO_VARIANCE',
        `${ctx.what}: the ${driver}/${outcome} correlation is undefined; effect counted as 0`,
        {
          driver,
          outcome,
        },
      );
    }
    if (stats.strength === 'flat') {
      flat.push(driver);
      continue;
    }
    relations.push({ driver, stats, start: periods[0]!, end: periods[periods.length - 1]! });
  }
  const fallbacks = relations.filter((r) => r.stats.stabilityFallback).map((r) => r.driver);
  if (fallbacks.length > 0) {
    ctx.w.add(
      'STABILITY_FALLBACK',
      `${ctx.what}: a segment has fewer than ${SEGMENT_MIN_POINTS} points; stability is ${STABILITY_FALLBACK_VALUE} for ${fallbacks.join(', ')}`,
      { drivers: fallbacks, segment_min_points: SEGMENT_MIN_POINTS },
    );
  }
  if (relations.length === 0 && flat.length === 0) {
    const most = Math.max(0, ...skipped.map((s) => s.n));
    ctx.w.insufficient(most, PAIR_MIN_POINTS, `${ctx.what}: aligned points of every driver with ${outcome}`);
    return done([], []);
  }
  relations.sort(
    (a, b) => b.stats.composite - a.stats.composite || (a.driver < b.driver ? -1 : a.driver > b.driver ? 1 : 0),
  );

  const table = derive({
    operation: 'pm_stable_relations',
    inputs,
    params: { ...effective, window: window === 'all' ? 'all' : window, ...PAIR_CONSTANTS },
    fields: [levelField('driver', 'text'), ...pairFields(), levelField('start', 'text'), levelField('end', 'text')],
    rows: relations.map((r) => ({ driver: r.driver, ...pairRow(r.stats), start: r.start, end: r.end })),
  });
  const D = table.id;
  const freqWord = frequency === 'monthly' ? 'monthly' : 'annual';
  const methodName = method === 'spearman' ? 'Spearman' : 'Pearson';
  const lines = [
    `Relations of ${listWords(drivers.map(metricWords))} with ${metricWords(outcome)} (${sector}, ${freqWord} series, ${windowWords(window)}, ${methodName}) ${cite(D)}.`,
  ];
  if (relations.length === 0) {
    lines.push(`No driver reaches an absolute effect of ${formatParam(FLAT_EFFECT)}; every pair is flat ${cite(D)}.`);
  } else {
    for (const r of relations.slice(0, STABLE_RELATIONS_SHOWN)) {
      lines.push(`${METRIC_LABELS[r.driver]}: ${pairText(r.stats)}, ${r.start} to ${r.end} ${cite(D)}.`);
    }
  }
  if (flat.length > 0) {
    lines.push(
      `Dropped as flat (absolute effect below ${formatParam(FLAT_EFFECT)}): ${listWords(flat.map(metricWords))} ${cite(D)}.`,
    );
  }
  if (fallbacks.length > 0) {
    lines.push(
      `With fewer than ${formatCount(SEGMENT_MIN_POINTS)} points per segment, stability is set to ${formatParam(STABILITY_FALLBACK_VALUE)} ${cite(D)}.`,
    );
  }
  if (skipped.length > 0) {
    lines.push(
      `Too few aligned points (under ${formatCount(PAIR_MIN_POINTS)}) for ${listWords(skipped.map((s) => metricWords(s.driver)))} ${cite(D)}.`,
    );
  }
  if (excluded.length > 0) {
    lines.push(`Not used as drivers: ${listWords(excluded.map(metricWords))} (the outcome or its mirror).`);
  }
  lines.push('A stable relation is an association, not a cause.');
  const top = relations[0];
  const metrics: FindingMetric[] = [metricOf('relation_count', 'Non-flat relations', relations.length, 'count', D)];
  if (top) {
    metrics.push(metricOf('top_driver', 'Strongest stable driver', top.driver, 'text', D));
    metrics.push(metricOf('top_effect', 'Effect', top.stats.effect, 'ratio', D));
    metrics.push(metricOf('top_composite', 'Composite score', top.stats.composite, 'ratio', D));
    metrics.push(metricOf('top_strength', 'Strength', top.stats.strength, 'text', D));
  }
  const finding: Finding = {
    id: 'stable_relations',
    title: `Stable relations with ${metricWords(outcome)}, ${sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [D],
  };
  return done([finding], [table]);
}

// ---------------------------------------------------------------------------------------------------------------
// seasonalEffects
// ---------------------------------------------------------------------------------------------------------------

export interface SeasonalEffectsParams {
  /** Required at the agent endpoint; /ask defaults it to employment. */
  outcome?: SeriesMetric;
  sector?: SectorOrAll;
  min_support?: number;
  min_lift_percent?: number;
}

export const SEASONAL_EFFECTS_DEFAULTS = {
  outcome: 'employment',
  sector: 'ALL',
  min_support: 24,
  min_lift_percent: 15,
} as const satisfies SeasonalEffectsParams;

export const MONTH_NAMES = [
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
] as const;

/**
 * PatternMiner.seasonalEffects: per calendar month, the lift of its mean over the overall mean (monthly series of
 * at least 24 points, longest contiguous tail).
 */
export async function seasonalEffects(client: DataClient, params: SeasonalEffectsParams): Promise<AgentResult> {
  const merged = { ...SEASONAL_EFFECTS_DEFAULTS, ...defined(params) };
  const outcome = checkMetric('pattern.seasonal_effects', merged.outcome, SERIES_METRICS);
  const sector = checkSectorOrAll(merged.sector, 'ALL');
  const minSupport = optionalPositive('min_support', merged.min_support) ?? SEASONAL_EFFECTS_DEFAULTS.min_support;
  const minLift = merged.min_lift_percent;
  if (typeof minLift !== 'number' || !Number.isFinite(minLift) || minLift < 0) {
    throw new AnalysisError('invalid_param', 'params.min_lift_percent must be a number of at least 0');
  }
  const effective = { outcome, sector, min_support: minSupport, min_lift_percent: minLift };
  const ctx = newContext(`${PATTERN_MINER}.seasonalEffects`);
  const monthlyId = seriesQueryId(outcome, 'monthly');
  if (!client.has(monthlyId)) {
    ctx.w.add('SEASONALITY_REQUIRES_MONTHLY', `${ctx.what}: no monthly ${outcome} series is registered`, {
      query_id: monthlyId,
    });
    return minerResult('seasonalEffects', 'pattern.seasonal_effects', effective, [], [], ctx, 'annual');
  }
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    minerResult('seasonalEffects', 'pattern.seasonal_effects', effective, findings, derived, ctx, 'monthly');
  const result = await readSeries(client, outcome, 'monthly', ctx);
  if (!result) return done([], []);
  const s = sectorSeries(result, sector);
  if (s.missing > 0) {
    ctx.w.add('MISSING_VALUES', `${ctx.what}: ${s.missing} null or suppressed value(s) dropped`, { count: s.missing });
  }
  let periods = [...s.points.keys()].sort(byPeriod);
  // Longest contiguous tail (§1.4).
  let t = periods.length - 1;
  while (t > 0 && periodOrdinal(periods[t]!)! - periodOrdinal(periods[t - 1]!)! === 1) t--;
  if (t > 0) {
    ctx.w.add('SERIES_GAP', `${ctx.what}: the series has a gap before ${periods[t]}; using the contiguous tail`, {
      dropped: t,
      tail_start: periods[t],
    });
    periods = periods.slice(t);
  }
  const n = periods.length;
  if (n < SEASONAL_MIN_POINTS) {
    ctx.w.insufficient(n, SEASONAL_MIN_POINTS, `${ctx.what}: monthly ${outcome} for ${sector}`);
    return done([], []);
  }
  const values = periods.map((p) => s.points.get(p)!);
  const overall = mean(values)!;
  const perMonth = minSupport / 12;
  const minMonthPoints = Math.max(2, Math.floor(perMonth));
  const unit = METRIC_UNITS[outcome];
  const months: { month: number; n: number; mean: number; lift: number | null; support: number }[] = [];
  const thin: number[] = [];
  for (let m = 1; m <= 12; m++) {
    const vals = values.filter((_, i) => periodMonth(periods[i]!) === m);
    if (vals.length < minMonthPoints) {
      thin.push(m);
      continue;
    }
    const mm = mean(vals)!;
    const lift =
      overall === 0
        ? null
        : ctx.w.finite(
            Math.max(-LIFT_CLAMP_PERCENT, Math.min(LIFT_CLAMP_PERCENT, ((mm - overall) / Math.abs(overall)) * 100)),
            'lift_percent',
          );
    months.push({ month: m, n: vals.length, mean: mm, lift, support: Math.min(1, vals.length / perMonth) });
  }
  if (months.length === 0) {
    ctx.w.insufficient(0, minMonthPoints, `${ctx.what}: points per calendar month`);
    return done([], []);
  }
  months.sort((a, b) => {
    const la = a.lift ?? -Infinity;
    const lb = b.lift ?? -Infinity;
    return lb - la || a.month - b.month;
  });
  const withLift = months.filter((m) => m.lift !== null);
  const peak = withLift[0] ?? null;
  const trough = withLift.length > 0 ? withLift[withLift.length - 1]! : null;
  const notable = withLift.filter((m) => Math.abs(m.lift!) >= minLift);
  const table = derive({
    operation: 'pm_seasonal_months',
    inputs: [result],
    params: { outcome, sector, min_support: minSupport, min_month_points: minMonthPoints },
    fields: [
      levelField('month', 'index'),
      levelField('month_name', 'text'),
      levelField('n', 'count'),
      levelField('mean', unit),
      changeField('lift_percent', 'percent'),
      levelField('support', 'ratio'),
      levelField('notable', 'text'),
    ],
    rows: months.map((m) => ({
      month: m.month,
      month_name: MONTH_NAMES[m.month - 1]!,
      n: m.n,
      mean: m.mean,
      lift_percent: m.lift,
      support: m.support,
      notable: m.lift !== null && Math.abs(m.lift) >= minLift,
    })),
  });
  const summary = derive({
    operation: 'pm_seasonal_effects',
    inputs: [table],
    params: { ...effective, min_month_points: minMonthPoints, lift_clamp_percent: LIFT_CLAMP_PERCENT },
    fields: [
      levelField('n_points', 'count'),
      levelField('start', 'text'),
      levelField('end', 'text'),
      levelField('overall_mean', unit),
      levelField('months_scored', 'count'),
      levelField('peak_month', 'text'),
      changeField('peak_lift_percent', 'percent'),
      levelField('trough_month', 'text'),
      changeField('trough_lift_percent', 'percent'),
      levelField('notable_count', 'count'),
    ],
    rows: [
      {
        n_points: n,
        start: periods[0]!,
        end: periods[n - 1]!,
        overall_mean: overall,
        months_scored: months.length,
        peak_month: peak ? MONTH_NAMES[peak.month - 1]! : null,
        peak_lift_percent: peak ? peak.lift : null,
        trough_month: trough ? MONTH_NAMES[trough.month - 1]! : null,
        trough_lift_percent: trough ? trough.lift : null,
        notable_count: notable.length,
      },
    ],
  });
  const S = summary.id;
  const T = table.id;
  const lines = [
    `Monthly ${metricWords(outcome)} for ${sector}, ${periods[0]} to ${periods[n - 1]}: ${formatCount(n)} points with a mean of ${formatValue(overall, unit)} ${cite(result.query_id, S)}.`,
  ];
  if (peak && trough) {
    lines.push(
      `The peak month is ${MONTH_NAMES[peak.month - 1]} (lift ${formatPercent(peak.lift)}) and the trough is ${MONTH_NAMES[trough.month - 1]} (lift ${formatPercent(trough.lift)}) ${cite(S)}.`,
    );
  } else {
    lines.push('The overall mean is zero, so no lift is defined.');
  }
  lines.push(
    notable.length > 0
      ? `Months with an absolute lift of at least ${formatPercent(minLift)}: ${notable.map((m) => `${MONTH_NAMES[m.month - 1]} ${formatPercent(m.lift)}`).join(', ')} ${cite(S, T)}.`
      : `No month reaches an absolute lift of ${formatPercent(minLift)} ${cite(S)}.`,
  );
  if (thin.length > 0) {
    lines.push(
      `Months with fewer than ${formatCount(minMonthPoints)} points are not scored: ${listWords(thin.map((m) => MONTH_NAMES[m - 1]!))} ${cite(S)}.`,
    );
  }
  const metrics: FindingMetric[] = [
    metricOf('peak_month', 'Peak month', peak ? MONTH_NAMES[peak.month - 1]! : null, 'text', S),
    metricOf('peak_lift_percent', 'Peak lift', peak ? peak.lift : null, 'percent', S),
    metricOf('trough_month', 'Trough month', trough ? MONTH_NAMES[trough.month - 1]! : null, 'text', S),
    metricOf('trough_lift_percent', 'Trough lift', trough ? trough.lift : null, 'percent', S),
    metricOf('notable_count', 'Notable months', notable.length, 'count', S),
  ];
  const finding: Finding = {
    id: 'seasonal_effects',
    title: `Seasonal effects in ${metricWords(outcome)}, ${sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [result.query_id, S, T],
  };
  return done([finding], [summary, table]);
}

// ---------------------------------------------------------------------------------------------------------------
// driverScreen
// ---------------------------------------------------------------------------------------------------------------

export interface DriverScreenParams {
  /** Required at the agent endpoint; /ask defaults them to avg_salary and retention. */
  driver?: SeriesMetric;
  outcome?: SeriesMetric;
  /** Default: the ten sectors; at most 30. */
  cohorts?: SectorOrAll[] | null;
  /** Default: [12, 24] (monthly) or ["all"] (annual). */
  windows?: PointWindow[] | null;
  /** Default: 12 (monthly) or 6 (annual). */
  min_support?: number | null;
  method?: CorrelationMethod;
  frequency?: FrequencyChoice;
}

export const DRIVER_SCREEN_DEFAULTS = {
  driver: 'avg_salary',
  outcome: 'retention',
  cohorts: null,
  windows: null,
  min_support: null,
  method: 'spearman',
  frequency: 'auto',
} as const satisfies DriverScreenParams;

export const DRIVER_SCREEN_WINDOWS = { monthly: [12, 24], annual: ['all'] } as const;
export const MAX_COHORTS = 30;

interface Cell {
  cohort: SectorOrAll;
  window: PointWindow;
  stats: PairStats;
}

const windowOrder = (w: PointWindow): number => (w === 'all' ? Number.MAX_SAFE_INTEGER : w);

/** PatternMiner.driverScreen: one driver against one outcome per cohort (sector) and window. */
export async function driverScreen(client: DataClient, params: DriverScreenParams): Promise<AgentResult> {
  const merged = { ...DRIVER_SCREEN_DEFAULTS, ...defined(params) };
  const driver = checkMetric('pattern.driver_screen', merged.driver, SERIES_METRICS);
  const outcome = checkMetric('pattern.driver_screen', merged.outcome, SERIES_METRICS);
  if (driver === outcome || mirrorOf(outcome) === driver) {
    throw new AnalysisError(
      'invalid_param',
      `${driver} cannot be screened as a driver of ${outcome}: ${driver === outcome ? 'they are the same metric' : 'retention and attrition are a mirror pair'}`,
    );
  }
  const cohortList = merged.cohorts === null ? [...SECTORS] : (merged.cohorts as readonly unknown[]);
  if (!Array.isArray(cohortList) || cohortList.length === 0 || cohortList.length > MAX_COHORTS) {
    throw new AnalysisError('invalid_param', `params.cohorts must hold 1..${MAX_COHORTS} sectors`);
  }
  const cohorts = [...new Set(cohortList.map((c) => checkSectorOrAll(c, 'ALL')))].sort(
    (a, b) => sectorRank(a) - sectorRank(b),
  );
  const method = checkMethod(merged.method);
  const choice = checkFrequency(merged.frequency);
  const windowsParam =
    merged.windows === null
      ? null
      : (merged.windows as readonly unknown[]).map((w, i) => checkWindow(`windows[${i}]`, w));
  if (windowsParam !== null && windowsParam.length === 0) {
    throw new AnalysisError('invalid_param', 'params.windows must hold at least one window');
  }
  const minSupportParam = optionalPositive('min_support', merged.min_support);
  const ctx = newContext(`${PATTERN_MINER}.driverScreen`);
  const frequency = await chooseFrequency(client, [outcome, driver], cohorts, choice, PAIR_MIN_POINTS, ctx);
  const windows = [...new Set(windowsParam ?? [...DRIVER_SCREEN_WINDOWS[frequency]])].sort(
    (a, b) => windowOrder(a) - windowOrder(b),
  );
  const minSupport = minSupportParam ?? MIN_SUPPORT_DEFAULT[frequency];
  const effective = { driver, outcome, cohorts, windows, min_support: minSupport, method, frequency };
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    minerResult('driverScreen', 'pattern.driver_screen', effective, findings, derived, ctx, frequency);

  const yResult = await readSeries(client, outcome, frequency, ctx);
  const xResult = await readSeries(client, driver, frequency, ctx);
  if (!yResult || !xResult) return done([], []);

  const cells: Cell[] = [];
  const skippedCells: { cohort: SectorOrAll; window: PointWindow; n: number }[] = [];
  let most = 0;
  for (const cohort of cohorts) {
    const y = sectorSeries(yResult, cohort);
    const x = sectorSeries(xResult, cohort);
    if (!y.present || !x.present) {
      ctx.w.add('SECTOR_SKIPPED', `${ctx.what}: no ${!y.present ? outcome : driver} rows for ${cohort}`, {
        sector: cohort,
        metric: !y.present ? outcome : driver,
      });
      continue;
    }
    const missing = x.missing + y.missing;
    if (missing > 0) {
      ctx.w.add('MISSING_VALUES', `${ctx.what}: ${missing} null or suppressed value(s) dropped for ${cohort}`, {
        count: missing,
        sector: cohort,
      });
    }
    const aligned = alignSeries(x.points, y.points);
    most = Math.max(most, aligned.periods.length);
    for (const w of windows) {
      const xs = lastPoints(aligned.x, w);
      const ys = lastPoints(aligned.y, w);
      if (xs.length < PAIR_MIN_POINTS) {
        skippedCells.push({ cohort, window: w, n: xs.length });
        continue;
      }
      cells.push({ cohort, window: w, stats: pairStats(xs, ys, method, minSupport) });
    }
  }
  if (cells.length === 0) {
    ctx.w.insufficient(most, PAIR_MIN_POINTS, `${ctx.what}: aligned ${driver}/${outcome} points in any cohort`);
    return done([], []);
  }
  const undefinedCells = cells.filter((c) => c.stats.undefinedEffect);
  if (undefinedCells.length > 0) {
    ctx.w.add(
      'ZERO_VARIANCE',
      `${ctx.what}: ${undefinedCells.length} cell(s) have an undefined correlation, counted as 0`,
      {
        cells: undefinedCells.map((c) => ({ cohort: c.cohort, window: c.window })),
      },
    );
  }
  const fallbackCells = cells.filter((c) => c.stats.stabilityFallback);
  if (fallbackCells.length > 0) {
    ctx.w.add(
      'STABILITY_FALLBACK',
      `${ctx.what}: ${fallbackCells.length} cell(s) have a segment under ${SEGMENT_MIN_POINTS} points; stability ${STABILITY_FALLBACK_VALUE}`,
      { cells: fallbackCells.map((c) => ({ cohort: c.cohort, window: c.window })) },
    );
  }
  const ranked = cells
    .filter((c) => c.stats.strength !== 'flat')
    .sort(
      (a, b) =>
        b.stats.composite - a.stats.composite ||
        sectorRank(a.cohort) - sectorRank(b.cohort) ||
        windowOrder(a.window) - windowOrder(b.window),
    );
  const top = ranked.slice(0, DRIVER_SCREEN_TOP);
  // Sign consistency across windows (monthly, cohorts with at least two computed windows).
  const consistent: SectorOrAll[] = [];
  if (frequency === 'monthly') {
    for (const cohort of cohorts) {
      const effects = cells.filter((c) => c.cohort === cohort).map((c) => c.stats.effect);
      if (effects.length >= 2 && (effects.every((e) => e > 0) || effects.every((e) => e < 0))) consistent.push(cohort);
    }
  }
  const table = derive({
    operation: 'pm_driver_screen_cells',
    inputs: [xResult, yResult],
    params: { ...effective, ...PAIR_CONSTANTS },
    fields: [
      levelField('cohort', 'text'),
      levelField('window', 'text'),
      ...pairFields(),
      levelField('top_rank', 'rank'),
    ],
    rows: cells.map((c) => ({
      cohort: c.cohort,
      window: c.window,
      ...pairRow(c.stats),
      top_rank: top.includes(c) ? top.indexOf(c) + 1 : null,
    })),
  });
  const best = top[0] ?? null;
  const summary = derive({
    operation: 'pm_driver_screen',
    inputs: [table],
    params: { ...effective, top: DRIVER_SCREEN_TOP, ...PAIR_CONSTANTS },
    fields: [
      levelField('cohort_count', 'count'),
      levelField('cells_computed', 'count'),
      levelField('cells_skipped', 'count'),
      levelField('cells_flat', 'count'),
      levelField('top_cohort', 'text'),
      levelField('top_window', 'text'),
      levelField('top_effect', 'ratio'),
      levelField('top_composite', 'ratio'),
      levelField('cross_window_consistent_count', 'count'),
    ],
    rows: [
      {
        cohort_count: cohorts.length,
        cells_computed: cells.length,
        cells_skipped: skippedCells.length,
        cells_flat: cells.length - ranked.length,
        top_cohort: best ? best.cohort : null,
        top_window: best ? best.window : null,
        top_effect: best ? best.stats.effect : null,
        top_composite: best ? best.stats.composite : null,
        cross_window_consistent_count: frequency === 'monthly' ? consistent.length : null,
      },
    ],
  });
  const S = summary.id;
  const T = table.id;
  const cellName = (c: { cohort: SectorOrAll; window: PointWindow }) =>
    `${c.cohort} (${c.window === 'all' ? 'all points' : `last ${formatCount(c.window)}`})`;
  const lines = [
    `${METRIC_LABELS[driver]} screened as a driver of ${metricWords(outcome)} over ${formatCount(cohorts.length)} ${cohorts.length === 1 ? 'cohort' : 'cohorts'} and windows of ${listWords(windows.map((w) => (w === 'all' ? 'all points' : `${formatCount(w)} points`)))} (${frequency} series) ${cite(S)}.`,
    `${formatCount(cells.length)} cells were computed, ${formatCount(skippedCells.length)} skipped for having fewer than ${formatCount(PAIR_MIN_POINTS)} aligned points, and ${formatCount(cells.length - ranked.length)} are flat (absolute effect below ${formatParam(FLAT_EFFECT)}) ${cite(S)}.`,
  ];
  if (top.length > 0) {
    lines.push(
      `Top cells by composite score: ${top.map((c) => `${cellName(c)}: ${pairText(c.stats)}`).join('; ')} ${cite(T)}.`,
    );
  } else {
    lines.push(`No cell reaches an absolute effect of ${formatParam(FLAT_EFFECT)} ${cite(S)}.`);
  }
  if (frequency === 'monthly') {
    lines.push(
      consistent.length > 0
        ? `Cohorts whose effect keeps one sign across windows: ${listWords(consistent)}.`
        : 'No cohort keeps one sign of the effect across windows.',
    );
  }
  lines.push('Screening shows associations, not causes.');
  const metrics: FindingMetric[] = [
    metricOf('cells_computed', 'Cells computed', cells.length, 'count', S),
    metricOf('cells_skipped', 'Cells skipped', skippedCells.length, 'count', S),
  ];
  if (best) {
    metrics.push(metricOf('top_cohort', 'Top cohort', best.cohort, 'text', S));
    metrics.push(
      metricOf(
        'top_window',
        'Top window',
        best.window === 'all' ? 'all' : best.window,
        best.window === 'all' ? 'text' : 'count',
        S,
      ),
    );
    metrics.push(metricOf('top_effect', 'Top effect', best.stats.effect, 'ratio', S));
    metrics.push(metricOf('top_composite', 'Top composite score', best.stats.composite, 'ratio', S));
  }
  if (frequency === 'monthly') {
    metrics.push(
      metricOf('cross_window_consistent_count', 'Cohorts consistent across windows', consistent.length, 'count', S),
    );
  }
  const finding: Finding = {
    id: 'driver_screen',
    title: `${METRIC_LABELS[driver]} as a driver of ${metricWords(outcome)} by sector`,
    summary: lines.join(' '),
    metrics,
    citations: [S, T],
  };
  return done([finding], [summary, table]);
}
