import { beforeAll, describe, expect, it } from 'vitest';
import {
  ParamsValidationError,
  paramNames,
  requiredParams,
  resolveParams,
  supportedMetrics,
} from '../../../src/analysis/intent-params.js';
import { AnalysisError, INTENTS, SECTORS, type Intent } from '../../../src/analysis/model.js';
import { createRouter, type QuestionRouter } from '../../../src/analysis/router/router.js';

let router: QuestionRouter;
beforeAll(() => {
  router = createRouter({ latestDataYear: 2024 });
});
const endpoint = (intent: Intent, explicit: Record<string, unknown> = {}) =>
  resolveParams(intent, { explicit, mode: 'endpoint' });
const ask = (intent: Intent, question: string, explicit: Record<string, unknown> = {}) =>
  resolveParams(intent, { entities: router.extract(question), explicit, mode: 'ask' });

const ONE_CHANGE = {
  metric: 'retention',
  direction: 1,
  magnitude: 2,
  unit: 'pp',
  mode: 'by',
  transform: { type: 'additive', value: 2 },
};

function analysisError(fn: () => unknown): AnalysisError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AnalysisError);
    return err as AnalysisError;
  }
  throw new Error('expected an AnalysisError');
}
function validationError(fn: () => unknown): ParamsValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ParamsValidationError);
    return err as ParamsValidationError;
  }
  throw new Error('expected a ParamsValidationError');
}

