/** API keys (service spec §2.1, §2.2, §2.5) against a real PostgreSQL scratch database. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { describeFailure } from '../../src/cli/errors.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import type { Database, Executor, QueryOptions, Session, TransactionOptions } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import {
  ApiKeyError,
  ApiKeyStore,
  KEY_PATTERN,
  generateKey,
  hashKey,
  parseExpiry,
  pepperFingerprint,
  type ApiKeyAuditEvent,
} from '../../src/security/api-keys.js';
import { createPrincipal, principalHash } from '../../src/security/principal.js';
import { effectiveRoles, isRole, ROLES } from '../../src/security/roles.js';
import { openTestPool } from '../db/support.js';
import { TEST_PACK_DIR } from '../support/pack.js';
import { TEST_DATABASE_URL } from '../support/services.js';

const PEPPER_A = 'pepper-A-0123456789abcdef0123456789abcdef';
const PEPPER_B = 'pepper-B-fedcba9876543210fedcba9876543210';

// ---------------------------------------------------------------------------------------------------------------------
// Scratch database

const DB_NAME = `qnwis_keys_${randomBytes(6).toString('hex')}`;

function urlWithDatabase(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function maintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlWithDatabase('postgres') });
  await client.connect();
  try {
    await client.query(sql); // the name is built from hex digits only; identifiers cannot be bound
  } finally {
    await client.end();
  }
}

const SCRATCH_URL = urlWithDatabase(DB_NAME);
let worker1: Database;
let worker2: Database;

beforeAll(async () => {
  await maintenance(`CREATE DATABASE ${DB_NAME}`);
  worker1 = await openTestPool(SCRATCH_URL);
  worker2 = await openTestPool(SCRATCH_URL);
  await migrate(worker1, { appVersion: 'test' });
});

afterAll(async () => {
  await worker1?.close();
  await worker2?.close();
  await maintenance(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
});

/** A Database that records every statement sent through query(). */
function counting(inner: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const db: Database = {
    kind: inner.kind,
    query: (sql: string, params?: readonly unknown[], options?: QueryOptions) => {
      statements.push(sql);
      return inner.query(sql, params, options);
    },
    queryText: (sql, params, options) => {
      statements.push(sql);
      return inner.queryText(sql, params, options);
    },
    exec: (sql, options) => {
      statements.push(sql);
      return inner.exec(sql, options);
    },
    copyFrom: (sql, data, options) => {
      statements.push(sql);
      return inner.copyFrom(sql, data, options);
    },
    transaction: <T>(fn: (tx: Executor) => Promise<T>, options?: TransactionOptions) => {
      statements.push('BEGIN');
      return inner.transaction(fn, options);
    },
    session: <T>(fn: (s: Session) => Promise<T>) => {
      statements.push('SESSION');
      return inner.session(fn);
    },
    close: () => inner.close(),
  };
  return { db, statements };
}

async function storedRow(keyId: string): Promise<Record<string, unknown>> {
  const { rows } = await worker1.query<Record<string, unknown>>('SELECT * FROM public.api_keys WHERE key_id = $1', [
    keyId,
  ]);
  return rows[0]!;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------------
// Pure functions

describe('roles', () => {
  it('applies the inheritance of §2.5 to each role', () => {
    expect(effectiveRoles(['analyst'])).toEqual(['analyst']);
    expect(effectiveRoles(['service'])).toEqual(['analyst', 'service']);
    expect(effectiveRoles(['auditor'])).toEqual(['auditor']);
    expect(effectiveRoles(['admin'])).toEqual(['analyst', 'service', 'auditor', 'admin']);
    expect(effectiveRoles([])).toEqual([]);
    expect(effectiveRoles(['auditor', 'service', 'auditor'])).toEqual(['analyst', 'service', 'auditor']);
  });

  it('knows exactly the four role names', () => {
    expect(ROLES).toEqual(['analyst', 'service', 'auditor', 'admin']);
    expect(ROLES.every(isRole)).toBe(true);
    expect(['Admin', 'root', '', 'analyst ', 1, null].some((v) => isRole(v))).toBe(false);
  });
});

describe('principal', () => {
  it('derives hash and rate-limit key per kind', () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(principalHash('abc')).toBe('ba7816bf8f01');
    expect(createPrincipal({ kind: 'api_key', subject: 'abc', roles: ['service'], keyId: '0123456789ab' })).toEqual({
      kind: 'api_key',
      subject: 'abc',
      roles: ['service'],
      effective_roles: ['analyst', 'service'],
      key_id: '0123456789ab',
      principal_hash: 'ba7816bf8f01',
      ratelimit_key: 'key:0123456789ab',
    });
    expect(createPrincipal({ kind: 'jwt', subject: 'abc', roles: [] }).ratelimit_key).toBe('jwt:ba7816bf8f01');
    expect(createPrincipal({ kind: 'bypass', subject: 'dev-bypass', roles: ['admin'] }).ratelimit_key).toBe('bypass');
  });
});

