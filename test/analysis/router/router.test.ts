import { beforeAll, describe, expect, it } from 'vitest';
import { ParamsValidationError } from '../../../src/analysis/intent-params.js';
import { AnalysisError, INTENTS } from '../../../src/analysis/model.js';
import { CLARIFICATION_TEXT } from '../../../src/analysis/router/clarification.js';
import {
  createRouter,
  type QuestionRouter,
  type RouteClarification,
  type RoutedQuestion,
  type RouteResult,
} from '../../../src/analysis/router/router.js';

let router: QuestionRouter;
beforeAll(() => {
  router = createRouter({ latestDataYear: 2024 });
});

function routed(r: RouteResult): RoutedQuestion {
  if (r.kind !== 'route') throw new Error(`expected a route, got a clarification (${r.clarification.reason})`);
  return r;
}
function clarified(r: RouteResult): RouteClarification {
  if (r.kind !== 'clarification') throw new Error(`expected a clarification, got ${r.intent}`);
  return r;
}

describe('clarification replies (§2.7, A4)', () => {
  it('low confidence with nothing scored: the fixed options, fixed message, null intent and confidence', () => {
    const r = clarified(router.route('Translate thank you into Arabic'));
    expect(r.intent).toBeNull();
    expect(r.confidence).toBeNull();
    expect(r.candidate).toBeNull();
    expect(r.clarification.reason).toBe('low_confidence');
    expect(r.clarification.options.map((o) => o.intent)).toEqual([
      'time.trend',
      'strategy.vision2030',
      'pattern.anomalies',
    ]);
    expect(r.clarification.options[0]).toEqual({
      intent: 'time.trend',
      description: 'Direction and speed: YoY, QoQ, EWMA, slopes',
      example: 'What is the year over year trend in Qatarization?',
    });
    expect(r.clarification.message).toBe(
      `${CLARIFICATION_TEXT.low_confidence}\n\n` +
        '1. Direction and speed: YoY, QoQ, EWMA, slopes (for example: "What is the year over year trend in Qatarization?")\n' +
        '2. Qatarization against the 2030 target: gap, required annual gain, risk band (for example: "Are we on track for the 30% Qatarization target?")\n' +
        '3. Sectors (or companies of one sector) whose latest value of a metric is unusually far from the rest (for example: "Are any sectors showing abnormal attrition this year?")',
    );
    expect(r.clarification.message).toContain('employment, retention, attrition, Qatarization or salary');
  });

  it('low confidence with scores: the top 3 intents that scored, best first', () => {
    const q = 'Who won the Qatar Stars League last season?';
    const c = router.classify(q);
    expect(c.confidence).toBeLessThan(0.35);
    const r = clarified(router.route(q));
    expect(r.clarification.reason).toBe('low_confidence');
    const expected = c.ranked
      .filter((x) => x.score > 0)
      .slice(0, 3)
      .map((x) => x.intent);
    expect(r.clarification.options.map((o) => o.intent)).toEqual(expected);
    expect(r.clarification.options).toHaveLength(Math.min(3, expected.length));
  });

  it('a scenario without a change expression: missing_parameter', () => {
    const r = clarified(router.route('What if we simulate attrition in Hospitality?'));
    expect(r.candidate?.intent).toBe('scenario.apply');
    expect(r.clarification.reason).toBe('missing_parameter');
    expect(r.clarification.missing).toEqual(['changes']);
    expect(r.clarification.options).toHaveLength(3);
    expect(r.clarification.message.startsWith(CLARIFICATION_TEXT.missing_parameter)).toBe(true);
    expect(r.clarification.message).toMatch(/\n\n1\. .+\n2\. .+\n3\. .+$/);
  });

  it('a change above 100% is not usable: missing_parameter', () => {
    const r = clarified(router.route('What if wages in Finance rise by 150%?'));
    expect(r.candidate?.intent).toBe('scenario.apply');
    expect(r.clarification.reason).toBe('missing_parameter');
  });

  it('an unsupported GCC metric: unsupported_metric listing the supported metrics', () => {
    const r = clarified(router.route("How does Qatar's average salary compare with the GCC?"));
    expect(r.candidate?.intent).toBe('strategy.gcc_benchmark');
    expect(r.clarification.reason).toBe('unsupported_metric');
    expect(r.clarification.missing).toEqual(['metric']);
    expect(r.clarification.supported_metrics).toEqual([
      'unemployment',
      'labour_force_participation',
      'female_labour_force_participation',
    ]);
    expect(r.clarification.message).toBe(
      'This analysis does not cover average salary. Please ask about one of the metrics it supports:\n\n' +
        '1. unemployment (unemployment)\n' +
        '2. labour force participation (labour_force_participation)\n' +
        '3. female labour force participation (female_labour_force_participation)',
    );
  });

  it('a GCC metric in a time-series question: unsupported_metric listing the five series metrics', () => {
    const r = clarified(router.route('What is the trend in unemployment?'));
    expect(r.candidate?.intent).toBe('time.trend');
    expect(r.clarification.supported_metrics).toEqual([
      'employment',
      'retention',
      'attrition',
      'qatarization',
      'avg_salary',
    ]);
  });
});

