import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSecurity } from '../support/security.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

const SECURITY_HEADERS = [
  'strict-transport-security',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
];

function expectErrorShape(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(res.body) as { error: { code: string; message: string; request_id: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.request_id).toBe(res.headers['x-request-id']);
  for (const h of SECURITY_HEADERS) expect(res.headers[h], h).toBeTruthy();
  expect(res.body).not.toMatch(/at .*\.ts:\d+|\/work\/|node_modules/);
  return body.error;
}

describe('queries API', () => {
  it('lists ids in registry order with the registry version', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/queries' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { ids: string[]; registry_version: string };
    expect(body.ids).toEqual(t.data.registry.ids());
    expect(body.registry_version).toBe(t.data.registry.version());
  });

  it('shows one spec', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/queries/syn_attrition_hotspots_latest' });
    expect(res.statusCode).toBe(200);
    expect(res.json().query).toMatchObject({
      id: 'syn_attrition_hotspots_latest',
      source: 'csv',
      expected_unit: 'percent',
    });
    expect(res.json().query.file).toBeUndefined();
  });

  it('runs a query with typed overrides and returns the result model', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      payload: { override_params: { year: 2019 } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-rows']).toBe('10');
    const body = res.json();
    expect(body.rows).toHaveLength(10);
    expect(body.rows.every((r: { year: number }) => r.year === 2019)).toBe(true);
    expect(Object.keys(body.rows[0])).toEqual(['year', 'sector', 'employees']);
    expect(body.pagination).toBeNull();
    expect(body.auto_paginated).toBe(false);
    expect(body.request_id).toBe(res.headers['x-request-id']);
    expect(body.provenance.license).toBe('MIT-SYNTHETIC');
  });

  it('paginates on request and clamps a page past the end to the last page', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run?page=9&page_size=4',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.pagination).toEqual({
      page: 3,
      page_size: 4,
      total_items: 10,
      total_pages: 3,
      has_prev: true,
      has_next: false,
    });
    expect(body.rows.map((r: { sector: string }) => r.sector)).toEqual(['Transport', 'ICT']);
  });

  it('streams NDJSON: meta, rows, end', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/queries/syn_gcc_unemployment_rank/stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['x-query-id']).toBe('syn_gcc_unemployment_rank');
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'meta', query_id: 'syn_gcc_unemployment_rank', row_count: 6 });
    expect(lines.slice(1, -1)).toHaveLength(6);
    expect(lines[1]).toEqual({ type: 'row', row: { country: 'QAT', year: 2024, value: 0.27 } });
    expect(lines.at(-1)).toEqual({ type: 'end', row_count: 6 });
  });

  it('runs a batch in request order; an item failure does not fail the batch', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries:batch',
      payload: {
        queries: [
          { query_id: 'syn_employment_female_share' },
          { query_id: 'no_such_query' },
          { query_id: 'syn_sector_employment_latest', override_params: { year: '2024' } },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results.map((r: { ok: boolean }) => r.ok)).toEqual([true, false, false]);
    expect(results[0].response.rows).toEqual([{ year: 2024, female_percent: 30.24 }]);
    expect(results[0].response.pagination).toBeNull();
    expect(results[1].error.code).toBe('unknown_query');
    expect(results[2].error.code).toBe('validation_failed');
  });

  it('invalidates every cached variant of a query', async () => {
    await t.app.inject({ method: 'POST', url: '/api/v1/queries/syn_employment_male_share/run' });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_employment_male_share/run',
      payload: { override_params: { year: 2023 } },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_employment_male_share/cache/invalidate',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', query_id: 'syn_employment_male_share', removed: 2 });
  });

  it('serves repeated runs from the cache and bypasses it with ttl_s=0', async () => {
    const url = '/api/v1/queries/syn_ewi_hotlist_latest/run';
    await t.app.inject({ method: 'POST', url });
    const hit = await t.app.inject({ method: 'POST', url });
    expect(hit.json().timings.cache).toBe('hit');
    const bypass = await t.app.inject({ method: 'POST', url: `${url}?ttl_s=0` });
    expect(bypass.json().timings.cache).toBe('bypass');
  });
});

