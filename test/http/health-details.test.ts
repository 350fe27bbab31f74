/**
 * `healthDetails` (service spec §4.2) in-process, against the real PostgreSQL and Redis of the machine and against
 * addresses that refuse, stall or reject: overall status, component states and failure categories.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { healthDetails, type HealthDetailsSource } from '../../src/http/health-details.js';
import { workerRedis } from '../../src/http/app-services.js';
import { DrainState } from '../../src/http/drain.js';
import { openPostgres, type Database } from '../../src/db/database.js';
import { loadMigrations } from '../../src/db/migrate.js';
import { sharedPackDatabase } from '../support/shared-postgres.js';
import { freePort } from '../support/server-process.js';
import { redisUrlForDb } from '../support/services.js';
import { createScratch, type Scratch } from '../db/support.js';
import { component, type HealthComponent as Component, type HealthDetailsBody as Details } from './health-support.js';

/** Only PING is sent: no keys are written to this logical database. */
const REDIS_DB = 6;
const MIGRATIONS = loadMigrations().length;

function openPool(url: string): Promise<Database> {
  return openPostgres(url, {
    min: 0,
    max: 2,
    acquireTimeoutS: 5,
    statementTimeoutMs: 10_000,
    applicationName: 'qnwis-health-details-test',
  });
}

interface StandIn {
  port: number;
  close(): Promise<void>;
}

/** A TCP listener on a free loopback port that hands each connection to `onSocket`; close() drops them all. */
async function tcpStandIn(onSocket: (socket: net.Socket) => void): Promise<StandIn> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP listener that accepts connections and never says a word. */
function silentServer(): Promise<StandIn> {
  return tcpStandIn(() => undefined);
}

/** A Redis stand-in protected by a password: every command is answered with NOAUTH. */
async function lockedRedis(): Promise<StandIn & { commands(): number }> {
  let commands = 0;
  const server = await tcpStandIn((socket) => {
    socket.on('data', (chunk: Buffer) => {
      // One RESP array per command; our client sends nothing that embeds a line starting with '*'.
      const count = chunk.toString('latin1').match(/(?:^|\r\n)\*\d+\r\n/g)?.length ?? 0;
      commands += count;
      socket.write('-NOAUTH Authentication required.\r\n'.repeat(count));
    });
  });
  return { ...server, commands: () => commands };
}