describe('route results', () => {
  it('carries intent, confidence, threshold, alternatives, entities, params and defaults', () => {
    const r = routed(router.route('Forecast ICT employment for the next 12 months'));
    expect(r.intent).toBe('predict.forecast');
    expect(r.method).toBe('classified');
    expect(r.threshold).toBe(0.35);
    expect(r.confidence).toBeGreaterThanOrEqual(0.35);
    expect(r.alternatives.length).toBeLessThanOrEqual(3);
    expect(r.alternatives.every((a) => a.intent !== 'predict.forecast' && a.score > 0)).toBe(true);
    expect(r.entities.sectors).toEqual(['ICT']);
    expect(r.entities.metrics).toEqual(['employment']);
    expect(r.entities.time).toEqual([{ kind: 'forward', forward_months: 12 }]);
    expect(r.params_used).toEqual({
      metric: 'employment',
      sector: 'ICT',
      horizon_months: 12,
      end: null,
      frequency: 'auto',
    });
    expect(Object.keys(r.params_used)).toEqual(['metric', 'sector', 'horizon_months', 'end', 'frequency']);
    expect(r.defaults_applied).toEqual(['frequency']);
    expect(r.warnings).toEqual([]);
  });

  it('every score in the output has at most 4 decimals', () => {
    for (const q of ['Why is attrition so high in Hospitality?', 'Is employment in Transport rising or falling?']) {
      const r = routed(router.route(q));
      for (const x of [r.confidence, ...r.alternatives.map((a) => a.score)]) {
        expect(Math.round(x * 1e4) / 1e4).toBe(x);
      }
    }
  });

  it('an explicit intent skips classification (confidence 1) but still extracts entities', () => {
    const r = routed(router.route('How is Energy doing on retention?', { intent: 'time.baseline' }));
    expect(r.method).toBe('explicit');
    expect(r.confidence).toBe(1);
    expect(r.alternatives).toEqual([]);
    expect(r.params_used).toMatchObject({ metric: 'retention', sector: 'Energy' });
  });

  it('explicit params override entity values; the overridden entity is listed as ignored', () => {
    const r = routed(
      router.route('Show the trend of retention in Energy', { params: { metric: 'attrition', alpha: 0.5 } }),
    );
    expect(r.params_used).toMatchObject({ metric: 'attrition', sector: 'Energy', alpha: 0.5 });
    expect(r.entities_ignored).toEqual([{ entity: 'metrics', value: 'retention', reason: 'not used by time.trend' }]);
  });

  it('warnings: DEFAULT_APPLIED, HORIZON_CAPPED, ASSUMED_PERCENTAGE_POINTS, DEFAULT_SCENARIOS_USED', () => {
    const trend = routed(router.route('Show the trend'));
    expect(trend.params_used.metric).toBe('employment');
    expect(trend.warnings).toEqual([
      {
        code: 'DEFAULT_APPLIED',
        message: 'The question names no metric; the default employment is used.',
        details: { param: 'metric', value: 'employment' },
      },
    ]);
    const fc = routed(router.route('Forecast employment in Energy by 2030'));
    expect(fc.params_used.horizon_months).toBe(24);
    expect(fc.warnings.map((w) => [w.code, w.details])).toEqual([
      ['HORIZON_CAPPED', { requested_months: 72, horizon_months: 24 }],
    ]);
    const pp = routed(router.route('What if retention in Energy rises by 2?'));
    expect(pp.warnings.map((w) => w.code)).toEqual(['ASSUMED_PERCENTAGE_POINTS']);
    expect((pp.params_used.changes as { transform: unknown }[])[0]!.transform).toEqual({ type: 'additive', value: 2 });
    const cmp = routed(router.route('Compare optimistic and pessimistic scenarios for retention'));
    expect(cmp.intent).toBe('scenario.compare');
    expect(cmp.warnings.map((w) => w.code)).toEqual(['DEFAULT_SCENARIOS_USED']);
  });

  it('is deterministic: the same question gives the same bytes', () => {
    for (const q of [
      'What if Qatarization in Finance rose by 2 percentage points?',
      'Rank Gulf countries by labour force participation',
    ]) {
      expect(JSON.stringify(router.route(q))).toBe(JSON.stringify(router.route(q)));
    }
    const other = createRouter({ latestDataYear: 2024 });
    const q = 'Which months see peak hiring in Hospitality?';
    expect(JSON.stringify(other.route(q))).toBe(JSON.stringify(router.route(q)));
  });

  it('the latest data year separates backward from forward years', () => {
    const r2023 = createRouter({ latestDataYear: 2023 });
    expect(r2023.extract('in 2024').time).toEqual([{ kind: 'forward', forward_months: 12, target_year: 2024 }]);
    expect(router.extract('in 2024').time).toEqual([{ kind: 'year', start: '2024', end: '2024', months: 12 }]);
    expect(() => createRouter({ latestDataYear: 24 })).toThrow(RangeError);
  });
});

