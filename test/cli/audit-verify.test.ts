import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { PostgresAuditStore } from '../../src/analysis/audit/postgres-store.js';
import { setAuditReplay } from '../../src/cli/commands/audit.js';
import { createScratch, type Scratch } from '../db/support.js';
import { qnwis } from '../support/cli.js';
import { HMAC_KEY, sampleRecord } from '../analysis/audit/fixtures.js';

const SIGNED = '7f1d2c3b-4a59-4867-9a8b-1c2d3e4f5a6b';
const UNSIGNED = '8e2d3c4b-5a6f-4978-8b9c-2d3e4f5a6b7c';

describe('qnwis audit verify', () => {
  let scratch: Scratch;
  let stateDir: string;
  let store: PostgresAuditStore;
  let env: Record<string, string>;

  beforeAll(async () => {
    scratch = await createScratch('postgres');
    await migrate(scratch.db, { appVersion: 'test' });
    store = new PostgresAuditStore(scratch.db);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-audit-verify-'));
    env = { DATABASE_URL: scratch.url as string, QNWIS_STATE_DIR: stateDir, QNWIS_AUDIT_HMAC_KEY: HMAC_KEY };
  });
  afterAll(async () => {
    await scratch.cleanup();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  afterEach(() => setAuditReplay(null));

  /** Stores a fresh signed record under `id` and returns the id. */
  async function stored(id: string, key: string | null = HMAC_KEY): Promise<string> {
    await scratch.db.query('DELETE FROM public.audit_manifests WHERE audit_id = $1', [id]);
    await store.put(sampleRecord(key, id));
    return id;
  }

  const report = (id: string, ok: [boolean, boolean, boolean | null]): string =>
    `${JSON.stringify({ audit_id: id, answer_digest_ok: ok[0], manifest_digest_ok: ok[1], hmac_ok: ok[2] })}\n`;

  it('exits 0 and prints the checks for an untouched manifest', async () => {
    const id = await stored(SIGNED);
    const run = await qnwis(['audit', 'verify', id], env);
    expect(run).toEqual({ code: 0, stdout: report(id, [true, true, true]), stderr: '' });
  });

  it('exits 1 when the stored answer was changed', async () => {
    const id = await stored(SIGNED);
    await scratch.db.query(
      `UPDATE public.audit_manifests SET answer = jsonb_set(answer, '{intent}', '"time.baseline"') WHERE audit_id = $1`,
      [id],
    );
    const run = await qnwis(['audit', 'verify', id], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(report(id, [false, true, true]));
    expect(run.stderr).toBe(`qnwis: audit manifest ${id} failed verification\n`);
  });

  it('exits 1 when the manifest was changed', async () => {
    const id = await stored(SIGNED);
    await scratch.db.query(
      `UPDATE public.audit_manifests SET manifest = jsonb_set(manifest, '{clock_date}', '"2025-01-16"') WHERE audit_id = $1`,
      [id],
    );
    const run = await qnwis(['audit', 'verify', id], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(report(id, [true, false, false]));
  });

  it('exits 1 when the HMAC was changed', async () => {
    const id = await stored(SIGNED);
    const forged = '0'.repeat(64);
    await scratch.db.query(
      `UPDATE public.audit_manifests SET hmac_sha256 = $2,
         manifest = jsonb_set(manifest, '{hmac_sha256}', to_jsonb($3::text)) WHERE audit_id = $1`,
      [id, forged, forged],
    );
    const run = await qnwis(['audit', 'verify', id], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(report(id, [true, true, false]));
  });

  it('exits 1 when verified with another key', async () => {
    const id = await stored(SIGNED);
    const run = await qnwis(['audit', 'verify', id], { ...env, QNWIS_AUDIT_HMAC_KEY: `${HMAC_KEY}-other` });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(report(id, [true, true, false]));
  });

  it('exits 2 for an unknown id or a string that is not a UUID', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      const run = await qnwis(['audit', 'verify', id], env);
      expect(run).toEqual({ code: 2, stdout: '', stderr: `qnwis: audit manifest "${id}" not found\n` });
    }
  });

  it('exits 78 when the manifest has an HMAC and no key is configured', async () => {
    const id = await stored(SIGNED);
    const { QNWIS_AUDIT_HMAC_KEY: _key, ...noKey } = env;
    const run = await qnwis(['audit', 'verify', id], noKey);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe(report(id, [true, true, null]));
    expect(run.stderr).toBe(
      'qnwis: QNWIS_AUDIT_HMAC_KEY is not set: this manifest carries an HMAC that cannot be checked\n',
    );
  });

  it('skips the HMAC check of an unsigned manifest (hmac_ok null, exit 0)', async () => {
    const id = await stored(UNSIGNED, null);
    const { QNWIS_AUDIT_HMAC_KEY: _key, ...noKey } = env;
    const run = await qnwis(['audit', 'verify', id], noKey);
    expect(run).toEqual({ code: 0, stdout: report(id, [true, true, null]), stderr: '' });
  });

  it('uses the development key the server stored in the state directory when the environment has none', async () => {
    const id = await stored(SIGNED);
    const devState = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-audit-dev-'));
    try {
      const secrets = {
        CSRF_SECRET: 'c'.repeat(43),
        QNWIS_API_KEY_PEPPER: 'p'.repeat(43),
        QNWIS_AUDIT_HMAC_KEY: HMAC_KEY,
        SESSION_SECRET: 's'.repeat(43),
      };
      fs.writeFileSync(path.join(devState, 'dev-secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
      const run = await qnwis(['audit', 'verify', id], { DATABASE_URL: env.DATABASE_URL!, QNWIS_STATE_DIR: devState });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(report(id, [true, true, true]));
    } finally {
      fs.rmSync(devState, { recursive: true, force: true });
    }
  });

  it('--replay fails with exit 1 while no ask pipeline is registered', async () => {
    const id = await stored(SIGNED);
    const run = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^qnwis: replay is not available: /);
  });

  it('--replay compares the replayed answer digest and refuses a changed registry', async () => {
    const id = await stored(SIGNED);
    const record = sampleRecord(HMAC_KEY, id);
    const seen: string[] = [];
    setAuditReplay(async (r) => {
      seen.push(r.audit_id);
      return { answerDigest: r.manifest.answer_digest_sha256, registryVersion: r.registry_version };
    });
    const same = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual({
      audit_id: id,
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: true,
      replay_ok: true,
    });
    expect(seen).toEqual([id]);

    setAuditReplay(async () => ({ answerDigest: 'f'.repeat(64), registryVersion: record.registry_version }));
    const different = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(different.code).toBe(1);
    expect(JSON.parse(different.stdout).replay_ok).toBe(false);
    expect(different.stderr).toContain('qnwis: replay gave a different answer digest\n');

    setAuditReplay(async () => ({ answerDigest: record.answer_digest_sha256, registryVersion: 'reg-2' }));
    const changed = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(changed.code).toBe(1);
    expect(JSON.parse(changed.stdout).replay_ok).toBe(false);
    expect(changed.stderr).toContain(
      'qnwis: registry changed: the manifest was written with registry reg-1, the replay ran on reg-2\n',
    );

    setAuditReplay(async () => {
      throw new Error('pipeline exploded');
    });
    const failed = await qnwis(['audit', 'verify', id, '--replay'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('qnwis: replay failed: pipeline exploded\n');
  });

  it('rejects a missing id, extra arguments and unknown flags as usage errors, and keeps audit tail', async () => {
    for (const argv of [
      ['audit', 'verify'],
      ['audit', 'verify', 'a', 'b'],
      ['audit', 'verify', SIGNED, '--force'],
      ['audit'],
    ]) {
      const run = await qnwis(argv, env);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('qnwis audit verify <audit_id> [--replay]');
    }
    const tail = await qnwis(['audit', 'tail', '--n', '1'], env);
    expect(tail).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
