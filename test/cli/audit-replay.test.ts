/** `qnwis audit verify <id> --replay` against answers stored by the app in PostgreSQL (analysis spec §6, A11). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { ingestPack } from '../../src/db/ingest.js';
import { materializeViews } from '../../src/db/materialize.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';
import { TEST_PACK_DIR } from '../support/pack.js';
import { createScratch, type Scratch } from '../db/support.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { qnwis } from '../support/cli.js';

const HMAC_KEY = 'test-audit-hmac-key-0123456789abcdefghijkl';
let scratch: Scratch;
let t: TestApp;
let env: Record<string, string>;

beforeAll(async () => {
  scratch = await createScratch('postgres');
  // The CLI reads data and manifests from one database, so the app stores its manifests beside the pack's views.
  await migrate(scratch.db, { appVersion: 'test' });
  await ingestPack(scratch.db, TEST_PACK_DIR, { force: true });
  await materializeViews(scratch.db);
  t = await buildTestApp({ db: scratch.db, postgres: createPostgresRunner(scratch.db), clockDate: '2025-01-15' });
  env = { DATABASE_URL: scratch.url!, QNWIS_AUDIT_HMAC_KEY: HMAC_KEY };
}, 180_000);

afterAll(async () => {
  await t?.close();
  await scratch?.cleanup();
});

async function stored(url: string, payload: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url, payload });
  expect(res.statusCode).toBe(200);
  const id = (res.json() as { audit_id: string | null }).audit_id;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id!;
}

describe('audit verify --replay', () => {
  it('replays an agent answer with the stored clock date and finds the same digest', async () => {
    const id = await stored('/api/v1/agents/strategy/vision2030', { intent: 'strategy.vision2030', params: {} });
    const run = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      audit_id: id,
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: true,
      replay_ok: true,
    });
    expect(run.code).toBe(0);
  });

  it('replays an /ask answer, keeping the stored routing', async () => {
    const id = await stored('/api/v1/ask', { question: 'How does Qatar compare with the GCC on unemployment?' });
    const run = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ replay_ok: true });
    expect(run.code).toBe(0);
  });

  it('detects a changed answer: the replay digest no longer matches the stored one', async () => {
    const id = await stored('/api/v1/agents/strategy/vision2030', { intent: 'strategy.vision2030', params: {} });
    // Same record, different stored parameters: the replay computes another answer than the stored one.
    await scratch.db.query(
      `UPDATE public.audit_manifests SET manifest = jsonb_set(manifest, '{params_used,target_percent}', '40') WHERE audit_id = $1`,
      [id],
    );
    const run = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ manifest_digest_ok: false, replay_ok: false });
    expect(run.code).toBe(1);
  });
});
