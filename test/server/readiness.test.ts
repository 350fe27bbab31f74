import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPackDatabase } from '../support/shared-postgres.js';
import { freePort, startServer, type ServerProcess } from '../support/server-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { TEST_REDIS_URL } from '../support/services.js';

let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
let server: ServerProcess;

async function readyStatus(url: string): Promise<number> {
  const res = await fetch(`${url}/health/ready`);
  const body = await res.text();
  expect(body).toBe(res.status === 200 ? '{"status":"ready"}' : '{"status":"not_ready"}');
  return res.status;
}

async function waitFor(url: string, status: number, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await readyStatus(url)) === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`readiness did not become ${status} within ${timeoutMs} ms`);
}

beforeAll(async () => {
  const dbUrl = new URL(await sharedPackDatabase());
  pgProxy = new TcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
  await pgProxy.start();
  const redisUrl = new URL(TEST_REDIS_URL);
  redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  await redisProxy.start();
  dbUrl.port = String(pgProxy.port);
  server = await startServer({
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}/10`,
    PERF_POOL_MIN: '1',
    PERF_POOL_TIMEOUT: '2',
  });
}, 180_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await pgProxy?.stop();
  await redisProxy?.stop();
});

describe('readiness follows the dependencies', () => {
  it('is 200 while Postgres and Redis answer', async () => {
    expect(await readyStatus(server.url)).toBe(200);
  });

  it('turns 503 when Postgres goes away and 200 when it is back; liveness stays 200', async () => {
    await pgProxy.stop();
    await waitFor(server.url, 503);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    await pgProxy.start();
    await waitFor(server.url, 200);
  });

  it('turns 503 when Redis goes away and 200 when it is back', async () => {
    await redisProxy.stop();
    await waitFor(server.url, 503);
    await redisProxy.start();
    await waitFor(server.url, 200, 20_000);
  });
});

describe('a server whose DATABASE_URL points at a closed port', () => {
  it('starts, stays not ready and keeps answering liveness', async () => {
    const closedPort = await freePort();
    const s = await startServer(
      { DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/test`, PERF_POOL_TIMEOUT: '1' },
      { waitReady: false },
    );
    try {
      const deadline = Date.now() + 60_000;
      let live = 0;
      while (Date.now() < deadline && live !== 200) {
        live = await fetch(`${s.url}/health/live`).then(
          (r) => r.status,
          () => 0,
        );
        if (live !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(live).toBe(200);
      expect(await readyStatus(s.url)).toBe(503);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await readyStatus(s.url)).toBe(503);
    } finally {
      await s.stop('SIGKILL');
    }
  });
});