/** Answers every PostgreSQL startup with FATAL 28P01, the way a server with a wrong password would. */
function rejectingPostgres(): Promise<StandIn> {
  const field = (tag: string, value: string): Buffer => Buffer.concat([Buffer.from(tag), Buffer.from(value + '\0')]);
  const body = Buffer.concat([
    field('S', 'FATAL'),
    field('V', 'FATAL'),
    field('C', '28P01'),
    field('M', 'password authentication failed for user "postgres"'),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(body.length + 4, 1);
  return tcpStandIn((socket) => socket.once('data', () => socket.end(Buffer.concat([header, body]))));
}

let packDb: Database;
let scratch: Scratch;
let redis: Redis;
const closers: Array<() => Promise<unknown> | void> = [];

beforeAll(async () => {
  packDb = await openPool(await sharedPackDatabase());
  scratch = await createScratch('postgres');
  redis = workerRedis(redisUrlForDb(REDIS_DB));
  await redis.connect();
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis?.disconnect();
  await packDb?.close();
  await scratch?.cleanup();
});

function source(overrides: Partial<HealthDetailsSource> = {}): HealthDetailsSource {
  return {
    version: '7.7.7',
    workerId: 'w1',
    drain: new DrainState(),
    db: packDb,
    dbMode: 'postgres',
    redis,
    cacheBackend: () => 'redis',
    rateLimiterState: () => 'up',
    auditQueue: () => ({ depth: 2, dropped_total: 5 }),
    timeoutMs: 1000,
    ...overrides,
  };
}

async function details(overrides: Partial<HealthDetailsSource> = {}, startedAtMs = Date.now()): Promise<Details> {
  return (await healthDetails(source(overrides), startedAtMs)) as unknown as Details;
}

/** The components with latencies replaced by their type, for exact comparison. */
function shape(d: Details): Component[] {
  return d.components.map((c) =>
    'latency_ms' in c ? { ...c, latency_ms: typeof c.latency_ms === 'number' ? 'number' : c.latency_ms } : c,
  ) as Component[];
}

/** The postgres component of a server that could not be reached for the given reason. */
function postgresDown(failure: string): Record<string, unknown> {
  return { name: 'postgres', status: 'down', mode: 'postgres', latency_ms: null, failure };
}

/** The redis component of a server that could not be reached for the given reason. */
function redisDown(failure: string): Record<string, unknown> {
  return { name: 'redis', status: 'down', latency_ms: null, failure };
}

describe('health details (service spec §4.2)', () => {
  it('is ok with PostgreSQL and Redis up: every component, migrations counted, uptime from the start time', async () => {
    const d = await details({}, Date.now() - 65_500);
    expect(d.status).toBe('ok');
    expect(d.version).toBe('7.7.7');
    expect(d.uptime_s).toBe(65);
    expect(d.draining).toBe(false);
    expect(d.worker).toEqual({ id: 'w1', pid: process.pid });
    expect(shape(d)).toEqual([
      { name: 'postgres', status: 'up', mode: 'postgres', latency_ms: 'number' },
      { name: 'redis', status: 'up', latency_ms: 'number' },
      { name: 'rate_limiter', backend: 'redis' },
      { name: 'cache', backend: 'redis' },
      { name: 'migrations', applied: MIGRATIONS, pending: 0 },
      { name: 'audit_queue', depth: 2, dropped_total: 5 },
    ]);
    const pgLatency = component(d, 'postgres').latency_ms as number;
    expect(pgLatency).toBeGreaterThan(0);
    expect(pgLatency).toBeLessThan(1000);
    // Millisecond latencies rounded to microseconds.
    expect(Math.round(pgLatency * 1000)).toBeCloseTo(pgLatency * 1000, 6);
  });

  it('counts pending migrations on a database that was never migrated', async () => {
    const d = await details({ db: scratch.db });
    expect(d.status).toBe('ok');
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', applied: 0, pending: MIGRATIONS });
  });

  it('reports the embedded mode and an unconfigured Redis (status stays ok)', async () => {
    const d = await details({
      dbMode: 'embedded',
      redis: undefined,
      cacheBackend: () => 'memory',
      rateLimiterState: () => 'none',
    });
    expect(d.status).toBe('ok');
    expect(component(d, 'postgres')).toMatchObject({ status: 'up', mode: 'embedded' });
    expect(component(d, 'redis')).toEqual({ name: 'redis', status: 'not_configured', latency_ms: null });
    expect(component(d, 'rate_limiter')).toEqual({ name: 'rate_limiter', backend: 'memory' });
    expect(component(d, 'cache')).toEqual({ name: 'cache', backend: 'memory' });
  });

  it('is degraded when Redis refuses connections; Postgres stays up', async () => {
    const port = await freePort();
    // The worker's client: no offline queue, so the PING while reconnecting fails at once with a message that says
    // nothing of the cause; the category comes from the connection error the client saw (ECONNREFUSED).
    const down = workerRedis(`redis://127.0.0.1:${port}/0`);
    closers.push(() => down.disconnect());
    await expect(down.connect()).rejects.toThrow('Connection is closed.');
    const d = await details({ redis: down, rateLimiterState: () => 'down', cacheBackend: () => 'memory' });
    expect(d.status).toBe('degraded');
    expect(component(d, 'postgres').status).toBe('up');
    expect(component(d, 'redis')).toEqual(redisDown('connection_refused'));
    expect(component(d, 'rate_limiter')).toEqual({ name: 'rate_limiter', backend: 'memory' });
    expect(component(d, 'cache')).toEqual({ name: 'cache', backend: 'memory' });

    // A client that gave up reconnecting reports a closed connection: connection_refused.
    const ended = new Redis(`redis://127.0.0.1:${port}/0`, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    ended.on('error', () => undefined);
    closers.push(() => ended.disconnect());
    await new Promise<void>((resolve) => ended.once('end', () => resolve()));
    const e = await details({ redis: ended });
    expect(e.status).toBe('degraded');
    expect(component(e, 'redis')).toEqual(redisDown('connection_refused'));
  });

  it('is degraded when Redis answers but the rate limiter runs on its memory fallback', async () => {
    const d = await details({ rateLimiterState: () => 'down' });
    expect(d.status).toBe('degraded');
    // PING answered, so Redis has a latency, but the component is down as far as the limiter is concerned.
    expect(component(d, 'redis')).toMatchObject({ name: 'redis', status: 'down', latency_ms: expect.any(Number) });
    expect(component(d, 'redis')).not.toHaveProperty('failure');
  });

  it('reports a Redis that does not answer within the deadline as a timeout', async () => {
    const silent = await silentServer();
    closers.push(() => silent.close());
    const stalled = new Redis(`redis://127.0.0.1:${silent.port}/0`, {
      connectTimeout: 5000,
      commandTimeout: 5000,
      maxRetriesPerRequest: 0,
    });
    stalled.on('error', () => undefined);
    closers.push(() => stalled.disconnect());
    const started = Date.now();
    const d = await details({ redis: stalled, timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(d.status).toBe('degraded');
    expect(component(d, 'redis')).toEqual(redisDown('timeout'));
  });

  it('reports a Redis that demands credentials as auth_failed', async () => {
    const locked = await lockedRedis();
    closers.push(() => locked.close());
    // The handshake is answered with NOAUTH, so the client drops the connection and keeps reconnecting; wherever in
    // that cycle the PING lands (rejected with NOAUTH, or refused while reconnecting), the failure is auth_failed.
    const client = workerRedis(`redis://127.0.0.1:${locked.port}/0`);
    closers.push(() => client.disconnect());
    await client.connect().catch(() => undefined);
    for (let probe = 0; probe < 5; probe++) {
      const d = await details({ redis: client });
      expect(d.status).toBe('degraded');
      expect(component(d, 'redis')).toEqual(redisDown('auth_failed'));
      await new Promise((resolve) => setTimeout(resolve, 20 * probe));
    }
    expect(locked.commands()).toBeGreaterThanOrEqual(1);
  });

  it('is down when PostgreSQL refuses connections: failure category, migrations unknown', async () => {
    const port = await freePort();
    const refused = await openPool(`postgresql://postgres@127.0.0.1:${port}/test`);
    closers.push(() => refused.close());
    const d = await details({ db: refused });
    expect(d.status).toBe('down');
    expect(component(d, 'postgres')).toEqual(postgresDown('connection_refused'));
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', status: 'unknown' });
    // Redis is still reported on its own.
    expect(component(d, 'redis').status).toBe('up');
  });

  it('is down when PostgreSQL does not answer within the deadline (timeout)', async () => {
    const silent = await silentServer();
    const stalled = await openPool(`postgresql://postgres@127.0.0.1:${silent.port}/test`);
    // Closers run last-in first-out: drop the stalled sockets first so the pool does not wait for its own timeout.
    closers.push(() => stalled.close().catch(() => undefined));
    closers.push(() => silent.close());
    const d = await details({ db: stalled, timeoutMs: 150 });
    expect(d.status).toBe('down');
    expect(component(d, 'postgres')).toMatchObject({ status: 'down', latency_ms: null, failure: 'timeout' });
  });

  it('is down when PostgreSQL rejects the credentials (auth_failed), never echoing the message', async () => {
    const fake = await rejectingPostgres();
    closers.push(() => fake.close());
    const rejected = await openPool(`postgresql://postgres@127.0.0.1:${fake.port}/test`);
    closers.push(() => rejected.close().catch(() => undefined));
    const d = await details({ db: rejected });
    expect(d.status).toBe('down');
    expect(component(d, 'postgres')).toEqual(postgresDown('auth_failed'));
    expect(JSON.stringify(d)).not.toContain('password authentication failed');
  });

  it('is down without a database, and while draining even with everything up', async () => {
    const none = await details({ db: undefined, dbMode: 'none' });
    expect(none.status).toBe('down');
    expect(component(none, 'postgres')).toEqual(postgresDown('error'));
    expect(component(none, 'migrations')).toEqual({ name: 'migrations', status: 'unknown' });

    const drain = new DrainState();
    drain.start();
    const draining = await details({ drain });
    expect(draining.status).toBe('down');
    expect(draining.draining).toBe(true);
    expect(component(draining, 'postgres').status).toBe('up');
  });

  it('keeps the migrations unknown when the status cannot be read, and categorises other failures as error', async () => {
    // SELECT 1 answers; reading the migration table fails.
    const broken: Database = {
      ...packDb,
      kind: 'postgres',
      query: ((sql: string) =>
        sql === 'SELECT 1'
          ? packDb.query('SELECT 1', [], { operation: 'health_check' })
          : Promise.reject(new Error('relation is gone'))) as Database['query'],
      session: () => Promise.reject(new Error('no session')),
      close: () => Promise.resolve(),
    } as Database;
    const d = await details({ db: broken });
    expect(d.status).toBe('ok');
    expect(component(d, 'migrations')).toEqual({ name: 'migrations', status: 'unknown' });

    const failing = { ...broken, query: () => Promise.reject('plain string failure') } as unknown as Database;
    const f = await details({ db: failing });
    expect(component(f, 'postgres')).toMatchObject({ status: 'down', failure: 'error' });
  });
});
