/**
 * The scenario transform engine (analysis spec §3.5), pure: a baseline path in, the adjusted path out. Transforms
 * apply in order over their inclusive step ranges, then the spec's clamp_min/clamp_max, then the metric's natural
 * bounds (≥ 0; ≤ 100 for percent). Any bound that changes a value raises BOUND_APPLIED. Also the SCENARIO_UNSTABLE
 * rules and the per-step rows {baseline, adjusted, delta, delta_pct}. Never throws.
 */
import type { AgentWarning } from '../model.js';
import type { LevelUnit } from '../format.js';
import { mean, sdSample } from '../math/stats.js';
import type { ScenarioTransform } from './spec.js';

/** Thresholds of the SCENARIO_UNSTABLE rules. */
export const UNSTABLE_CV = 0.5;
export const UNSTABLE_MAX_MIN_RATIO = 5;

export type BoundKind = 'transform_clamp' | 'spec_clamp' | 'natural';

/** One bound that changed at least one value. Steps are 0-based indices into the path. */
export interface BoundHit {
  kind: BoundKind;
  /** Index of the clamp transform (transform_clamp only), else null. */
  transform_index: number | null;
  steps: number[];
  lower: number | null;
  upper: number | null;
}

export interface TransformInput {
  /** Baseline forecast per step, index 0 = the first forecast step. */
  baseline: readonly number[];
  /** Last observed actual value: the base of a growth_override starting at 0 (falls back to the baseline's first). */
  lastActual: number | null;
  /** The metric's level unit, for the natural bounds. */
  unit: LevelUnit;
  transforms: readonly ScenarioTransform[];
  clampMin?: number | null;
  clampMax?: number | null;
  /** Names the scenario in warning messages, e.g. "scenario A". */
  label?: string;
}

export interface TransformOutcome {
  /** Adjusted value per step; null only where arithmetic overflowed (NON_FINITE_RESULT). */
  adjusted: (number | null)[];
  bounds: BoundHit[];
  /** BOUND_APPLIED and NON_FINITE_RESULT warnings, in emission order. */
  warnings: AgentWarning[];
}

/** The inclusive [from, to] indices a transform covers in a path of n steps; null when it covers none. */
export function stepRange(t: Pick<ScenarioTransform, 'start_month' | 'end_month'>, n: number): [number, number] | null {
  const from = Math.max(0, t.start_month);
  const to = Math.min(n - 1, t.end_month ?? n - 1);
  return from > to ? null : [from, to];
}

