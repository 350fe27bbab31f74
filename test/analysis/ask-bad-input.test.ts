/**
 * Bad input never crashes (analysis spec §4.1, §4.3, service spec §0): hostile or malformed /ask bodies give a
 * clarification or a 400/422 with the stable error shape, never a 5xx. The A8 errors of the agent endpoints carry the
 * specified codes and messages, and every canonical and alias agent route answers a minimal valid body with a verified
 * answer (§5.6: zero L1 and L2 issues, band GREEN or AMBER).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildAnalysisApp, type AnalysisApp } from '../support/analysis-app.js';
import { ALIAS_AGENT_CALLS, CANONICAL_AGENT_CALLS } from './support/agent-bodies.js';

let t: AnalysisApp;

beforeAll(async () => {
  t = await buildAnalysisApp();
});

afterAll(async () => {
  await t?.close();
});

const post = (url: string, payload: unknown): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: 'POST', url, payload: payload as object });
const ask = (payload: unknown) => post('/api/v1/ask', payload);

interface ErrorBody {
  error: { code: string; message: string; request_id: string; details?: { path: string; message: string }[] };
}

/** The service-wide error shape (service spec §0), with the request id echoed in the header. */
function expectError(res: LightMyRequestResponse, status: number, code: string): ErrorBody['error'] {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  const allowed = status === 422 ? ['code', 'message', 'request_id', 'details'] : ['code', 'message', 'request_id'];
  for (const k of Object.keys(body.error)) expect(allowed).toContain(k);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.request_id).toBe(res.headers['x-request-id']);
  if (status === 422) {
    expect(body.error.details!.length).toBeGreaterThan(0);
    for (const d of body.error.details!) expect(Object.keys(d).sort()).toEqual(['message', 'path']);
  }
  return body.error;
}

const LOW_CONFIDENCE_OPTIONS = ['time.trend', 'strategy.vision2030', 'pattern.anomalies'];

/** A §2.7 clarification: no intent, no numbers, three options, still verified and audited. */
function expectClarification(res: LightMyRequestResponse, reason: string): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(200);
  const b = res.json() as Record<string, unknown> & {
    clarification: { reason: string; options: { intent: string }[]; missing: string[] };
  };
  expect(b.status).toBe('clarification');
  expect(b.intent).toBeNull();
  expect(b.confidence).toBeNull();
  expect(b.citations).toEqual([]);
  expect(b.findings).toEqual([]);
  expect(b.verification).toEqual({ passed: true, issues: [] });
  expect((b.sections as { id: string }[]).map((s) => s.id)).toEqual(['clarification']);
  expect(b.clarification.reason).toBe(reason);
  expect(typeof b.audit_id).toBe('string');
  return b;
}

