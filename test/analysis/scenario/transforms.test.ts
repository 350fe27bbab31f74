import { describe, expect, it } from 'vitest';
import type { ScenarioTransform } from '../../../src/analysis/scenario/spec.js';
import {
  applyTransforms,
  meanDeltaPct,
  scenarioRows,
  stabilityOf,
  stepRange,
  unstableWarning,
} from '../../../src/analysis/scenario/transforms.js';

const all = { start_month: 0, end_month: null };

function run(
  baseline: number[],
  transforms: ScenarioTransform[],
  extra: Partial<Parameters<typeof applyTransforms>[0]> = {},
) {
  return applyTransforms({ baseline, lastActual: null, unit: 'count', transforms, ...extra });
}

describe('transforms', () => {
  it('multiplicative -0.1 cuts every value by exactly 10%', () => {
    const baseline = [100, 250, 37.5, 1234.56];
    const out = run(baseline, [{ type: 'multiplicative', value: -0.1, ...all }]);
    expect(out.adjusted).toEqual([90, 225, 33.75, 1111.104]);
    out.adjusted.forEach((v, i) => expect(Math.abs(v! / baseline[i]! - 0.9)).toBeLessThan(1e-12));
    expect(out.warnings).toEqual([]);
  });

  it('additive and multiplicative respect the inclusive step range, in order', () => {
    const out = run(
      [10, 10, 10, 10],
      [
        { type: 'additive', value: 5, start_month: 1, end_month: 2 },
        { type: 'multiplicative', value: 1, start_month: 2, end_month: null },
      ],
    );
    expect(out.adjusted).toEqual([10, 15, 30, 20]);
  });

  it('growth_override compounds from the last actual value when it starts at step 0', () => {
    const out = run([50, 50, 50], [{ type: 'growth_override', value: 0.1, ...all }], { lastActual: 100 });
    expect(out.adjusted[0]).toBeCloseTo(110, 10);
    expect(out.adjusted[1]).toBeCloseTo(121, 10);
    expect(out.adjusted[2]).toBeCloseTo(133.1, 10);
  });

  it('growth_override compounds from the adjusted value of the step before its start', () => {
    const out = run(
      [10, 10, 10, 10],
      [
        { type: 'additive', value: 5, ...all },
        { type: 'growth_override', value: 0.2, start_month: 2, end_month: null },
      ],
    );
    // base = adjusted v_1 = 15; v_2 = 15 · 1.2, v_3 = 15 · 1.2²
    expect(out.adjusted[0]).toBe(15);
    expect(out.adjusted[1]).toBe(15);
    expect(out.adjusted[2]).toBeCloseTo(18, 12);
    expect(out.adjusted[3]).toBeCloseTo(21.6, 12);
  });

  it('a negative growth rate declines geometrically; -1 drops to zero', () => {
    const out = run([8, 8], [{ type: 'growth_override', value: -0.5, ...all }], { lastActual: 8 });
    expect(out.adjusted).toEqual([4, 2]);
    expect(run([8, 8], [{ type: 'growth_override', value: -1, ...all }], { lastActual: 8 }).adjusted).toEqual([0, 0]);
  });

  it('clamp transform bounds hold (min and max) and raise BOUND_APPLIED', () => {
    const out = run([5, 50, 95], [{ type: 'clamp', min: 10, max: 90, ...all }]);
    expect(out.adjusted).toEqual([10, 50, 90]);
    expect(out.bounds).toEqual([{ kind: 'transform_clamp', transform_index: 0, steps: [0, 2], lower: 10, upper: 90 }]);
    expect(out.warnings.map((w) => [w.code, w.details?.bound, w.details?.steps])).toEqual([
      ['BOUND_APPLIED', 'transform_clamp', [1, 3]],
    ]);
    // A clamp with only a max leaves low values alone; a clamp limited to a range leaves the rest alone.
    expect(run([5, 50, 95], [{ type: 'clamp', min: null, max: 40, ...all }]).adjusted).toEqual([5, 40, 40]);
    expect(run([5, 50, 95], [{ type: 'clamp', min: 60, max: null, start_month: 1, end_month: 1 }]).adjusted).toEqual([
      5, 60, 95,
    ]);
  });

  it('a clamp that changes nothing raises no warning', () => {
    const out = run([20, 30], [{ type: 'clamp', min: 0, max: 100, ...all }]);
    expect(out.adjusted).toEqual([20, 30]);
    expect(out.warnings).toEqual([]);
  });

  it('the spec clamp applies after the transforms, then the natural bounds', () => {
    const out = applyTransforms({
      baseline: [80, 90],
      lastActual: null,
      unit: 'percent',
      transforms: [{ type: 'multiplicative', value: 0.5, ...all }],
      clampMin: 10,
      clampMax: 130,
    });
    // 120 and 135 → spec clamp (135 → 130) → natural ≤ 100 for percent
    expect(out.adjusted).toEqual([100, 100]);
    expect(out.bounds.map((b) => [b.kind, b.steps])).toEqual([
      ['spec_clamp', [1]],
      ['natural', [0, 1]],
    ]);
    expect(out.warnings.map((w) => w.code)).toEqual(['BOUND_APPLIED', 'BOUND_APPLIED']);
  });

  it('natural bounds: counts and QAR never go below zero', () => {
    const out = run([100, 100], [{ type: 'additive', value: -150, ...all }]);
    expect(out.adjusted).toEqual([0, 0]);
    expect(out.warnings[0]).toMatchObject({
      code: 'BOUND_APPLIED',
      details: { bound: 'natural', lower: 0, upper: null },
    });
  });

  it('a range past the horizon changes nothing', () => {
    expect(stepRange({ start_month: 5, end_month: null }, 3)).toBeNull();
    expect(stepRange({ start_month: 1, end_month: 99 }, 3)).toEqual([1, 2]);
    expect(run([1, 2, 3], [{ type: 'additive', value: 9, start_month: 5, end_month: null }]).adjusted).toEqual([
      1, 2, 3,
    ]);
  });

  it('overflow becomes null with NON_FINITE_RESULT, never NaN or Infinity', () => {
    const out = run(
      [1e308, 1],
      [
        { type: 'additive', value: 1e308, start_month: 0, end_month: 0 },
        { type: 'multiplicative', value: 1, ...all },
      ],
    );
    expect(out.adjusted).toEqual([null, 2]);
    expect(out.warnings[0]).toMatchObject({ code: 'NON_FINITE_RESULT', details: { field: 'adjusted', steps: [1] } });
  });
});

