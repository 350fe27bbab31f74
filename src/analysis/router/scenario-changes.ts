/**
 * Scenario changes built from a question's change expressions (analysis spec §2.5, change expression → scenario
 * transform). The Scenario agent turns each change into a §3.5 transform once it knows the baseline:
 *
 * | mode, unit            | transform                                                                  |
 * | by N%                 | { type: multiplicative, value: ±N/100 }  (N > 100: not usable)               |
 * | by N pp / points      | { type: additive, value: ±N }                                              |
 * | by N, no unit         | { type: additive, value: ±N } (percent metric: pp, ASSUMED_PERCENTAGE_POINTS) |
 * | by N QAR              | { type: additive, value: ±N } (avg_salary only)                             |
 * | to N                  | { type: target_level, value: N }: additive (N − baseline at step 0)          |
 * | at N% per year/month  | { type: growth_override, rate: ±N/100, per: year or month }                 |
 */
import type { SeriesMetric } from '../model.js';
import { changeDirection, type ChangeEntity, type NumberUnit, type ChangeMode } from './entities.js';

export type ChangeTransform =
  | { type: 'additive'; value: number }
  | { type: 'multiplicative'; value: number }
  /** The Scenario agent applies additive (value − baseline at step 0). */
  | { type: 'target_level'; value: number }
  /**
   * Compound growth at `rate` per `per`. Per forecast step: per year on an annual baseline → rate; per year on a
   * monthly baseline → (1 + rate)^(1/12) − 1; per month on a monthly baseline → rate; per month on an annual
   * baseline → (1 + rate)^12 − 1.
   */
  | { type: 'growth_override'; rate: number; per: 'year' | 'month' };

export interface ScenarioChange {
  metric: SeriesMetric;
  /** +1 up, −1 down, 0 for the "no change" reference. */
  direction: 1 | 0 | -1;
  magnitude: number;
  unit: NumberUnit;
  mode: ChangeMode;
  rate_period?: 'year' | 'month';
  /** The words of the question ("" for changes the router adds). */
  text: string;
  /** A short name for the spec built from this change (1..100 characters). */
  label: string;
  transform: ChangeTransform;
}

export type ChangeBuild =
  { ok: true; change: ScenarioChange; assumedPercentagePoints: boolean } | { ok: false; reason: string };

const PERCENT_METRICS: ReadonlySet<SeriesMetric> = new Set(['retention', 'attrition', 'qatarization']);

/** Builds the change for `metric`; "improve"/"worsen" are resolved against that metric. */
export function buildScenarioChange(entity: ChangeEntity, metric: SeriesMetric): ChangeBuild {
  const direction = entity.relative ? changeDirection(entity.relative, metric) : entity.direction;
  const n = entity.magnitude;
  const signed = direction * n;
  let transform: ChangeTransform;
  let assumed = false;
  if (entity.mode === 'to') {
    transform = { type: 'target_level', value: n };
  } else if (entity.mode === 'rate') {
    if (n > 100) return { ok: false, reason: `a growth rate of ${n}% is above 100%` };
    transform = { type: 'growth_override', rate: round(signed / 100), per: entity.rate_period ?? 'year' };
  } else if (entity.unit === 'percent') {
    if (n > 100) return { ok: false, reason: `a change of ${n}% is above 100%` };
    transform = { type: 'multiplicative', value: round(signed / 100) };
  } else if (entity.unit === 'qar') {
    if (metric !== 'avg_salary') return { ok: false, reason: 'a change in QAR applies to avg_salary only' };
    transform = { type: 'additive', value: signed };
  } else {
    assumed = entity.unit === 'plain' && PERCENT_METRICS.has(metric);
    transform = { type: 'additive', value: signed };
  }
  const change: ScenarioChange = {
    metric,
    direction,
    magnitude: n,
    unit: entity.unit,
    mode: entity.mode,
    text: entity.text,
    label: labelOf(entity.text, metric, direction, n, entity.unit, entity.mode),
    transform,
  };
  if (entity.mode === 'rate') change.rate_period = entity.rate_period ?? 'year';
  return { ok: true, change, assumedPercentagePoints: assumed };
}

/** The "no change" reference (additive 0). */
export function noChange(metric: SeriesMetric): ScenarioChange {
  return {
    metric,
    direction: 0,
    magnitude: 0,
    unit: PERCENT_METRICS.has(metric) ? 'pp' : 'plain',
    mode: 'by',
    text: '',
    label: 'no change',
    transform: { type: 'additive', value: 0 },
  };
}

/** The three default scenarios of §2.4 (multiplicative −0.05, additive 0, multiplicative +0.05). */
export function defaultScenarioChanges(metric: SeriesMetric): ScenarioChange[] {
  const pct = (direction: 1 | -1): ScenarioChange => ({
    metric,
    direction,
    magnitude: 5,
    unit: 'percent',
    mode: 'by',
    text: '',
    label: direction < 0 ? '5% lower' : '5% higher',
    transform: { type: 'multiplicative', value: direction * 0.05 },
  });
  return [pct(-1), noChange(metric), pct(1)];
}

function labelOf(
  text: string,
  metric: SeriesMetric,
  direction: number,
  n: number,
  unit: NumberUnit,
  mode: ChangeMode,
): string {
  const t = text.trim();
  if (t.length > 0) return t.length <= 100 ? t : t.slice(0, 100);
  const u = unit === 'percent' ? '%' : unit === 'pp' ? ' pp' : unit === 'qar' ? ' QAR' : '';
  if (mode === 'to') return `${metric} to ${n}${u}`;
  return `${metric} ${direction < 0 ? 'down' : 'up'} ${n}${u}${mode === 'rate' ? ' a year' : ''}`;
}

/** Rounds away binary noise (0.1 · 3 …) so transforms read as written. */
function round(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}
