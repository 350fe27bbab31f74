import { describe, expect, it } from 'vitest';
import { AnalysisError } from '../../../src/analysis/model.js';
import {
  changeProblem,
  compareSpecsFromChanges,
  defaultCompareSpecs,
  specFromChanges,
  transformForChange,
  type ChangeExpression,
} from '../../../src/analysis/scenario/changes.js';

const annual = { frequency: 'annual' as const, baselineStep0: 80 };
const monthly = { frequency: 'monthly' as const, baselineStep0: 80 };
const all = { start_month: 0, end_month: null };

function change(c: Partial<ChangeExpression>): ChangeExpression {
  return { direction: 1, magnitude: 5, unit: 'percent', mode: 'by', ...c };
}

describe('change expression → transform (§2.5 table)', () => {
  it('by N% → multiplicative ±N/100', () => {
    expect(transformForChange(change({}), 'retention', annual)).toEqual({
      transform: { type: 'multiplicative', value: 0.05, ...all },
      warnings: [],
    });
    expect(transformForChange(change({ direction: -1, magnitude: 10 }), 'employment', annual).transform).toEqual({
      type: 'multiplicative',
      value: -0.1,
      ...all,
    });
  });

  it('by more than 100% is invalid', () => {
    expect(changeProblem(change({ magnitude: 120 }), 'employment')).toBe('a percentage change cannot exceed 100%');
    expect(() => transformForChange(change({ magnitude: 120 }), 'employment', annual)).toThrow(AnalysisError);
    try {
      transformForChange(change({ magnitude: 120 }), 'employment', annual, 2);
    } catch (e) {
      expect((e as AnalysisError).code).toBe('invalid_param');
      expect((e as AnalysisError).message).toBe('changes[2]: a percentage change cannot exceed 100%');
    }
  });

  it('by N pp → additive ±N', () => {
    expect(transformForChange(change({ unit: 'pp', direction: -1, magnitude: 2 }), 'attrition', annual)).toEqual({
      transform: { type: 'additive', value: -2, ...all },
      warnings: [],
    });
  });

  it('by N without a unit: percentage points for percent metrics (with a warning), plain for the others', () => {
    const r = transformForChange(change({ unit: 'plain', magnitude: 3 }), 'qatarization', annual);
    expect(r.transform).toEqual({ type: 'additive', value: 3, ...all });
    expect(r.warnings.map((w) => w.code)).toEqual(['ASSUMED_PERCENTAGE_POINTS']);
    const e = transformForChange(change({ unit: 'plain', magnitude: 500, direction: -1 }), 'employment', annual);
    expect(e).toEqual({ transform: { type: 'additive', value: -500, ...all }, warnings: [] });
  });

  it('by N QAR → additive ±N, avg_salary only', () => {
    expect(transformForChange(change({ unit: 'qar', magnitude: 750 }), 'avg_salary', annual).transform).toEqual({
      type: 'additive',
      value: 750,
      ...all,
    });
    expect(changeProblem(change({ unit: 'qar', magnitude: 750 }), 'retention')).toBe(
      'a change in QAR applies to avg_salary only',
    );
  });

  it('to N → additive (N − baseline at step 0)', () => {
    expect(transformForChange(change({ mode: 'to', magnitude: 85 }), 'retention', annual).transform).toEqual({
      type: 'additive',
      value: 5,
      ...all,
    });
    // The direction does not change a target level.
    expect(
      transformForChange(change({ mode: 'to', magnitude: 70, direction: -1 }), 'retention', annual).transform,
    ).toEqual({ type: 'additive', value: -10, ...all });
    expect(() =>
      transformForChange(change({ mode: 'to', magnitude: 70 }), 'retention', {
        frequency: 'annual',
        baselineStep0: null,
      }),
    ).toThrow('a target level needs a baseline forecast');
    expect(changeProblem(change({ mode: 'to', magnitude: 50 }), 'employment')).toBe(
      'a percentage target needs a percent metric',
    );
  });

  it('rate N% per year → growth_override, converted to a monthly rate for monthly baselines', () => {
    expect(transformForChange(change({ mode: 'rate', magnitude: 12 }), 'employment', annual).transform).toEqual({
      type: 'growth_override',
      value: 0.12,
      ...all,
    });
    const m = transformForChange(change({ mode: 'rate', magnitude: 12 }), 'employment', monthly).transform;
    expect(m.type).toBe('growth_override');
    const v = (m as { value: number }).value;
    expect(v).toBeCloseTo(1.12 ** (1 / 12) - 1, 15);
    expect((1 + v) ** 12).toBeCloseTo(1.12, 12);
    const down = transformForChange(change({ mode: 'rate', magnitude: 12, direction: -1 }), 'employment', monthly);
    expect((1 + (down.transform as { value: number }).value) ** 12).toBeCloseTo(0.88, 12);
  });

  it('rejects a change about another metric and malformed numbers', () => {
    expect(changeProblem(change({ metric: 'salary' }), 'retention')).toBe(
      'the change is about avg_salary, but the scenario is about retention',
    );
    expect(changeProblem(change({ metric: 'turnover' }), 'attrition')).toBeNull();
    expect(changeProblem(change({ magnitude: Number.NaN }), 'retention')).toBe(
      'the change needs a finite, non-negative number',
    );
  });
});

