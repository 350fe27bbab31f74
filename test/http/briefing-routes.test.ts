/** `POST /api/v1/council/run` and `POST /api/v1/briefing/minister` (service spec §1.3, analysis spec §7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalysisServices } from '../../src/analysis/analysis-services.js';
import { briefingRoutes, wantsMarkdown } from '../../src/http/routes/briefing.js';
import { buildAnalysisApp, type AnalysisApp } from '../support/analysis-app.js';

let t: AnalysisApp;

beforeAll(async () => {
  t = await buildAnalysisApp();
  // Until src/http/app.ts registers the plugin, mount it on the test app with an answer service of its own.
  if (!t.app.hasRoute({ method: 'POST', url: '/api/v1/briefing/minister' })) {
    const analysis = createAnalysisServices({
      queries: t.data.queryService,
      db: undefined,
      version: '0.0.0-test',
      clockDate: '2025-01-15',
      hmacKey: 'test-audit-hmac-key-0123456789abcdefghijkl',
    });
    await t.app.register(briefingRoutes, { answers: analysis.answers });
  }
});

afterAll(async () => {
  await t?.close();
});

function post(url: string, opts: { payload?: object; headers?: Record<string, string> } = {}) {
  return t.app.inject({ method: 'POST', url, ...opts });
}

describe('POST /api/v1/council/run', () => {
  it('answers the council object, with or without a body', async () => {
    for (const res of [await post('/api/v1/council/run'), await post('/api/v1/council/run', { payload: {} })]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = res.json();
      expect(Object.keys(body)).toEqual([
        'request_id',
        'agents',
        'findings',
        'consensus',
        'citations',
        'freshness',
        'verification',
        'min_confidence',
        'warnings',
        'audit_id',
        'timings_ms',
      ]);
      expect(body.request_id).toBe(res.headers['x-request-id']);
      expect(body.agents).toHaveLength(9);
      expect(body.verification.passed).toBe(true);
      expect(body.consensus.map((c: { key: string }) => c.key)).toEqual(
        expect.arrayContaining([
          'national_qatarization_percent',
          'mean_sector_attrition_percent',
          'mean_sector_qatarization_percent',
        ]),
      );
    }
  });

  it('accepts ttl_s within 60..86400 and refuses anything else with 422', async () => {
    expect((await post('/api/v1/council/run', { payload: { ttl_s: 300 } })).statusCode).toBe(200);
    for (const payload of [{ ttl_s: 59 }, { ttl_s: 86401 }, { ttl_s: 'soon' }, { ttl: 300 }, { question: 'x' }]) {
      const res = await post('/api/v1/council/run', { payload });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('validation_failed');
    }
  });
});

describe('POST /api/v1/briefing/minister', () => {
  it('answers JSON by default', async () => {
    const res = await post('/api/v1/briefing/minister');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json();
    expect(body.title).toBe('Minister Briefing: Qatar Labour Market (Synthetic Data)');
    expect(body.key_metrics).toHaveLength(5);
    expect(body.key_metrics[0].value).toBeCloseTo(9.34, 2);
    expect(body.key_metrics[3]).toMatchObject({ key: 'qatar_rank', value: 1 });
    expect(body.red_flags.length).toBeLessThanOrEqual(8);
    expect(body.request_id).toBe(res.headers['x-request-id']);
    expect(body.markdown.startsWith(`# ${body.title}\n\n_As of ${body.as_of}_\n\n## Headline\n`)).toBe(true);
  });

  it('answers the Markdown alone to Accept: text/markdown', async () => {
    const json = (await post('/api/v1/briefing/minister', { payload: { ttl_s: 600 } })).json();
    const res = await post('/api/v1/briefing/minister', { headers: { accept: 'text/markdown' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.body).toBe(json.markdown);
  });

  it('refuses unknown body keys with 422', async () => {
    const res = await post('/api/v1/briefing/minister', { payload: { format: 'md' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body', message: 'must NOT have additional properties' }],
    });
  });
});

describe('wantsMarkdown', () => {
  it('prefers Markdown only when the client ranks it above JSON', () => {
    expect(wantsMarkdown(undefined)).toBe(false);
    expect(wantsMarkdown('*/*')).toBe(false);
    expect(wantsMarkdown('application/json')).toBe(false);
    expect(wantsMarkdown('text/markdown')).toBe(true);
    expect(wantsMarkdown('text/markdown; charset=utf-8')).toBe(true);
    expect(wantsMarkdown('text/markdown;q=0')).toBe(false);
    expect(wantsMarkdown('application/json, text/markdown;q=0.5')).toBe(false);
    expect(wantsMarkdown('text/markdown;q=0.9, application/json;q=0.5')).toBe(true);
    expect(wantsMarkdown('text/markdown, application/json')).toBe(true);
    expect(wantsMarkdown('application/json, text/markdown')).toBe(false);
  });
});
