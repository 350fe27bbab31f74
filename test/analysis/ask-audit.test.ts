/**
 * Audit retrieval (analysis spec §6, service spec §1.5): an answered /ask (and an agent call, and a clarification)
 * stores a manifest that GET /api/v1/audit/{audit_id} returns with verified true; the digests and the HMAC are
 * recomputed here with node:crypto and RFC 8785 canonical JSON. Unknown ids are 404 audit_not_found, non-UUIDs 422.
 * The last block stores manifests in PostgreSQL (a scratch database) and sends questions jsonb cannot hold as given.
 */
import { createHash, createHmac } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnalysisApp, type AnalysisApp } from '../support/analysis-app.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { createScratch, type Scratch } from '../db/support.js';
import { migrate } from '../../src/db/migrate.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;
/** The key test/support/app.ts gives the analysis services. */
const HMAC_KEY = 'test-audit-hmac-key-0123456789abcdefghijkl';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: AnalysisApp;

beforeAll(async () => {
  t = await buildAnalysisApp();
});

afterAll(async () => {
  await t?.close();
});

/** The answer without request_id, audit_id and timings_ms at any depth (written here, not imported). */
function withoutVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutVolatile);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !['request_id', 'audit_id', 'timings_ms'].includes(k))
        .map(([k, x]) => [k, withoutVolatile(x)]),
    );
  }
  return v;
}
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

interface AuditBody {
  audit_id: string;
  created_at: string;
  request_id: string;
  manifest: Record<string, unknown>;
  answer: Record<string, unknown>;
  verified: boolean;
}

async function fetchAudit(id: string): Promise<AuditBody> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as AuditBody;
  expect(Object.keys(body)).toEqual(['audit_id', 'created_at', 'request_id', 'manifest', 'answer', 'verified']);
  return body;
}

/** Digests and HMAC of §6, recomputed. */
function expectIntact(record: AuditBody, answer: Record<string, unknown>): void {
  const m = record.manifest;
  const answerDigest = sha256(canonicalize(withoutVolatile(answer))!);
  expect(m.answer_digest_sha256).toBe(answerDigest);
  expect(sha256(canonicalize(withoutVolatile(record.answer))!)).toBe(answerDigest);
  const rest = Object.fromEntries(
    Object.entries(m).filter(([k]) => k !== 'manifest_digest_sha256' && k !== 'hmac_sha256'),
  );
  const manifestDigest = sha256(canonicalize(rest)!);
  expect(m.manifest_digest_sha256).toBe(manifestDigest);
  expect(m.hmac_sha256).toBe(createHmac('sha256', Buffer.from(HMAC_KEY, 'utf8')).update(manifestDigest).digest('hex'));
  expect(record.verified).toBe(true);
}