describe('bad input never crashes (§4.1, §4.3)', () => {
  it('empty or too long question: invalid_request', () => {
    for (const q of ['', '   ', 'x'.repeat(501)]) {
      expect(() => router.route(q)).toThrow(AnalysisError);
      try {
        router.route(q);
      } catch (err) {
        expect((err as AnalysisError).code).toBe('invalid_request');
      }
    }
    expect(router.route(`  ${'employment trend '.repeat(29).trim()}  `).kind).toBe('route');
    expect(() => router.route(42 as unknown as string)).toThrow(AnalysisError);
  });

  it('unknown intent or parameter name: ParamsValidationError with body paths', () => {
    expect(() => router.route('trend', { intent: 'time.trends' })).toThrow(ParamsValidationError);
    try {
      router.route('trend', { intent: 'time.trend', params: { metric: 'retention', colour: 'red', alpha: 2 } });
      throw new Error('expected a validation error');
    } catch (err) {
      expect(err).toBeInstanceOf(ParamsValidationError);
      expect((err as ParamsValidationError).details).toEqual([
        { path: 'body.params.colour', message: "unknown parameter 'colour'" },
        { path: 'body.params.alpha', message: 'must be <= 1' },
      ]);
    }
  });

  it('an explicit unknown metric or sector: unknown_metric / unknown_sector with the specified messages', () => {
    expect(() => router.route('trend', { intent: 'time.trend', params: { metric: 'salary' } })).toThrow(
      new AnalysisError(
        'unknown_metric',
        "unknown metric 'salary' for time.trend; supported: employment, retention, attrition, qatarization, avg_salary",
      ),
    );
    expect(() => router.route('trend', { intent: 'time.trend', params: { sector: 'Mining' } })).toThrow(
      "unknown sector 'Mining'; supported: Energy, Construction, Finance, Hospitality, Education, Healthcare, Public, Manufacturing, Transport, ICT, ALL",
    );
  });

  it('routes every intent’s first catalogue example to that intent', () => {
    for (const intent of INTENTS) {
      const example = router.config.intents.find((i) => i.id === intent)!.examples[0]!;
      expect([example, routed(router.route(example)).intent]).toEqual([example, intent]);
    }
  });
});

