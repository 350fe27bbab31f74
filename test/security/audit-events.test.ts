import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import {
  AuditQueue,
  clientIpHash,
  tailAuditEvents,
  type AuditEvent,
  type AuditQueueOptions,
} from '../../src/security/audit-events.js';
import { auditCommand } from '../../src/cli/commands/audit.js';
import { createCliContext } from '../../src/cli/context.js';
import { UsageError } from '../../src/cli/errors.js';
import { openTestPool } from '../db/support.js';
import { TEST_DATABASE_URL } from '../support/services.js';

const DB_NAME = `qnwis_audit_${randomBytes(6).toString('hex')}`;
let dbUrl = '';
let db: Database;
const queues: AuditQueue[] = [];

function urlWithDatabase(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function maintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlWithDatabase('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

async function rowCount(): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
  return rows[0]!.n;
}

async function actions(): Promise<string[]> {
  const { rows } = await db.query<{ action: string }>('SELECT action FROM audit_events ORDER BY id');
  return rows.map((r) => r.action);
}

function event(action: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    ts: new Date('2024-05-01T10:00:00.000Z'),
    request_id: 'req-1',
    principal_hash: null,
    principal_kind: null,
    action,
    resource: null,
    status: null,
    client_ip_hash: null,
    details: {},
    ...overrides,
  };
}

/** The scratch database with `query` replaced; audit inserts are recorded as their row counts. */
function instrumented(behaviour: { delayMs?: number; failInserts?: number } = {}): {
  db: Database;
  inserts: number[];
} {
  const inserts: number[] = [];
  let failuresLeft = behaviour.failInserts ?? 0;
  const query: Database['query'] = async (sql, params, options) => {
    if (sql.startsWith('INSERT INTO audit_events')) {
      inserts.push((params?.length ?? 0) / 9);
      if (behaviour.delayMs) await sleep(behaviour.delayMs);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('connection reset');
      }
    }
    return db.query(sql, params, options);
  };
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'query') return query;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, inserts };
}

function queue(options: Partial<AuditQueueOptions> & { db: Database }): {
  q: AuditQueue;
  dropped: number[];
  errors: string[];
} {
  const dropped: number[] = [];
  const errors: string[] = [];
  const q = new AuditQueue({
    intervalMs: 60_000,
    onDropped: (n) => void dropped.push(n),
    log: { error: (_fields, message) => void errors.push(message) },
    ...options,
  });
  queues.push(q);
  return { q, dropped, errors };
}

beforeAll(async () => {
  await maintenance(`CREATE DATABASE ${DB_NAME}`);
  dbUrl = urlWithDatabase(DB_NAME);
  db = await openTestPool(dbUrl);
  await migrate(db, { appVersion: 'test' });
});

beforeEach(async () => {
  for (const q of queues.splice(0)) await q.close(100);
  await db.exec('TRUNCATE audit_events RESTART IDENTITY');
});