describe('POST /api/v1/ask with bad input', () => {
  it('an empty or blank question is 400 invalid_request', async () => {
    expect(expectError(await ask({ question: '' }), 400, 'invalid_request').message).toBe('question must not be empty');
    expect(expectError(await ask({ question: ' \n\t ' }), 400, 'invalid_request').message).toBe(
      'question must not be empty',
    );
  });

  it('10 KB of text (and 501 characters) is 400 invalid_request; 500 characters are accepted', async () => {
    const tenKb = 'employment in Energy '.repeat(500);
    expect(tenKb.length).toBeGreaterThanOrEqual(10_000);
    expect(expectError(await ask({ question: tenKb }), 400, 'invalid_request').message).toBe(
      'question must be at most 500 characters',
    );
    expectError(await ask({ question: 'a'.repeat(501) }), 400, 'invalid_request');
    // The limit applies after trimming (§4.1).
    const q500 = `What is the trend of employment in Energy?${' x'.repeat(229)}`;
    expect(q500.length).toBe(500);
    const res = await ask({ question: `   ${q500}   ` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'answered', intent: 'time.trend' });
  });

  it('only punctuation gives a low_confidence clarification with the fixed options', async () => {
    const b = expectClarification(await ask({ question: '?!?!.,;:...---' }), 'low_confidence');
    const c = b.clarification as { options: { intent: string }[]; missing: string[] };
    expect(c.options.map((o) => o.intent)).toEqual(LOW_CONFIDENCE_OPTIONS);
    expect(c.missing).toEqual([]);
  });

  it.each([
    ['Arabic', 'ما هو معدل التوظيف في قطاع الطاقة؟'],
    ['French', "Quelle est la tendance de l'emploi dans le secteur de la santé ?"],
  ])('a question in %s gives a low_confidence clarification', async (_lang, question) => {
    const b = expectClarification(await ask({ question }), 'low_confidence');
    expect((b.clarification as { options: unknown[] }).options).toHaveLength(3);
  });

  it('SQL text is treated as words: a clarification, nothing executed or echoed', async () => {
    const res = await ask({ question: "SELECT * FROM audit_manifests; DROP TABLE companies; --'" });
    expectClarification(res, 'low_confidence');
    expect(res.body).not.toContain('DROP TABLE');
    // The data is still there.
    const again = await ask({ question: 'What is the trend of employment in Energy?' });
    expect(again.json()).toMatchObject({ status: 'answered', intent: 'time.trend' });
  });

  it('script tags are never echoed back; the question is still answered from its words', async () => {
    const res = await ask({ question: '<script>alert(1)</script> attrition trend in Energy' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'answered', intent: 'time.trend' });
    expect(res.body).not.toMatch(/<script/i);
    expect(res.json().router.params_used).toMatchObject({ metric: 'attrition', sector: 'Energy' });
  });

  it('null bytes in the question neither crash nor come back', async () => {
    const res = await ask({ question: 'attrition\u0000 trend in\u0000 Energy' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'answered', intent: 'time.trend' });
    expect(res.body).not.toContain('\\u0000');
  });

  it.each([
    ['a number', { question: 42 }, 'body.question'],
    ['null', { question: null }, 'body.question'],
    ['an array', { question: ['employment'] }, 'body.question'],
    ['an object', { question: { text: 'employment' } }, 'body.question'],
  ])('a question that is %s is 422 validation_failed', async (_what, body, path) => {
    const e = expectError(await ask(body), 422, 'validation_failed');
    expect(e.details).toEqual([{ path, message: 'must be string' }]);
  });

  it('a body without a question, with unknown keys or of the wrong type is 422', async () => {
    expect(expectError(await ask({}), 422, 'validation_failed').details).toEqual([
      { path: 'body', message: "must have required property 'question'" },
    ]);
    expectError(await ask({ question: 'employment trend', sql: 'SELECT 1' }), 422, 'validation_failed');
    expectError(await ask({ question: 'employment trend', params: [] }), 422, 'validation_failed');
    expectError(await ask({ question: 'employment trend', options: 'all' }), 422, 'validation_failed');
    const arr = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: '[]',
      headers: { 'content-type': 'application/json' },
    });
    expectError(arr, 422, 'validation_failed');
  });

  it('a body that is not JSON is 400 invalid_json; a non-JSON media type is 415', async () => {
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: '{"question": "employment',
      headers: { 'content-type': 'application/json' },
    });
    expectError(broken, 400, 'invalid_json');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: 'employment trend',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(text, 415, 'unsupported_media_type');
  });

  it('an unknown option, or max_rows 0 or 1001, is 422; max_rows 1 and 1000 are accepted', async () => {
    expect(
      expectError(await ask({ question: 'employment trend', options: { verbose: true } }), 422, 'validation_failed')
        .details,
    ).toEqual([{ path: 'body.options', message: 'must NOT have additional properties' }]);
    expect(
      expectError(await ask({ question: 'employment trend', options: { max_rows: 0 } }), 422, 'validation_failed')
        .details,
    ).toEqual([{ path: 'body.options.max_rows', message: 'must be >= 1' }]);
    expect(
      expectError(await ask({ question: 'employment trend', options: { max_rows: 1001 } }), 422, 'validation_failed')
        .details,
    ).toEqual([{ path: 'body.options.max_rows', message: 'must be <= 1000' }]);
    expectError(await ask({ question: 'employment trend', options: { max_rows: 2.5 } }), 422, 'validation_failed');
    for (const maxRows of [1, 1000]) {
      const res = await ask({ question: 'What is the trend of employment in Energy?', options: { max_rows: maxRows } });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('answered');
    }
  });

  it('explicit intents and params are validated: unknown intent or param 422, unknown metric or sector 400', async () => {
    expectError(await ask({ question: 'employment trend', intent: 'time.magic' }), 422, 'validation_failed');
    expect(
      expectError(
        await ask({ question: 'employment trend', intent: 'time.trend', params: { frobnicate: 1 } }),
        422,
        'validation_failed',
      ).details,
    ).toEqual([{ path: 'body.params.frobnicate', message: "unknown parameter 'frobnicate'" }]);
    expect(
      expectError(
        await ask({ question: 'employment trend', intent: 'time.trend', params: { metric: 'unemployment' } }),
        400,
        'unknown_metric',
      ).message,
    ).toBe(
      "unknown metric 'unemployment' for time.trend; supported: employment, retention, attrition, qatarization, avg_salary",
    );
    expectError(
      await ask({ question: 'employment trend', intent: 'time.trend', params: { sector: 'Mining' } }),
      400,
      'unknown_sector',
    );
  });
});