describe('specs from changes', () => {
  it('one spec with one transform per change, validated', () => {
    const { spec, warnings } = specFromChanges(
      [change({ unit: 'plain', magnitude: 2 }), change({ magnitude: 10, direction: -1 })],
      { metric: 'retention', sector: 'Energy', horizon_months: 24 },
      annual,
    );
    expect(spec).toEqual({
      name: 'Scenario from the question',
      description: null,
      metric: 'retention',
      sector: 'Energy',
      horizon_months: 24,
      transforms: [
        { type: 'additive', value: 2, ...all },
        { type: 'multiplicative', value: -0.1, ...all },
      ],
      clamp_min: null,
      clamp_max: null,
    });
    expect(warnings.map((w) => w.code)).toEqual(['ASSUMED_PERCENTAGE_POINTS']);
  });

  it('compare without changes uses the default triple (DEFAULT_SCENARIOS_USED)', () => {
    const r = compareSpecsFromChanges([], { metric: 'retention', sector: 'ALL', horizon_months: 12 }, annual);
    expect(r.warnings.map((w) => w.code)).toEqual(['DEFAULT_SCENARIOS_USED']);
    expect(r.specs.map((s) => [s.name, s.transforms[0]])).toEqual([
      ['Pessimistic', { type: 'multiplicative', value: -0.05, ...all }],
      ['No change', { type: 'additive', value: 0, ...all }],
      ['Optimistic', { type: 'multiplicative', value: 0.05, ...all }],
    ]);
    // For attrition (lower is better) the cut is the optimistic case; the values keep their order.
    expect(defaultCompareSpecs('attrition', 'ALL').map((s) => s.name)).toEqual([
      'Optimistic',
      'No change',
      'Pessimistic',
    ]);
  });

  it('compare with one change adds additive 0; several changes give one spec each', () => {
    const one = compareSpecsFromChanges([change({})], { metric: 'employment', sector: 'ALL' }, annual);
    expect(one.specs.map((s) => [s.name, s.transforms[0]!.type, s.horizon_months])).toEqual([
      ['Scenario A', 'multiplicative', 12],
      ['No change', 'additive', 12],
    ]);
    const three = compareSpecsFromChanges(
      [change({}), change({ direction: -1 }), change({ mode: 'rate', magnitude: 3 })],
      { metric: 'employment', sector: 'Finance', horizon_months: 6 },
      annual,
    );
    expect(three.specs.map((s) => s.name)).toEqual(['Scenario A', 'Scenario B', 'Scenario C']);
    expect(three.specs.every((s) => s.sector === 'Finance' && s.horizon_months === 6)).toBe(true);
  });
});
