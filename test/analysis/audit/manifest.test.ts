import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  answerDigest,
  canonicalJson,
  manifestDigest,
  manifestHmac,
  sha256Hex,
  stripVolatile,
} from '../../../src/analysis/audit/digest.js';
import { buildAuditRecord, codeVersion, MANIFEST_FIELDS, storableText } from '../../../src/analysis/audit/manifest.js';
import { isAuditVerified, verifyAuditRecord } from '../../../src/analysis/audit/verify-record.js';
import { CREATED_AT, HMAC_KEY, sampleAnswer, sampleRecord } from './fixtures.js';

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('digests', () => {
  it('uses SHA-256 and HMAC-SHA256 (published test vectors)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(manifestHmac('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    expect(manifestHmac('x', null)).toBeNull();
    expect(manifestHmac('x', '')).toBeNull();
  });

  it('strips request_id, audit_id and timings_ms at every nesting level', () => {
    const body = {
      request_id: 'r1',
      audit_id: 'a1',
      timings_ms: { total: 1 },
      agents: [{ agent: 'x', audit_id: 'a2', result: { request_id: 'r2', timings_ms: 3, value: 1 } }],
      nested: { deeper: { audit_id: null, keep: [1, { timings_ms: 0, k: 'v' }] } },
      missing: undefined,
    };
    expect(stripVolatile(body)).toEqual({
      agents: [{ agent: 'x', result: { value: 1 } }],
      nested: { deeper: { keep: [1, { k: 'v' }] } },
    });
  });

  it('digests the RFC 8785 canonical JSON of the answer without its volatile members', () => {
    const answer = { request_id: 'x', status: 'answered', b: 2, a: { audit_id: 'y', z: 1.5, y: 'é' }, timings_ms: {} };
    expect(canonicalJson(stripVolatile(answer))).toBe('{"a":{"y":"é","z":1.5},"b":2,"status":"answered"}');
    expect(answerDigest(answer)).toBe(sha('{"a":{"y":"é","z":1.5},"b":2,"status":"answered"}'));
  });

  it('gives equal digests for answers that differ only in volatile members, at any depth', () => {
    const first = sampleAnswer('req-A', 10).answer;
    const second = sampleAnswer('req-B', 99).answer;
    const council = (inner: unknown, id: string) => ({ request_id: id, agents: [{ answer: inner, audit_id: id }] });
    expect(answerDigest(first)).toBe(answerDigest({ ...second, audit_id: 'other' }));
    expect(answerDigest(council(first, 'c1'))).toBe(answerDigest(council(second, 'c2')));
    expect(answerDigest({ ...first, intent: 'time.baseline' })).not.toBe(answerDigest(first));
  });

  it('digests the manifest without manifest_digest_sha256 and hmac_sha256', () => {
    const m = { b: 1, a: 'x', manifest_digest_sha256: 'f'.repeat(64), hmac_sha256: null };
    expect(manifestDigest(m)).toBe(sha('{"a":"x","b":1}'));
  });
});