describe('agent endpoints: A8 errors (§4.3, §4.4)', () => {
  const agent = (route: string, body: unknown) => post(`/api/v1/agents/${route}`, body);

  it('400 intent_mismatch with the exact message, on canonical and alias routes', async () => {
    expect(
      expectError(
        await agent('time/trend', { intent: 'time.baseline', params: { metric: 'employment' } }),
        400,
        'intent_mismatch',
      ).message,
    ).toBe("intent 'time.baseline' does not match this endpoint ('time.trend')");
    expect(
      expectError(await agent('strategy/benchmark', { intent: 'time.trend' }), 400, 'intent_mismatch').message,
    ).toBe("intent 'time.trend' does not match this endpoint ('strategy.benchmark')");
    expect(
      expectError(await agent('predictor/warnings', { intent: 'predict.forecast' }), 400, 'intent_mismatch').message,
    ).toBe("intent 'predict.forecast' does not match this endpoint ('predictor.warnings')");
  });

  it('400 missing_param "params.<name> is required" (the /ask defaults do not apply)', async () => {
    const cases: [string, string, Record<string, unknown> | undefined, string][] = [
      ['time/trend', 'time.trend', undefined, 'metric'],
      ['time/baseline', 'time.baseline', {}, 'metric'],
      ['predict/forecast', 'predict.forecast', { horizon_months: 6 }, 'metric'],
      ['pattern/driver_screen', 'pattern.driver_screen', { driver: 'avg_salary' }, 'outcome'],
      ['pattern/stable_relations', 'pattern.stable_relations', {}, 'outcome'],
      ['scenario/apply', 'scenario.apply', {}, 'spec'],
      ['scenario/compare', 'scenario.compare', {}, 'specs'],
      ['scenario/batch', 'scenario.batch', {}, 'specs'],
    ];
    for (const [route, intent, params, name] of cases) {
      const e = expectError(
        await agent(route, params === undefined ? { intent } : { intent, params }),
        400,
        'missing_param',
      );
      expect(e.message, route).toBe(`params.${name} is required`);
    }
  });

  it('400 unknown_metric with the spec message', async () => {
    const cases: [string, string, string, string][] = [
      ['time/trend', 'time.trend', 'unemployment', 'employment, retention, attrition, qatarization, avg_salary'],
      [
        'strategy/gcc_benchmark',
        'strategy.gcc_benchmark',
        'avg_salary',
        'unemployment, labour_force_participation, female_labour_force_participation',
      ],
      [
        'pattern/anomalies',
        'pattern.anomalies',
        'unemployment',
        'attrition, retention, qatarization, avg_salary, employment',
      ],
    ];
    for (const [route, intent, metric, supported] of cases) {
      const e = expectError(await agent(route, { intent, params: { metric } }), 400, 'unknown_metric');
      expect(e.message).toBe(`unknown metric '${metric}' for ${intent}; supported: ${supported}`);
    }
  });

  it('422 for an unknown param, an out-of-range param, an unknown envelope key and a missing intent', async () => {
    expect(
      expectError(
        await agent('time/trend', { intent: 'time.trend', params: { metric: 'employment', queries_dir: '/etc' } }),
        422,
        'validation_failed',
      ).details,
    ).toEqual([{ path: 'body.params.queries_dir', message: "unknown parameter 'queries_dir'" }]);
    expect(
      expectError(
        await agent('time/trend', { intent: 'time.trend', params: { metric: 'employment', alpha: 2 } }),
        422,
        'validation_failed',
      ).details,
    ).toEqual([{ path: 'body.params.alpha', message: 'must be <= 1' }]);
    expectError(
      await agent('time/trend', { intent: 'time.trend', params: { metric: 'employment' }, extra: true }),
      422,
      'validation_failed',
    );
    expectError(
      await agent('time/trend', { intent: 'time.trend', params: { metric: 'employment' }, options: { max_rows: 0 } }),
      422,
      'validation_failed',
    );
    expectError(await agent('time/trend', { params: { metric: 'employment' } }), 422, 'validation_failed');
  });

  it('an unknown agent route is 404 not_found', async () => {
    expectError(await agent('time/magic', { intent: 'time.magic' }), 404, 'not_found');
  });
});