describe('key format and hashing', () => {
  it('generates keys of the §2.2 shape', () => {
    const keys = Array.from({ length: 50 }, generateKey);
    for (const key of keys) {
      expect(key).toMatch(/^qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(key).toHaveLength(62);
    }
    expect(new Set(keys).size).toBe(50);
    expect(KEY_PATTERN.source).toBe('^qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$');
  });

  it('hashes with HMAC-SHA256 and fingerprints with SHA-256', () => {
    // RFC-style vector: HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog")
    expect(hashKey('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    expect(pepperFingerprint('abc')).toBe('ba7816bf');
  });
});

describe('parseExpiry', () => {
  const now = new Date('2025-01-01T00:00:00.000Z');

  it.each([
    ['90d', '2025-04-01T00:00:00.000Z'],
    ['1d', '2025-01-02T00:00:00.000Z'],
    ['12h', '2025-01-01T12:00:00.000Z'],
    ['30m', '2025-01-01T00:30:00.000Z'],
    [' 48h ', '2025-01-03T00:00:00.000Z'],
    ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T03:00:00+03:00', '2026-01-31T00:00:00.000Z'],
    ['2026-01-30T21:30-02:30', '2026-01-31T00:00:00.000Z'],
    ['2025-06-01T10:20:30.5Z', '2025-06-01T10:20:30.500Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('%s → %s', (text, expected) => {
    expect(parseExpiry(text, now).toISOString()).toBe(expected);
  });

  it.each([
    ['0d', 'expected an ISO-8601'],
    ['10', 'expected an ISO-8601'],
    ['2w', 'expected an ISO-8601'],
    ['-5d', 'expected an ISO-8601'],
    ['1.5d', 'expected an ISO-8601'],
    ['2026-01-31', 'expected an ISO-8601'],
    ['2026-01-31T00:00:00', 'expected an ISO-8601'],
    ['2025-02-29T00:00:00Z', 'not a valid date and time'],
    ['2025-13-01T00:00:00Z', 'not a valid date and time'],
    ['2025-06-01T24:00:00Z', 'not a valid date and time'],
    ['2025-06-01T00:00:00+03:60', 'not a valid date and time'],
    ['2024-12-31T23:59:59Z', 'must lie in the future'],
    ['2025-01-01T00:00:00Z', 'must lie in the future'],
  ])('rejects %s', (text, reason) => {
    expect(() => parseExpiry(text, now)).toThrow(ApiKeyError);
    expect(() => parseExpiry(text, now)).toThrow(reason);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Store against PostgreSQL

describe('ApiKeyStore', () => {
  it('creates a key that verifies to its principal, storing only the HMAC', async () => {
    const events: ApiKeyAuditEvent[] = [];
    const store = new ApiKeyStore({ db: worker1, pepper: PEPPER_A, onAudit: (e) => events.push(e) });
    const { key, record } = await store.create({ label: 'ci-bot', roles: ['service', 'auditor'] });
    expect(key).toMatch(KEY_PATTERN);
    expect(record.key_id).toBe(key.slice(6, 18));
    expect(record).toMatchObject({
      label: 'ci-bot',
      roles: ['service', 'auditor'],
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      principal_hash: principalHash('ci-bot'),
    });

    expect(await store.verify(key)).toEqual({
      kind: 'api_key',
      subject: 'ci-bot',
      roles: ['service', 'auditor'],
      effective_roles: ['analyst', 'service', 'auditor'],
      key_id: record.key_id,
      principal_hash: principalHash('ci-bot'),
      ratelimit_key: `key:${record.key_id}`,
    });
    await store.flush();

    const row = await storedRow(record.key_id);
    expect(row.hash).toBe(hashKey(PEPPER_A, key));
    expect(row.pepper_fp).toBe(pepperFingerprint(PEPPER_A));
    expect(row.roles).toEqual(['service', 'auditor']);
    expect(JSON.stringify(row)).not.toContain(key.slice(19));
    expect(events).toEqual([
      {
        action: 'apikey.create',
        key_id: record.key_id,
        details: {
          key_id: record.key_id,
          roles: ['service', 'auditor'],
          expires_at: null,
          subject_hash: principalHash('ci-bot'),
        },
      },
    ]);
  });

  it('rejects malformed keys without touching the database', async () => {
    const { db, statements } = counting(worker1);
    const store = new ApiKeyStore({ db, pepper: PEPPER_A });
    const good = generateKey();
    const malformed = [
      '',
      'qnwis_',
      good.slice(0, -1), // 42-char secret
      good + 'A', // 44-char secret
      good.replace(/^qnwis_/, 'QNWIS_'),
      `qnwis_ABCDEF012345_${good.slice(19)}`, // upper-case key id
      `qnwis_0123456789a_${good.slice(19)}`, // 11-char key id
      good.slice(0, 19) + '+'.repeat(43), // not base64url
      ` ${good}`,
      `${good}\n`,
    ];
    for (const key of malformed) expect(await store.verify(key)).toBeNull();
    expect(statements).toEqual([]);
  });

  it('rejects a wrong secret under an existing key_id', async () => {
    const creator = new ApiKeyStore({ db: worker1, pepper: PEPPER_A });
    const { key, record } = await creator.create({ label: 'victim', roles: ['admin'] });
    const { db, statements } = counting(worker1);
    const store = new ApiKeyStore({ db, pepper: PEPPER_A });
    const forged = `qnwis_${record.key_id}_${randomBytes(32).toString('base64url')}`;
    expect(await store.verify(forged)).toBeNull();
    expect(statements).toHaveLength(1); // one lookup, no last_used_at write
    const principal = await store.verify(key);
    expect(principal?.key_id).toBe(record.key_id);
    // once the real key has verified against the cached row, a forged one under the same key_id still fails
    expect(await store.verify(forged)).toBeNull();
    expect(await store.verify(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await store.verify(key)).toBe(principal);
    expect(await new ApiKeyStore({ db: worker1, pepper: PEPPER_B }).verify(key)).toBeNull();
  });

  it('rejects a key once its wall-clock expiry is reached', async () => {
    let clock = new Date('2030-05-01T10:00:00.000Z');
    const store = new ApiKeyStore({ db: worker1, pepper: PEPPER_A, now: () => clock });
    const { key, record } = await store.create({
      label: 'short-lived',
      roles: ['analyst'],
      expiresAt: new Date('2030-05-01T11:00:00.000Z'),
    });
    expect(record.expires_at?.toISOString()).toBe('2030-05-01T11:00:00.000Z');
    clock = new Date('2030-05-01T10:59:59.999Z');
    expect((await store.verify(key))?.key_id).toBe(record.key_id);
    expect((await store.getActive(record.key_id))?.label).toBe('short-lived');
    clock = new Date('2030-05-01T11:00:00.000Z');
    expect(await store.verify(key)).toBeNull();
    expect(await store.getActive(record.key_id)).toBeNull();
    await store.flush();
  });

  it('refuses invalid create arguments', async () => {
    const store = new ApiKeyStore({ db: worker1, pepper: PEPPER_A });
    await expect(store.create({ label: '  ', roles: ['analyst'] })).rejects.toMatchObject({ code: 'invalid_label' });
    await expect(store.create({ label: 'a\nb', roles: ['analyst'] })).rejects.toMatchObject({ code: 'invalid_label' });
    await expect(store.create({ label: 'x', roles: ['root' as 'admin'] })).rejects.toMatchObject({
      code: 'invalid_roles',
    });
    await expect(
      store.create({ label: 'x', roles: ['analyst'], expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toMatchObject({ code: 'invalid_expiry' });
  });

  it('revocation by one worker is honoured by another within 1 s, not earlier than its cache allows', async () => {
    const events: ApiKeyAuditEvent[] = [];
    const storeA = new ApiKeyStore({ db: worker1, pepper: PEPPER_A, onAudit: (e) => events.push(e) });
    const { db: countedB, statements } = counting(worker2);
    const storeB = new ApiKeyStore({ db: countedB, pepper: PEPPER_A });
    const { key, record } = await storeA.create({ label: 'to-revoke', roles: ['analyst'] });

    expect((await storeB.verify(key))?.key_id).toBe(record.key_id); // B caches the row now
    const lookupsBefore = statements.filter((s) => s.startsWith('SELECT')).length;
    expect(await storeA.revoke(record.key_id)).toBe('revoked');
    const revokedAt = performance.now();
    expect(await storeA.verify(key)).toBeNull(); // the revoking worker drops its own entry at once

    // Still inside B's 1 s window: the cached row answers and no lookup is made.
    expect((await storeB.verify(key))?.key_id).toBe(record.key_id);
    expect(statements.filter((s) => s.startsWith('SELECT')).length).toBe(lookupsBefore);

    let rejectedAfter = Infinity;
    while (performance.now() - revokedAt < 2000) {
      if ((await storeB.verify(key)) === null) {
        rejectedAfter = performance.now() - revokedAt;
        break;
      }
      await sleep(20);
    }
    expect(rejectedAfter).toBeLessThanOrEqual(1100);
    expect(statements.filter((s) => s.startsWith('SELECT')).length).toBe(lookupsBefore + 1);

    expect(await storeA.revoke(record.key_id)).toBe('already_revoked');
    expect(await storeA.revoke('000000000000')).toBe('unknown');
    expect(await storeA.revoke('not-a-key-id')).toBe('unknown');
    expect((await storedRow(record.key_id)).revoked_at).toBeInstanceOf(Date);
    expect(events.slice(1)).toEqual([
      { action: 'apikey.revoke', key_id: record.key_id, details: { key_id: record.key_id, outcome: 'revoked' } },
      {
        action: 'apikey.revoke',
        key_id: record.key_id,
        details: { key_id: record.key_id, outcome: 'already_revoked' },
      },
      { action: 'apikey.revoke', key_id: '000000000000', details: { key_id: '000000000000', outcome: 'unknown' } },
    ]); // a malformed id is answered without the database and without an event (it is arbitrary input)
    await storeB.flush();
  });

  it('caches misses too, so a key created elsewhere becomes valid after the window', async () => {
    const storeA = new ApiKeyStore({ db: worker1, pepper: PEPPER_A });
    const { db: countedB, statements } = counting(worker2);
    const storeB = new ApiKeyStore({ db: countedB, pepper: PEPPER_A, cacheMs: 300 });
    const unknown = generateKey();
    expect(await storeB.verify(unknown)).toBeNull();
    expect(await storeB.verify(unknown)).toBeNull();
    expect(statements).toHaveLength(1);
    await sleep(350);
    expect(await storeB.verify(unknown)).toBeNull();
    expect(statements).toHaveLength(2);
    const { key } = await storeA.create({ label: 'fresh', roles: ['analyst'] });
    expect((await storeB.verify(key))?.subject).toBe('fresh');
    await storeB.flush();
  });

  it('verifies keys of the previous pepper and re-hashes them with the current one', async () => {
    const storeA = new ApiKeyStore({ db: worker1, pepper: PEPPER_A });
    const { key, record } = await storeA.create({ label: 'rotated', roles: ['auditor'] });
    expect(await new ApiKeyStore({ db: worker1, pepper: PEPPER_B }).verify(key)).toBeNull();

    const rotated = new ApiKeyStore({ db: worker1, pepper: PEPPER_B, previousPepper: PEPPER_A });
    expect((await rotated.list()).find((k) => k.key_id === record.key_id)?.pepper).toBe('previous');
    expect((await rotated.verify(key))?.effective_roles).toEqual(['auditor']);
    await rotated.flush();
    const row = await storedRow(record.key_id);
    expect(row.hash).toBe(hashKey(PEPPER_B, key));
    expect(row.pepper_fp).toBe(pepperFingerprint(PEPPER_B));
    expect((await rotated.list()).find((k) => k.key_id === record.key_id)?.pepper).toBe('current');
    expect((await rotated.verify(key))?.subject).toBe('rotated');

    // After re-hashing, the old pepper alone no longer verifies it, the new one alone does.
    expect(await new ApiKeyStore({ db: worker1, pepper: PEPPER_A }).verify(key)).toBeNull();
    expect((await new ApiKeyStore({ db: worker1, pepper: PEPPER_B }).verify(key))?.key_id).toBe(record.key_id);
    expect((await storeA.list()).find((k) => k.key_id === record.key_id)?.pepper).toBe('unknown');
  });

  it('lists metadata only, never the key or its hash', async () => {
    const store = new ApiKeyStore({ db: worker1, pepper: PEPPER_A });
    const { key, record } = await store.create({
      label: 'listed',
      roles: ['analyst', 'analyst', 'admin'],
      expiresAt: new Date('2099-01-01T00:00:00.000Z'),
    });
    const listed = (await store.list()).find((k) => k.key_id === record.key_id)!;
    expect(listed).toEqual({
      key_id: record.key_id,
      label: 'listed',
      roles: ['analyst', 'admin'],
      created_at: record.created_at,
      expires_at: new Date('2099-01-01T00:00:00.000Z'),
      revoked_at: null,
      last_used_at: null,
      principal_hash: principalHash('listed'),
      pepper: 'current',
    });
    const all = JSON.stringify(await store.list());
    expect(all).not.toContain(key.slice(19));
    expect(all).not.toContain(hashKey(PEPPER_A, key));
    expect(all).not.toContain('"hash"');
  });

  it('writes last_used_at in the background at most once a minute per key', async () => {
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const { db, statements } = counting(worker1);
    const store = new ApiKeyStore({ db, pepper: PEPPER_A, now: () => clock, cacheMs: 0 });
    const { key, record } = await store.create({ label: 'busy', roles: ['analyst'] });
    const writes = (): number => statements.filter((s) => s.includes('SET last_used_at')).length;

    await store.verify(key);
    expect(writes()).toBe(1);
    await store.flush();
    expect((await storedRow(record.key_id)).last_used_at).toEqual(new Date('2030-01-01T00:00:00.000Z'));

    clock = new Date('2030-01-01T00:00:59.999Z');
    await store.verify(key);
    expect(writes()).toBe(1);

    clock = new Date('2030-01-01T00:01:00.000Z');
    await store.verify(key);
    expect(writes()).toBe(2);
    await store.flush();
    expect((await storedRow(record.key_id)).last_used_at).toEqual(new Date('2030-01-01T00:01:00.000Z'));

    // Another worker that has never written still respects the stored timestamp.
    const { db: db2, statements: statements2 } = counting(worker2);
    const other = new ApiKeyStore({ db: db2, pepper: PEPPER_A, now: () => new Date('2030-01-01T00:01:30.000Z') });
    expect((await other.verify(key))?.key_id).toBe(record.key_id);
    expect(statements2.filter((s) => s.includes('SET last_used_at'))).toEqual([]);
  });

  it('does not wait for the last_used_at write', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: Database = {
      ...worker1,
      kind: worker1.kind,
      query: async (sql: string, params?: readonly unknown[], options?: QueryOptions) => {
        if (sql.includes('SET last_used_at')) await gate;
        return worker1.query(sql, params, options);
      },
    } as Database;
    const store = new ApiKeyStore({ db: slow, pepper: PEPPER_A, cacheMs: 0 });
    const { key } = await new ApiKeyStore({ db: worker1, pepper: PEPPER_A }).create({ label: 'x', roles: [] });
    const principal = await store.verify(key); // resolves although the write is still blocked
    expect(principal?.roles).toEqual([]);
    expect(principal?.effective_roles).toEqual([]);
    release();
    await store.flush();
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// CLI

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function keys(argv: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const ctx = createCliContext({
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { QNWIS_DATA_DIR: TEST_PACK_DIR, DATABASE_URL: SCRATCH_URL, ...env },
  });
  let code: number;
  try {
    code = await keysCommand(argv, ctx);
  } catch (err) {
    const failure = describeFailure(err);
    for (const line of failure.lines) stderr += line + '\n';
    code = failure.exitCode;
  } finally {
    await ctx.close();
  }
  return { code, stdout, stderr };
}

describe('qnwis keys', () => {
  let stateDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-keys-'));
    env = { QNWIS_API_KEY_PEPPER: PEPPER_A, QNWIS_STATE_DIR: stateDir };
  });
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('create prints the key alone on stdout and the metadata on stderr, and audits it', async () => {
    const run = await keys(['create', '--label', 'ops admin', '--roles', 'admin,auditor'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const key = lines[0]!;
    expect(key).toMatch(KEY_PATTERN);
    const keyId = key.slice(6, 18);
    expect(run.stderr).toBe(
      [
        `key_id: ${keyId}`,
        'label: ops admin',
        'roles: admin,auditor',
        'expires_at: never',
        `principal_hash: ${principalHash('ops admin')}`,
        'the key is shown only this once; store it now',
        '',
      ].join('\n'),
    );
    const principal = await new ApiKeyStore({ db: worker1, pepper: PEPPER_A }).verify(key);
    expect(principal?.effective_roles).toEqual(['analyst', 'service', 'auditor', 'admin']);
    const { rows } = await worker1.query<{ action: string; principal_hash: string | null; details: unknown }>(
      'SELECT action, principal_hash, details FROM public.audit_events WHERE resource = $1',
      [`api_keys/${keyId}`],
    );
    expect(rows).toEqual([
      {
        action: 'apikey.create',
        principal_hash: null,
        details: {
          key_id: keyId,
          roles: ['admin', 'auditor'],
          expires_at: null,
          subject_hash: principalHash('ops admin'),
          via: 'cli',
        },
      },
    ]);
  });

  it('create --json prints one object with key and metadata; --expires accepts durations', async () => {
    const before = Date.now();
    const run = await keys(['create', '--label', 'svc', '--roles', 'service', '--expires', '90d', '--json'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual([
      'created_at',
      'expires_at',
      'key',
      'key_id',
      'label',
      'principal_hash',
      'roles',
    ]);
    expect(out.key).toMatch(KEY_PATTERN);
    expect(out.key_id).toBe((out.key as string).slice(6, 18));
    expect(out).toMatchObject({ label: 'svc', roles: ['service'], principal_hash: principalHash('svc') });
    const expires = Date.parse(out.expires_at as string);
    expect(expires - before).toBeGreaterThanOrEqual(90 * 86_400_000);
    expect(expires - before).toBeLessThan(90 * 86_400_000 + 60_000);
  });

  it.each([
    [['create', '--label', 'x', '--roles', 'analyst,root'], 'unknown role "root"'],
    [['create', '--label', 'x', '--roles', ''], 'unknown role ""'],
    [['create', '--label', 'x'], '--roles is required'],
    [['create', '--roles', 'analyst'], '--label is required'],
    [['create', '--label', 'x', '--roles', 'analyst', '--expires', 'soon'], 'expected an ISO-8601'],
    [['create', '--label', 'x', '--roles', 'analyst', '--expires', '2001-01-01T00:00:00Z'], 'must lie in the future'],
    [['create', '--label', 'x', '--roles', 'analyst', '--bogus'], "Unknown option '--bogus'"],
    [['revoke'], 'give exactly one key_id'],
    [['rotate'], 'unknown subcommand "rotate"'],
    [[], 'missing subcommand'],
  ])('usage error %j exits 2', async (argv, message) => {
    const run = await keys(argv, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('list shows pepper generation and status, never key or hash', async () => {
    const created = await keys(['create', '--label', 'listed-cli', '--roles', 'analyst'], env);
    const key = created.stdout.trim();
    const keyId = key.slice(6, 18);
    const json = await keys(['list', '--json'], env);
    expect(json.code).toBe(0);
    const listed = (JSON.parse(json.stdout) as { keys: Record<string, unknown>[] }).keys.find(
      (k) => k.key_id === keyId,
    );
    expect(listed).toMatchObject({
      label: 'listed-cli',
      roles: ['analyst'],
      status: 'active',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      pepper: 'current',
      principal_hash: principalHash('listed-cli'),
    });
    expect(json.stdout).not.toContain(key.slice(19));
    expect(json.stdout).not.toContain(hashKey(PEPPER_A, key));

    const table = await keys(['list'], env);
    expect(table.code).toBe(0);
    const header = table.stdout.split('\n')[0]!;
    expect(header.split(/\s+/)).toEqual([
      'key_id',
      'label',
      'roles',
      'status',
      'created_at',
      'expires_at',
      'last_used_at',
      'pepper',
    ]);
    const row = table.stdout.split('\n').find((l) => l.startsWith(keyId))!;
    expect(row.split(/\s{2,}/)).toEqual([
      keyId,
      'listed-cli',
      'analyst',
      'active',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      'never',
      'never',
      'current',
    ]);
    expect(table.stdout).not.toContain(key.slice(19));
  });

  it('revoke exits 0 when revoked or already revoked and 1 when unknown', async () => {
    const key = (await keys(['create', '--label', 'gone', '--roles', 'analyst'], env)).stdout.trim();
    const keyId = key.slice(6, 18);
    expect(await keys(['revoke', keyId], env)).toEqual({ code: 0, stdout: `revoked ${keyId}\n`, stderr: '' });
    expect(await keys(['revoke', keyId], env)).toEqual({
      code: 0,
      stdout: `${keyId} was already revoked\n`,
      stderr: '',
    });
    expect(await keys(['revoke', 'ffffffffffff'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'qnwis: unknown key_id "ffffffffffff" (a key_id is 12 lowercase hex)\n',
    });
    expect(await new ApiKeyStore({ db: worker1, pepper: PEPPER_A }).verify(key)).toBeNull();
    const listed = JSON.parse((await keys(['list', '--json'], env)).stdout) as { keys: Record<string, unknown>[] };
    expect(listed.keys.find((k) => k.key_id === keyId)?.status).toBe('revoked');
  });

  it('without QNWIS_API_KEY_PEPPER uses the dev-secrets file the server uses', async () => {
    const devState = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-keys-dev-'));
    try {
      const devEnv = { QNWIS_STATE_DIR: devState };
      const run = await keys(['create', '--label', 'dev', '--roles', 'analyst'], devEnv);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('development secrets generated and stored in');
      const secrets = JSON.parse(fs.readFileSync(path.join(devState, 'dev-secrets.json'), 'utf8')) as Record<
        string,
        string
      >;
      const pepper = secrets.QNWIS_API_KEY_PEPPER!;
      expect(pepper).toHaveLength(43);
      const key = run.stdout.trim();
      expect((await new ApiKeyStore({ db: worker1, pepper }).verify(key))?.subject).toBe('dev');
      // A second run reuses the stored pepper rather than generating another.
      const again = await keys(['create', '--label', 'dev2', '--roles', 'analyst'], devEnv);
      expect(again.stderr).toContain('using development secrets from');
      expect((await new ApiKeyStore({ db: worker1, pepper }).verify(again.stdout.trim()))?.subject).toBe('dev2');
    } finally {
      fs.rmSync(devState, { recursive: true, force: true });
    }
  });
});
