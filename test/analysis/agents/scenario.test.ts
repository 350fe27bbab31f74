import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, batch, compare } from '../../../src/analysis/agents/scenario.js';
import { forecast } from '../../../src/analysis/agents/predictor.js';
import { AnalysisError, type AgentResult, type DataClient } from '../../../src/analysis/model.js';
import { loadCitedQueries } from '../../../src/analysis/render/citations.js';
import { renderAnswer } from '../../../src/analysis/render/render-answer.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';
import { annual, fakeClient, monthly, seriesResult } from '../scenario/fake-data.js';

const CLOCK = '2025-01-15';

/** Renders the answer and runs verification; returns the error-severity issues (none expected). */
async function verificationErrors(result: AgentResult, client: DataClient): Promise<string[]> {
  const queries = await loadCitedQueries(result, client);
  const answer = renderAnswer({ result, queries, clockDate: CLOCK });
  const v = await verifyAnswer({
    narrative: answer.narrative,
    citations: [...answer.cited.queries, ...answer.cited.derived],
    options: { enforce_citations: true, verify_numbers: true },
    clockDate: CLOCK,
  });
  return v.issues.filter((i) => i.severity === 'error').map((i) => `${i.code}: ${i.message}`);
}

async function rejection(p: Promise<unknown>): Promise<AnalysisError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AnalysisError) return e;
    throw e;
  }
  throw new Error('expected an AnalysisError');
}

function derivedOf(r: AgentResult, operation: string) {
  const d = r.derived.find((x) => x.operation === operation);
  if (!d) throw new Error(`no derived ${operation}`);
  return d;
}

const flat = (v: number, n = 5) => Array<number>(n).fill(v);