describe('agent endpoints: every route answers a minimal valid body (§4.4, §5.6)', () => {
  const expectVerified = (res: LightMyRequestResponse, intent: string) => {
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json() as {
      status: string;
      intent: string;
      router: unknown;
      verification: { passed: boolean; issues: { layer: string }[] };
      confidence: { band: string };
      findings: unknown[];
      audit_id: string | null;
    };
    expect(b.status).toBe('answered');
    expect(b.intent).toBe(intent);
    expect(b.router).toBeNull();
    expect(b.verification.passed).toBe(true);
    expect(b.verification.issues.filter((i) => i.layer === 'L1' || i.layer === 'L2')).toEqual([]);
    expect(['GREEN', 'AMBER']).toContain(b.confidence.band);
    expect(b.findings.length).toBeGreaterThan(0);
    expect(typeof b.audit_id).toBe('string');
  };

  it.each(CANONICAL_AGENT_CALLS.map((c) => [c.route, c]))('POST /api/v1/agents/%s', async (_route, c) => {
    expectVerified(await post(`/api/v1/agents/${c.route}`, { intent: c.intent, params: c.params }), c.intent);
  });

  const canonicalOf: Record<string, string> = {
    'pattern.correlations': 'pattern.correlation',
    'predictor.forecast': 'predict.forecast',
    'predictor.warnings': 'predict.early_warning',
    'strategy.benchmark': 'strategy.gcc_benchmark',
    'strategy.vision': 'strategy.vision2030',
  };
  it.each(ALIAS_AGENT_CALLS.map((c) => [c.route, c]))('alias POST /api/v1/agents/%s', async (_route, c) => {
    expectVerified(
      await post(`/api/v1/agents/${c.route}`, { intent: c.intent, params: c.params }),
      canonicalOf[c.intent]!,
    );
  });

  it('the alias routes also accept the canonical intent name; the six shared routes are the canonical ones', async () => {
    expectVerified(
      await post('/api/v1/agents/strategy/benchmark', { intent: 'strategy.gcc_benchmark' }),
      'strategy.gcc_benchmark',
    );
    const shared = [
      'time/baseline',
      'time/trend',
      'time/breaks',
      'pattern/anomalies',
      'scenario/apply',
      'scenario/compare',
    ];
    expect(shared.every((r) => CANONICAL_AGENT_CALLS.some((c) => c.route === r))).toBe(true);
  });
});
