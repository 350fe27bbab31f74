import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { TestApp } from '../support/app.js';
import { buildWebTestApp } from './web-app.js';

let t: TestApp;
const cspViolations: string[] = [];
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await buildWebTestApp({ cspViolations, logLines });
});
afterAll(async () => {
  await t.close();
});

async function get(url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers });
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const r = await get(url);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

// 2024 employees per sector in the seed-42 pack (aggregates/sector_employment_by_year.csv).
const EMPLOYMENT_2024 = {
  Public: 52743,
  Energy: 38280,
  Construction: 33129,
  Hospitality: 26685,
  Education: 16587,
  ICT: 13711,
  Transport: 9995,
  Manufacturing: 9769,
  Healthcare: 9131,
  Finance: 6263,
};

describe('GET /api/v1/ui/* payloads over the test pack', () => {
  it('meta lists the years, the latest common year, sectors by size and the GCC countries', async () => {
    const meta = await getJson('/api/v1/ui/meta');
    expect(meta).toMatchObject({
      data_mode: 'synthetic',
      years: [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024],
      latest_common_year: 2024,
      sectors: Object.keys(EMPLOYMENT_2024),
      countries: ['QAT', 'ARE', 'KWT', 'OMN', 'BHR', 'SAU'],
      vision2030_target_pct: 30,
      service_version: '0.0.0-test',
    });
    expect(meta.registry_version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('kpis: total employment is the sum over sectors, with the change against the previous year', async () => {
    const kpis = (await getJson('/api/v1/ui/kpis?year=2024')) as {
      cards: { id: string; kpi: number; unit: string; meta: Record<string, unknown> }[];
    };
    const total = kpis.cards.find((c) => c.id === 'total_employment')!;
    expect(total.kpi).toBe(216293); // Σ EMPLOYMENT_2024
    expect(total.kpi).toBe(Object.values(EMPLOYMENT_2024).reduce((a, b) => a + b, 0));
    expect(total.unit).toBe('persons');
    expect(total.meta).toMatchObject({
      year: 2024,
      query_id: 'syn_sector_employment_by_year',
      asof: '2024-12-31',
      change_unit: 'percent',
    });
    expect(kpis.cards.map((c) => c.id)).toEqual([
      'total_employment',
      'qatarization_pct',
      'avg_salary_qar',
      'attrition_pct',
    ]);
    const q = kpis.cards.find((c) => c.id === 'qatarization_pct')!;
    expect(q.meta.change_unit).toBe('pp');
    // first year: no previous year, so no change
    const first = (await getJson('/api/v1/ui/kpis?year=2017')) as {
      cards: { meta: { previous: unknown; change: unknown } }[];
    };
    expect(first.cards[0]!.meta).toMatchObject({ previous: null, change: null });
  });

  it('top sectors: ranked with their share of the total', async () => {
    const body = (await getJson('/api/v1/ui/cards/top-sectors?year=2024&n=3')) as { cards: unknown[] };
    expect(body.cards).toEqual([
      {
        title: 'Public',
        subtitle: 'Employment 2024',
        kpi: 52743,
        unit: 'persons',
        meta: { year: 2024, share_pct: 24.4 },
      },
      {
        title: 'Energy',
        subtitle: 'Employment 2024',
        kpi: 38280,
        unit: 'persons',
        meta: { year: 2024, share_pct: 17.7 },
      },
      {
        title: 'Construction',
        subtitle: 'Employment 2024',
        kpi: 33129,
        unit: 'persons',
        meta: { year: 2024, share_pct: 15.3 },
      },
    ]);
  });

  it('ewi: sectors whose drop is at least the threshold, highest first (latest year by default)', async () => {
    const body = (await getJson('/api/v1/ui/cards/ewi')) as { cards: { title: string; kpi: number }[] };
    // 2024 drops: Finance 5.85, Public 5.08, Energy 4.15, then Construction 2.74 (< 3)
    expect(body.cards.map((c) => [c.title, c.kpi])).toEqual([
      ['Finance', 5.85],
      ['Public', 5.08],
      ['Energy', 4.15],
    ]);
    const none = (await getJson('/api/v1/ui/cards/ewi?year=2024&threshold=10')) as { cards: unknown[] };
    expect(none.cards).toEqual([]);
  });

  it('sector employment: sorted descending with unit and source', async () => {
    const body = await getJson('/api/v1/ui/charts/sector-employment?year=2024');
    expect(body).toMatchObject({
      title: 'Employment by sector, 2024',
      year: 2024,
      categories: Object.keys(EMPLOYMENT_2024),
      values: Object.values(EMPLOYMENT_2024),
      unit: 'persons',
      source: {
        query_ids: ['syn_sector_employment_by_year'],
        asof: '2024-12-31',
        license: 'MIT-SYNTHETIC',
        warnings: [],
      },
    });
    const ar = await getJson('/api/v1/ui/charts/sector-employment?year=2024&lang=ar');
    expect(ar.title).toBe('التوظيف حسب القطاع، 2024');
  });

  it('GCC unemployment: ascending ranking, Qatar first, average and gap', async () => {
    const body = await getJson('/api/v1/ui/charts/gcc-unemployment');
    // rates: QAT 0.27, ARE 2.4, BHR 2.46, KWT 2.61, OMN 3.59, SAU 4.49; mean 15.82 / 6 = 2.6367
    expect(body).toMatchObject({
      year: 2024,
      categories: ['QAT', 'ARE', 'BHR', 'KWT', 'OMN', 'SAU'],
      values: [0.27, 2.4, 2.46, 2.61, 3.59, 4.49],
      ranking: { qatar_rank: 1, of: 6, qatar_rate: 0.27, gcc_average: 2.64, gap_pp: -2.37 },
      reference_lines: [{ label: 'GCC average', value: 2.64 }],
    });
  });

  it('salary series: every year of the sector; YoY has no value for the first year', async () => {
    const trend = (await getJson('/api/v1/ui/charts/salary-trend?sector=ICT')) as {
      series: { x: number; y: number }[];
    };
    expect(trend.series.map((p) => p.x)).toEqual([2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]);
    const yoy = (await getJson('/api/v1/ui/charts/salary-yoy?sector=%20ICT%20')) as {
      series: { x: number; y: number | null }[];
    };
    expect(yoy.series[0]).toEqual({ x: 2017, y: null });
    const [a, b] = [trend.series[0]!.y, trend.series[1]!.y];
    expect(yoy.series[1]).toEqual({ x: 2018, y: Math.round(((b - a) / a) * 10000) / 100 });
  });

  it('attrition: flags above 1.5 × the weighted average as high', async () => {
    const body = (await getJson('/api/v1/ui/charts/attrition-by-sector?year=2024')) as {
      values: number[];
      flags: string[];
      reference_lines: { value: number }[];
    };
    const avg = body.reference_lines[0]!.value;
    body.values.forEach((v, i) => expect(body.flags[i]).toBe(v > 1.5 * avg ? 'high' : v >= avg ? 'moderate' : 'low'));
    expect([...body.values].sort((x, y) => y - x)).toEqual(body.values);
  });

  it('answers 404 no_data for a year without data, with the reference message', async () => {
    const r = await get('/api/v1/ui/charts/attrition-by-sector?year=2030');
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatchObject({
      code: 'no_data',
      message: "No data available for 'attrition_by_sector/2030'",
    });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('rejects unknown parameters (no filesystem input) and bad sectors with 422', async () => {
    const dir = await get('/api/v1/ui/charts/sector-employment?queries_dir=/etc');
    expect(dir.statusCode).toBe(422);
    expect(dir.json().error.code).toBe('validation_failed');
    for (const sector of ['x', 'ICT<script>', 'a'.repeat(81)]) {
      const r = await get(`/api/v1/ui/charts/salary-yoy?sector=${encodeURIComponent(sector)}`);
      expect(r.statusCode, sector).toBe(422);
    }
    expect((await get('/api/v1/ui/charts/salary-yoy')).statusCode).toBe(422);
    expect((await get('/api/v1/ui/kpis?year=1999')).statusCode).toBe(422);
  });

  it('queries browser: list, detail with parameters, paged rows with freshness', async () => {
    const list = (await getJson('/api/v1/ui/queries')) as {
      count: number;
      queries: { id: string; spec_checksum: string; license: string | null }[];
    };
    expect(list.count).toBe(list.queries.length);
    const spec = list.queries.find((q) => q.id === 'syn_sector_employment_by_year')!;
    expect(spec.spec_checksum).toMatch(/^[0-9a-f]{12}$/);
    expect(spec.license).toBe('MIT-SYNTHETIC');
    const detail = (await getJson('/api/v1/ui/queries/syn_sector_employment_by_year')) as {
      parameters: { name: string; default: unknown }[];
    };
    expect(detail.parameters.map((p) => p.name)).toEqual(['year', 'max_rows', 'timeout_s', 'to_percent']);
    expect(detail.parameters[0]!.default).toBe(2023);
    const rows = (await getJson(
      '/api/v1/ui/queries/syn_sector_employment_by_year/rows?year=2019&page=2&page_size=4',
    )) as Record<string, unknown>;
    expect(rows).toMatchObject({
      query_id: 'syn_sector_employment_by_year',
      columns: ['year', 'sector', 'employees'],
      row_count: 10,
      pagination: { page: 2, page_size: 4, total_items: 10, total_pages: 3, has_prev: true, has_next: true },
      freshness: { asof_date: '2019-12-31', sla_days: 3650 },
    });
    expect((rows.rows as unknown[]).length).toBe(4);
    const bad = await get('/api/v1/ui/queries/syn_sector_employment_by_year/rows?countries=QAT');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details).toEqual([
      { path: 'querystring.countries', message: 'is not a parameter of this query' },
    ]);
    expect((await get('/api/v1/ui/queries/no_such_query')).statusCode).toBe(404);
  });
});

describe('ETag and 304 (ui.md §8)', () => {
  it('sends a strong SHA-256 tag of the canonical body with private caching', async () => {
    const { createHash } = await import('node:crypto');
    const r = await get('/api/v1/ui/meta');
    expect(r.headers.etag).toBe(`"${createHash('sha256').update(r.rawPayload).digest('hex')}"`);
    expect(r.headers['cache-control']).toBe('private, max-age=60');
    expect(r.headers.vary).toBe('Cookie, Authorization, X-API-Key');
    // canonical: keys sorted, no whitespace
    expect(r.body.startsWith('{"countries":[')).toBe(true);
    const again = await get('/api/v1/ui/meta');
    expect(again.headers.etag).toBe(r.headers.etag);
  });

  it.each([
    ['the exact tag', (tag: string) => tag],
    ['a weak form', (tag: string) => `W/${tag}`],
    ['a list', (tag: string) => `"0000", ${tag} , "1111"`],
    ['a star', () => '*'],
  ])('answers 304 without a body for %s', async (_name, header) => {
    const first = await get('/api/v1/ui/charts/gcc-unemployment');
    const tag = first.headers.etag as string;
    const r = await get('/api/v1/ui/charts/gcc-unemployment', { 'if-none-match': header(tag) });
    expect(r.statusCode).toBe(304);
    expect(r.body).toBe('');
    expect(r.headers.etag).toBe(tag);
    expect(r.headers['cache-control']).toBe('private, max-age=60');
    expect(r.headers.vary).toBe('Cookie, Authorization, X-API-Key');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.headers['x-request-id']).toBeTruthy();
  });

  it('answers 200 for a different tag', async () => {
    const r = await get('/api/v1/ui/charts/gcc-unemployment', { 'if-none-match': '"abc", W/"def"' });
    expect(r.statusCode).toBe(200);
  });
});

describe('exports (ui.md §7)', () => {
  it('chart CSV: header row, CRLF, columns of §7.1, attachment name', async () => {
    const r = await get('/api/v1/export/chart/gcc-unemployment.csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(r.headers['content-disposition']).toBe(
      `attachment; filename="qnwis-gcc-unemployment-2024-en.csv"; filename*=UTF-8''qnwis-gcc-unemployment-2024-en.csv`,
    );
    expect(r.body).toBe(
      'year,country,unemployment_percent,rank\r\n2024,QAT,0.27,1\r\n2024,ARE,2.4,2\r\n2024,BHR,2.46,3\r\n2024,KWT,2.61,4\r\n2024,OMN,3.59,5\r\n2024,SAU,4.49,6\r\n',
    );
    expect(r.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    const bom = await get('/api/v1/export/chart/gcc-unemployment.csv?bom=1');
    expect(bom.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('chart CSV for every chart parses with the documented columns', async () => {
    const expected: Record<string, string[]> = {
      'sector-employment': ['year', 'sector', 'employees'],
      'top-sectors': ['year', 'sector', 'employees'],
      'qatarization-by-sector': [
        'year',
        'sector',
        'qataris',
        'non_qataris',
        'qatarization_percent',
        'target_percent',
        'gap_pp',
      ],
      'salary-trend': ['year', 'sector', 'avg_salary_qr'],
      'salary-yoy': ['year', 'sector', 'yoy_percent'],
      'attrition-by-sector': ['year', 'sector', 'attrition_percent', 'flag'],
      'gcc-unemployment': ['year', 'country', 'unemployment_percent', 'rank'],
      ewi: ['year', 'sector', 'drop_percent'],
    };
    for (const [chart, columns] of Object.entries(expected)) {
      const params = chart.startsWith('salary') ? '?sector=Energy' : chart === 'gcc-unemployment' ? '' : '?year=2024';
      const r = await get(`/api/v1/export/chart/${chart}.csv${params}`);
      expect(r.statusCode, chart).toBe(200);
      const records = parse(r.body) as string[][];
      expect(records[0], chart).toEqual(columns);
      expect(records.length, chart).toBeGreaterThan(1);
    }
  });

  it('qatarization CSV carries the target and the gap', async () => {
    const r = await get('/api/v1/export/chart/qatarization-by-sector.csv?year=2024');
    const rows = parse(r.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.target_percent).toBe('30');
      expect(Number(row.gap_pp)).toBeCloseTo(30 - Number(row.qatarization_percent), 6);
    }
  });

  it('SVG is the shared renderer output, byte-identical on repeat', async () => {
    const a = await get('/api/v1/export/chart/sector-employment.svg?year=2024&lang=ar');
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(a.body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(a.body).toContain('<title id="sector-employment-title">التوظيف حسب القطاع، 2024</title>');
    expect(a.body).toContain('direction="rtl"');
    const b = await get('/api/v1/export/chart/sector-employment.svg?year=2024&lang=ar');
    expect(b.rawPayload.equals(a.rawPayload)).toBe(true);
  });

  it('PNG is rasterised at scale × 720 × 360 with the bundled fonts', async () => {
    const r = await get('/api/v1/export/chart/gcc-unemployment.png?scale=1');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    const png = r.rawPayload;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([720, 360]);
    const two = await get('/api/v1/export/chart/gcc-unemployment.png');
    expect([two.rawPayload.readUInt32BE(16), two.rawPayload.readUInt32BE(20)]).toEqual([1440, 720]);
    expect((await get('/api/v1/export/chart/gcc-unemployment.png?scale=4')).statusCode).toBe(422);
  });

  it('PNG answers 503 png_unavailable when rendering is unavailable', async () => {
    const broken = await buildWebTestApp({ rasterise: async () => null });
    try {
      const r = await broken.app.inject({ url: '/api/v1/export/chart/gcc-unemployment.png' });
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('png_unavailable');
    } finally {
      await broken.close();
    }
  });

  it('query exports: full result as CSV and JSON with the declared parameters', async () => {
    const csv = await get('/api/v1/export/query/syn_sector_employment_by_year.csv?year=2019');
    expect(csv.statusCode).toBe(200);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    expect(Object.keys(rows[0]!)).toEqual(['year', 'sector', 'employees']);
    expect(rows.every((r) => r.year === '2019')).toBe(true);
    expect(csv.headers['content-disposition']).toContain('filename="qnwis-syn-sector-employment-by-year-2019-en.csv"');
    const json = await get('/api/v1/export/query/syn_sector_employment_by_year.json?year=2019');
    expect(json.json()).toMatchObject({ query_id: 'syn_sector_employment_by_year', row_count: 10 });
    expect((await get('/api/v1/export/query/syn_sector_employment_by_year.csv?sql=1')).statusCode).toBe(422);
    expect((await get('/api/v1/export/chart/nope.csv')).statusCode).toBe(422);
  });

  it('audit.csv needs the audit database (503 without one); briefing.md is Markdown', async () => {
    expect((await get('/api/v1/export/audit.csv')).statusCode).toBe(503);
    const md = await get('/api/v1/export/briefing.md');
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toMatch(/^# Minister Briefing: Qatar Labour Market/);
  });
});

describe('POST /api/v1/ui/csp-report', () => {
  it('logs and counts application/csp-report bodies, answering 204', async () => {
    const before = cspViolations.length;
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/csp-report',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify({
        'csp-report': {
          'document-uri': 'http://localhost/app/overview?token=secret',
          'violated-directive': 'script-src-elem',
          'effective-directive': 'script-src-elem',
          'blocked-uri': 'https://cdn.example/x.js?k=1',
        },
      }),
    });
    expect(r.statusCode).toBe(204);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(cspViolations.slice(before)).toEqual(['script-src-elem']);
    expect(logLines.at(-1)).toMatchObject({
      event: 'csp_violation',
      directive: 'script-src-elem',
      blocked_uri: 'https://cdn.example/x.js',
      document_path: '/app/overview',
    });
  });

  it('accepts application/reports+json arrays', async () => {
    const before = cspViolations.length;
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/csp-report',
      headers: { 'content-type': 'application/reports+json' },
      payload: JSON.stringify([
        {
          type: 'csp-violation',
          url: 'http://localhost/app/gcc',
          body: { documentURL: 'http://localhost/app/gcc', effectiveDirective: 'style-src-attr', blockedURL: 'inline' },
        },
      ]),
    });
    expect(r.statusCode).toBe(204);
    expect(cspViolations.slice(before)).toEqual(['style-src-attr']);
  });

  it('refuses bodies over 8 KiB with 413', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/csp-report',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify({ 'csp-report': { 'blocked-uri': 'x'.repeat(9000) } }),
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
  });
});