describe('Scenario.apply', () => {
  const client = () =>
    fakeClient([
      seriesResult('ts_employment_annual', 'count', [...annual('Energy', flat(40)), ...annual('ALL', flat(100))]),
      seriesResult('ts_retention_annual', 'percent', [...annual('Energy', flat(80)), ...annual('ALL', flat(75))]),
    ]);
  const cut = {
    name: 'Cut',
    metric: 'employment',
    horizon_months: 36,
    transforms: [{ type: 'multiplicative', value: -0.1 }],
  };

  it('cuts the baseline by exactly 10% at every step, with rows, derived results and a cited summary', async () => {
    const c = client();
    const r = await apply(c, { spec: cut, format: 'dict' });
    expect([r.agent, r.method, r.intent, r.frequency]).toEqual(['Scenario', 'apply', 'scenario.apply', 'annual']);
    expect(r.sources).toEqual(['ts_employment_annual']);
    expect(r.params).toEqual({
      spec: {
        name: 'Cut',
        description: null,
        metric: 'employment',
        sector: 'ALL',
        horizon_months: 36,
        transforms: [{ type: 'multiplicative', value: -0.1, start_month: 0, end_month: null }],
        clamp_min: null,
        clamp_max: null,
      },
      format: 'dict',
      frequency: 'auto',
    });
    const fd = derivedOf(r, 'forecast_baseline');
    const sd = derivedOf(r, 'scenario_apply');
    expect(fd.rows.map((x) => [x.period, x.yhat])).toEqual([
      ['2025', 100],
      ['2026', 100],
      ['2027', 100],
    ]);
    expect(sd.inputs).toEqual([fd.id]);
    expect(sd.rows).toEqual([
      { step: 1, period: '2025', baseline: 100, adjusted: 90, delta: -10, delta_pct: -10 },
      { step: 2, period: '2026', baseline: 100, adjusted: 90, delta: -10, delta_pct: -10 },
      { step: 3, period: '2027', baseline: 100, adjusted: 90, delta: -10, delta_pct: -10 },
    ]);
    expect(sd.params).toMatchObject({
      steps: 3,
      step_unit: 'year',
      end_adjusted: 90,
      end_delta: -10,
      end_delta_pct: -10,
      mean_delta_pct: -10,
      transforms: [
        { index: 0, type: 'multiplicative', value: -0.1, value_percent: -10, start_month: 0, end_month: null },
      ],
    });
    const [finding] = r.findings;
    expect(finding!.summary).toBe(
      `**Scenario "Cut": Employment, national (ALL), annual baseline.** ` +
        `The baseline forecast (ewma) for 2027 is 100 [cite:${fd.id}]. ` +
        `Under the scenario it is 90, a change of -10 or -10.0% [cite:${sd.id}]. ` +
        `Over 3 years from 2025 to 2027 the mean change is -10.0% [cite:${sd.id}]. ` +
        `Transforms, in order: multiplicative -10.0% from 2025 to 2027 [cite:${sd.id}]. Each step is one year.`,
    );
    expect(finding!.metrics.map((m) => [m.key, m.value, m.unit])).toEqual([
      ['scenario_baseline_final', 100, 'count'],
      ['scenario_adjusted_final', 90, 'count'],
      ['scenario_delta_final', -10, 'count'],
      ['scenario_delta_pct_final', -10, 'percent'],
      ['scenario_mean_delta_pct', -10, 'percent'],
      ['scenario_steps', 3, 'count'],
    ]);
    expect(r.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_HISTORY_FOR_BACKTEST']);
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('is deterministic', async () => {
    expect(await apply(client(), { spec: JSON.stringify(cut) })).toEqual(
      await apply(client(), { spec: JSON.stringify(cut) }),
    );
  });

  it('turns a "to N" change into an additive target and echoes the built spec', async () => {
    const c = client();
    const r = await apply(c, {
      changes: [{ direction: 1, magnitude: 85, unit: 'percent', mode: 'to' }],
      metric: 'retention',
      sector: 'Energy',
    });
    const spec = r.params.spec as { transforms: unknown[]; sector: string; horizon_months: number; name: string };
    expect(spec.transforms).toEqual([{ type: 'additive', value: 5, start_month: 0, end_month: null }]);
    expect([spec.sector, spec.horizon_months, spec.name]).toEqual(['Energy', 12, 'Scenario from the question']);
    expect(r.params.changes).toEqual([{ direction: 1, magnitude: 85, unit: 'percent', mode: 'to' }]);
    expect(derivedOf(r, 'scenario_apply').rows).toEqual([
      { step: 1, period: '2025', baseline: 80, adjusted: 85, delta: 5, delta_pct: 6.25 },
    ]);
    expect(r.findings[0]!.summary).toContain('additive 5.00 pp in 2025');
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('applies the natural bound of a percent metric (BOUND_APPLIED) and the spec clamp', async () => {
    const r = await apply(client(), {
      spec: { name: 'Boost', metric: 'retention', transforms: [{ type: 'multiplicative', value: 0.5 }] },
    });
    expect(derivedOf(r, 'scenario_apply').rows[0]).toMatchObject({ baseline: 75, adjusted: 100, delta: 25 });
    expect(r.warnings.find((w) => w.code === 'BOUND_APPLIED')?.details).toMatchObject({ bound: 'natural', upper: 100 });
    const clamped = await apply(client(), {
      spec: 'name: Boost\nmetric: retention\nclamp_max: 90\ntransforms:\n  - {type: multiplicative, value: 0.5}\n',
    });
    expect(clamped.params.format).toBe('yaml');
    expect(derivedOf(clamped, 'scenario_apply').rows[0]).toMatchObject({ adjusted: 90 });
    expect(clamped.findings[0]!.summary).toContain('The spec keeps every value at most 90.0%');
  });

  it('returns no finding, and does not throw, when the series is too short or missing', async () => {
    const short = fakeClient([seriesResult('ts_employment_annual', 'count', annual('ALL', [5, 6]))]);
    const r = await apply(short, { spec: cut });
    expect(r.findings).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toEqual(['INSUFFICIENT_DATA']);
    expect((r.params.spec as { name: string }).name).toBe('Cut');
    const none = await apply(fakeClient([]), { spec: cut });
    expect(none.findings).toEqual([]);
    expect(none.warnings[0]!.code).toBe('INSUFFICIENT_DATA');
  });

  it('rejects bad parameters with typed errors before reading data', async () => {
    const c = client();
    expect((await rejection(apply(c, {}))).code).toBe('missing_param');
    const invalid = await rejection(
      apply(c, { spec: { ...cut, transforms: [{ type: 'multiplicative', value: -1.5 }] } }),
    );
    expect(invalid.code).toBe('scenario_spec_invalid');
    expect(invalid.details).toEqual({
      issues: [
        { path: '/transforms/0/value', code: 'out_of_range', message: 'multiplicative value must be within [-1, 1]' },
      ],
    });
    expect((await rejection(apply(c, { spec: cut, changes: [] }))).code).toBe('invalid_param');
    expect((await rejection(apply(c, { spec: cut, format: 'xml' as 'dict' }))).code).toBe('invalid_param');
    const tooBig = await rejection(
      apply(c, { changes: [{ direction: -1, magnitude: 120, unit: 'percent', mode: 'by' }], metric: 'employment' }),
    );
    expect([tooBig.code, tooBig.message]).toEqual([
      'invalid_param',
      'changes[0]: a percentage change cannot exceed 100%',
    ]);
    expect(
      (await rejection(apply(c, { changes: [{ direction: 1, magnitude: 1, unit: 'pp', mode: 'by' }] }))).code,
    ).toBe('missing_param');
    expect(
      (await rejection(apply(c, { changes: [{ direction: 1, magnitude: 1, unit: 'pp', mode: 'by' }], metric: 'gdp' })))
        .code,
    ).toBe('unknown_metric');
    expect(c.reads).toEqual([]);
  });
});

describe('Scenario.compare', () => {
  // 30 flat months (2022-01 … 2024-06): the baseline is 10 at every step, from 2024-07 to 2025-06.
  const client = () => fakeClient([seriesResult('ts_attrition_monthly', 'percent', monthly('ALL', flat(10, 30)))]);
  const spec = (name: string, transform: Record<string, unknown>) => ({
    name,
    metric: 'attrition',
    transforms: [transform],
  });

  it('ranks by the end value in the better direction (lower for attrition), with values at steps 6 and 12', async () => {
    const c = client();
    const r = await compare(c, {
      specs: [
        spec('Raise', { type: 'multiplicative', value: 0.1 }),
        spec('Cut two points', { type: 'additive', value: -2 }),
        spec('Trim', { type: 'multiplicative', value: -0.1 }),
        spec('Drift', { type: 'growth_override', value: 0.01 }),
      ],
    });
    expect([r.method, r.intent, r.frequency]).toEqual(['compare', 'scenario.compare', 'monthly']);
    const cd = derivedOf(r, 'scenario_compare');
    expect(cd.rows.map((x) => [x.rank, x.scenario, x.name])).toEqual([
      [1, 'B', 'Cut two points'],
      [2, 'C', 'Trim'],
      [3, 'A', 'Raise'],
      [4, 'D', 'Drift'],
    ]);
    const b = cd.rows[0]!;
    expect(b).toMatchObject({ period_6: '2024-12', value_6: 8, period_12: '2025-06', value_12: 8, end_value: 8 });
    expect(b).toMatchObject({ end_delta: -2, end_delta_pct: -20, mean_delta_pct: -20 });
    const d = cd.rows[3]!;
    expect(d.value_6 as number).toBeCloseTo(10 * 1.01 ** 6, 10);
    expect(d.value_12 as number).toBeCloseTo(10 * 1.01 ** 12, 10);
    expect(r.findings[0]!.summary).toContain('Scenario B (Cut two points) ranks first with 8.0%');
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('equal end values share the minimum rank', async () => {
    const r = await compare(client(), {
      specs: [
        spec('Same', { type: 'additive', value: 1 }),
        spec('Also same', { type: 'additive', value: 1 }),
        spec('Better', { type: 'additive', value: -1 }),
      ],
    });
    expect(derivedOf(r, 'scenario_compare').rows.map((x) => [x.scenario, x.rank])).toEqual([
      ['C', 1],
      ['A', 2],
      ['B', 2],
    ]);
  });

  it('uses the default triple when no change is given (DEFAULT_SCENARIOS_USED)', async () => {
    const r = await compare(client(), { changes: [], metric: 'attrition' });
    expect(r.warnings.map((w) => w.code)).toContain('DEFAULT_SCENARIOS_USED');
    expect(derivedOf(r, 'scenario_compare').rows.map((x) => [x.name, x.end_value])).toEqual([
      ['Optimistic', 9.5],
      ['No change', 10],
      ['Pessimistic', 10.5],
    ]);
  });

  it('ranks higher-is-better metrics from the top', async () => {
    const c = fakeClient([seriesResult('ts_retention_annual', 'percent', annual('ALL', flat(80)))]);
    const r = await compare(c, { changes: [], metric: 'retention' });
    expect(derivedOf(r, 'scenario_compare').rows.map((x) => [x.rank, x.name, x.end_value])).toEqual([
      [1, 'Optimistic', 84],
      [2, 'No change', 80],
      [3, 'Pessimistic', 76],
    ]);
    expect(r.findings[0]!.summary).toContain('Each step is one year.');
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('rejects inconsistent specs and wrong counts', async () => {
    const c = client();
    const mixed = await rejection(
      compare(c, {
        specs: [
          spec('One', { type: 'additive', value: 1 }),
          { ...spec('Two', { type: 'additive', value: 1 }), horizon_months: 6 },
        ],
      }),
    );
    expect([mixed.code, mixed.details]).toEqual([
      'scenario_inconsistent',
      { field: 'horizon_months', values: [12, 6] },
    ]);
    const metrics = await rejection(
      compare(c, {
        specs: [
          spec('One', { type: 'additive', value: 1 }),
          { ...spec('Two', { type: 'additive', value: 1 }), metric: 'retention' },
        ],
      }),
    );
    expect(metrics.code).toBe('scenario_inconsistent');
    expect((await rejection(compare(c, { specs: [spec('One', { type: 'additive', value: 1 })] }))).code).toBe(
      'invalid_param',
    );
    const eleven = Array.from({ length: 11 }, (_, i) => spec(`S${i}`, { type: 'additive', value: i }));
    expect((await rejection(compare(c, { specs: eleven }))).code).toBe('invalid_param');
    const bad = await rejection(
      compare(c, {
        specs: [spec('One', { type: 'additive', value: 1 }), spec('Two', { type: 'multiplicative', value: 3 })],
      }),
    );
    expect(bad.details).toEqual({
      issues: [
        {
          path: '/specs/1/transforms/0/value',
          code: 'out_of_range',
          message: 'multiplicative value must be within [-1, 1]',
        },
      ],
    });
    expect(c.reads).toEqual([]);
  });
});

describe('Scenario.batch', () => {
  // Qatarization per sector is flat; the employment bases of the last observed period are 300, 100 and 600.
  const qatarization = seriesResult('ts_qatarization_annual', 'percent', [
    ...annual('Energy', flat(20)),
    ...annual('Finance', flat(10)),
    ...annual('ICT', flat(30)),
    ...annual('ALL', flat(18)),
  ]);
  const employmentBases = seriesResult('ts_employment_annual', 'count', [
    ...annual('Energy', [500, 400, 350, 320, 300], 2020, [500, 400, 350, 320, 300]),
    ...annual('Finance', [90, 95, 99, 100, 100], 2020, [90, 95, 99, 100, 100]),
    ...annual('ICT', [700, 650, 600, 600, 600], 2020, [700, 650, 600, 600, 600]),
  ]);
  const specs = {
    Energy: { name: 'E', metric: 'qatarization', transforms: [{ type: 'additive', value: 2 }] },
    Finance: { name: 'F', metric: 'qatarization', transforms: [{ type: 'multiplicative', value: 0.1 }] },
    ICT: { name: 'I', metric: 'qatarization', transforms: [{ type: 'additive', value: 0 }] },
  };

  it('weights by each sector employment base by default, normalised, and rolls up', async () => {
    const c = fakeClient([qatarization, employmentBases]);
    const r = await batch(c, { specs });
    expect([r.method, r.intent]).toEqual(['batch', 'scenario.batch']);
    expect(r.sources).toEqual(['ts_qatarization_annual', 'ts_employment_annual']);
    const td = derivedOf(r, 'scenario_batch_sectors');
    expect(td.params.weighting).toBe('employment_base');
    expect(td.rows.map((x) => [x.sector, x.raw_weight, x.weight])).toEqual([
      ['Energy', 300, 0.3],
      ['Finance', 100, 0.1],
      ['ICT', 600, 0.6],
    ]);
    expect(td.rows.map((x) => [x.end_baseline, x.end_adjusted])).toEqual([
      [20, 22],
      [10, 11],
      [30, 30],
    ]);
    const nd = derivedOf(r, 'scenario_batch_national');
    // 0.3·20 + 0.1·10 + 0.6·30 = 25; 0.3·22 + 0.1·11 + 0.6·30 = 25.7
    expect(nd.rows).toHaveLength(1);
    const row = nd.rows[0]!;
    expect(row.period).toBe('2025');
    expect(row.baseline as number).toBeCloseTo(25, 12);
    expect(row.adjusted as number).toBeCloseTo(25.7, 12);
    expect(row.delta as number).toBeCloseTo(0.7, 12);
    expect(row.delta_pct as number).toBeCloseTo(2.8, 10);
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('normalises explicit weights and renormalises them when a sector is skipped (SECTOR_SKIPPED)', async () => {
    const c = fakeClient([qatarization, employmentBases]);
    const r = await batch(c, {
      specs: {
        ...specs,
        Transport: { name: 'T', metric: 'qatarization', transforms: [{ type: 'additive', value: 1 }] },
      },
      weights: { Energy: 1, Finance: 1, ICT: 2, Transport: 4 },
    });
    const skipped = r.warnings.filter((w) => w.code === 'SECTOR_SKIPPED');
    expect(skipped.map((w) => w.details)).toEqual([{ sector: 'Transport', reason: 'no_baseline' }]);
    const td = derivedOf(r, 'scenario_batch_sectors');
    expect(td.rows.map((x) => [x.sector, x.weight])).toEqual([
      ['Energy', 0.25],
      ['Finance', 0.25],
      ['ICT', 0.5],
    ]);
    expect(td.params.sectors_skipped).toEqual(['Transport']);
    const row = derivedOf(r, 'scenario_batch_national').rows[0]!;
    // 0.25·20 + 0.25·10 + 0.5·30 = 22.5; 0.25·22 + 0.25·11 + 0.5·30 = 23.25
    expect(row.baseline as number).toBeCloseTo(22.5, 12);
    expect(row.adjusted as number).toBeCloseTo(23.25, 12);
    expect(r.sources).toEqual(['ts_qatarization_annual']);
    expect(r.findings[0]!.summary).toContain('Left out for lack of a comparable baseline: Transport.');
  });

  it('sums employment over sectors', async () => {
    const c = fakeClient([
      seriesResult('ts_employment_annual', 'count', [...annual('Energy', flat(100)), ...annual('Finance', flat(200))]),
    ]);
    const r = await batch(c, {
      specs: {
        Finance: { name: 'F', metric: 'employment', transforms: [{ type: 'additive', value: 20 }] },
        Energy: { name: 'E', metric: 'employment', transforms: [{ type: 'multiplicative', value: -0.1 }] },
      },
      weights: { Energy: 5 },
    });
    const row = derivedOf(r, 'scenario_batch_national').rows[0]!;
    expect(row).toMatchObject({ baseline: 300, adjusted: 310, delta: 10 });
    expect(row.delta_pct as number).toBeCloseTo(10 / 3, 12);
    expect(derivedOf(r, 'scenario_batch_sectors').rows.map((x) => [x.sector, x.weight])).toEqual([
      ['Energy', null],
      ['Finance', null],
    ]);
    expect(r.findings[0]!.summary).toContain('It is the sum over 2 sectors');
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('builds one spec per named sector from a change', async () => {
    const r = await batch(fakeClient([qatarization, employmentBases]), {
      changes: [{ direction: 1, magnitude: 10, unit: 'percent', mode: 'by' }],
      sectors: ['finance', 'Energy'],
      metric: 'qatarization',
    });
    const echoed = r.params.specs as Record<string, { transforms: unknown[] }>;
    expect(Object.keys(echoed)).toEqual(['Energy', 'Finance']);
    expect(echoed.Energy!.transforms).toEqual([
      { type: 'multiplicative', value: 0.1, start_month: 0, end_month: null },
    ]);
    expect(derivedOf(r, 'scenario_batch_sectors').rows.map((x) => x.end_adjusted)).toEqual([22, 11]);
  });

  it('rejects ALL, unknown sectors, bad weights and inconsistent specs', async () => {
    const c = fakeClient([qatarization, employmentBases]);
    const e = async (p: Promise<unknown>) => {
      const err = await rejection(p);
      return [err.code, err.message];
    };
    expect(await e(batch(c, { specs: { ALL: specs.Energy } }))).toEqual([
      'invalid_param',
      'scenario.batch specs are keyed by sector; ALL is not allowed',
    ]);
    expect((await e(batch(c, { specs: { Mining: specs.Energy } })))[0]).toBe('unknown_sector');
    expect(await e(batch(c, { specs, weights: { Energy: 1, Finance: -1, ICT: 1 } }))).toEqual([
      'invalid_param',
      'params.weights.Finance must not be negative',
    ]);
    expect(await e(batch(c, { specs, weights: { Energy: 0, Finance: 0, ICT: 0 } }))).toEqual([
      'invalid_param',
      'params.weights must have a positive total',
    ]);
    expect((await e(batch(c, { specs, weights: { Energy: 1 } })))[0]).toBe('invalid_param');
    expect((await e(batch(c, { specs: { ...specs, ICT: { ...specs.ICT, horizon_months: 24 } } })))[0]).toBe(
      'scenario_inconsistent',
    );
    expect((await e(batch(c, { specs: { Energy: { ...specs.Energy, sector: 'Finance' } } })))[0]).toBe(
      'scenario_inconsistent',
    );
    expect(c.reads).toEqual([]);
  });
});

describe('Scenario on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  it('national retention +2% from month 0: the Predictor baseline times 1.02, verified', async () => {
    const c = pack.client();
    const r = await apply(c, {
      spec: {
        name: 'System Scenario',
        description: 'determinism check',
        metric: 'retention',
        sector: 'ALL',
        horizon_months: 12,
        transforms: [{ type: 'multiplicative', value: 0.02, start_month: 0 }],
      },
      format: 'dict',
    });
    expect(r.frequency).toBe('monthly');
    expect(r.sources).toEqual(['ts_retention_monthly']);
    const fd = derivedOf(r, 'forecast_baseline');
    // ALL 2024-12 retention on the pack is 89.66 (data-layer spec §9.7).
    expect(fd.params.latest_value).toBe(89.66);
    // The baseline is exactly the Predictor's forecast: same derived id, same rows.
    const predicted = await forecast(c, { metric: 'retention', sector: 'ALL', horizon_months: 12 });
    const pd = derivedOf(predicted, 'forecast_baseline');
    expect(fd.id).toBe(pd.id);
    expect(fd.rows).toEqual(pd.rows);
    const rows = derivedOf(r, 'scenario_apply').rows;
    expect(rows.map((x) => x.period)).toEqual([
      '2025-01',
      '2025-02',
      '2025-03',
      '2025-04',
      '2025-05',
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
    ]);
    for (const row of rows) {
      expect(row.adjusted as number).toBeCloseTo((row.baseline as number) * 1.02, 10);
      expect(row.delta_pct as number).toBeCloseTo(2, 10);
    }
    expect(r.findings[0]!.summary).toContain('multiplicative 2.0% from 2025-01 to 2025-12');
    expect(await verificationErrors(r, c)).toEqual([]);
  });

  it('has no 24-month cap: a 36-month horizon gives 36 monthly steps', async () => {
    const r = await apply(pack.client(), {
      spec: { name: 'Long', metric: 'employment', horizon_months: 36, transforms: [{ type: 'additive', value: 100 }] },
    });
    const rows = derivedOf(r, 'scenario_apply').rows;
    expect(rows).toHaveLength(36);
    expect(rows[35]!.period).toBe('2027-12');
    expect(rows.every((x) => Math.abs((x.delta as number) - 100) < 1e-9)).toBe(true);
  });

  it('the runbook smoke body (retention, Energy, 12 months, multiplicative 0.02) answers without error', async () => {
    const r = await apply(pack.client(), {
      spec: {
        name: 'System Scenario',
        description: 'determinism check',
        metric: 'retention',
        sector: 'Energy',
        horizon_months: 12,
        transforms: [{ type: 'multiplicative', value: 0.02, start_month: 0 }],
      },
      format: 'dict',
    });
    expect([r.agent, r.method, r.intent]).toEqual(['Scenario', 'apply', 'scenario.apply']);
    expect(r.params.spec).toEqual({
      name: 'System Scenario',
      description: 'determinism check',
      metric: 'retention',
      sector: 'Energy',
      horizon_months: 12,
      transforms: [{ type: 'multiplicative', value: 0.02, start_month: 0, end_month: null }],
      clamp_min: null,
      clamp_max: null,
    });
    // Each adjusted value is the baseline times 1.02 wherever the sector's series yields a baseline.
    const rows = r.derived.find((d) => d.operation === 'scenario_apply')?.rows ?? [];
    for (const row of rows) expect(row.adjusted as number).toBeCloseTo((row.baseline as number) * 1.02, 10);
    expect(rows.length === 12 || r.warnings.some((w) => w.code === 'INSUFFICIENT_DATA')).toBe(true);
  });
});
