import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.js';
import { MemoryAuditStore, AuditStoreError, type AuditStore } from '../../../src/analysis/audit/store.js';
import { PostgresAuditStore } from '../../../src/analysis/audit/postgres-store.js';
import { MANIFEST_FIELDS } from '../../../src/analysis/audit/manifest.js';
import { verifyAuditRecord } from '../../../src/analysis/audit/verify-record.js';
import { createScratch, type Scratch } from '../../db/support.js';
import { HMAC_KEY, sampleRecord } from './fixtures.js';

type Backend = 'memory' | 'postgres' | 'embedded';

describe.each<Backend>(['memory', 'postgres', 'embedded'])('audit store on %s', (backend) => {
  let scratch: Scratch | undefined;
  let store: AuditStore;

  beforeAll(async () => {
    if (backend === 'memory') {
      store = new MemoryAuditStore();
      return;
    }
    scratch = await createScratch(backend);
    await migrate(scratch.db, { appVersion: 'test' });
    store = new PostgresAuditStore(scratch.db);
  });
  afterAll(async () => {
    await scratch?.cleanup();
  });

  // The memory store has no table; the two database backends must have the same one.
  if (backend !== 'memory')
    it('is backed by the audit_manifests table of migration 0002 (§6 columns, created_at index)', async () => {
      const db = scratch!.db;
      const { rows } = await db.query<{ c: string; t: string; n: string }>(
        `SELECT column_name AS c, data_type AS t, is_nullable AS n FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'audit_manifests' ORDER BY ordinal_position`,
      );
      expect(rows).toEqual([
        { c: 'audit_id', t: 'uuid', n: 'NO' },
        { c: 'request_id', t: 'text', n: 'YES' },
        { c: 'endpoint', t: 'text', n: 'NO' },
        { c: 'intent', t: 'text', n: 'YES' },
        { c: 'registry_version', t: 'text', n: 'NO' },
        { c: 'code_version', t: 'text', n: 'NO' },
        { c: 'created_at', t: 'timestamp with time zone', n: 'NO' },
        { c: 'query_ids', t: 'ARRAY', n: 'NO' },
        { c: 'answer_digest_sha256', t: 'character', n: 'NO' },
        { c: 'manifest_digest_sha256', t: 'character', n: 'NO' },
        { c: 'hmac_sha256', t: 'character', n: 'YES' },
        { c: 'manifest', t: 'jsonb', n: 'NO' },
        { c: 'answer', t: 'jsonb', n: 'NO' },
        { c: 'evidence', t: 'jsonb', n: 'NO' },
      ]);
      const indexes = await db.query<{ d: string }>(
        "SELECT indexdef AS d FROM pg_indexes WHERE tablename = 'audit_manifests' ORDER BY 1",
      );
      expect(indexes.rows.map((r) => r.d)).toEqual([
        'CREATE INDEX audit_manifests_created_at_idx ON public.audit_manifests USING btree (created_at)',
        'CREATE UNIQUE INDEX audit_manifests_pkey ON public.audit_manifests USING btree (audit_id)',
      ]);
    });

  it('round-trips a record that still verifies', async () => {
    const record = sampleRecord(HMAC_KEY, '0b1e0a6e-5f0e-4c43-8d1c-2d7f3b7c9a01');
    await store.put(record);
    const loaded = await store.get(record.audit_id);
    expect(loaded).toEqual(record);
    expect(Object.keys(loaded!.manifest)).toEqual(MANIFEST_FIELDS);
    expect(verifyAuditRecord(loaded!, HMAC_KEY)).toEqual({
      audit_id: record.audit_id,
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: true,
      hmac_key_missing: false,
    });
  });

  it('keeps a null HMAC, null request id and intent, and empty query ids', async () => {
    const base = sampleRecord(null, '4c7e3d0b-9a1f-4e7a-b6c5-0d1e2f3a4b5c');
    const record = { ...base, request_id: null, intent: null, query_ids: [] };
    await store.put(record);
    expect(await store.get(record.audit_id)).toEqual(record);
  });

  it('finds ids case-insensitively and answers null for unknown ids and non-UUIDs', async () => {
    const record = sampleRecord(HMAC_KEY, '9d7f6e5d-4c3b-4a29-8f1e-0d9c8b7a6f5e');
    await store.put(record);
    expect((await store.get(record.audit_id.toUpperCase()))?.audit_id).toBe(record.audit_id);
    expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await store.get('not-a-uuid')).toBeNull();
    expect(await store.get("'; DROP TABLE audit_manifests; --")).toBeNull();
  });

  it('refuses a duplicate id and a record jsonb cannot hold, with typed errors', async () => {
    const record = sampleRecord(HMAC_KEY, '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d');
    await store.put(record);
    await expect(store.put(record)).rejects.toMatchObject({ name: 'AuditStoreError', code: 'duplicate_audit_id' });
    const nul = sampleRecord(HMAC_KEY, '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e');
    (nul.answer as { narrative: string }).narrative += '\u0000';
    await expect(store.put(nul)).rejects.toBeInstanceOf(AuditStoreError);
    await expect(store.put(nul)).rejects.toMatchObject({ code: 'invalid_record' });
    expect(await store.get(nul.audit_id)).toBeNull();
    const badDigest = {
      ...sampleRecord(HMAC_KEY, '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f'),
      answer_digest_sha256: 'xyz',
    };
    await expect(store.put(badDigest)).rejects.toMatchObject({ code: 'invalid_record' });
  });

  it('returns copies: changing a loaded record does not change the stored one', async () => {
    const record = sampleRecord(HMAC_KEY, '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9');
    await store.put(record);
    const first = await store.get(record.audit_id);
    first!.manifest.intent = 'changed';
    expect((await store.get(record.audit_id))?.manifest.intent).toBe('time.trend');
  });
});