describe('parameter tables (§2.4)', () => {
  it('defaults of every intent on an endpoint call with only the required params', () => {
    const required: Record<string, Record<string, unknown>> = {
      'pattern.stable_relations': { outcome: 'retention' },
      'pattern.seasonal_effects': { outcome: 'employment' },
      'pattern.driver_screen': { driver: 'avg_salary', outcome: 'retention' },
      'time.baseline': { metric: 'employment' },
      'time.trend': { metric: 'employment' },
      'time.breaks': { metric: 'employment' },
      'predict.forecast': { metric: 'employment' },
      'predict.early_warning': { metric: 'employment' },
      'predict.scenario_compare': { metric: 'employment' },
    };
    const params = Object.fromEntries(
      INTENTS.filter((i) => !i.startsWith('scenario.')).map((i) => [i, endpoint(i, required[i] ?? {}).params]),
    );
    expect(params).toEqual({
      'pattern.anomalies': {
        metric: 'attrition',
        level: 'sector',
        sector: null,
        z_threshold: 2.5,
        min_sample_size: 5,
        winsor_p: 0.05,
      },
      'pattern.correlation': {
        x_metric: 'qatarization',
        y_metric: 'attrition',
        method: 'spearman',
        min_correlation: 0.5,
        min_sample_size: 5,
        focus_sector: null,
      },
      'pattern.root_causes': {
        outcome: 'attrition',
        drivers: ['employment', 'qatarization', 'avg_salary'],
        top_n: 3,
        focus_sector: null,
      },
      'pattern.best_practices': { metric: 'qatarization', top_n: 5, focus_sector: null },
      'strategy.gcc_benchmark': {
        metric: 'unemployment',
        source: 'synthetic',
        countries: ['QAT', 'ARE', 'SAU', 'KWT', 'BHR', 'OMN'],
        min_countries: 3,
      },
      'strategy.talent_competition': { high_multiplier: 1.5, focus_sector: null },
      'strategy.vision2030': { target_percent: 30, target_year: 2030, focus_sector: null },
      'pattern.stable_relations': {
        outcome: 'retention',
        drivers: ['employment', 'qatarization', 'avg_salary'],
        sector: 'ALL',
        window: null,
        min_support: null,
        method: 'spearman',
        frequency: 'auto',
      },
      'pattern.seasonal_effects': { outcome: 'employment', sector: 'ALL', min_support: 24, min_lift_percent: 15 },
      'pattern.driver_screen': {
        driver: 'avg_salary',
        outcome: 'retention',
        cohorts: [...SECTORS],
        windows: null,
        min_support: null,
      },
      'time.baseline': {
        metric: 'employment',
        sector: 'ALL',
        start: null,
        end: null,
        base_period: null,
        frequency: 'auto',
      },
      'time.trend': {
        metric: 'employment',
        sector: 'ALL',
        start: null,
        end: null,
        base_period: null,
        frequency: 'auto',
        alpha: 0.25,
      },
      'time.breaks': {
        metric: 'employment',
        sector: 'ALL',
        start: null,
        end: null,
        base_period: null,
        frequency: 'auto',
        z_threshold: 2.5,
        cusum_k: 1,
        cusum_h: 5,
      },
      'predict.forecast': { metric: 'employment', sector: 'ALL', horizon_months: 6, end: null, frequency: 'auto' },
      'predict.early_warning': { metric: 'employment', sector: null, end: null, frequency: 'auto' },
      'predict.scenario_compare': {
        metric: 'employment',
        sector: 'ALL',
        horizon_months: 6,
        methods: ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'],
        end: null,
        frequency: 'auto',
      },
    });
  });

  it('defaults_applied lists the non-null defaults in table order', () => {
    expect(endpoint('time.trend', { metric: 'retention', sector: 'ICT' }).defaults_applied).toEqual([
      'frequency',
      'alpha',
    ]);
    expect(endpoint('pattern.root_causes', { outcome: 'retention' }).params.drivers).toEqual([
      'employment',
      'qatarization',
      'avg_salary',
    ]);
    expect(endpoint('strategy.gcc_benchmark', { metric: 'labour_force_participation' }).params.source).toBe(
      'world_bank',
    );
  });

  it('required parameters on agent endpoints (§4.4)', () => {
    expect(Object.fromEntries(INTENTS.map((i) => [i, requiredParams(i)]))).toMatchObject({
      'pattern.anomalies': [],
      'pattern.stable_relations': ['outcome'],
      'pattern.driver_screen': ['driver', 'outcome'],
      'time.breaks': ['metric'],
      'predict.early_warning': ['metric'],
      'scenario.apply': ['spec', 'changes'],
      'scenario.compare': ['specs', 'changes'],
      'scenario.batch': ['specs', 'changes'],
    });
    expect(analysisError(() => endpoint('time.baseline')).message).toBe('params.metric is required');
    expect(analysisError(() => endpoint('time.baseline')).code).toBe('missing_param');
    expect(analysisError(() => endpoint('pattern.driver_screen', { outcome: 'retention' })).message).toBe(
      'params.driver is required',
    );
    expect(analysisError(() => endpoint('scenario.apply', {})).message).toBe('params.spec is required');
    expect(analysisError(() => endpoint('scenario.compare', {})).message).toBe('params.specs is required');
  });

  it('the reference smoke-test bodies resolve', () => {
    expect(endpoint('time.baseline', { metric: 'retention' }).params.metric).toBe('retention');
    expect(endpoint('pattern.anomalies', { z_threshold: 2.0 }).params.z_threshold).toBe(2);
    expect(endpoint('predict.forecast', { metric: 'retention', horizon_months: 6 }).params).toMatchObject({
      metric: 'retention',
      horizon_months: 6,
    });
    const spec = {
      name: 'Retention uplift',
      description: 'reference smoke test',
      metric: 'retention',
      sector: 'Energy',
      horizon_months: 12,
      transforms: [{ type: 'multiplicative', value: 0.02, start_month: 0 }],
    };
    expect(endpoint('scenario.apply', { spec, format: 'dict' }).params).toEqual({ spec, format: 'dict' });
    expect(endpoint('strategy.gcc_benchmark', { min_countries: 3 }).params.min_countries).toBe(3);
  });

  it('supported metrics and parameter names', () => {
    expect(supportedMetrics('pattern.best_practices')).toEqual([
      'qatarization',
      'retention',
      'attrition',
      'avg_salary',
    ]);
    expect(supportedMetrics('strategy.gcc_benchmark')).toEqual([
      'unemployment',
      'labour_force_participation',
      'female_labour_force_participation',
    ]);
    expect(supportedMetrics('strategy.talent_competition')).toEqual([]);
    expect(paramNames('time.breaks')).toEqual([
      'metric',
      'sector',
      'start',
      'end',
      'base_period',
      'frequency',
      'z_threshold',
      'cusum_k',
      'cusum_h',
    ]);
  });
});

