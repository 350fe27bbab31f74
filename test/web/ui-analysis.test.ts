/**
 * The dashboard's analysis endpoints (ui.md §5.4, §5.6, §5.8, §6, §7): Ask (JSON and NDJSON, clarification once),
 * the briefing and its Markdown, the audit log and its CSV; against the secure app (real keys in a scratch database,
 * ts_* views on the shared pack database, clock date 2025-01-15).
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { addUiAnalysisRoutes, buildSecureWebApp, type SecureWebApp } from '../support/secure-web-app.js';
import { buildTestApp } from '../support/app.js';
import { ASK_SUGGESTIONS, ageDays, plainText, type UiAnswer } from '../../src/http/ui-answer.js';
import { BriefingCache } from '../../src/http/ui-briefing.js';
import { STILL_AMBIGUOUS } from '../../src/http/routes/ui-analysis.js';
import { principalHash } from '../../src/security/principal.js';
import {
  decodeAuditCursor,
  encodeAuditCursor,
  listAuditEvents,
  AuditCursorError,
} from '../../src/security/audit-query.js';
import type { BriefingResponse } from '../../src/analysis/briefing.js';

let t: SecureWebApp;

beforeAll(async () => {
  t = await buildSecureWebApp();
}, 120_000);
afterAll(async () => {
  await t?.close();
});

type Who = 'analyst' | 'auditor' | 'admin' | 'service';

function get(url: string, who: Who = 'analyst', headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers: { 'x-api-key': t.keys[who], ...headers } });
}

function ask(payload: unknown, opts: { who?: Who; accept?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/ui/ask',
    payload: payload as Record<string, unknown>,
    headers: { 'x-api-key': t.keys[opts.who ?? 'analyst'], accept: opts.accept ?? 'application/json' },
  });
}

async function askJson(payload: unknown): Promise<UiAnswer> {
  const res = await ask(payload);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as UiAnswer;
}

function errorOf(res: LightMyRequestResponse): { code: string; message: string; details?: unknown } {
  return (res.json() as { error: { code: string; message: string; details?: unknown } }).error;
}

function ndjson(body: string): Record<string, unknown>[] {
  expect(body.endsWith('\n')).toBe(true);
  return body
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const withoutVolatile = (a: UiAnswer) => ({ ...a, request_id: '', timings_ms: { total: 0 } });

describe('plain text and ages (pure)', () => {
  it('strips citation markers, emphasis, code ticks and list markers', () => {
    expect(plainText('**National** Qatarization is 9.3% [cite:a,b] in `2024`.')).toBe(
      'National Qatarization is 9.3% in 2024.',
    );
    expect(plainText('- one [cite:x]\n- _two_\n\n## Three')).toBe('one two Three');
    expect(plainText('snake_case_name stays')).toBe('snake_case_name stays');
  });

  it('counts whole days from the as-of date to the clock date', () => {
    expect(ageDays('2024-12-31', '2025-01-15')).toBe(15);
    expect(ageDays('2025-01-15', '2025-01-15')).toBe(0);
    expect(ageDays(null, '2025-01-15')).toBeNull();
    expect(ageDays('not a date', '2025-01-15')).toBeNull();
  });

  it('audit cursors round-trip and foreign cursors are refused', () => {
    const c = encodeAuditCursor({ us: '1577880000123456', id: '42' });
    expect(decodeAuditCursor(c)).toEqual({ us: '1577880000123456', id: '42' });
    for (const bad of [
      '',
      'x',
      Buffer.from('v2:1:2').toString('base64url'),
      Buffer.from('v1:a:2').toString('base64url'),
    ])
      expect(() => decodeAuditCursor(bad)).toThrow(AuditCursorError);
  });
});

describe('BriefingCache', () => {
  const fake = (n: number) => ({ request_id: `r${n}` }) as unknown as BriefingResponse;

  it('keeps one briefing per registry version for the TTL and builds once for concurrent callers', async () => {
    let now = Date.parse('2025-01-15T08:00:00Z');
    let version = 'aaaaaaaaaaaa';
    let builds = 0;
    const cache = new BriefingCache({
      build: async () => fake(++builds),
      registryVersion: () => version,
      ttlS: 300,
      now: () => new Date(now),
    });
    const [a, b] = await Promise.all([cache.get('x'), cache.get('y')]);
    expect(builds).toBe(1);
    expect(a).toBe(b);
    expect(a.generatedAt).toBe('2025-01-15T08:00:00.000Z');
    now += 299_000;
    expect((await cache.get('z')).briefing.request_id).toBe('r1');
    now += 1_000; // 300 s after the build: expired
    expect((await cache.get('z')).generatedAt).toBe('2025-01-15T08:05:00.000Z');
    expect(builds).toBe(2);
    version = 'bbbbbbbbbbbb';
    expect((await cache.get('z')).registryVersion).toBe('bbbbbbbbbbbb');
    expect(builds).toBe(3);
  });

  it('does not keep a failed build', async () => {
    let fail = true;
    const cache = new BriefingCache({
      build: async () => {
        if (fail) throw new Error('boom');
        return fake(1);
      },
      registryVersion: () => 'v',
    });
    await expect(cache.get('a')).rejects.toThrow('boom');
    fail = false;
    expect((await cache.get('b')).briefing.request_id).toBe('r1');
  });
});

describe('GET /api/v1/ui/ask/suggestions', () => {
  it('lists the configured suggestions (same questions for Arabic), never cached', async () => {
    const res = await get('/api/v1/ui/ask/suggestions?lang=en');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ suggestions: ASK_SUGGESTIONS });
    expect((await get('/api/v1/ui/ask/suggestions?lang=ar')).json()).toEqual({ suggestions: ASK_SUGGESTIONS });
    expect((await get('/api/v1/ui/ask/suggestions?lang=fr')).statusCode).toBe(422);
  });

  it('needs ui.ask: the auditor is refused, the service key allowed', async () => {
    expect((await get('/api/v1/ui/ask/suggestions', 'auditor')).statusCode).toBe(403);
    expect((await get('/api/v1/ui/ask/suggestions', 'service')).statusCode).toBe(200);
  });
});

describe('POST /api/v1/ui/ask', () => {
  it.each(ASK_SUGGESTIONS.map((s) => [s.id, s] as const))(
    'suggestion %s is answered without clarification, with a registry citation',
    async (_id, s) => {
      const a = await askJson({ question: s.text });
      expect(a.status).toBe('answered');
      expect(a.intent).toBe(s.intent);
      expect(a.question).toBe(s.text);
      expect(a.executive_summary.text).not.toBe('');
      expect(a.executive_summary.text).not.toMatch(/\[cite:|\*\*|`/);
      expect(a.findings.length).toBeGreaterThan(0);
      expect(a.citations.some((c) => c.in_registry)).toBe(true);
      expect(a.confidence?.band).toMatch(/^(GREEN|AMBER|RED)$/);
    },
  );

  it('is the /api/v1/ask answer in the dashboard shape (hand-checked national Qatarization)', async () => {
    const question = 'Are we on track for the 30% Qatarization target?';
    const a = await askJson({ question });
    const api = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question },
      headers: { 'x-api-key': t.keys.analyst },
    });
    expect(api.statusCode).toBe(200);
    const env = api.json() as {
      intent: string;
      findings: { title: string; metrics: { key: string; value: unknown }[] }[];
      citations: { id: string; kind: string }[];
      confidence: { score: number; band: string };
      sections: { id: string; body_md: string }[];
    };
    expect(a.intent).toBe(env.intent);
    expect(a.findings.map((f) => f.title)).toEqual(env.findings.map((f) => plainText(f.title)));
    expect(a.findings.flatMap((f) => f.metrics.map((m) => m.name))).toEqual(
      env.findings.flatMap((f) => f.metrics.map((m) => m.key)),
    );
    expect(a.citations.map((c) => c.query_id)).toEqual(env.citations.map((c) => c.id));
    expect(a.confidence).toMatchObject({ score: env.confidence.score, band: env.confidence.band });
    expect(a.executive_summary.text).toBe(plainText(env.sections.find((s) => s.id === 'executive_summary')!.body_md));
    // 4,442 Qataris among 47,547 employees of the ten sectors in 2024 (aggregates/qatarization_by_sector.csv)
    const national = a.findings.flatMap((f) => f.metrics).find((m) => m.name === 'national_qatarization_percent');
    expect(national?.value).toBeCloseTo((100 * 4442) / 47547, 9);
    // derived results are not registry queries; the aggregate query is
    const inRegistry = Object.fromEntries(a.citations.map((c) => [c.query_id, c.in_registry]));
    expect(inRegistry.syn_qatarization_by_sector_latest).toBe(true);
    expect(Object.entries(inRegistry).filter(([id]) => id.startsWith('derived_'))).toEqual(
      Object.keys(inRegistry)
        .filter((id) => id.startsWith('derived_'))
        .map((id) => [id, false]),
    );
    // as of 2024-12-31, clock 2025-01-15: 15 days, within the ten-year SLA of the pack
    expect(a.freshness).toContainEqual({
      source: 'syn_qatarization_by_sector_latest',
      last_updated: '2024-12-31',
      age_days: 15,
      sla_days: 3650,
      stale: false,
    });
  });

  it('streams NDJSON: accepted, the five stages in order, then the same answer as JSON', async () => {
    const question = 'What is the year over year trend in Qatarization?';
    const res = await ask({ question }, { accept: 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const lines = ndjson(res.body);
    expect(lines[0]).toEqual({ type: 'accepted', request_id: res.headers['x-request-id'] });
    const stages = lines.filter((l) => l.type === 'stage');
    expect(stages.map((s) => `${String(s.stage)}:${String(s.state)}`)).toEqual([
      'classify:started',
      'classify:done',
      'fetch:started',
      'fetch:done',
      'analyse:started',
      'analyse:done',
      'verify:started',
      'verify:done',
      'format:started',
      'format:done',
    ]);
    for (const s of stages) expect(Number.isFinite(Date.parse(String(s.at)))).toBe(true);
    const last = lines[lines.length - 1]!;
    expect(last.type).toBe('result');
    expect(lines.length).toBe(12);
    const streamed = last.answer as UiAnswer;
    expect(streamed.request_id).toBe(res.headers['x-request-id']);
    expect(withoutVolatile(streamed)).toEqual(withoutVolatile(await askJson({ question })));
  });

  it('a vague question gets a clarification with intent chips; choosing one answers', async () => {
    const c = await askJson({ question: 'Employment in 2023' });
    expect(c.status).toBe('clarification');
    expect(c.intent).toBeNull();
    expect(c.confidence).toBeNull();
    expect(c.findings).toEqual([]);
    expect(c.citations).toEqual([]);
    const prompt =
      'I could not tell which analysis this question asks for. Please name a metric (employment, retention, ' +
      'attrition, Qatarization or salary) and a sector, or choose one of these analyses:';
    expect(c.clarification?.prompt).toBe(prompt);
    expect(c.executive_summary).toEqual({ text: prompt, primary_insight: null });
    expect(c.clarification?.options.map((o) => o.id)).toEqual([
      'time.trend',
      'strategy.vision2030',
      'pattern.anomalies',
    ]);
    expect(c.clarification?.options[0]?.label).toBe('Direction and speed: YoY, QoQ, EWMA, slopes');

    const answered = await askJson({
      question: 'Employment in 2023',
      clarification: { original_question: 'Employment in 2023', choice_id: 'time.trend' },
    });
    expect(answered.status).toBe('answered');
    expect(answered.intent).toBe('time.trend');
  });

  it('asks at most once: a second ambiguous round fails with the suggestions message', async () => {
    // scenario.apply needs a change the question does not give: a second clarification
    const chosen = await askJson({
      question: 'Employment in 2023',
      clarification: { original_question: 'Employment in 2023', choice_id: 'scenario.apply' },
    });
    expect(chosen).toMatchObject({
      status: 'failed',
      intent: null,
      question: 'Employment in 2023',
      executive_summary: { text: STILL_AMBIGUOUS, primary_insight: null },
      findings: [],
      citations: [],
      confidence: null,
      freshness: [],
    });
    // resubmitting (no chip) after a clarification that is still ambiguous also fails
    const edited = await askJson({
      question: 'Qatarization',
      clarification: { original_question: 'Employment in 2023' },
    });
    expect(edited.status).toBe('failed');
  });

  it('a clarification stream has only the classify and format stages', async () => {
    const res = await ask({ question: 'Employment in 2023' }, { accept: 'application/x-ndjson' });
    const lines = ndjson(res.body);
    expect(lines.map((l) => (l.type === 'stage' ? `${String(l.stage)}:${String(l.state)}` : l.type))).toEqual([
      'accepted',
      'classify:started',
      'classify:done',
      'format:started',
      'format:done',
      'result',
    ]);
    expect((lines[5]!.answer as UiAnswer).status).toBe('clarification');
  });

  it('a chosen sector the analysis cannot take is a failed answer, not an error', async () => {
    const a = await askJson({
      question: "How does Qatar's unemployment compare with the rest of the GCC?",
      clarification: {
        original_question: "How does Qatar's unemployment compare with the rest of the GCC?",
        choice_id: 'strategy.gcc_benchmark',
        sector: 'Energy',
      },
    });
    expect(a.status).toBe('failed');
    expect(a.executive_summary.text).toBe("body.params.sector unknown parameter 'sector'");
  });

  it('validates the body: 3-500 characters after trimming, known members, intents and sectors only', async () => {
    for (const payload of [
      { question: 'hi' },
      { question: '   hi    ' },
      { question: 'x'.repeat(501) },
      { question: 'Employment in 2023', queries_dir: '/etc' },
      { question: 'Employment in 2023', clarification: { original_question: 'x', choice_id: 'nope' } },
      { question: 'Employment in 2023', clarification: { original_question: 'x', sector: 'Mars' } },
      { question: 'Employment in 2023', lang: 'fr' },
      { question: 42 },
    ]) {
      const res = await ask(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(errorOf(res).code).toBe('validation_failed');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(errorOf(await ask({ question: 'hi' })).details).toEqual([
      { path: 'body.question', message: 'must be 3-500 characters after trimming' },
    ]);
  });

  it('needs ui.ask and, with a cookie session, the CSRF token', async () => {
    expect((await ask({ question: 'Employment in 2023' }, { who: 'auditor' })).statusCode).toBe(403);
    expect((await ask({ question: 'Employment in 2023' }, { who: 'service' })).statusCode).toBe(200);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { api_key: t.keys.analyst } });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const token = (login.json() as { csrf_token: string }).csrf_token;
    const payload = { question: 'Employment in 2023' };
    const without = await t.app.inject({ method: 'POST', url: '/api/v1/ui/ask', payload, headers: { cookie } });
    expect(without.statusCode).toBe(403);
    expect(errorOf(without).code).toBe('csrf_failed');
    const withToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/ask',
      payload,
      headers: { cookie, 'x-csrf-token': token },
    });
    expect(withToken.statusCode).toBe(200);
    expect((withToken.json() as UiAnswer).status).toBe('clarification');
  });
});

describe('GET /api/v1/ui/briefing and /api/v1/export/briefing.md', () => {
  interface UiBriefingBody {
    title: string;
    generated_at: string;
    data_mode: string;
    headline: string[];
    key_metrics: Record<string, number | null>;
    red_flags: string[];
    provenance: string[];
    min_confidence: number | null;
    licenses: string[];
  }

  it('serves the cached briefing: plain-text headline, five key metrics, stable generated_at and ETag', async () => {
    const res = await get('/api/v1/ui/briefing');
    expect(res.statusCode).toBe(200);
    const b = res.json() as UiBriefingBody;
    expect(b.title).toBe('Minister Briefing: Qatar Labour Market (Synthetic Data)');
    expect(b.data_mode).toBe('synthetic');
    expect(b.licenses).toContain('MIT-SYNTHETIC');
    expect(b.headline).toHaveLength(5);
    for (const line of [...b.headline, ...b.red_flags]) expect(line).not.toMatch(/\[cite:|\*\*/);
    expect(Object.keys(b.key_metrics)).toEqual([
      'employment_yoy_percent',
      'gap_pp',
      'mean_sector_attrition_percent',
      'national_qatarization_percent',
      'qatar_rank',
    ]);
    // hand-checked: 100 · 4,442 / 47,547; gap to 30 %; Qatar has the lowest GCC unemployment (0.27 %)
    expect(b.key_metrics.national_qatarization_percent).toBeCloseTo((100 * 4442) / 47547, 9);
    expect(b.key_metrics.gap_pp).toBeCloseTo(30 - (100 * 4442) / 47547, 9);
    expect(b.key_metrics.qatar_rank).toBe(1);
    expect(b.red_flags.length).toBeLessThanOrEqual(8);
    expect(b.provenance.length).toBeLessThanOrEqual(10);
    expect(b.provenance).toContain('aggregates/qatarization_by_sector.csv');
    expect(new Set(b.provenance).size).toBe(b.provenance.length);
    expect(res.headers['cache-control']).toBe('private, max-age=60');

    const again = await get('/api/v1/ui/briefing', 'auditor');
    expect(again.headers.etag).toBe(res.headers.etag);
    expect((again.json() as UiBriefingBody).generated_at).toBe(b.generated_at);
    const cached = await get('/api/v1/ui/briefing', 'analyst', { 'if-none-match': String(res.headers.etag) });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');
  });

  it('downloads the briefing Markdown with its sections, as an attachment with a strong ETag', async () => {
    const b = (await get('/api/v1/ui/briefing')).json() as UiBriefingBody;
    const res = await get('/api/v1/export/briefing.md', 'auditor');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(res.rawPayload).digest('hex')}"`);
    const asOf = /^_As of (\d{4}-\d{2}-\d{2})_$/m.exec(res.body)?.[1];
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="qnwis-briefing-${asOf}-en.md"; filename*=UTF-8''qnwis-briefing-${asOf}-en.md`,
    );
    expect(res.body.startsWith(`# ${b.title}\n`)).toBe(true);
    const headings = res.body.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Headline',
      '## Key Metrics',
      '## Red Flags',
      '## Confidence',
      '## Provenance',
      '## Licences',
    ]);
    // the JSON headline is the Markdown's bullets without their markers
    for (const line of b.headline) expect(plainText(res.body)).toContain(line);
    expect((await get('/api/v1/export/briefing.md?year=2024')).statusCode).toBe(422);
  });
});

