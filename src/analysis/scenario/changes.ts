/**
 * Router change expressions → scenario specs (analysis spec §2.5 "Change expression → scenario transform", §2.4
 * scenario rows). "Improve"/"worsen" arrive already resolved into a direction. A "to N" target and a growth rate
 * depend on the baseline (its first forecast value and its frequency), so specs are built once the baseline is known.
 */
import { AnalysisError, type AgentWarning, type SectorOrAll, type SeriesMetric } from '../model.js';
import {
  DEFAULT_HORIZON_MONTHS,
  MAX_TRANSFORMS,
  parseScenarioSpec,
  resolveMetric,
  type ScenarioSpec,
  type ScenarioTransform,
} from './spec.js';

export type ChangeUnit = 'percent' | 'pp' | 'qar' | 'plain';
export type ChangeMode = 'by' | 'to' | 'rate';

/** A change expression as the router extracts it (§2.5). */
export interface ChangeExpression {
  metric?: string | null;
  direction: 1 | 0 | -1;
  /** The number as written (non-negative); the direction carries the sign. */
  magnitude: number;
  unit: ChangeUnit;
  mode: ChangeMode;
}

/** What a change needs from the baseline: its frequency and its value at step 0 (the first forecast step). */
export interface BaselineContext {
  frequency: 'monthly' | 'annual';
  baselineStep0: number | null;
}

const PERCENT_METRICS: readonly SeriesMetric[] = ['retention', 'attrition', 'qatarization'];

/** Largest "by N%" and growth rate: a 100% cut is the limit of a multiplicative transform. */
export const MAX_PERCENT_CHANGE = 100;

/** Why a change cannot become a transform for `metric` (the router turns this into a clarification); else null. */
export function changeProblem(change: ChangeExpression, metric: SeriesMetric): string | null {
  if (typeof change.magnitude !== 'number' || !Number.isFinite(change.magnitude) || change.magnitude < 0) {
    return 'the change needs a finite, non-negative number';
  }
  // Direction 0 is only "no change" (magnitude 0), the comparator the router adds to scenario.compare.
  const noChange = change.direction === 0 && change.magnitude === 0;
  if (change.direction !== 1 && change.direction !== -1 && !noChange) {
    return 'the change direction must be 1 or -1 (or 0 with magnitude 0 for no change)';
  }
  if (change.metric !== undefined && change.metric !== null && change.metric !== '') {
    const m = resolveMetric(change.metric);
    if (m === null) return `the change names an unsupported metric (${change.metric})`;
    if (m !== metric) return `the change is about ${m}, but the scenario is about ${metric}`;
  }
  const percentMetric = PERCENT_METRICS.includes(metric);
  switch (change.mode) {
    case 'by':
      if (change.unit === 'percent' && change.magnitude > MAX_PERCENT_CHANGE) {
        return 'a percentage change cannot exceed 100%';
      }
      if (change.unit === 'qar' && metric !== 'avg_salary') return 'a change in QAR applies to avg_salary only';
      if (change.unit === 'pp' && !percentMetric) return 'a change in percentage points needs a percent metric';
      return null;
    case 'to':
      if ((change.unit === 'percent' || change.unit === 'pp') && !percentMetric) {
        return 'a percentage target needs a percent metric';
      }
      if (change.unit === 'qar' && metric !== 'avg_salary') return 'a target in QAR applies to avg_salary only';
      if (percentMetric && change.magnitude > 100) return 'a percentage target cannot exceed 100%';
      return null;
    case 'rate':
      if (change.unit !== 'percent' && change.unit !== 'plain') return 'a growth rate must be a percentage';
      if (change.magnitude > MAX_PERCENT_CHANGE && change.direction === -1) {
        return 'a rate of decline cannot exceed 100%';
      }
      if (change.magnitude > MAX_PERCENT_CHANGE) return 'a growth rate cannot exceed 100% per year';
      return null;
    default:
      return 'the change mode must be by, to or rate';
  }
}

function invalid(message: string, change: ChangeExpression, index: number): AnalysisError {
  return new AnalysisError('invalid_param', `changes[${index}]: ${message}`, { change, index });
}

/**
 * The transform for one change (applied from step 0 to the end). Throws AnalysisError('invalid_param') for a change
 * that `changeProblem` rejects, or a "to N" target without a baseline value.
 */
export function transformForChange(
  change: ChangeExpression,
  metric: SeriesMetric,
  baseline: BaselineContext,
  index = 0,
): { transform: ScenarioTransform; warnings: AgentWarning[] } {
  const problem = changeProblem(change, metric);
  if (problem !== null) throw invalid(problem, change, index);
  const signed = change.direction * change.magnitude;
  const range = { start_month: 0, end_month: null };
  const warnings: AgentWarning[] = [];
  switch (change.mode) {
    case 'by':
      if (change.unit === 'percent')
        return { transform: { type: 'multiplicative', value: signed / 100, ...range }, warnings };
      if (change.unit === 'plain' && PERCENT_METRICS.includes(metric)) {
        warnings.push({
          code: 'ASSUMED_PERCENTAGE_POINTS',
          message: `a change without a unit on the percent metric ${metric} is read as percentage points`,
          details: { index, magnitude: change.magnitude, direction: change.direction },
        });
      }
      return { transform: { type: 'additive', value: signed, ...range }, warnings };
    case 'to': {
      if (baseline.baselineStep0 === null || !Number.isFinite(baseline.baselineStep0)) {
        throw invalid('a target level needs a baseline forecast', change, index);
      }
      return { transform: { type: 'additive', value: change.magnitude - baseline.baselineStep0, ...range }, warnings };
    }
    case 'rate': {
      const annual = signed / 100;
      const value = baseline.frequency === 'monthly' ? (1 + annual) ** (1 / 12) - 1 : annual;
      return { transform: { type: 'growth_override', value, ...range }, warnings };
    }
  }
}