describe('explicit params: schema (422) and semantic (400) errors', () => {
  it('unknown names, wrong types and out-of-range values are schema failures with every issue listed', () => {
    const e = validationError(() =>
      endpoint('predict.forecast', { metric: 'retention', horizon_months: 36, frequency: 'weekly', extra: 1 }),
    );
    expect(e.code).toBe('validation_failed');
    expect(e.details).toEqual([
      { path: 'body.params.extra', message: "unknown parameter 'extra'" },
      { path: 'body.params.horizon_months', message: 'must be <= 24' },
      { path: 'body.params.frequency', message: 'must be equal to one of the allowed values: auto, monthly, annual' },
    ]);
    expect(validationError(() => endpoint('pattern.anomalies', { z_threshold: 0 })).details).toEqual([
      { path: 'body.params.z_threshold', message: 'must be > 0' },
    ]);
    expect(
      validationError(() => endpoint('pattern.anomalies', { winsor_p: 0.3, min_sample_size: 3.5 })).details,
    ).toEqual([
      { path: 'body.params.min_sample_size', message: 'must be integer' },
      { path: 'body.params.winsor_p', message: 'must be <= 0.25' },
    ]);
    expect(validationError(() => endpoint('strategy.vision2030', { target_percent: '30' })).details).toEqual([
      { path: 'body.params.target_percent', message: 'must be number' },
    ]);
    expect(
      validationError(() =>
        resolveParams('time.trend', { explicit: [] as unknown as Record<string, unknown>, mode: 'endpoint' }),
      ).details,
    ).toEqual([{ path: 'body.params', message: 'must be object' }]);
  });

  it('metric and sector vocabularies: unknown_metric, unknown_sector; sectors are canonicalised', () => {
    const m = analysisError(() => endpoint('pattern.best_practices', { metric: 'employment' }));
    expect([m.code, m.message]).toEqual([
      'unknown_metric',
      "unknown metric 'employment' for pattern.best_practices; supported: qatarization, retention, attrition, avg_salary",
    ]);
    const d = analysisError(() => endpoint('pattern.root_causes', { drivers: ['headcount'] }));
    expect(d.code).toBe('unknown_metric');
    const s = analysisError(() => endpoint('time.trend', { metric: 'retention', sector: 'Retail' }));
    expect(s.code).toBe('unknown_sector');
    expect(endpoint('time.trend', { metric: 'retention', sector: 'energy' }).params.sector).toBe('Energy');
    expect(endpoint('pattern.best_practices', { focus_sector: 'all' }).params.focus_sector).toBeNull();
  });

  it('semantically invalid combinations: invalid_param', () => {
    const cases: [Intent, Record<string, unknown>, string][] = [
      [
        'pattern.correlation',
        { x_metric: 'retention', y_metric: 'retention' },
        "x_metric and y_metric must be different metrics (both 'retention')",
      ],
      [
        'pattern.correlation',
        { x_metric: 'retention', y_metric: 'attrition' },
        "x_metric 'retention' and y_metric 'attrition' mirror each other and cannot be paired",
      ],
      [
        'pattern.root_causes',
        { outcome: 'attrition', drivers: ['retention'] },
        "drivers cannot include 'retention', the mirror of the outcome 'attrition'",
      ],
      [
        'strategy.gcc_benchmark',
        { metric: 'labour_force_participation', source: 'synthetic' },
        "source synthetic covers unemployment only, not 'labour_force_participation'",
      ],
      ['pattern.anomalies', { level: 'company' }, 'level company needs a named sector and the metric retention'],
      ['scenario.apply', { spec: {}, changes: [ONE_CHANGE] }, 'give either params.spec or params.changes, not both'],
      ['scenario.batch', { sectors: ['ALL'], changes: [ONE_CHANGE] }, 'params.sectors cannot include ALL'],
    ];
    for (const [intent, params, message] of cases) {
      const e = analysisError(() => endpoint(intent, params));
      expect([intent, e.code, e.message]).toEqual([intent, 'invalid_param', message]);
    }
  });

  it('GCC countries always keep Qatar, in canonical order', () => {
    expect(endpoint('strategy.gcc_benchmark', { countries: ['OMN', 'ARE'] }).params.countries).toEqual([
      'QAT',
      'ARE',
      'OMN',
    ]);
  });
});