/** Natural bounds of a metric's level: [0, 100] for percent, [0, +∞) otherwise. */
export function naturalBounds(unit: LevelUnit): { lower: number; upper: number | null } {
  return { lower: 0, upper: unit === 'percent' ? 100 : null };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Applies min/max to every non-null value of `path` in [from, to]; returns the indices it changed. */
function clampRange(
  path: (number | null)[],
  from: number,
  to: number,
  lower: number | null,
  upper: number | null,
): number[] {
  const changed: number[] = [];
  for (let i = from; i <= to; i++) {
    const v = path[i];
    if (v === null || v === undefined) continue;
    let w = v;
    if (lower !== null && w < lower) w = lower;
    if (upper !== null && w > upper) w = upper;
    if (w !== v) {
      path[i] = w;
      changed.push(i);
    }
  }
  return changed;
}

function applyOne(
  path: (number | null)[],
  t: ScenarioTransform,
  lastActual: number | null,
  baseline0: number,
): number[] {
  const range = stepRange(t, path.length);
  if (range === null) return [];
  const [from, to] = range;
  switch (t.type) {
    case 'additive':
      for (let i = from; i <= to; i++) {
        const v = path[i];
        path[i] = v === null || v === undefined ? null : finiteOrNull(v + t.value);
      }
      return [];
    case 'multiplicative':
      for (let i = from; i <= to; i++) {
        const v = path[i];
        path[i] = v === null || v === undefined ? null : finiteOrNull(v * (1 + t.value));
      }
      return [];
    case 'growth_override': {
      // base = the adjusted v_{start−1}, or the last observed actual when the range starts at step 0.
      const base = from === 0 ? (lastActual ?? baseline0) : (path[from - 1] ?? null);
      for (let i = from; i <= to; i++) {
        path[i] = base === null ? null : finiteOrNull(base * (1 + t.value) ** (i - from + 1));
      }
      return [];
    }
    case 'clamp':
      return clampRange(path, from, to, t.min, t.max);
  }
}

/** Runs the transforms, the spec clamp and the natural bounds over the baseline path. */
export function applyTransforms(input: TransformInput): TransformOutcome {
  const n = input.baseline.length;
  const path: (number | null)[] = input.baseline.map((v) => (Number.isFinite(v) ? v : null));
  const bounds: BoundHit[] = [];
  const warnings: AgentWarning[] = [];
  const who = input.label ? `${input.label}: ` : '';
  const baseline0 = input.baseline[0] ?? 0;
  const lastActual = input.lastActual !== null && Number.isFinite(input.lastActual) ? input.lastActual : null;

  input.transforms.forEach((t, index) => {
    const changed = applyOne(path, t, lastActual, baseline0);
    if (t.type === 'clamp' && changed.length > 0) {
      bounds.push({ kind: 'transform_clamp', transform_index: index, steps: changed, lower: t.min, upper: t.max });
    }
  });

  const clampMin = input.clampMin ?? null;
  const clampMax = input.clampMax ?? null;
  if (n > 0 && (clampMin !== null || clampMax !== null)) {
    const changed = clampRange(path, 0, n - 1, clampMin, clampMax);
    if (changed.length > 0) {
      bounds.push({ kind: 'spec_clamp', transform_index: null, steps: changed, lower: clampMin, upper: clampMax });
    }
  }
  const natural = naturalBounds(input.unit);
  if (n > 0) {
    const changed = clampRange(path, 0, n - 1, natural.lower, natural.upper);
    if (changed.length > 0) {
      bounds.push({
        kind: 'natural',
        transform_index: null,
        steps: changed,
        lower: natural.lower,
        upper: natural.upper,
      });
    }
  }

  const nonFinite = path
    .map((v, i) => (v === null && Number.isFinite(input.baseline[i]) ? i : -1))
    .filter((i) => i >= 0);
  if (nonFinite.length > 0) {
    warnings.push({
      code: 'NON_FINITE_RESULT',
      message: `${who}the adjusted value overflowed at ${nonFinite.length} step(s) and is reported as null`,
      details: { field: 'adjusted', steps: nonFinite.map((i) => i + 1) },
    });
  }
  for (const b of bounds) {
    const what =
      b.kind === 'transform_clamp'
        ? `the clamp at transforms/${b.transform_index}`
        : b.kind === 'spec_clamp'
          ? 'the spec clamp_min/clamp_max'
          : "the metric's natural bounds";
    warnings.push({
      code: 'BOUND_APPLIED',
      message: `${who}${what} changed the adjusted value at ${b.steps.length} step(s)`,
      details: {
        bound: b.kind,
        transform_index: b.transform_index,
        lower: b.lower,
        upper: b.upper,
        steps: b.steps.map((i) => i + 1),
      },
    });
  }
  return { adjusted: path, bounds, warnings };
}

export interface StabilityCheck {
  unstable: boolean;
  /** Which rules fired: "cv", "sign_changes", "max_min_ratio". */
  reasons: string[];
  /** sd_s / |mean| of the adjusted values; null with fewer than 2 values or a zero mean. */
  cv: number | null;
  /** Sign changes between consecutive non-zero step differences, and the allowed ⌊n/3⌋. */
  sign_changes: number;
  sign_change_limit: number;
  /** max / min when min > 0, else null. */
  max_min_ratio: number | null;
}

/**
 * SCENARIO_UNSTABLE rules over the non-null adjusted values: CV > 0.5, step differences changing sign more than
 * ⌊n/3⌋ times, or max/min > 5 with min > 0. Differences within floating-point noise count as zero.
 */
export function stabilityOf(values: readonly (number | null)[]): StabilityCheck {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  const m = mean(xs);
  const sd = sdSample(xs);
  const cv = m !== null && sd !== null && m !== 0 ? finiteOrNull(sd / Math.abs(m)) : null;
  const noise = 1e-12 * Math.max(1, Math.abs(m ?? 0));
  let signChanges = 0;
  let lastSign = 0;
  for (let i = 1; i < n; i++) {
    const d = xs[i]! - xs[i - 1]!;
    const sign = Math.abs(d) <= noise ? 0 : Math.sign(d);
    if (sign === 0) continue;
    if (lastSign !== 0 && sign !== lastSign) signChanges++;
    lastSign = sign;
  }
  const limit = Math.floor(n / 3);
  const min = n > 0 ? Math.min(...xs) : null;
  const max = n > 0 ? Math.max(...xs) : null;
  const ratio = min !== null && max !== null && min > 0 ? finiteOrNull(max / min) : null;
  const reasons: string[] = [];
  if (cv !== null && cv > UNSTABLE_CV) reasons.push('cv');
  if (signChanges > limit) reasons.push('sign_changes');
  if (ratio !== null && ratio > UNSTABLE_MAX_MIN_RATIO) reasons.push('max_min_ratio');
  return {
    unstable: reasons.length > 0,
    reasons,
    cv,
    sign_changes: signChanges,
    sign_change_limit: limit,
    max_min_ratio: ratio,
  };
}

/** The SCENARIO_UNSTABLE warning for a check that fired, else null. */
export function unstableWarning(check: StabilityCheck, label?: string): AgentWarning | null {
  if (!check.unstable) return null;
  const text: Record<string, string> = {
    cv: `its coefficient of variation exceeds ${UNSTABLE_CV}`,
    sign_changes: `its step differences change sign more than ${check.sign_change_limit} times`,
    max_min_ratio: `its maximum is more than ${UNSTABLE_MAX_MIN_RATIO} times its minimum`,
  };
  return {
    code: 'SCENARIO_UNSTABLE',
    message: `${label ? `${label}: ` : ''}the adjusted path is unstable: ${check.reasons.map((r) => text[r]).join('; ')}`,
    details: {
      reasons: check.reasons,
      cv: check.cv,
      sign_changes: check.sign_changes,
      sign_change_limit: check.sign_change_limit,
      max_min_ratio: check.max_min_ratio,
    },
  };
}

export interface ScenarioRow {
  /** 1-based, as in the forecast rows; transform step indices are 0-based (index i is step i + 1). */
  step: number;
  period: string;
  baseline: number;
  adjusted: number | null;
  /** adjusted − baseline. */
  delta: number | null;
  /** delta / baseline · 100; null when the baseline is 0. */
  delta_pct: number | null;
}

/** Per-step rows of a scenario path. */
export function scenarioRows(
  periods: readonly string[],
  baseline: readonly number[],
  adjusted: readonly (number | null)[],
): ScenarioRow[] {
  return baseline.map((b, i) => {
    const a = adjusted[i] ?? null;
    const delta = a === null ? null : finiteOrNull(a - b);
    const pct = delta === null || b === 0 ? null : finiteOrNull((delta / b) * 100);
    return { step: i + 1, period: periods[i] ?? `+${i + 1}`, baseline: b, adjusted: a, delta, delta_pct: pct };
  });
}

/** Mean of the defined delta_pct values; null when none is defined. */
export function meanDeltaPct(rows: readonly ScenarioRow[]): number | null {
  return mean(rows.map((r) => r.delta_pct).filter((v): v is number => v !== null));
}
