/**
 * Security across processes (service spec §3.7): three instances share one Redis limit exactly; with Redis gone the
 * per-process fallback serves, readiness reports 503 and details 'degraded'; when Redis returns, shared limits resume.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { ApiKeyStore } from '../../src/security/api-keys.js';
import { createScratch, type Scratch } from '../db/support.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { TEST_SECRETS } from '../support/security.js';
import { redisUrlForDb, TEST_REDIS_URL } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const REDIS_DB = 14;
const PREFIX = 'qnwis:rl:test:';
let scratch: Scratch;
let redis: Redis;
let keys: { analyst: string; admin: string };

function securedEnv(extra: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: scratch.url!,
    QNWIS_BYPASS_AUTH: 'false',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_REDIS_PREFIX: PREFIX,
    PERF_POOL_MIN: '1',
    ...TEST_SECRETS,
    ...extra,
  };
}

/** Waits until at least `needS` seconds remain in the current UTC minute (counts must not straddle a window). */
async function awayFromMinuteEnd(needS: number): Promise<void> {
  const leftMs = 60_000 - (Date.now() % 60_000);
  if (leftMs < needS * 1000) await new Promise((r) => setTimeout(r, leftMs + 250));
}

beforeAll(async () => {
  scratch = await createScratch('postgres');
  await migrate(scratch.db, { appVersion: 'test' });
  const store = new ApiKeyStore({ db: scratch.db, pepper: TEST_SECRETS.QNWIS_API_KEY_PEPPER! });
  keys = {
    analyst: (await store.create({ label: 'limited', roles: ['analyst'] })).key,
    admin: (await store.create({ label: 'operator', roles: ['admin'] })).key,
  };
  redis = new Redis(redisUrlForDb(REDIS_DB));
  await redis.flushdb();
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await scratch?.cleanup();
});

describe('three instances, one Redis', () => {
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    servers = await Promise.all(
      [0, 1, 2].map(() =>
        startServer(securedEnv({ REDIS_URL: redisUrlForDb(REDIS_DB), RATE_LIMIT_REQUESTS_PER_MINUTE: '100' })),
      ),
    );
  }, 180_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  });

  it('3 × 40 requests for one key with a limit of 100 per minute: exactly 100 allowed', async () => {
    await awayFromMinuteEnd(20);
    const statuses = await Promise.all(
      servers.flatMap((s) =>
        Array.from({ length: 40 }, async () => {
          const res = await fetch(`${s.url}/api/v1/queries`, { headers: { 'x-api-key': keys.analyst } });
          const body = await res.text();
          if (res.status === 429) {
            expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
            expect(JSON.parse(body)).toMatchObject({ error: { code: 'rate_limited', reason: 'minute_limit' } });
          }
          expect(res.headers.get('x-ratelimit-limit')).toBe('100');
          return res.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});

describe('Redis down and back', () => {
  let proxy: TcpProxy;
  let server: ServerProcess;
  const headers = (): Record<string, string> => ({ 'x-api-key': keys.admin });
  const minuteCount = async (): Promise<number> => {
    const found = await redis.keys(`${PREFIX}m:key:*`);
    const adminId = keys.admin.split('_')[1]!;
    const mine = found.filter((k) => k.includes(adminId));
    return mine.length === 0 ? 0 : Number(await redis.get(mine.sort().at(-1)!));
  };

  beforeAll(async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    server = await startServer(
      securedEnv({ REDIS_URL: `redis://127.0.0.1:${proxy.port}/${REDIS_DB}`, RATE_LIMIT_REQUESTS_PER_MINUTE: '1000' }),
    );
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await proxy?.stop();
  });

  it('falls back per process, reports not-ready and degraded, and resumes shared counting', async () => {
    await awayFromMinuteEnd(40);
    const before = await minuteCount();
    expect((await fetch(`${server.url}/api/v1/queries`, { headers: headers() })).status).toBe(200);
    expect(await minuteCount()).toBe(before + 1);

    await proxy.stop();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/api/v1/queries`, { headers: headers() });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
      const run = await fetch(`${server.url}/api/v1/queries/syn_attrition_by_sector_latest/run`, {
        method: 'POST',
        headers: { ...headers(), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(run.status).toBe(200);
      expect(((await run.json()) as { rows: unknown[] }).rows).toHaveLength(10);
    }
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i++) {
      ready = (await fetch(`${server.url}/health/ready`)).status;
      if (ready === 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(503);
    const details = (await (await fetch(`${server.url}/api/v1/health/details`, { headers: headers() })).json()) as {
      status: string;
      components: { name: string; status?: string; backend?: string }[];
    };
    expect(details.status).toBe('degraded');
    expect(details.components.find((c) => c.name === 'redis')?.status).toBe('down');
    expect(details.components.find((c) => c.name === 'rate_limiter')?.backend).toBe('memory');
    expect(await minuteCount()).toBe(before + 1);

    await proxy.start();
    let resumed = false;
    for (let i = 0; i < 60 && !resumed; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const count = await minuteCount();
      expect((await fetch(`${server.url}/api/v1/queries`, { headers: headers() })).status).toBe(200);
      resumed = (await minuteCount()) > count;
    }
    expect(resumed).toBe(true);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    expect(server.proc.exitCode).toBeNull();
  }, 60_000);
});