describe('entity mapping in ask mode (§2.4)', () => {
  it('correlation: two metrics → x, y; one metric m → (qatarization, m) for the mirror pair, else (m, attrition)', () => {
    expect(ask('pattern.correlation', 'salary and headcount').params).toMatchObject({
      x_metric: 'avg_salary',
      y_metric: 'employment',
    });
    expect(ask('pattern.correlation', 'retention').params).toMatchObject({
      x_metric: 'qatarization',
      y_metric: 'retention',
    });
    expect(ask('pattern.correlation', 'salaries').params).toMatchObject({
      x_metric: 'avg_salary',
      y_metric: 'attrition',
    });
    const mirror = ask('pattern.correlation', 'retention and attrition with Pearson');
    expect(mirror.params).toMatchObject({ x_metric: 'qatarization', y_metric: 'retention', method: 'pearson' });
    expect(mirror.entities_ignored).toEqual([
      { entity: 'metrics', value: 'attrition', reason: 'mirror of retention: the pair is never analysed together' },
    ]);
  });

  it('root causes: the first allowed metric is the outcome, the others are drivers; top N', () => {
    expect(ask('pattern.root_causes', 'Is low pay behind the top 4 turnover sectors?').params).toEqual({
      outcome: 'attrition',
      drivers: ['avg_salary'],
      top_n: 4,
      focus_sector: null,
    });
    expect(ask('pattern.root_causes', 'Why do sectors lose more staff?').params).toMatchObject({
      outcome: 'attrition',
      drivers: ['employment'],
    });
  });

  it('driver screen: one metric m → outcome m, driver avg_salary (salary → retention); sectors → cohorts', () => {
    expect(ask('pattern.driver_screen', 'attrition in Finance and ICT').params).toMatchObject({
      driver: 'avg_salary',
      outcome: 'attrition',
      cohorts: ['Finance', 'ICT'],
    });
    expect(ask('pattern.driver_screen', 'salaries across sectors').params).toMatchObject({
      driver: 'avg_salary',
      outcome: 'retention',
      cohorts: [...SECTORS],
    });
  });

  it('GCC: the named countries plus Qatar; fewer than three lowers min_countries; "World Bank" picks the source', () => {
    const r = ask('strategy.gcc_benchmark', 'Qatar vs Oman on unemployment from the World Bank');
    expect(r.params).toEqual({
      metric: 'unemployment',
      source: 'world_bank',
      countries: ['QAT', 'OMN'],
      min_countries: 2,
    });
    expect(ask('strategy.gcc_benchmark', 'female participation').params.source).toBe('world_bank');
  });

  it('vision 2030: the percentage next to "target" and the "by YYYY" year', () => {
    expect(ask('strategy.vision2030', 'Can Finance reach a 35% target by 2028?').params).toEqual({
      target_percent: 35,
      target_year: 2028,
      focus_sector: 'Finance',
    });
  });

  it('time series: backward time → start/end; forward time → horizon (capped at 24, HORIZON_CAPPED)', () => {
    expect(ask('time.baseline', 'Energy employment between 2018 and 2021').params).toMatchObject({
      metric: 'employment',
      sector: 'Energy',
      start: '2018',
      end: '2021',
    });
    const f = ask('predict.forecast', 'retention over the next 3 years');
    expect(f.params.horizon_months).toBe(24);
    expect(f.warnings.map((w) => w.code)).toEqual(['HORIZON_CAPPED']);
    expect(ask('predict.scenario_compare', 'EWMA vs Theil-Sen on wages').params).toMatchObject({
      metric: 'avg_salary',
      methods: ['ewma', 'theil_sen'],
    });
    expect(ask('predict.early_warning', 'attrition across all sectors').params.sector).toBeNull();
  });

  it('unused entities are listed, never dropped', () => {
    const r = ask('strategy.talent_competition', 'Is ICT losing headcount to Energy since 2020, top 3?');
    expect(r.params.focus_sector).toBe('ICT');
    expect(r.entities_ignored).toEqual([
      { entity: 'sectors', value: 'Energy', reason: 'not used by strategy.talent_competition' },
      { entity: 'metrics', value: 'employment', reason: 'not used by strategy.talent_competition' },
      {
        entity: 'time',
        value: { kind: 'since', start: '2020', end: '2024', months: 60 },
        reason: 'not used by strategy.talent_competition',
      },
      { entity: 'top_n', value: 3, reason: 'not used by strategy.talent_competition' },
    ]);
  });

  it('unsupported metrics: a clarification, not params', () => {
    expect(ask('time.trend', 'unemployment').clarification).toEqual({
      reason: 'unsupported_metric',
      missing: ['metric'],
      metric: 'unemployment',
      supported: ['employment', 'retention', 'attrition', 'qatarization', 'avg_salary'],
    });
    expect(ask('pattern.best_practices', 'Which sectors lead on headcount?').clarification?.reason).toBe(
      'unsupported_metric',
    );
    expect(ask('pattern.root_causes', 'Why is unemployment high?').clarification?.reason).toBe('unsupported_metric');
  });
});