export interface SpecFromChangesOptions {
  metric: SeriesMetric;
  sector: SectorOrAll;
  horizon_months?: number;
  name?: string;
  description?: string | null;
}

/** One spec whose transforms are the changes, in order. The result is validated like any spec. */
export function specFromChanges(
  changes: readonly ChangeExpression[],
  options: SpecFromChangesOptions,
  baseline: BaselineContext,
): { spec: ScenarioSpec; warnings: AgentWarning[] } {
  if (changes.length === 0) throw new AnalysisError('missing_param', 'params.changes must hold at least one change');
  if (changes.length > MAX_TRANSFORMS) {
    throw new AnalysisError(
      'invalid_param',
      `params.changes holds ${changes.length} changes; at most ${MAX_TRANSFORMS}`,
    );
  }
  const warnings: AgentWarning[] = [];
  const transforms = changes.map((c, i) => {
    const r = transformForChange(c, options.metric, baseline, i);
    warnings.push(...r.warnings);
    return r.transform;
  });
  const spec = parseScenarioSpec({
    name: options.name ?? 'Scenario from the question',
    description: options.description ?? null,
    metric: options.metric,
    sector: options.sector,
    horizon_months: options.horizon_months ?? DEFAULT_HORIZON_MONTHS,
    transforms,
  });
  return { spec, warnings };
}

const LETTERS = 'ABCDEFGHIJ';

/** "Scenario A", "Scenario B", … for the i-th built spec (0-based, at most 10). */
export function builtScenarioName(i: number): string {
  return `Scenario ${LETTERS[i] ?? LETTERS[LETTERS.length - 1]!}`;
}

/** Values of the default triple (§2.4): multiplicative −0.05, additive 0, multiplicative +0.05. */
export const DEFAULT_SCENARIO_RATE = 0.05;

/**
 * The three default specs of scenario.compare, in the order multiplicative −0.05, additive 0, multiplicative +0.05.
 * They are named by the metric's better direction, so for attrition the cut is the optimistic case.
 */
export function defaultCompareSpecs(
  metric: SeriesMetric,
  sector: SectorOrAll,
  horizonMonths: number = DEFAULT_HORIZON_MONTHS,
): ScenarioSpec[] {
  const lowerIsBetter = metric === 'attrition';
  const range = { start_month: 0, end_month: null };
  const raw = [
    {
      name: lowerIsBetter ? 'Optimistic' : 'Pessimistic',
      transforms: [{ type: 'multiplicative', value: -DEFAULT_SCENARIO_RATE, ...range }],
    },
    { name: 'No change', transforms: [{ type: 'additive', value: 0, ...range }] },
    {
      name: lowerIsBetter ? 'Pessimistic' : 'Optimistic',
      transforms: [{ type: 'multiplicative', value: DEFAULT_SCENARIO_RATE, ...range }],
    },
  ];
  return raw.map((r) => parseScenarioSpec({ ...r, metric, sector, horizon_months: horizonMonths }));
}

/** The DEFAULT_SCENARIOS_USED warning. */
export function defaultScenariosWarning(): AgentWarning {
  return {
    code: 'DEFAULT_SCENARIOS_USED',
    message: 'no change was given, so three default scenarios are compared: -5%, no change and +5%',
    details: { multiplicative_low: -DEFAULT_SCENARIO_RATE, additive: 0, multiplicative_high: DEFAULT_SCENARIO_RATE },
  };
}

/**
 * Specs for scenario.compare from changes: none → the default triple (DEFAULT_SCENARIOS_USED); one → that change
 * against additive 0; several → one spec per change (at most 10).
 */
export function compareSpecsFromChanges(
  changes: readonly ChangeExpression[],
  options: SpecFromChangesOptions,
  baseline: BaselineContext,
): { specs: ScenarioSpec[]; warnings: AgentWarning[] } {
  const horizon = options.horizon_months ?? DEFAULT_HORIZON_MONTHS;
  if (changes.length === 0) {
    return {
      specs: defaultCompareSpecs(options.metric, options.sector, horizon),
      warnings: [defaultScenariosWarning()],
    };
  }
  if (changes.length > MAX_TRANSFORMS) {
    throw new AnalysisError(
      'invalid_param',
      `params.changes holds ${changes.length} changes; at most ${MAX_TRANSFORMS}`,
    );
  }
  const warnings: AgentWarning[] = [];
  const specs: ScenarioSpec[] = [];
  changes.forEach((c, i) => {
    const r = transformForChange(c, options.metric, baseline, i);
    warnings.push(...r.warnings);
    specs.push(
      parseScenarioSpec({
        name: builtScenarioName(i),
        metric: options.metric,
        sector: options.sector,
        horizon_months: horizon,
        transforms: [r.transform],
      }),
    );
  });
  if (specs.length === 1) {
    specs.push(
      parseScenarioSpec({
        name: 'No change',
        metric: options.metric,
        sector: options.sector,
        horizon_months: horizon,
        transforms: [{ type: 'additive', value: 0 }],
      }),
    );
  }
  return { specs, warnings };
}
