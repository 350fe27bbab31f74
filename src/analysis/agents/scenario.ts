/**
 * Scenario agent (analysis spec §3.5): apply one spec to the Predictor baseline forecast, compare 2..10 specs on the
 * same baseline, and roll a batch of per-sector specs up to a national path. Specs come validated from spec.ts, or
 * are built from the router's change expressions once the baseline is known (changes.ts).
 */
import {
  AnalysisError,
  SECTORS,
  type AgentResult,
  type AgentWarning,
  type DataClient,
  type DerivedResult,
  type Finding,
  type FindingMetric,
  type MetricUnit,
  type QueryResult,
  type Sector,
  type SectorOrAll,
  type SeriesMetric,
} from '../model.js';
import { derive, type DerivedInput } from '../derived.js';
import {
  cite,
  formatCount,
  formatDecimal3,
  formatLevelDelta,
  formatPercent,
  formatValue,
  type LevelUnit,
} from '../format.js';
import { baselineForecast, type BaselineForecast } from '../forecast.js';
import { minimumRanks } from '../math/stats.js';
import {
  loadSeries,
  METRIC_BETTER,
  METRIC_LABELS,
  seriesQueryId,
  type FrequencyChoice,
  type LoadedSeries,
  type SeriesFrequency,
} from '../series.js';
import { WarningCollector } from '../warnings.js';
import { FORECAST_MIN_POINTS, forecastBaselineDerived } from './predictor.js';
import { changeProblem, compareSpecsFromChanges, specFromChanges, type ChangeExpression } from '../scenario/changes.js';
import {
  checkScenarioSpec,
  DEFAULT_HORIZON_MONTHS,
  HORIZON_MAX_MONTHS,
  HORIZON_MIN_MONTHS,
  MAX_TRANSFORMS,
  resolveMetric,
  resolveSector,
  specInvalidError,
  SPEC_FORMATS,
  type ScenarioSpec,
  type ScenarioTransform,
  type SpecFormat,
  type SpecIssue,
} from '../scenario/spec.js';
import {
  applyTransforms,
  meanDeltaPct,
  scenarioRows,
  stabilityOf,
  stepRange,
  unstableWarning,
  type ScenarioRow,
} from '../scenario/transforms.js';

export type { ChangeExpression } from '../scenario/changes.js';
export {
  changeProblem,
  compareSpecsFromChanges,
  defaultCompareSpecs,
  specFromChanges,
  transformForChange,
} from '../scenario/changes.js';

export const SCENARIO = 'Scenario';
export const MIN_COMPARE_SPECS = 2;
export const MAX_COMPARE_SPECS = 10;
/** Steps whose values compare reports (or the last step when the path is shorter). */
export const COMPARE_STEPS = [6, 12] as const;

export interface ApplyParams {
  /** A spec: JSON text, YAML text or an object (§3.5). Either spec or changes. */
  spec?: unknown;
  /** Accepted for reference compatibility; the spec's own type decides. */
  format?: SpecFormat;
  /** Router change expressions, turned into one spec once the baseline is known. */
  changes?: ChangeExpression[];
  /** With changes: the spec's metric (else the first change's), sector (ALL) and horizon (12). */
  metric?: string;
  sector?: string;
  horizon_months?: number;
  /** Baseline frequency; default auto, as the Predictor. */
  frequency?: FrequencyChoice;
}

export interface CompareParams {
  /** 2..10 specs with the same metric, sector and horizon. Either specs or changes. */
  specs?: unknown[];
  /** One spec per change; none → the default triple; one → compared with additive 0. */
  changes?: ChangeExpression[];
  metric?: string;
  sector?: string;
  horizon_months?: number;
  frequency?: FrequencyChoice;
}

export interface BatchParams {
  /** Specs keyed by sector (ALL not allowed), sharing metric and horizon. Either specs or changes. */
  specs?: Record<string, unknown>;
  /** One spec built from these changes for each of `sectors` (default all ten). */
  changes?: ChangeExpression[];
  sectors?: string[];
  metric?: string;
  horizon_months?: number;
  /** Per-sector weights (non-negative, positive total) for non-employment metrics; default employment bases. */
  weights?: Record<string, number>;
  frequency?: FrequencyChoice;
}

// ---------------------------------------------------------------------------------------------------------------
// Parameter checks

const FREQUENCIES: readonly FrequencyChoice[] = ['auto', 'monthly', 'annual'];

function frequencyOf(value: unknown): FrequencyChoice {
  if (value === undefined || value === null) return 'auto';
  if (typeof value === 'string' && (FREQUENCIES as readonly string[]).includes(value)) return value as FrequencyChoice;
  throw new AnalysisError('invalid_param', 'params.frequency must be one of auto, monthly, annual');
}

function formatOf(value: unknown): SpecFormat | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && (SPEC_FORMATS as readonly string[]).includes(value)) return value as SpecFormat;
  throw new AnalysisError('invalid_param', 'params.format must be one of dict, json, yaml');
}

function metricParam(value: unknown, changes: readonly ChangeExpression[]): SeriesMetric {
  const raw = value ?? changes.find((c) => typeof c.metric === 'string' && c.metric !== '')?.metric;
  if (raw === undefined || raw === null) throw new AnalysisError('missing_param', 'params.metric is required');
  const m = typeof raw === 'string' ? resolveMetric(raw) : null;
  if (m === null) {
    throw new AnalysisError(
      'unknown_metric',
      `unknown metric '${String(raw)}' for scenario; supported: employment, retention, attrition, qatarization, avg_salary`,
    );
  }
  return m;
}

function sectorParam(value: unknown): SectorOrAll {
  if (value === undefined || value === null) return 'ALL';
  const s = typeof value === 'string' ? resolveSector(value) : null;
  if (s === null) throw new AnalysisError('unknown_sector', `unknown sector '${String(value)}'`);
  return s;
}