describe('queries API: bad input gets a 4xx with the stable error shape', () => {
  it('unknown id → 404 unknown_query', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/queries/no_such_query/run' });
    expectErrorShape(res, 404, 'unknown_query');
  });

  it('id that breaks the id rule → 422', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/queries/1bad-id/run' });
    expectErrorShape(res, 422, 'validation_failed');
  });

  it('wrong param type (year as a string) → 422', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      payload: { override_params: { year: '2024' } },
    });
    const err = expectErrorShape(res, 422, 'validation_failed');
    expect(err.message).toMatch(/year/);
  });

  it('unknown and non-overridable override keys → 422', async () => {
    for (const override_params of [{ colour: 'red' }, { pattern: '../../etc/passwd.csv' }, { year: 1.5 }]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/queries/syn_sector_employment_latest/run',
        payload: { override_params },
      });
      expectErrorShape(res, 422, 'validation_failed');
    }
  });

  it('unknown body member → 422', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      payload: { sql: 'SELECT 1' },
    });
    expectErrorShape(res, 422, 'validation_failed');
  });

  it('page 0 → 422', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/queries/syn_sector_employment_latest/run?page=0' });
    expectErrorShape(res, 422, 'validation_failed');
  });

  it('page_size 10^6 → 422', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run?page_size=1000000',
    });
    expectErrorShape(res, 422, 'validation_failed');
  });

  it('negative ttl_s → 422', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run?ttl_s=-1',
    });
    expectErrorShape(res, 422, 'validation_failed');
  });

  it('21 batch items → 422, zero items → 422', async () => {
    const queries = Array.from({ length: 21 }, () => ({ query_id: 'syn_employment_female_share' }));
    expectErrorShape(
      await t.app.inject({ method: 'POST', url: '/api/v1/queries:batch', payload: { queries } }),
      422,
      'validation_failed',
    );
    expectErrorShape(
      await t.app.inject({ method: 'POST', url: '/api/v1/queries:batch', payload: { queries: [] } }),
      422,
      'validation_failed',
    );
  });

  it('non-JSON body → 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      headers: { 'content-type': 'text/plain' },
      payload: 'year=2024',
    });
    expectErrorShape(res, 415, 'unsupported_media_type');
  });

  it('malformed JSON and empty JSON bodies → 400 invalid_json', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      headers: { 'content-type': 'application/json' },
      payload: '{"override_params": {',
    });
    expectErrorShape(bad, 400, 'invalid_json');
    const empty = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectErrorShape(empty, 400, 'invalid_json');
  });

  it('2 MB body → 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ override_params: { year: 2024 }, pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expectErrorShape(res, 413, 'payload_too_large');
  });

  it('unknown route → 404 not_found', async () => {
    expectErrorShape(await t.app.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 'not_found');
    expectErrorShape(await t.app.inject({ method: 'GET', url: '/api/v1/v1/queries' }), 404, 'not_found');
  });

  it('no data for a year → 404 no_data', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/queries/syn_sector_employment_latest/run',
      payload: { override_params: { year: 1999 } },
    });
    expectErrorShape(res, 404, 'no_data');
  });

  it('reuses a well-formed X-Request-ID and replaces a hostile one', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/queries', headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/queries', headers: { 'x-request-id': '<script>' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('operational routes', () => {
  it('GET / describes the service; HTML clients are sent to the app', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.json()).toEqual({
      name: 'QNWIS Agent API',
      version: '0.0.0-test',
      environment: 'test',
      docs_enabled: false,
    });
    const html = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(html.statusCode).toBe(302);
    expect(html.headers.location).toBe('/app/');
  });

  it('health bodies are constant', async () => {
    const live = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.body).toBe('{"status":"ok"}');
    expect(live.headers['cache-control']).toBe('no-store');
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.body).toBe('{"status":"ready"}');
  });

  it('metrics are served to loopback only', async () => {
    const local = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toContain('qnwis_requests_total');
    // HTTPS enforcement comes first (service spec §3.1 stage 4 before stage 7).
    const remote = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
    expectErrorShape(remote, 400, 'https_required');
    const plain = await buildTestApp({ security: testSecurity({ QNWIS_REQUIRE_HTTPS: 'false' }) });
    try {
      const outside = await plain.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
      expectErrorShape(outside, 403, 'metrics_forbidden');
    } finally {
      await plain.close();
    }
  });
});