describe('GET /api/v1/audit/{audit_id}', () => {
  it('returns the manifest of an answered /ask question, verified', async () => {
    const question = 'What is the trend of employment in Energy?';
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question } });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as Record<string, unknown> & {
      audit_id: string;
      request_id: string;
      router: { params_used: unknown; confidence: number; threshold: number };
      citations: { id: string; kind: string; asof_date: string }[];
      confidence: { score: number; band: string };
    };
    expect(answer.status).toBe('answered');
    expect(answer.audit_id).toMatch(UUID_V4);

    const record = await fetchAudit(answer.audit_id);
    expect(record.audit_id).toBe(answer.audit_id);
    expect(record.request_id).toBe(answer.request_id);
    expect(record.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const queries = answer.citations.filter((c) => c.kind === 'query');
    expect(record.manifest).toMatchObject({
      audit_id: answer.audit_id,
      request_id: answer.request_id,
      endpoint: '/api/v1/ask',
      question,
      intent: 'time.trend',
      params_used: answer.router.params_used,
      router: { confidence: answer.router.confidence, threshold: answer.router.threshold },
      clock_date: '2025-01-15',
      code_version: '0.0.0-test',
      query_ids: queries.map((c) => c.id).sort(),
      derived_ids: answer.citations
        .filter((c) => c.kind === 'derived')
        .map((c) => c.id)
        .sort(),
      data_asof: Object.fromEntries(queries.map((c) => [c.id, c.asof_date])),
      verification: { passed: true, issue_codes: [] },
      confidence: { score: answer.confidence.score, band: answer.confidence.band },
    });
    expect(record.manifest.query_ids).toEqual(['ts_employment_monthly']);
    expectIntact(record, answer);
  });

  it('resolves the audit_id of an agent endpoint answer (params_used recorded, no question)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/strategy/vision2030',
      payload: { intent: 'strategy.vision2030', params: { target_percent: 25 } },
    });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as Record<string, unknown> & { audit_id: string };
    const record = await fetchAudit(answer.audit_id);
    expect(record.manifest).toMatchObject({
      endpoint: '/api/v1/agents/strategy/vision2030',
      question: null,
      intent: 'strategy.vision2030',
      params_used: { target_percent: 25, target_year: 2030, focus_sector: null },
    });
    expectIntact(record, answer);
  });

  it('stores clarifications too; with audit_pack false nothing is stored and audit_id is null', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question: 'hello there' } });
    const clar = res.json() as Record<string, unknown> & { audit_id: string };
    expect(clar.status).toBe('clarification');
    const record = await fetchAudit(clar.audit_id);
    expect(record.manifest).toMatchObject({ intent: null, question: 'hello there', query_ids: [] });
    expectIntact(record, clar);

    const off = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: 'What is the trend of employment in Energy?', options: { audit_pack: false } },
    });
    expect(off.json()).toMatchObject({ status: 'answered', audit_id: null });
  });

  it('an unknown UUID is 404 audit_not_found; a non-UUID is 422', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/audit/00000000-0000-4000-8000-000000000000' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'audit_not_found', message: expect.any(String), request_id: missing.headers['x-request-id'] },
    });
    for (const bad of ['not-a-uuid', '123', '00000000-0000-4000-8000-00000000000g']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit/${bad}` });
      expect(res.statusCode, bad).toBe(422);
      expect((res.json() as { error: { code: string; details: { path: string }[] } }).error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: 'params.audit_id' }],
      });
    }
  });
});

describe('audit manifests in PostgreSQL (audit_manifests)', () => {
  let scratch: Scratch;
  let pgApp: TestApp;

  beforeAll(async () => {
    scratch = await createScratch('postgres');
    await migrate(scratch.db, { appVersion: 'test' });
    // Data from the shared pack database (read only); manifests into the scratch database.
    pgApp = await buildTestApp({ db: scratch.db, postgres: createPostgresRunner(t.db) });
  });

  afterAll(async () => {
    await pgApp?.close();
    await scratch?.cleanup();
  });

  it('stores and verifies an answer; a question with null bytes or a lone surrogate is stored cleaned', async () => {
    for (const [question, stored] of [
      ['What is the trend of employment in Energy?', 'What is the trend of employment in Energy?'],
      ['attrition\u0000 trend in Energy', 'attrition trend in Energy'],
      ['attrition trend in Energy \ud800', 'attrition trend in Energy \ufffd'],
    ] as const) {
      const res = await pgApp.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question } });
      expect(res.statusCode).toBe(200);
      const answer = res.json() as Record<string, unknown> & { audit_id: string; warnings: { code: string }[] };
      expect(answer.status).toBe('answered');
      expect(answer.warnings.map((w) => w.code)).not.toContain('AUDIT_WRITE_FAILED');
      const get = await pgApp.app.inject({ method: 'GET', url: `/api/v1/audit/${answer.audit_id}` });
      expect(get.statusCode).toBe(200);
      const record = get.json() as AuditBody;
      expect(record.verified).toBe(true);
      expect(record.manifest.question).toBe(stored);
    }
    const rows = await scratch.db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.audit_manifests');
    expect(rows.rows[0]!.n).toBe(3);
  });
});