function horizonParam(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_HORIZON_MONTHS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < HORIZON_MIN_MONTHS ||
    value > HORIZON_MAX_MONTHS
  ) {
    throw new AnalysisError(
      'invalid_param',
      `params.horizon_months must be an integer within ${HORIZON_MIN_MONTHS}..${HORIZON_MAX_MONTHS}`,
    );
  }
  return value;
}

function changesParam(value: unknown): ChangeExpression[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((c) => c === null || typeof c !== 'object' || Array.isArray(c))) {
    throw new AnalysisError('invalid_param', 'params.changes must be a list of change expressions');
  }
  if (value.length > MAX_TRANSFORMS) {
    throw new AnalysisError('invalid_param', `params.changes holds ${value.length} changes; at most ${MAX_TRANSFORMS}`);
  }
  return value as ChangeExpression[];
}

/** Rejects changes the metric cannot take before any data is read. */
function checkChanges(changes: readonly ChangeExpression[], metric: SeriesMetric): void {
  changes.forEach((c, i) => {
    const problem = changeProblem(c, metric);
    if (problem !== null)
      throw new AnalysisError('invalid_param', `changes[${i}]: ${problem}`, { change: c, index: i });
  });
}

function inconsistent(field: string, values: unknown[]): AnalysisError {
  return new AnalysisError(
    'scenario_inconsistent',
    `all specs must share the same ${field}; got ${[...new Set(values.map(String))].join(', ')}`,
    { field, values },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline: the Predictor forecast (§3.4) for metric, sector and horizon, without the 24-month cap

interface Baseline {
  series: LoadedSeries;
  fc: BaselineForecast;
  steps: number;
  periods: string[];
  values: number[];
  lastActual: number;
  /** The forecast derived result, built exactly as Predictor.forecast builds it, so the ids agree. */
  derived: DerivedResult;
}

function stepsFor(frequency: SeriesFrequency, horizon: number): number {
  return frequency === 'monthly' ? horizon : Math.ceil(horizon / 12);
}

async function loadSectorSeries(
  client: DataClient,
  metric: SeriesMetric,
  sector: SectorOrAll,
  frequency: FrequencyChoice,
  what: string,
  w: WarningCollector,
): Promise<LoadedSeries | null> {
  return loadSeries(client, { metric, sector, frequency, minPoints: FORECAST_MIN_POINTS, what }, w);
}

function forecastFrom(series: LoadedSeries | null, horizon: number, w: WarningCollector): Baseline | null {
  if (!series || !series.sufficient) return null;
  const steps = stepsFor(series.frequency, horizon);
  const fc = baselineForecast(series.values, series.periods, { frequency: series.frequency, steps, unit: series.unit });
  w.addAll(fc.warnings);
  if (fc.chosen_method === null || fc.rows.length === 0) return null;
  return {
    series,
    fc,
    steps,
    periods: fc.rows.map((r) => r.period),
    values: fc.rows.map((r) => r.yhat),
    lastActual: series.values[series.values.length - 1]!,
    derived: forecastBaselineDerived(series, fc, horizon, steps),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Wording helpers

/** Display unit of a level difference: pp for percent metrics. */
function deltaUnit(unit: LevelUnit): MetricUnit {
  return unit === 'percent' ? 'pp' : unit;
}

/** A user-supplied name shown in text only when it holds nothing the verifier or Markdown would read. */
function safeName(name: string): string | null {
  return /^[\p{L}\p{M}][\p{L}\p{M} '&,()/-]*$/u.test(name) && name.length <= 60 ? name : null;
}

function sectorText(sector: SectorOrAll): string {
  return sector === 'ALL' ? 'national (ALL)' : sector;
}

function stepWord(frequency: SeriesFrequency): string {
  return frequency === 'monthly' ? 'month' : 'year';
}

/** The text of one transform; every number is a param of the scenario derived result that the sentence cites. */
function transformText(
  t: ScenarioTransform,
  unit: LevelUnit,
  periods: readonly string[],
  freq: SeriesFrequency,
): string {
  const range = stepRange(t, periods.length);
  const when =
    range === null
      ? 'outside the horizon'
      : range[0] === range[1]
        ? `in ${periods[range[0]]}`
        : `from ${periods[range[0]]} to ${periods[range[1]]}`;
  switch (t.type) {
    case 'additive':
      return `additive ${formatLevelDelta(t.value, unit)} ${when}`;
    case 'multiplicative':
      return `multiplicative ${formatPercent(t.value * 100)} ${when}`;
    case 'growth_override':
      return `growth of ${formatPercent(t.value * 100)} per ${stepWord(freq)} ${when}`;
    case 'clamp': {
      const parts: string[] = [];
      if (t.min !== null) parts.push(`at least ${formatValue(t.min, unit)}`);
      if (t.max !== null) parts.push(`at most ${formatValue(t.max, unit)}`);
      return `clamp to ${parts.join(' and ')} ${when}`;
    }
  }
}

/** A transform as recorded in derived params: the values the text shows, percentages included. */
function transformParams(t: ScenarioTransform, index: number): Record<string, unknown> {
  const value = t.type === 'clamp' ? null : t.value;
  return {
    index,
    type: t.type,
    value,
    value_percent: value === null || t.type === 'additive' ? null : value * 100,
    min: t.type === 'clamp' ? t.min : null,
    max: t.type === 'clamp' ? t.max : null,
    start_month: t.start_month,
    end_month: t.end_month,
  };
}

function metric(
  key: string,
  label: string,
  value: number | string | null,
  unit: MetricUnit,
  citation: string,
): FindingMetric {
  return { key, label, value, unit, citation };
}

function rowRecord(r: ScenarioRow): Record<string, string | number | null> {
  return {
    step: r.step,
    period: r.period,
    baseline: r.baseline,
    adjusted: r.adjusted,
    delta: r.delta,
    delta_pct: r.delta_pct,
  };
}

function rowFields(unit: LevelUnit) {
  return [
    { name: 'step', unit: 'count' as const, kind: 'level' as const },
    { name: 'period', unit: 'text' as const, kind: 'level' as const },
    { name: 'baseline', unit, kind: 'level' as const },
    { name: 'adjusted', unit, kind: 'level' as const },
    { name: 'delta', unit: deltaUnit(unit), kind: 'change' as const },
    { name: 'delta_pct', unit: 'percent' as const, kind: 'change' as const },
  ];
}

interface ScenarioPath {
  spec: ScenarioSpec;
  rows: ScenarioRow[];
  end: ScenarioRow;
  meanDeltaPct: number | null;
  warnings: AgentWarning[];
}

/** Applies one spec to a baseline: transforms, bounds, stability, rows. */
function runSpec(spec: ScenarioSpec, baseline: Baseline, label?: string): ScenarioPath {
  const outcome = applyTransforms({
    baseline: baseline.values,
    lastActual: baseline.lastActual,
    unit: baseline.series.unit,
    transforms: spec.transforms,
    clampMin: spec.clamp_min,
    clampMax: spec.clamp_max,
    label,
  });
  const warnings = [...outcome.warnings];
  const unstable = unstableWarning(stabilityOf(outcome.adjusted), label);
  if (unstable) warnings.push(unstable);
  const rows = scenarioRows(baseline.periods, baseline.values, outcome.adjusted);
  return { spec, rows, end: rows[rows.length - 1]!, meanDeltaPct: meanDeltaPct(rows), warnings };
}

function head(
  method: 'apply' | 'compare' | 'batch',
  params: Record<string, unknown>,
  sources: string[],
  frequency: SeriesFrequency | null,
): Omit<AgentResult, 'findings' | 'derived' | 'warnings'> {
  return {
    agent: SCENARIO,
    method,
    intent: method === 'apply' ? 'scenario.apply' : method === 'compare' ? 'scenario.compare' : 'scenario.batch',
    params,
    sources,
    frequency: frequency ?? 'annual',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// apply

/** Scenario.apply: one spec on the Predictor baseline; rows {step, period, baseline, adjusted, delta, delta_pct}. */
export async function apply(client: DataClient, params: ApplyParams): Promise<AgentResult> {
  const frequency = frequencyOf(params.frequency);
  const format = formatOf(params.format);
  const changes = changesParam(params.changes);
  const hasSpec = params.spec !== undefined && params.spec !== null;
  if (hasSpec && changes !== null)
    throw new AnalysisError('invalid_param', 'give params.spec or params.changes, not both');
  if (!hasSpec && changes === null) throw new AnalysisError('missing_param', 'params.spec is required');

  let spec: ScenarioSpec | null = null;
  let specFormat: SpecFormat | null = format;
  let metricId: SeriesMetric;
  let sector: SectorOrAll;
  let horizon: number;
  if (hasSpec) {
    const checked = checkScenarioSpec(params.spec);
    if (!checked.ok) throw specInvalidError(checked.issues);
    spec = checked.spec;
    specFormat = checked.format;
    metricId = spec.metric;
    sector = spec.sector;
    horizon = spec.horizon_months;
  } else {
    if (changes!.length === 0) throw new AnalysisError('missing_param', 'params.changes must hold at least one change');
    metricId = metricParam(params.metric, changes!);
    sector = sectorParam(params.sector);
    horizon = horizonParam(params.horizon_months);
    checkChanges(changes!, metricId);
  }

  const w = new WarningCollector();
  const what = `${SCENARIO}.apply`;
  const series = await loadSectorSeries(client, metricId, sector, frequency, what, w);
  const baseline = forecastFrom(series, horizon, w);
  const sources = series ? [series.queryId] : [];

  if (spec === null && baseline !== null) {
    const built = specFromChanges(
      changes!,
      { metric: metricId, sector, horizon_months: horizon },
      { frequency: baseline.series.frequency, baselineStep0: baseline.values[0] ?? null },
    );
    spec = built.spec;
    w.addAll(built.warnings);
  }
  const echoed: Record<string, unknown> =
    spec !== null
      ? { spec, ...(specFormat !== null ? { format: specFormat } : {}), frequency }
      : { changes, metric: metricId, sector, horizon_months: horizon, frequency };
  if (changes !== null && spec !== null) echoed.changes = changes;
  const h = head('apply', echoed, sources, series?.frequency ?? null);
  if (baseline === null || spec === null) return { ...h, findings: [], derived: [], warnings: w.list() };

  const path = runSpec(spec, baseline);
  w.addAll(path.warnings);
  const unit = baseline.series.unit;
  const fd = baseline.derived;
  const freq = baseline.series.frequency;
  const end = path.end;
  const sd = derive({
    operation: 'scenario_apply',
    inputs: [fd],
    params: {
      name: spec.name,
      metric: spec.metric,
      sector: spec.sector,
      frequency: freq,
      horizon_months: spec.horizon_months,
      steps: baseline.steps,
      step_unit: stepWord(freq),
      transforms: spec.transforms.map(transformParams),
      clamp_min: spec.clamp_min,
      clamp_max: spec.clamp_max,
      end_period: end.period,
      end_baseline: end.baseline,
      end_adjusted: end.adjusted,
      end_delta: end.delta,
      end_delta_pct: end.delta_pct,
      mean_delta_pct: path.meanDeltaPct,
    },
    fields: rowFields(unit),
    rows: path.rows.map(rowRecord),
  });

  const name = safeName(spec.name);
  const first = path.rows[0]!;
  const lines = [
    `**Scenario${name ? ` "${name}"` : ''}: ${METRIC_LABELS[spec.metric]}, ${sectorText(spec.sector)}, ${freq} baseline.**`,
    `The baseline forecast (${baseline.fc.chosen_method}) for ${end.period} is ${formatValue(end.baseline, unit)} ${cite(fd.id)}.`,
    `Under the scenario it is ${formatValue(end.adjusted, unit)}, a change of ${formatLevelDelta(end.delta, unit)} or ${formatPercent(end.delta_pct)} ${cite(sd.id)}.`,
    `Over ${formatCount(baseline.steps)} ${stepWord(freq)}${baseline.steps === 1 ? '' : 's'} from ${first.period} to ${end.period} the mean change is ${formatPercent(path.meanDeltaPct)} ${cite(sd.id)}.`,
    `Transforms, in order: ${spec.transforms.map((t) => transformText(t, unit, baseline.periods, freq)).join('; ')} ${cite(sd.id)}.`,
  ];
  if (spec.clamp_min !== null || spec.clamp_max !== null) {
    const parts: string[] = [];
    if (spec.clamp_min !== null) parts.push(`at least ${formatValue(spec.clamp_min, unit)}`);
    if (spec.clamp_max !== null) parts.push(`at most ${formatValue(spec.clamp_max, unit)}`);
    lines.push(`The spec keeps every value ${parts.join(' and ')} ${cite(sd.id)}.`);
  }
  if (freq === 'annual') lines.push('Each step is one year.');
  const metrics: FindingMetric[] = [
    metric('scenario_baseline_final', `Baseline ${end.period}`, end.baseline, unit, fd.id),
    metric('scenario_adjusted_final', `Scenario ${end.period}`, end.adjusted, unit, sd.id),
    metric('scenario_delta_final', `Change ${end.period}`, end.delta, deltaUnit(unit), sd.id),
    metric('scenario_delta_pct_final', `Change ${end.period} in percent`, end.delta_pct, 'percent', sd.id),
    metric('scenario_mean_delta_pct', 'Mean change in percent', path.meanDeltaPct, 'percent', sd.id),
    metric('scenario_steps', `Steps (${stepWord(freq)}s)`, baseline.steps, 'count', sd.id),
  ];
  const finding: Finding = {
    id: 'scenario_apply',
    title: `${METRIC_LABELS[spec.metric]} scenario, ${spec.sector}`,
    summary: lines.join(' '),
    metrics,
    citations: [fd.id, sd.id],
  };
  return { ...h, findings: [finding], derived: [fd, sd], warnings: w.list() };
}

// ---------------------------------------------------------------------------------------------------------------
// compare

const LETTERS = 'ABCDEFGHIJ';

function parseSpecList(raw: unknown[], prefix: string): ScenarioSpec[] {
  const issues: SpecIssue[] = [];
  const specs: ScenarioSpec[] = [];
  raw.forEach((s, i) => {
    const r = checkScenarioSpec(s, { pathPrefix: `${prefix}/${i}` });
    if (r.ok) specs.push(r.spec);
    else issues.push(...r.issues);
  });
  if (issues.length > 0) throw specInvalidError(issues);
  return specs;
}

function checkShared(
  specs: readonly ScenarioSpec[],
  fields: readonly ('metric' | 'sector' | 'horizon_months')[],
): void {
  for (const f of fields) {
    const values = specs.map((s) => s[f]);
    if (new Set(values).size > 1) throw inconsistent(f, values);
  }
}

/** The row at step min(k, n) (1-based). */
function rowAt(rows: readonly ScenarioRow[], k: number): ScenarioRow {
  return rows[Math.min(k, rows.length) - 1]!;
}

/** Scenario.compare: 2..10 specs on one baseline, ranked by end value in the metric's better direction. */
export async function compare(client: DataClient, params: CompareParams): Promise<AgentResult> {
  const frequency = frequencyOf(params.frequency);
  const changes = changesParam(params.changes);
  const hasSpecs = params.specs !== undefined && params.specs !== null;
  if (hasSpecs && changes !== null)
    throw new AnalysisError('invalid_param', 'give params.specs or params.changes, not both');
  if (!hasSpecs && changes === null) throw new AnalysisError('missing_param', 'params.specs is required');

  let specs: ScenarioSpec[] | null = null;
  let metricId: SeriesMetric;
  let sector: SectorOrAll;
  let horizon: number;
  if (hasSpecs) {
    if (!Array.isArray(params.specs)) throw new AnalysisError('invalid_param', 'params.specs must be a list of specs');
    if (params.specs.length < MIN_COMPARE_SPECS || params.specs.length > MAX_COMPARE_SPECS) {
      throw new AnalysisError(
        'invalid_param',
        `params.specs must hold ${MIN_COMPARE_SPECS} to ${MAX_COMPARE_SPECS} specs; got ${params.specs.length}`,
      );
    }
    specs = parseSpecList(params.specs, '/specs');
    checkShared(specs, ['metric', 'sector', 'horizon_months']);
    metricId = specs[0]!.metric;
    sector = specs[0]!.sector;
    horizon = specs[0]!.horizon_months;
  } else {
    metricId = metricParam(params.metric, changes!);
    sector = sectorParam(params.sector);
    horizon = horizonParam(params.horizon_months);
    checkChanges(changes!, metricId);
  }

  const w = new WarningCollector();
  const series = await loadSectorSeries(client, metricId, sector, frequency, `${SCENARIO}.compare`, w);
  const baseline = forecastFrom(series, horizon, w);
  const sources = series ? [series.queryId] : [];
  if (specs === null && baseline !== null) {
    const built = compareSpecsFromChanges(
      changes!,
      { metric: metricId, sector, horizon_months: horizon },
      { frequency: baseline.series.frequency, baselineStep0: baseline.values[0] ?? null },
    );
    specs = built.specs;
    w.addAll(built.warnings);
  }
  const echoed: Record<string, unknown> =
    specs !== null
      ? { specs, frequency, ...(changes !== null ? { changes } : {}) }
      : { changes, metric: metricId, sector, horizon_months: horizon, frequency };
  const h = head('compare', echoed, sources, series?.frequency ?? null);
  if (baseline === null || specs === null) return { ...h, findings: [], derived: [], warnings: w.list() };

  const unit = baseline.series.unit;
  const freq = baseline.series.frequency;
  const fd = baseline.derived;
  const better = METRIC_BETTER[metricId];
  const paths = specs.map((s, i) => {
    const p = runSpec(s, baseline, `scenario ${LETTERS[i]}`);
    w.addAll(p.warnings);
    return { label: LETTERS[i]!, path: p };
  });

  // Rank by end value in the better direction; undefined end values come last, ties keep input order.
  const defined = paths.filter((p) => p.path.end.adjusted !== null);
  const ranks = minimumRanks(
    defined.map((p) => p.path.end.adjusted!),
    better === 'higher' ? 'highest' : 'lowest',
  );
  const rankOf = new Map(defined.map((p, i) => [p.label, ranks[i]!]));
  const ordered = [...paths].sort((a, b) => {
    const ra = rankOf.get(a.label) ?? Number.POSITIVE_INFINITY;
    const rb = rankOf.get(b.label) ?? Number.POSITIVE_INFINITY;
    return ra - rb || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
  });
  const [midStep, endStep] = COMPARE_STEPS;
  const rows = ordered.map(({ label, path }) => {
    const mid = rowAt(path.rows, midStep);
    const at12 = rowAt(path.rows, endStep);
    return {
      rank: rankOf.get(label) ?? null,
      scenario: label,
      name: path.spec.name,
      period_6: mid.period,
      value_6: mid.adjusted,
      period_12: at12.period,
      value_12: at12.adjusted,
      end_period: path.end.period,
      end_value: path.end.adjusted,
      end_delta: path.end.delta,
      end_delta_pct: path.end.delta_pct,
      mean_delta_pct: path.meanDeltaPct,
    };
  });
  const cd = derive({
    operation: 'scenario_compare',
    inputs: [fd],
    params: {
      metric: metricId,
      sector,
      frequency: freq,
      horizon_months: horizon,
      steps: baseline.steps,
      step_unit: stepWord(freq),
      better,
      compare_steps: [...COMPARE_STEPS],
      end_baseline: baseline.values[baseline.values.length - 1]!,
      scenarios: paths.map(({ label, path }) => ({
        scenario: label,
        name: path.spec.name,
        transforms: path.spec.transforms.map(transformParams),
        clamp_min: path.spec.clamp_min,
        clamp_max: path.spec.clamp_max,
      })),
    },
    fields: [
      { name: 'rank', unit: 'rank', kind: 'level' },
      { name: 'scenario', unit: 'text', kind: 'level' },
      { name: 'name', unit: 'text', kind: 'level' },
      { name: 'period_6', unit: 'text', kind: 'level' },
      { name: 'value_6', unit, kind: 'level' },
      { name: 'period_12', unit: 'text', kind: 'level' },
      { name: 'value_12', unit, kind: 'level' },
      { name: 'end_period', unit: 'text', kind: 'level' },
      { name: 'end_value', unit, kind: 'level' },
      { name: 'end_delta', unit: deltaUnit(unit), kind: 'change' },
      { name: 'end_delta_pct', unit: 'percent', kind: 'change' },
      { name: 'mean_delta_pct', unit: 'percent', kind: 'change' },
    ],
    rows,
  });

  const nameOf = (label: string, spec: ScenarioSpec) => {
    const n = safeName(spec.name);
    return n ? `${label} (${n})` : label;
  };
  const endPeriod = baseline.periods[baseline.periods.length - 1]!;
  const lines = [
    `**Scenarios compared: ${METRIC_LABELS[metricId]}, ${sectorText(sector)}, ${freq} baseline.**`,
    `They are ranked by the value for ${endPeriod}, where ${better} is better; the baseline forecast there is ${formatValue(baseline.values[baseline.values.length - 1], unit)} ${cite(fd.id)}.`,
  ];
  const best = ordered[0]!;
  if (best.path.end.adjusted !== null) {
    lines.push(
      `Scenario ${nameOf(best.label, best.path.spec)} ranks first with ${formatValue(best.path.end.adjusted, unit)} ${cite(cd.id)}.`,
    );
  }
  if (freq === 'annual') lines.push('Each step is one year.');
  const bullets = ordered.map(({ label, path }, i) => {
    const r = rows[i]!;
    const rank = r.rank === null ? 'unranked' : `rank ${formatCount(r.rank)}`;
    return (
      `- Scenario ${nameOf(label, path.spec)}, ${rank}: ${r.period_6} ${formatValue(r.value_6, unit)}, ` +
      `${r.period_12} ${formatValue(r.value_12, unit)}; mean change ${formatPercent(r.mean_delta_pct)}; ` +
      `change at ${r.end_period} ${formatLevelDelta(r.end_delta, unit)} ${cite(cd.id)}`
    );
  });
  const metrics: FindingMetric[] = [
    metric('best_scenario', 'Best scenario', best.path.spec.name, 'text', cd.id),
    metric(
      'scenario_baseline_final',
      `Baseline ${endPeriod}`,
      baseline.values[baseline.values.length - 1]!,
      unit,
      fd.id,
    ),
  ];
  for (const { label, path } of ordered) {
    const key = label.toLowerCase();
    metrics.push(metric(`scenario_${key}_end_value`, `Scenario ${label} ${endPeriod}`, path.end.adjusted, unit, cd.id));
    metrics.push(
      metric(
        `scenario_${key}_end_delta`,
        `Scenario ${label} change ${endPeriod}`,
        path.end.delta,
        deltaUnit(unit),
        cd.id,
      ),
    );
  }
  const finding: Finding = {
    id: 'scenario_compare',
    title: `${METRIC_LABELS[metricId]} scenarios compared, ${sector}`,
    summary: `${lines.join(' ')}\n\n${bullets.join('\n')}`,
    metrics,
    citations: [fd.id, cd.id],
  };
  return { ...h, findings: [finding], derived: [fd, cd], warnings: w.list() };
}

// ---------------------------------------------------------------------------------------------------------------
// batch

type Weighting = 'sum' | 'explicit' | 'employment_base';

function batchSectorKey(key: string): Sector {
  const s = resolveSector(key);
  if (s === 'ALL')
    throw new AnalysisError('invalid_param', 'scenario.batch specs are keyed by sector; ALL is not allowed');
  if (s === null) throw new AnalysisError('unknown_sector', `unknown sector '${key}'`);
  return s;
}

function weightsParam(raw: unknown, sectors: readonly Sector[]): Map<Sector, number> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AnalysisError('invalid_param', 'params.weights must map sectors to numbers');
  }
  const out = new Map<Sector, number>();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const s = resolveSector(key);
    if (s === null || s === 'ALL' || !sectors.includes(s)) {
      throw new AnalysisError('invalid_param', `params.weights names '${key}', which is not a sector of the batch`);
    }
    if (out.has(s)) throw new AnalysisError('invalid_param', `params.weights names ${s} twice`);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new AnalysisError('invalid_param', `params.weights.${key} must be a finite number`);
    }
    if (value < 0) throw new AnalysisError('invalid_param', `params.weights.${key} must not be negative`);
    out.set(s, value);
  }
  const missing = sectors.filter((s) => !out.has(s));
  if (missing.length > 0) {
    throw new AnalysisError('invalid_param', `params.weights has no weight for ${missing.join(', ')}`);
  }
  let total = 0;
  for (const s of sectors) total += out.get(s)!;
  if (!(total > 0)) throw new AnalysisError('invalid_param', 'params.weights must have a positive total');
  return out;
}

/** The base of each sector's last observed period in ts_employment_<frequency>. */
function employmentBases(result: QueryResult, sectors: readonly Sector[]): Map<Sector, number | null> {
  const out = new Map<Sector, number | null>();
  for (const s of sectors) {
    let lastPeriod: string | null = null;
    let base: number | null = null;
    for (const row of result.rows) {
      if (row.get('sector') !== s) continue;
      const period = row.get('period');
      const b = row.get('base');
      if (period === null || period === undefined || typeof b !== 'number' || !Number.isFinite(b)) continue;
      const label = String(period);
      if (lastPeriod === null || label > lastPeriod) {
        lastPeriod = label;
        base = b;
      }
    }
    out.set(s, base);
  }
  return out;
}

interface SectorRun {
  sector: Sector;
  spec: ScenarioSpec | null;
  series: LoadedSeries | null;
  baseline: Baseline | null;
  path: ScenarioPath | null;
  warnings: WarningCollector;
}

/** Scenario.batch: per-sector specs rolled up to national rows (sum for employment, else a weighted mean). */
export async function batch(client: DataClient, params: BatchParams): Promise<AgentResult> {
  const frequency = frequencyOf(params.frequency);
  const changes = changesParam(params.changes);
  const hasSpecs = params.specs !== undefined && params.specs !== null;
  if (hasSpecs && changes !== null)
    throw new AnalysisError('invalid_param', 'give params.specs or params.changes, not both');
  if (!hasSpecs && changes === null) throw new AnalysisError('missing_param', 'params.specs is required');

  let sectors: Sector[];
  const specBySector = new Map<Sector, ScenarioSpec>();
  let metricId: SeriesMetric;
  let horizon: number;
  if (hasSpecs) {
    if (typeof params.specs !== 'object' || Array.isArray(params.specs)) {
      throw new AnalysisError('invalid_param', 'params.specs must map sectors to specs');
    }
    const entries = Object.entries(params.specs as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) throw new AnalysisError('invalid_param', 'params.specs must name at least one sector');
    const issues: SpecIssue[] = [];
    const keyed = new Map<Sector, string>();
    for (const [key] of entries) {
      const s = batchSectorKey(key);
      if (keyed.has(s)) throw new AnalysisError('invalid_param', `params.specs names ${s} twice`);
      keyed.set(s, key);
    }
    for (const [key, raw] of entries) {
      const s = batchSectorKey(key);
      const r = checkScenarioSpec(raw, {
        defaultSector: s,
        pathPrefix: `/specs/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      });
      if (!r.ok) issues.push(...r.issues);
      else specBySector.set(s, r.spec);
    }
    if (issues.length > 0) throw specInvalidError(issues);
    for (const [s, spec] of specBySector) {
      if (spec.sector !== s) {
        throw new AnalysisError(
          'scenario_inconsistent',
          `the spec under ${keyed.get(s)} is about sector ${spec.sector}`,
          { field: 'sector', key: keyed.get(s), sector: spec.sector },
        );
      }
    }
    sectors = SECTORS.filter((s) => specBySector.has(s));
    const specs = sectors.map((s) => specBySector.get(s)!);
    checkShared(specs, ['metric', 'horizon_months']);
    metricId = specs[0]!.metric;
    horizon = specs[0]!.horizon_months;
  } else {
    metricId = metricParam(params.metric, changes!);
    horizon = horizonParam(params.horizon_months);
    if (changes!.length === 0) throw new AnalysisError('missing_param', 'params.changes must hold at least one change');
    checkChanges(changes!, metricId);
    if (params.sectors === undefined || params.sectors === null || params.sectors.length === 0) sectors = [...SECTORS];
    else {
      if (!Array.isArray(params.sectors)) throw new AnalysisError('invalid_param', 'params.sectors must be a list');
      const named = new Set(params.sectors.map((k) => batchSectorKey(String(k))));
      sectors = SECTORS.filter((s) => named.has(s));
    }
  }
  const explicitWeights = metricId === 'employment' ? null : weightsParam(params.weights, sectors);

  // Load every sector's series. Under auto, a batch whose sectors would mix frequencies is run on annual data.
  const loadAll = async (choice: FrequencyChoice): Promise<SectorRun[]> => {
    const runs: SectorRun[] = [];
    for (const s of sectors) {
      const sw = new WarningCollector();
      const series = await loadSectorSeries(client, metricId, s, choice, `${SCENARIO}.batch ${s}`, sw);
      runs.push({ sector: s, spec: specBySector.get(s) ?? null, series, baseline: null, path: null, warnings: sw });
    }
    return runs;
  };
  let runs = await loadAll(frequency);
  const freqs = new Set(runs.filter((r) => r.series?.sufficient).map((r) => r.series!.frequency));
  if (frequency === 'auto' && freqs.size > 1) runs = await loadAll('annual');

  const w = new WarningCollector();
  const sources: string[] = [];
  for (const r of runs) {
    if (r.series && !sources.includes(r.series.queryId)) sources.push(r.series.queryId);
    r.baseline = forecastFrom(r.series, horizon, r.warnings);
    w.addAll(r.warnings.list());
  }

  // Sectors whose forecast periods differ from the latest series end cannot be added step by step.
  const ends = runs.filter((r) => r.baseline).map((r) => r.baseline!.series.periods.at(-1)!);
  const latestEnd = ends.length > 0 ? ends.reduce((a, b) => (b > a ? b : a)) : null;
  const included: SectorRun[] = [];
  const skipped: Sector[] = [];
  for (const r of runs) {
    const lastObserved = r.baseline?.series.periods.at(-1) ?? null;
    if (r.baseline === null) {
      skipped.push(r.sector);
      w.add('SECTOR_SKIPPED', `${r.sector} has no baseline forecast and is left out of the national figures`, {
        sector: r.sector,
        reason: 'no_baseline',
      });
    } else if (lastObserved !== latestEnd) {
      skipped.push(r.sector);
      w.add('SECTOR_SKIPPED', `${r.sector}'s series ends at ${lastObserved}, not ${latestEnd}, and is left out`, {
        sector: r.sector,
        reason: 'different_end',
        end: lastObserved,
        expected_end: latestEnd,
      });
    } else included.push(r);
  }
  for (const r of included) {
    if (r.spec === null) {
      const built = specFromChanges(
        changes!,
        { metric: metricId, sector: r.sector, horizon_months: horizon, name: `Scenario for ${r.sector}` },
        { frequency: r.baseline!.series.frequency, baselineStep0: r.baseline!.values[0] ?? null },
      );
      r.spec = built.spec;
      w.addAll(built.warnings);
    }
    r.path = runSpec(r.spec, r.baseline!, r.sector);
    w.addAll(r.path.warnings);
  }

  // Weights, normalised over the included sectors.
  const weighting: Weighting = metricId === 'employment' ? 'sum' : explicitWeights ? 'explicit' : 'employment_base';
  let bases = new Map<Sector, number | null>();
  let employment: QueryResult | null = null;
  const freq = included[0]?.baseline!.series.frequency ?? runs.find((r) => r.series)?.series?.frequency ?? null;
  if (weighting === 'employment_base' && included.length > 0 && freq !== null) {
    const empId = seriesQueryId('employment', freq);
    if (client.has(empId)) {
      employment = await client.run(empId);
      if (!sources.includes(empId)) sources.push(empId);
      bases = employmentBases(employment, sectors);
    }
  }
  const rawWeight = (s: Sector): number =>
    weighting === 'sum' ? 1 : weighting === 'explicit' ? explicitWeights!.get(s)! : (bases.get(s) ?? 0);
  const totalWeight = included.reduce((acc, r) => acc + rawWeight(r.sector), 0);
  const weights = new Map<Sector, number>();
  if (weighting !== 'sum' && totalWeight > 0)
    for (const r of included) weights.set(r.sector, rawWeight(r.sector) / totalWeight);

  const echoed: Record<string, unknown> = {
    specs: Object.fromEntries(runs.filter((r) => r.spec).map((r) => [r.sector, r.spec])),
    ...(changes !== null ? { changes, sectors } : {}),
    ...(explicitWeights ? { weights: Object.fromEntries(explicitWeights) } : {}),
    frequency,
  };
  const h = head('batch', echoed, sources, freq);
  if (included.length === 0) return { ...h, findings: [], derived: [], warnings: w.list() };
  if (weighting !== 'sum' && !(totalWeight > 0)) {
    w.add('INSUFFICIENT_DATA', 'scenario.batch: the included sectors have no positive weight, so no national figure', {
      have: 0,
      need: 1,
    });
    return { ...h, findings: [], derived: included.map((r) => r.baseline!.derived), warnings: w.list() };
  }

  const first = included[0]!.baseline!;
  const unit = first.series.unit;
  const steps = first.steps;
  const periods = first.periods;
  const national: ScenarioRow[] = [];
  for (let i = 0; i < steps; i++) {
    let b = 0;
    let a: number | null = 0;
    for (const r of included) {
      const wt = weighting === 'sum' ? 1 : weights.get(r.sector)!;
      b += wt * r.baseline!.values[i]!;
      const adj = r.path!.rows[i]!.adjusted;
      a = a === null || adj === null ? null : a + wt * adj;
    }
    national.push(...scenarioRows([periods[i]!], [b], [a]).map((row) => ({ ...row, step: i + 1 })));
  }
  const natEnd = national[national.length - 1]!;
  const natMean = meanDeltaPct(national);

  const fds = included.map((r) => r.baseline!.derived);
  const inputs: DerivedInput[] = employment ? [...fds, employment] : fds;
  const sectorRows = included.map((r) => ({
    sector: r.sector,
    weight: weighting === 'sum' ? null : weights.get(r.sector)!,
    raw_weight: weighting === 'sum' ? null : rawWeight(r.sector),
    end_period: r.path!.end.period,
    end_baseline: r.path!.end.baseline,
    end_adjusted: r.path!.end.adjusted,
    end_delta: r.path!.end.delta,
    end_delta_pct: r.path!.end.delta_pct,
    mean_delta_pct: r.path!.meanDeltaPct,
  }));
  const td = derive({
    operation: 'scenario_batch_sectors',
    inputs,
    params: {
      metric: metricId,
      frequency: first.series.frequency,
      horizon_months: horizon,
      steps,
      step_unit: stepWord(first.series.frequency),
      weighting,
      sectors_included: included.length,
      sectors_skipped: skipped,
      transforms: Object.fromEntries(included.map((r) => [r.sector, r.spec!.transforms.map(transformParams)])),
    },
    fields: [
      { name: 'sector', unit: 'text', kind: 'level' },
      { name: 'weight', unit: 'ratio', kind: 'level' },
      { name: 'raw_weight', unit: weighting === 'employment_base' ? 'count' : 'ratio', kind: 'level' },
      { name: 'end_period', unit: 'text', kind: 'level' },
      { name: 'end_baseline', unit, kind: 'level' },
      { name: 'end_adjusted', unit, kind: 'level' },
      { name: 'end_delta', unit: deltaUnit(unit), kind: 'change' },
      { name: 'end_delta_pct', unit: 'percent', kind: 'change' },
      { name: 'mean_delta_pct', unit: 'percent', kind: 'change' },
    ],
    rows: sectorRows,
  });
  const nd = derive({
    operation: 'scenario_batch_national',
    inputs: [td],
    params: {
      metric: metricId,
      weighting,
      steps,
      sectors_included: included.length,
      end_period: natEnd.period,
      end_baseline: natEnd.baseline,
      end_adjusted: natEnd.adjusted,
      end_delta: natEnd.delta,
      end_delta_pct: natEnd.delta_pct,
      mean_delta_pct: natMean,
    },
    fields: rowFields(unit),
    rows: national.map(rowRecord),
  });

  const freqText = first.series.frequency;
  const how =
    weighting === 'sum'
      ? 'the sum'
      : weighting === 'explicit'
        ? 'the average weighted by the given weights'
        : "the average weighted by each sector's employment in the last observed period";
  const lines = [
    `**Scenario batch: ${METRIC_LABELS[metricId]} by sector, ${freqText} baseline.**`,
    `National figure for ${natEnd.period}: baseline ${formatValue(natEnd.baseline, unit)} and scenario ${formatValue(natEnd.adjusted, unit)}, a change of ${formatLevelDelta(natEnd.delta, unit)} or ${formatPercent(natEnd.delta_pct)} ${cite(nd.id)}.`,
    `It is ${how} over ${formatCount(included.length)} sectors ${cite(nd.id)}.`,
  ];
  if (skipped.length > 0) lines.push(`Left out for lack of a comparable baseline: ${skipped.join(', ')}.`);
  if (freqText === 'annual') lines.push('Each step is one year.');
  const bullets = sectorRows.map((r) => {
    const wt = r.weight === null ? '' : `weight ${formatDecimal3(r.weight)}; `;
    return (
      `- ${r.sector}: ${wt}${r.end_period} baseline ${formatValue(r.end_baseline, unit)}, scenario ` +
      `${formatValue(r.end_adjusted, unit)}, change ${formatLevelDelta(r.end_delta, unit)} ${cite(td.id)}`
    );
  });
  const metrics: FindingMetric[] = [
    metric('national_baseline_final', `National baseline ${natEnd.period}`, natEnd.baseline, unit, nd.id),
    metric('national_adjusted_final', `National scenario ${natEnd.period}`, natEnd.adjusted, unit, nd.id),
    metric('national_delta_final', `National change ${natEnd.period}`, natEnd.delta, deltaUnit(unit), nd.id),
    metric(
      'national_delta_pct_final',
      `National change ${natEnd.period} in percent`,
      natEnd.delta_pct,
      'percent',
      nd.id,
    ),
    metric('sectors_included', 'Sectors included', included.length, 'count', nd.id),
  ];
  for (const r of sectorRows) {
    const key = r.sector.toLowerCase();
    metrics.push(metric(`${key}_end_adjusted`, `${r.sector} scenario ${r.end_period}`, r.end_adjusted, unit, td.id));
    if (r.weight !== null) metrics.push(metric(`${key}_weight`, `${r.sector} weight`, r.weight, 'ratio', td.id));
  }
  const finding: Finding = {
    id: 'scenario_batch',
    title: `${METRIC_LABELS[metricId]} scenario batch`,
    summary: `${lines.join(' ')}\n\n${bullets.join('\n')}`,
    metrics,
    citations: [td.id, nd.id],
  };
  return { ...h, findings: [finding], derived: [...fds, td, nd], warnings: w.list() };
}