describe('scenario changes (§2.5 change expression → transform)', () => {
  const change = (intent: Intent, q: string) => ask(intent, q).params.changes as Record<string, unknown>[];

  it('by N% → multiplicative ±N/100; by N pp → additive; to N → target level; at N% a year → growth', () => {
    expect(change('scenario.apply', 'What if attrition in Hospitality falls by 10%?')).toEqual([
      {
        metric: 'attrition',
        direction: -1,
        magnitude: 10,
        unit: 'percent',
        mode: 'by',
        text: 'attrition in Hospitality falls by 10%',
        label: 'attrition in Hospitality falls by 10%',
        transform: { type: 'multiplicative', value: -0.1 },
      },
    ]);
    expect(change('scenario.apply', 'Suppose Qatarization rises by 2 percentage points')[0]!.transform).toEqual({
      type: 'additive',
      value: 2,
    });
    expect(change('scenario.apply', 'Imagine turnover drops to 6%')[0]!.transform).toEqual({
      type: 'target_level',
      value: 6,
    });
    const rate = change('scenario.apply', 'What if employment grows at 4% per year?')[0]!;
    expect([rate.mode, rate.rate_period, rate.transform]).toEqual([
      'rate',
      'year',
      { type: 'growth_override', rate: 0.04, per: 'year' },
    ]);
    expect(change('scenario.apply', 'What if salaries rise by 500 QAR?')[0]!.transform).toEqual({
      type: 'additive',
      value: 500,
    });
  });

  it('"improve" follows the better direction of the scenario metric', () => {
    expect(change('scenario.apply', 'What if attrition improves by 5%?')[0]!.transform).toEqual({
      type: 'multiplicative',
      value: -0.05,
    });
    // The explicit metric decides, not the words of the question.
    const r = ask('scenario.apply', 'What if it improves by 5%?', { metric: 'attrition' });
    expect((r.params.changes as { direction: number }[])[0]!.direction).toBe(-1);
  });

  it('a QAR change on a non-salary metric is not usable; nothing usable is a missing_parameter clarification', () => {
    const r = ask('scenario.apply', 'What if retention rises by 500 QAR?');
    expect(r.clarification).toEqual({
      reason: 'missing_parameter',
      missing: ['changes'],
      detail: 'a change in QAR applies to avg_salary only',
    });
  });

  it('compare: each change is one spec; one change is compared with no change; cases without numbers → 3 defaults', () => {
    const two = ask('scenario.compare', 'Which is better for retention, plus 1 pp or plus 5%?');
    expect((two.params.changes as { transform: unknown }[]).map((c) => c.transform)).toEqual([
      { type: 'additive', value: 1 },
      { type: 'multiplicative', value: 0.05 },
    ]);
    const one = ask('scenario.compare', 'Compare scenarios for a 3% cut in attrition');
    expect((one.params.changes as { label: string }[]).map((c) => c.label)).toEqual([
      '3% cut in attrition',
      'no change',
    ]);
    const cases = ask('scenario.compare', 'Best case and worst case for ICT salaries');
    expect(cases.params).toMatchObject({ metric: 'avg_salary', sector: 'ICT', horizon_months: 12 });
    expect((cases.params.changes as { transform: unknown }[]).map((c) => c.transform)).toEqual([
      { type: 'multiplicative', value: -0.05 },
      { type: 'additive', value: 0 },
      { type: 'multiplicative', value: 0.05 },
    ]);
    expect(cases.warnings.map((w) => w.code)).toEqual(['DEFAULT_SCENARIOS_USED']);
  });

  it('batch: one change applied to the named sectors, or to all ten', () => {
    const named = ask('scenario.batch', 'What if Energy and ICT cut attrition by 1 point?');
    expect(named.params).toMatchObject({
      sectors: ['Energy', 'ICT'],
      weights: null,
      metric: 'attrition',
      horizon_months: 12,
    });
    const all = ask('scenario.batch', 'If every sector raises salaries by 2%, over the next 2 years');
    expect(all.params).toMatchObject({ sectors: [...SECTORS], metric: 'avg_salary', horizon_months: 24 });
    expect((all.params.changes as unknown[]).length).toBe(1);
  });

  it('an explicit spec is passed through and the question’s changes are listed as ignored', () => {
    const spec = 'name: x\nmetric: retention\ntransforms: [{type: additive, value: 1}]';
    const r = ask('scenario.apply', 'What if retention rises by 2 points?', { spec });
    expect(r.params).toEqual({ spec });
    expect(r.entities_ignored.map((e) => [e.entity, e.reason])).toEqual([
      ['changes', 'params.spec was given'],
      ['metrics', 'not used by scenario.apply'],
    ]);
  });

  it('explicit changes must follow the change schema', () => {
    const bad = validationError(() =>
      endpoint('scenario.apply', {
        changes: [
          {
            metric: 'retention',
            direction: 1,
            magnitude: 2,
            unit: 'pp',
            mode: 'by',
            transform: { type: 'multiplicative', value: 2 },
          },
        ],
      }),
    );
    expect(bad.details.some((d) => d.path === 'body.params.changes.0.transform')).toBe(true);
    const ok = endpoint('scenario.apply', {
      changes: [
        {
          metric: 'retention',
          direction: 1,
          magnitude: 2,
          unit: 'pp',
          mode: 'by',
          transform: { type: 'additive', value: 2 },
        },
      ],
    });
    expect(ok.params).toMatchObject({ metric: 'retention', sector: 'ALL', horizon_months: 12 });
  });
});