describe('buildAuditRecord', () => {
  it('fills every §6 field in table order from the answer', () => {
    const record = sampleRecord();
    const m = record.manifest;
    expect(Object.keys(m)).toEqual(MANIFEST_FIELDS);
    const { answer } = sampleAnswer();
    const trendId = answer.citations.find((c) => c.kind === 'derived')!.id;
    expect(m).toMatchObject({
      audit_id: '3b241101-e2bb-4255-8caf-4136c566a962',
      request_id: 'req-audit-1',
      created_at: CREATED_AT,
      endpoint: '/api/v1/ask',
      question: 'What is the trend of Qatarization in Energy? Mail [REDACTED_EMAIL]',
      intent: 'time.trend',
      params_used: { metric: 'qatarization', sector: 'Energy' },
      router: { confidence: 0.82, threshold: 0.55 },
      clock_date: '2025-01-15',
      registry_version: 'reg-1',
      code_version: '0.1.0+abc1234',
      query_ids: ['syn_avg_salary_by_sector_latest', 'syn_sector_employment_latest', 'ts_qatarization_annual'],
      derived_ids: [trendId],
      data_asof: {
        syn_avg_salary_by_sector_latest: '2023-12-31',
        syn_sector_employment_latest: '2023-06-30',
        ts_qatarization_annual: '2024-12-31',
      },
      verification: { passed: true, issue_codes: ['L3/XCHK_TOLERANCE_EXCEEDED', 'L5/STALE_DATA'] },
      confidence: { score: 91, band: 'GREEN' },
    });
    expect(m.answer_digest_sha256).toBe(answerDigest(answer));
    const { manifest_digest_sha256: _d, hmac_sha256: _h, ...rest } = m;
    expect(m.manifest_digest_sha256).toBe(sha(canonicalJson(rest)));
    expect(m.hmac_sha256).toBe(createHmac('sha256', HMAC_KEY).update(m.manifest_digest_sha256).digest('hex'));
    expect(record).toMatchObject({
      audit_id: m.audit_id,
      request_id: 'req-audit-1',
      endpoint: '/api/v1/ask',
      intent: 'time.trend',
      registry_version: 'reg-1',
      code_version: '0.1.0+abc1234',
      created_at: CREATED_AT,
      query_ids: m.query_ids,
      answer_digest_sha256: m.answer_digest_sha256,
      manifest_digest_sha256: m.manifest_digest_sha256,
      hmac_sha256: m.hmac_sha256,
    });
    expect(record.answer.audit_id).toBe(m.audit_id);
    expect(record.answer.request_id).toBe('req-audit-1');
    expect(Object.keys(record.evidence)).toEqual([trendId, ...m.query_ids]);
    expect(record.evidence.ts_qatarization_annual).toEqual([
      { period: '2023', sector: 'Energy', value: 13.2, base: 900, suppressed: false },
      { period: '2024', sector: 'Energy', value: 14.4567, base: 910, suppressed: false },
    ]);
    expect(record.evidence[trendId]).toEqual([{ period: '2024', yoy: 1.2567 }]);
  });

  it('leaves the HMAC null without a key and generates UUID v4 ids by default', () => {
    const record = sampleRecord(null);
    expect(record.manifest.hmac_sha256).toBeNull();
    expect(record.hmac_sha256).toBeNull();
    const generated = buildAuditRecord({
      request_id: null,
      endpoint: 'council',
      question: null,
      redact: (q) => q,
      intent: null,
      params_used: null,
      router: null,
      clock_date: '2025-01-15',
      registry_version: 'r',
      code_version: 'unknown',
      query_ids: ['b', 'a', 'b'],
      derived_ids: [],
      data_asof: { b: null, a: '2024-12-31' },
      verification: { passed: false, issues: [] },
      confidence: null,
      answer: { request_id: null, agents: [] },
      evidence: {},
      hmacKey: undefined,
    });
    expect(generated.audit_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(generated.manifest.query_ids).toEqual(['a', 'b']);
    expect(Object.keys(generated.manifest.data_asof)).toEqual(['a', 'b']);
    expect(generated.manifest.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(generated.answer).toEqual({ request_id: null, agents: [] });
  });

  it('composes the code version and cleans stored text', () => {
    expect(codeVersion('0.1.0', 'abc1234')).toBe('0.1.0+abc1234');
    expect(codeVersion('0.1.0', null)).toBe('0.1.0');
    expect(codeVersion(undefined)).toBe('unknown');
    expect(storableText('a\u0000b\uD800c')).toBe('ab\uFFFDc');
    expect(storableText('ok \uD83D\uDE00')).toBe('ok \uD83D\uDE00');
  });
});

describe('verifyAuditRecord', () => {
  it('passes an untouched record', () => {
    const v = verifyAuditRecord(sampleRecord(), HMAC_KEY);
    expect(v).toEqual({
      audit_id: '3b241101-e2bb-4255-8caf-4136c566a962',
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: true,
      hmac_key_missing: false,
    });
    expect(isAuditVerified(v)).toBe(true);
  });

  it('ignores a changed timing or request id but catches a changed answer', () => {
    const record = sampleRecord();
    const timings = structuredClone(record);
    (timings.answer.timings_ms as { total: number }).total = 1000;
    expect(verifyAuditRecord(timings, HMAC_KEY).answer_digest_ok).toBe(true);
    const tampered = structuredClone(record);
    (tampered.answer.sections as { body_md: string }[])[0]!.body_md += ' Extra.';
    expect(verifyAuditRecord(tampered, HMAC_KEY)).toMatchObject({
      answer_digest_ok: false,
      manifest_digest_ok: true,
      hmac_ok: true,
    });
  });

  it('catches a changed manifest member and an index column that disagrees with the manifest', () => {
    const record = sampleRecord();
    const manifest = structuredClone(record);
    manifest.manifest.intent = 'time.baseline';
    expect(verifyAuditRecord(manifest, HMAC_KEY)).toMatchObject({ manifest_digest_ok: false, hmac_ok: false });
    const column = structuredClone(record);
    column.endpoint = '/api/v1/agents/time/trend';
    expect(verifyAuditRecord(column, HMAC_KEY)).toMatchObject({ answer_digest_ok: true, manifest_digest_ok: false });
  });

  it('catches a re-signed manifest through the HMAC, and a wrong key', () => {
    const record = sampleRecord();
    const forged = structuredClone(record);
    forged.manifest.intent = 'time.baseline';
    forged.intent = 'time.baseline';
    forged.manifest.manifest_digest_sha256 = manifestDigest(forged.manifest as unknown as Record<string, unknown>);
    forged.manifest_digest_sha256 = forged.manifest.manifest_digest_sha256;
    expect(verifyAuditRecord(forged, HMAC_KEY)).toMatchObject({ manifest_digest_ok: true, hmac_ok: false });
    expect(verifyAuditRecord(record, `${HMAC_KEY}x`)).toMatchObject({ manifest_digest_ok: true, hmac_ok: false });
    const hmac = structuredClone(record);
    hmac.hmac_sha256 = '0'.repeat(64);
    hmac.manifest.hmac_sha256 = '0'.repeat(64);
    expect(verifyAuditRecord(hmac, HMAC_KEY)).toMatchObject({ manifest_digest_ok: true, hmac_ok: false });
  });

  it('reports a missing key when the manifest has an HMAC, and skips the check when it has none', () => {
    const missing = verifyAuditRecord(sampleRecord(), undefined);
    expect(missing).toMatchObject({
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: null,
      hmac_key_missing: true,
    });
    expect(isAuditVerified(missing)).toBe(false);
    const unsigned = verifyAuditRecord(sampleRecord(null), undefined);
    expect(unsigned).toMatchObject({
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: null,
      hmac_key_missing: false,
    });
    expect(isAuditVerified(unsigned)).toBe(true);
  });

  it('fails a malformed record without throwing', () => {
    const record = sampleRecord();
    const broken = { ...record, manifest: 'not an object' as unknown as typeof record.manifest };
    expect(verifyAuditRecord(broken, HMAC_KEY)).toEqual({
      audit_id: record.audit_id,
      answer_digest_ok: false,
      manifest_digest_ok: false,
      hmac_ok: false,
      hmac_key_missing: false,
    });
  });
});