describe('scenario rows and stability', () => {
  it('rows carry delta and delta_pct; delta_pct is null where the baseline is 0', () => {
    const rows = scenarioRows(['2025', '2026', '2027'], [100, 0, 50], [110, 5, null]);
    expect(rows).toEqual([
      { step: 1, period: '2025', baseline: 100, adjusted: 110, delta: 10, delta_pct: 10 },
      { step: 2, period: '2026', baseline: 0, adjusted: 5, delta: 5, delta_pct: null },
      { step: 3, period: '2027', baseline: 50, adjusted: null, delta: null, delta_pct: null },
    ]);
    expect(meanDeltaPct(rows)).toBe(10);
    expect(meanDeltaPct(rows.slice(1))).toBeNull();
  });

  it('a steady path is stable', () => {
    const s = stabilityOf([10, 10.1, 10.2, 10.3]);
    expect(s).toMatchObject({ unstable: false, reasons: [], sign_changes: 0, sign_change_limit: 1 });
    expect(unstableWarning(s)).toBeNull();
  });

  it('coefficient of variation above 0.5', () => {
    // mean 2, sd_s = √(((−1.5)² + (−1.5)² + 3²)/2) = √6.75 ≈ 2.598 → CV ≈ 1.299
    const s = stabilityOf([0.5, 0.5, 5]);
    expect(s.cv).toBeCloseTo(Math.sqrt(6.75) / 2, 12);
    expect(s.reasons).toContain('cv');
  });

  it('step differences changing sign more than ⌊n/3⌋ times', () => {
    const s = stabilityOf([10, 11, 10, 11, 10, 11]);
    expect(s).toMatchObject({ unstable: true, reasons: ['sign_changes'], sign_changes: 4, sign_change_limit: 2 });
    expect(unstableWarning(s, 'scenario A')).toMatchObject({
      code: 'SCENARIO_UNSTABLE',
      details: { reasons: ['sign_changes'], sign_changes: 4, sign_change_limit: 2 },
    });
    // Two sign changes in six points is still within the limit.
    expect(stabilityOf([10, 11, 10, 10, 10, 11]).reasons).toEqual([]);
  });

  it('max/min above 5 with a positive minimum', () => {
    const s = stabilityOf([2, 11, 11, 11, 11, 11, 11, 11, 11, 11]);
    expect(s.max_min_ratio).toBe(5.5);
    expect(s.reasons).toEqual(['max_min_ratio']);
    // A zero minimum disables the ratio rule.
    expect(stabilityOf([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]).max_min_ratio).toBeNull();
  });

  it('degenerate paths never throw', () => {
    expect(stabilityOf([])).toMatchObject({ unstable: false, cv: null, max_min_ratio: null });
    expect(stabilityOf([null, 3])).toMatchObject({ unstable: false, cv: null });
    expect(stabilityOf([0, 0, 0])).toMatchObject({ unstable: false, cv: null });
  });
});