describe('audit log: GET /api/v1/ui/admin/audit and /api/v1/export/audit.csv', () => {
  const P1 = 'aaaaaaaaaaaa';
  const P2 = 'bbbbbbbbbbbb';
  const WINDOW = 'from=2020-01-01T00:00:00Z&to=2020-01-01T23:59:59Z';
  let ids: Record<string, string>;

  beforeAll(async () => {
    const rows: [string, string, string | null, number | null, string | null][] = [
      ['2020-01-01T10:00:00Z', 'GET /api/v1/ui/meta', '/api/v1/ui/meta', 200, P1],
      ['2020-01-01T11:00:00Z', 'security.login_failed', '/api/v1/session', 401, null],
      ['2020-01-01T12:00:00Z', 'apikey.create', null, null, null],
      ['2020-01-01T12:00:00Z', 'POST /api/v1/ui/ask', '/api/v1/ui/ask', 500, P2],
      ['2020-01-01T13:00:00.123456Z', 'GET /api/v1/export/audit.csv', '/api/v1/export/audit.csv', 304, P1],
      ['2020-01-02T09:00:00Z', 'GET /api/v1/ui/meta', '/api/v1/ui/meta', 200, P1],
    ];
    ids = {};
    const names = ['meta', 'login', 'create', 'ask', 'csv', 'nextDay'];
    for (const [i, [ts, action, resource, status, principal]] of rows.entries()) {
      const { rows: r } = await t.scratch.db.query<{ id: string | number }>(
        `INSERT INTO public.audit_events (ts, request_id, principal_hash, principal_kind, action, resource, status,
                                          client_ip_hash, details)
         VALUES ($1::timestamptz, $2, $3, 'api_key', $4, $5, $6::int, 'c0ffee000000', '{}'::jsonb) RETURNING id`,
        [ts, `req-${i}`, principal, action, resource, status],
      );
      ids[names[i]!] = String(r[0]!.id);
    }
  });

  async function page(query: string, who: Who = 'auditor') {
    const res = await get(`/api/v1/ui/admin/audit?${query}`, who);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      events: { id: number; at: string; action: string; status: number | null; success: boolean }[];
      next_cursor: string | null;
    };
  }
  const idsOf = (p: { events: { id: number }[] }) => p.events.map((e) => String(e.id));

  it('lists the window newest first (ties by id), with the event fields and no caching', async () => {
    const res = await get(`/api/v1/ui/admin/audit?${WINDOW}`, 'auditor');
    expect(res.headers['cache-control']).toBe('no-store');
    const p = res.json() as { events: Record<string, unknown>[]; next_cursor: string | null };
    expect(p.events.map((e) => String(e.id))).toEqual([ids.csv, ids.ask, ids.create, ids.login, ids.meta]);
    expect(p.next_cursor).toBeNull();
    expect(p.events[0]).toEqual({
      id: Number(ids.csv),
      at: '2020-01-01T13:00:00.123Z',
      request_id: 'req-4',
      action: 'GET /api/v1/export/audit.csv',
      resource: '/api/v1/export/audit.csv',
      status: 304,
      success: true,
      principal_hash: P1,
      client_hash: 'c0ffee000000',
    });
    expect(p.events.map((e) => e.success)).toEqual([true, false, true, false, true]);
  });

  it('pages with cursors (microsecond timestamps included) until next_cursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p = await page(`${WINDOW}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...idsOf(p));
      cursor = p.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([ids.csv, ids.ask, ids.create, ids.login, ids.meta]);
    const two = await page(`${WINDOW}&limit=2`);
    expect(idsOf(two)).toEqual([ids.csv, ids.ask]);
    expect(idsOf(await page(`${WINDOW}&limit=2&cursor=${two.next_cursor!}`))).toEqual([ids.create, ids.login]);
  });

  it('filters by outcome, status class, action, principal hash and resource', async () => {
    expect(idsOf(await page(`${WINDOW}&outcome=failure`))).toEqual([ids.ask, ids.login]);
    expect(idsOf(await page(`${WINDOW}&outcome=success`))).toEqual([ids.csv, ids.create, ids.meta]);
    expect(idsOf(await page(`${WINDOW}&status_class=4xx`))).toEqual([ids.login]);
    expect(idsOf(await page(`${WINDOW}&status_class=3xx`))).toEqual([ids.csv]);
    expect(idsOf(await page(`${WINDOW}&status_class=5xx`))).toEqual([ids.ask]);
    expect(idsOf(await page(`${WINDOW}&action=apikey.create`))).toEqual([ids.create]);
    expect(idsOf(await page(`${WINDOW}&principal_hash=${P1}`))).toEqual([ids.csv, ids.meta]);
    expect(idsOf(await page(`${WINDOW}&resource=ui%2F`))).toEqual([ids.ask, ids.meta]);
    // `to` is inclusive; a time without zone is UTC
    expect(idsOf(await page('from=2020-01-02T09:00&to=2020-01-02T09:00'))).toEqual([ids.nextDay]);
    expect(idsOf(await page(`from=2020-01-01&to=2020-01-01T10:00:00Z`))).toEqual([ids.meta]);
  });

  it('records the requests of the app itself with the principal hash of the key label', async () => {
    await get('/api/v1/ui/admin/audit?limit=1', 'auditor');
    await t.security.audit!.flush();
    const p = await page(`action=${encodeURIComponent('GET /api/v1/ui/admin/audit')}&limit=1`);
    expect(p.events[0]).toMatchObject({
      resource: '/api/v1/ui/admin/audit',
      status: 200,
      success: true,
      principal_hash: principalHash('auditor'),
    });
  });

  it('refuses bad parameters with 422 and non-auditors with 403', async () => {
    for (const q of [
      'limit=0',
      'limit=201',
      'cursor=not-a-cursor',
      'from=yesterday',
      'from=2020-13-45',
      'outcome=maybe',
      'principal_hash=XYZ',
      'dir=/tmp',
    ]) {
      const res = await get(`/api/v1/ui/admin/audit?${q}`, 'auditor');
      expect(res.statusCode, q).toBe(422);
      expect(errorOf(res).code).toBe('validation_failed');
    }
    expect((await get('/api/v1/ui/admin/audit', 'analyst')).statusCode).toBe(403);
    expect((await get('/api/v1/ui/admin/audit', 'service')).statusCode).toBe(403);
    expect((await get('/api/v1/ui/admin/audit', 'admin')).statusCode).toBe(200);
    expect((await get('/api/v1/export/audit.csv', 'analyst')).statusCode).toBe(403);
  });

  it('exports the same events as RFC 4180 CSV, never cached', async () => {
    const res = await get(`/api/v1/export/audit.csv?${WINDOW}`, 'auditor');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="qnwis-audit-en.csv"; filename*=UTF-8''qnwis-audit-en.csv`,
    );
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('id,at,request_id,action,resource,status,success,principal_hash,client_hash');
    expect(lines[lines.length - 1]).toBe('');
    expect(lines[3]).toBe(`${ids.create},2020-01-01T12:00:00.000Z,req-2,apikey.create,,,true,,c0ffee000000`);
    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    const json = await page(WINDOW);
    expect(rows.map((r) => r.id)).toEqual(idsOf(json));
    expect(rows.map((r) => r.status)).toEqual(json.events.map((e) => (e.status === null ? '' : String(e.status))));
    expect(rows.map((r) => r.success)).toEqual(json.events.map((e) => String(e.success)));
    // zero rows: the header line only
    const empty = await get('/api/v1/export/audit.csv?from=1999-01-01&to=1999-01-02', 'auditor');
    expect(empty.body).toBe('id,at,request_id,action,resource,status,success,principal_hash,client_hash\r\n');
    const bom = await get(`/api/v1/export/audit.csv?${WINDOW}&bom=1`, 'auditor');
    expect(bom.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('reports a result over the export limit as truncated', async () => {
    const all = await listAuditEvents(
      t.scratch.db,
      { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-01-01T23:59:59Z') },
      3,
    );
    expect(all.truncated).toBe(true);
    expect(all.events.map((e) => String(e.id))).toEqual([ids.csv, ids.ask, ids.create]);
    const exact = await listAuditEvents(
      t.scratch.db,
      { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-01-01T23:59:59Z') },
      5,
    );
    expect(exact.truncated).toBe(false);
  });
});

describe('failures after the stream started', () => {
  it('an unavailable data source is an error line in NDJSON (fixed message, error id) and a 503 in JSON', async () => {
    // no `postgres` source: the router cannot read the latest data year of the ts_* series
    const bare = await buildTestApp();
    try {
      await addUiAnalysisRoutes(bare, { auditDb: null });
      const payload = { question: 'Are we on track for the 30% Qatarization target?' };
      const streamed = await bare.app.inject({
        method: 'POST',
        url: '/api/v1/ui/ask',
        payload,
        headers: { accept: 'application/x-ndjson' },
      });
      expect(streamed.statusCode).toBe(200);
      const lines = ndjson(streamed.body);
      expect(lines.map((l) => l.type)).toEqual(['accepted', 'stage', 'error']);
      expect(lines[1]).toMatchObject({ stage: 'classify', state: 'started' });
      const error = lines[2]!.error as Record<string, unknown>;
      expect(error).toMatchObject({
        code: 'dependency_unavailable',
        message: 'service unavailable',
        request_id: streamed.headers['x-request-id'],
      });
      expect(error.error_id).toMatch(/^[0-9a-f-]{36}$/);
      const json = await bare.app.inject({ method: 'POST', url: '/api/v1/ui/ask', payload });
      expect(json.statusCode).toBe(503);
      expect(errorOf(json).code).toBe('dependency_unavailable');
      // without a database the audit log is unavailable, not empty
      expect((await bare.app.inject({ url: '/api/v1/ui/admin/audit' })).statusCode).toBe(503);
      expect((await bare.app.inject({ url: '/api/v1/export/audit.csv' })).statusCode).toBe(503);
    } finally {
      await bare.close();
    }
  });
});