afterAll(async () => {
  for (const q of queues.splice(0)) await q.close(100);
  await db?.close();
  await maintenance(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
});

describe('clientIpHash', () => {
  it('is the first 12 hex digits of SHA-256 of the canonical address', () => {
    const expected = createHash('sha256').update('192.0.2.1').digest('hex').slice(0, 12);
    expect(clientIpHash('192.0.2.1')).toBe(expected);
    expect(clientIpHash('::ffff:192.0.2.1')).toBe(expected);
    expect(clientIpHash('2001:DB8::0:1')).toBe(createHash('sha256').update('2001:db8::1').digest('hex').slice(0, 12));
    expect(clientIpHash('192.0.2.1')).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('AuditQueue', () => {
  it('writes 250 pushed events in 3 multi-row inserts (100, 100, 50)', async () => {
    const { db: wrapped, inserts } = instrumented();
    const { q, dropped } = queue({ db: wrapped });
    for (let i = 0; i < 250; i++) expect(q.push(event(`e${i}`))).toBe(true);
    await waitFor(() => q.depth === 0);
    await q.flush();
    expect(inserts).toEqual([100, 100, 50]);
    expect(await rowCount()).toBe(250);
    expect((await actions()).slice(0, 3)).toEqual(['e0', 'e1', 'e2']);
    expect(dropped).toEqual([]);
  });

  it('flushes a partial batch every intervalMs', async () => {
    const { db: wrapped, inserts } = instrumented();
    const { q } = queue({ db: wrapped, intervalMs: 50 });
    q.push(event('a'));
    q.push(event('b'));
    q.push(event('c'));
    expect(inserts).toEqual([]);
    expect(q.depth).toBe(3);
    await waitFor(async () => (await rowCount()) === 3);
    expect(inserts).toEqual([3]);
    expect(await actions()).toEqual(['a', 'b', 'c']);
  });

  it('never blocks push on a slow database', async () => {
    const { db: wrapped, inserts } = instrumented({ delayMs: 300 });
    const { q } = queue({ db: wrapped });
    const t0 = performance.now();
    for (let i = 0; i < 250; i++) q.push(event(`s${i}`));
    expect(performance.now() - t0).toBeLessThan(50);
    expect(q.depth).toBe(250);
    await q.close(5000);
    expect(inserts).toEqual([100, 100, 50]);
    expect(await rowCount()).toBe(250);
  });

  it('drops the newest events on overflow, counts them and logs one error', async () => {
    const { q, dropped, errors } = queue({ db, capacity: 5 });
    const accepted = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'].map((a) => q.push(event(a)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect(dropped).toEqual([1, 1]);
    expect(errors).toEqual(['audit queue full: dropping newest events']);
    expect(q.depth).toBe(5);
    await q.flush();
    expect(await actions()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(q.depth).toBe(0);
  });

  it('retries a failed flush once', async () => {
    const { db: wrapped, inserts } = instrumented({ failInserts: 1 });
    const { q, dropped, errors } = queue({ db: wrapped });
    q.push(event('r1'));
    q.push(event('r2'));
    await q.flush();
    expect(inserts).toEqual([2, 2]);
    expect(await actions()).toEqual(['r1', 'r2']);
    expect(dropped).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('drops and counts a batch whose retry fails too', async () => {
    const { db: wrapped, inserts } = instrumented({ failInserts: 2 });
    const { q, dropped, errors } = queue({ db: wrapped });
    for (const a of ['f1', 'f2', 'f3']) q.push(event(a));
    await q.flush();
    expect(inserts).toEqual([3, 3]);
    expect(dropped).toEqual([3]);
    expect(errors).toEqual(['audit flush failed twice: events dropped']);
    expect(q.depth).toBe(0);
    expect(await rowCount()).toBe(0);
    // The queue keeps working afterwards.
    q.push(event('ok'));
    await q.flush();
    expect(await actions()).toEqual(['ok']);
  });

  it('close() flushes what is queued and refuses later events', async () => {
    const { q, dropped, errors } = queue({ db });
    q.push(event('c1'));
    q.push(event('c2'));
    await q.close();
    expect(await actions()).toEqual(['c1', 'c2']);
    expect(q.push(event('late'))).toBe(false);
    expect(dropped).toEqual([1]);
    expect(errors).toEqual(['audit queue closed: event dropped']);
  });

  it('close() gives up after its timeout and counts the events still queued', async () => {
    const { db: wrapped } = instrumented({ delayMs: 400 });
    const { q, dropped } = queue({ db: wrapped, batchSize: 2 });
    for (const a of ['t1', 't2', 't3']) q.push(event(a));
    const t0 = performance.now();
    await q.close(100);
    expect(performance.now() - t0).toBeLessThan(300);
    // t1, t2 were being written (they still land); t3 never got its turn.
    expect(dropped).toEqual([1]);
    await waitFor(async () => (await rowCount()) === 2);
    expect(await actions()).toEqual(['t1', 't2']);
  });
});

describe('tailAuditEvents and qnwis audit tail', () => {
  async function seed(): Promise<void> {
    const { q } = queue({ db });
    for (let i = 0; i < 4; i++) {
      q.push(
        event(`GET /api/v1/queries/:id`, {
          ts: new Date(Date.UTC(2024, 4, 1, 10, 0, i)),
          request_id: `req-${i}`,
          principal_hash: i % 2 === 0 ? 'abc123' : null,
          principal_kind: i % 2 === 0 ? 'api_key' : null,
          resource: `/api/v1/queries/q${i}`,
          status: 200 + i,
          client_ip_hash: clientIpHash('192.0.2.1'),
          details: { n: i, note: 'nul\u0000stripped' },
        }),
      );
    }
    await q.flush();
  }

  it('returns the newest n events, oldest first', async () => {
    await seed();
    const tail = await tailAuditEvents(db, 2);
    expect(tail).toEqual([
      {
        id: 3,
        ts: new Date('2024-05-01T10:00:02.000Z'),
        request_id: 'req-2',
        principal_hash: 'abc123',
        principal_kind: 'api_key',
        action: 'GET /api/v1/queries/:id',
        resource: '/api/v1/queries/q2',
        status: 202,
        client_ip_hash: clientIpHash('192.0.2.1'),
        details: { n: 2, note: 'nulstripped' },
      },
      {
        id: 4,
        ts: new Date('2024-05-01T10:00:03.000Z'),
        request_id: 'req-3',
        principal_hash: null,
        principal_kind: null,
        action: 'GET /api/v1/queries/:id',
        resource: '/api/v1/queries/q3',
        status: 203,
        client_ip_hash: clientIpHash('192.0.2.1'),
        details: { n: 3, note: 'nulstripped' },
      },
    ]);
    expect((await tailAuditEvents(db, 10)).map((e) => e.request_id)).toEqual(['req-0', 'req-1', 'req-2', 'req-3']);
  });

  function cli(): { ctx: ReturnType<typeof createCliContext>; out: string[]; err: string[]; stateDir: string } {
    const out: string[] = [];
    const err: string[] = [];
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-audit-cli-'));
    const ctx = createCliContext({
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      env: { DATABASE_URL: dbUrl, QNWIS_STATE_DIR: stateDir },
    });
    return { ctx, out, err, stateDir };
  }

  it('`audit tail --n 2` prints the newest two events as JSON lines, oldest first', async () => {
    await seed();
    const { ctx, out, err, stateDir } = cli();
    try {
      expect(await auditCommand(['tail', '--n', '2'], ctx)).toBe(0);
    } finally {
      await ctx.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
    const hash = clientIpHash('192.0.2.1');
    expect(out.join('')).toBe(
      `{"id":3,"ts":"2024-05-01T10:00:02.000Z","request_id":"req-2","principal_hash":"abc123","principal_kind":"api_key",` +
        `"action":"GET /api/v1/queries/:id","resource":"/api/v1/queries/q2","status":202,"client_ip_hash":"${hash}",` +
        `"details":{"n":2,"note":"nulstripped"}}\n` +
        `{"id":4,"ts":"2024-05-01T10:00:03.000Z","request_id":"req-3","principal_hash":null,"principal_kind":null,` +
        `"action":"GET /api/v1/queries/:id","resource":"/api/v1/queries/q3","status":203,"client_ip_hash":"${hash}",` +
        `"details":{"n":3,"note":"nulstripped"}}\n`,
    );
    expect(err).toEqual([]);
  });

  it('defaults to 50 and rejects bad arguments with a UsageError', async () => {
    await seed();
    const { ctx, out, stateDir } = cli();
    try {
      expect(await auditCommand(['tail'], ctx)).toBe(0);
      expect(out.join('').trimEnd().split('\n')).toHaveLength(4);
      for (const argv of [
        ['tail', '--n', '0'],
        ['tail', '--n', '10001'],
        ['tail', '--n', 'x'],
        ['list'],
        [],
        ['tail', 'extra'],
        ['tail', '--m', '1'],
      ]) {
        await expect(auditCommand(argv, ctx)).rejects.toBeInstanceOf(UsageError);
      }
    } finally {
      await ctx.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