describe('entities reach the params (A3)', () => {
  // One question per intent naming a sector and a metric. Intents without a sector parameter (GCC benchmark) or
  // without a metric parameter (talent competition, Vision 2030: fixed metrics) list the other entity as ignored
  // or as used by the method.
  it.each([
    ['Is Construction an outlier on attrition?', 'pattern.anomalies', { metric: 'attrition', sector: 'Construction' }],
    [
      'Is Qatarization linked to salaries, and how does Finance compare?',
      'pattern.correlation',
      { x_metric: 'qatarization', y_metric: 'avg_salary', focus_sector: 'Finance' },
    ],
    ['Why is retention weak in Transport?', 'pattern.root_causes', { outcome: 'retention', focus_sector: 'Transport' }],
    [
      'Which sectors are the top performers on salaries, and where is Energy?',
      'pattern.best_practices',
      { metric: 'avg_salary', focus_sector: 'Energy' },
    ],
    ['Is there a salary premium pulling workers into ICT?', 'strategy.talent_competition', { focus_sector: 'ICT' }],
    [
      'Is Qatarization in Education on track for the 30% target by 2030?',
      'strategy.vision2030',
      { focus_sector: 'Education', target_percent: 30, target_year: 2030 },
    ],
    [
      'Which factors have a persistent effect on retention in Healthcare?',
      'pattern.stable_relations',
      { outcome: 'retention', sector: 'Healthcare' },
    ],
    [
      'Is there seasonality in Hospitality employment?',
      'pattern.seasonal_effects',
      { outcome: 'employment', sector: 'Hospitality' },
    ],
    [
      'Does the salary effect on retention vary by sector across Energy and Finance?',
      'pattern.driver_screen',
      { driver: 'avg_salary', outcome: 'retention', cohorts: ['Energy', 'Finance'] },
    ],
    [
      'What is the normal level of attrition in Manufacturing?',
      'time.baseline',
      { metric: 'attrition', sector: 'Manufacturing' },
    ],
    [
      'What is the trend in Public sector Qatarization since 2019?',
      'time.trend',
      { metric: 'qatarization', sector: 'Public', start: '2019', end: '2024' },
    ],
    ['Was there a structural break in ICT salaries?', 'time.breaks', { metric: 'avg_salary', sector: 'ICT' }],
    [
      'Forecast retention in Construction for the next 8 months',
      'predict.forecast',
      { metric: 'retention', sector: 'Construction', horizon_months: 8 },
    ],
    [
      'Any early warning signs for Energy employment?',
      'predict.early_warning',
      { metric: 'employment', sector: 'Energy' },
    ],
    [
      'Which forecast method is most accurate for Finance attrition?',
      'predict.scenario_compare',
      { metric: 'attrition', sector: 'Finance' },
    ],
    [
      'What if attrition in Hospitality falls by 10%?',
      'scenario.apply',
      { metric: 'attrition', sector: 'Hospitality' },
    ],
    [
      'Compare scenarios for Energy salaries: a 2% rise against a 5% rise',
      'scenario.compare',
      { metric: 'avg_salary', sector: 'Energy' },
    ],
    [
      'What is the national impact if retention in Energy and ICT improves by 3%?',
      'scenario.batch',
      { metric: 'retention', sectors: ['Energy', 'ICT'] },
    ],
  ] as const)('%s → %s', (q, intent, expected) => {
    const r = routed(router.route(q));
    expect(r.intent).toBe(intent);
    expect(r.params_used).toMatchObject(expected);
  });

  it('the GCC benchmark has no sector parameter: the sector is listed as ignored, the metric is used', () => {
    const r = routed(router.route('How does Qatar compare with the GCC on unemployment in Finance?'));
    expect(r.intent).toBe('strategy.gcc_benchmark');
    expect(r.params_used).toMatchObject({ metric: 'unemployment', source: 'synthetic' });
    expect(r.entities_ignored).toEqual([
      { entity: 'sectors', value: 'Finance', reason: 'not used by strategy.gcc_benchmark' },
    ]);
  });

  it('the company level of anomalies: a named sector, "companies" and retention', () => {
    const r = routed(router.route('Which Construction companies have unusually low retention?'));
    expect(r.params_used).toMatchObject({ metric: 'retention', level: 'company', sector: 'Construction' });
  });
});
