import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  canonicalIp,
  clientKey,
  createRateLimitRedis,
  LoginThrottle,
  MemoryRateLimiter,
  RateLimiter,
  RedisRateLimiter,
  UTC_DATE_LUA,
  type RateDecision,
  type RedisState,
} from '../../src/security/rate-limit.js';
import { redisUrlForDb } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const REDIS_URL = redisUrlForDb(12);
const admin = new Redis(REDIS_URL);
const toClose: { close(): Promise<void> }[] = [];
const clients: Redis[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const uniquePrefix = (): string => `t${randomBytes(4).toString('hex')}:`;

async function redisNowS(): Promise<number> {
  const [sec, usec] = (await admin.time()).map(Number) as [number, number];
  return sec + usec / 1e6;
}

/** Waits out the last 3 s of a minute (and so of a day), so a test's requests all fall in one window. */
async function awayFromMinuteEnd(): Promise<void> {
  const into = (await redisNowS()) % 60;
  if (into >= 57) await sleep((60 - into) * 1000 + 50);
}

function ymd(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 10).replaceAll('-', '');
}

function recordingLog(): { warn(fields: Record<string, unknown>, message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (_fields, message) => void lines.push(message) };
}

function limiter(options: Partial<ConstructorParameters<typeof RateLimiter>[0]> & { prefix: string }): RateLimiter {
  const l = new RateLimiter({ perMinute: 60, perDay: 10_000, redisUrl: REDIS_URL, ...options });
  toClose.push(l);
  return l;
}

beforeEach(async () => {
  await admin.flushdb();
});

afterEach(async () => {
  for (const c of toClose.splice(0)) await c.close();
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  await admin.quit();
});

describe('clientKey and canonicalIp', () => {
  it.each([
    ['192.0.2.1', 'ip:192.0.2.1'],
    [' 10.1.2.3 ', 'ip:10.1.2.3'],
    ['::ffff:192.0.2.1', 'ip:192.0.2.1'],
    ['::FFFF:c000:0201', 'ip:192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', 'ip:2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', 'ip:2001:db8:1:2::/64'],
    ['2001:db8::1', 'ip:2001:db8::/64'],
    ['2001:db8:0:0:1::', 'ip:2001:db8::/64'],
    ['2001:db8:a:b::', 'ip:2001:db8:a:b::/64'],
    ['::1', 'ip:::/64'],
    ['fe80::1%eth0', 'ip:fe80::/64'],
    ['64:ff9b::192.0.2.1', 'ip:64:ff9b::/64'],
    ['not-an-address', 'ip:unknown'],
    ['', 'ip:unknown'],
  ])('clientKey(%j) = %j', (ip, expected) => {
    expect(clientKey(ip)).toBe(expected);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['::1', '::1'],
    ['x', null],
  ])('canonicalIp(%j) = %j', (ip, expected) => {
    expect(canonicalIp(ip)).toBe(expected);
  });
});

describe('UTC date in Lua', () => {
  it.each([0, 951_782_400, 951_868_799, 1_709_164_800, 1_709_251_199, 1_735_689_599, 1_735_689_600, 4_107_542_400])(
    'utc_ymd(%i) matches the JavaScript UTC date',
    async (sec) => {
      const got = await admin.eval(`${UTC_DATE_LUA}\nreturn utc_ymd(tonumber(ARGV[1]))`, 0, String(sec));
      expect(got).toBe(ymd(sec));
    },
  );
});

describe('RedisRateLimiter', () => {
  function redisLimiter(perMinute: number, perDay: number, prefix: string): RedisRateLimiter {
    const client = createRateLimitRedis(REDIS_URL);
    clients.push(client);
    return new RedisRateLimiter(client, { perMinute, perDay }, prefix);
  }

  it('counts per minute, reports the minute window and denies without consuming budget', async () => {
    await awayFromMinuteEnd();
    const prefix = uniquePrefix();
    const rl = redisLimiter(3, 100, prefix);
    const before = await redisNowS();
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 5; i++) decisions.push(await rl.check('key:7'));
    const after = await redisNowS();

    expect(decisions.map(({ resetS: _r, ...rest }) => rest)).toEqual([
      { allowed: true, limit: 3, remaining: 2 },
      { allowed: true, limit: 3, remaining: 1 },
      { allowed: true, limit: 3, remaining: 0 },
      { allowed: false, limit: 3, remaining: 0, reason: 'minute_limit' },
      { allowed: false, limit: 3, remaining: 0, reason: 'minute_limit' },
    ]);
    // Seconds to the end of the minute, as seen by the Redis clock around the calls.
    for (const d of decisions) {
      expect(d.resetS).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(60 - (after % 60))));
      expect(d.resetS).toBeLessThanOrEqual(Math.ceil(60 - (before % 60)));
      expect(d.resetS).toBeGreaterThanOrEqual(1);
      expect(d.resetS).toBeLessThanOrEqual(60);
    }
    const sec = Math.floor(before);
    const minuteKey = `${prefix}m:key:7:${Math.floor(sec / 60)}`;
    const dayKey = `${prefix}d:key:7:${ymd(sec)}`;
    expect((await admin.keys(`${prefix}*`)).sort()).toEqual([dayKey, minuteKey].sort());
    // Denied requests did not consume: both counters stop at the 3 allowed requests.
    expect(await admin.get(minuteKey)).toBe('3');
    expect(await admin.get(dayKey)).toBe('3');
    const minuteTtl = await admin.ttl(minuteKey);
    expect(minuteTtl).toBeGreaterThan(115);
    expect(minuteTtl).toBeLessThanOrEqual(120);
    const dayTtl = await admin.ttl(dayKey);
    expect(dayTtl).toBeGreaterThan(172_795);
    expect(dayTtl).toBeLessThanOrEqual(172_800);
  });

  it('reports the day window when it has fewer remaining and denies with day_limit', async () => {
    await awayFromMinuteEnd();
    const prefix = uniquePrefix();
    const rl = redisLimiter(10, 3, prefix);
    const before = await redisNowS();
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 4; i++) decisions.push(await rl.check('ip:192.0.2.1'));
    const after = await redisNowS();
    expect(decisions.map(({ resetS: _r, ...rest }) => rest)).toEqual([
      { allowed: true, limit: 3, remaining: 2 },
      { allowed: true, limit: 3, remaining: 1 },
      { allowed: true, limit: 3, remaining: 0 },
      { allowed: false, limit: 3, remaining: 0, reason: 'day_limit' },
    ]);
    for (const d of decisions) {
      expect(d.resetS).toBeGreaterThanOrEqual(Math.ceil(86_400 - (after % 86_400)));
      expect(d.resetS).toBeLessThanOrEqual(Math.ceil(86_400 - (before % 86_400)));
    }
    const sec = Math.floor(before);
    expect(await admin.get(`${prefix}m:ip:192.0.2.1:${Math.floor(sec / 60)}`)).toBe('3');
    expect(await admin.get(`${prefix}d:ip:192.0.2.1:${ymd(sec)}`)).toBe('3');
  });

  it('binds to the minute on a tie and keeps keys apart', async () => {
    await awayFromMinuteEnd();
    const rl = redisLimiter(5, 5, uniquePrefix());
    const first = await rl.check('a');
    expect({ ...first, resetS: first.resetS <= 60 }).toEqual({ allowed: true, limit: 5, remaining: 4, resetS: true });
    const other = await rl.check('b');
    expect(other.remaining).toBe(4);
  });

  it('shares exact counts across three instances: 3 × 40 concurrent checks, limit 100 → exactly 100 allowed', async () => {
    await awayFromMinuteEnd();
    const prefix = uniquePrefix();
    const instances = [0, 1, 2].map(() => limiter({ prefix, perMinute: 100, perDay: 1000 }));
    const start = Math.floor(await redisNowS());
    const decisions = (
      await Promise.all(instances.map((l) => Promise.all(Array.from({ length: 40 }, () => l.check('key:shared')))))
    ).flat();
    expect(instances.map((l) => l.state)).toEqual(['up', 'up', 'up']);
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(100);
    // Every allowed request saw a distinct count: remaining takes each value 99..0 exactly once.
    expect(allowed.map((d) => d.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(decisions.filter((d) => !d.allowed).map((d) => [d.reason, d.remaining])).toEqual(
      Array.from({ length: 20 }, () => ['minute_limit', 0]),
    );
    expect(await admin.get(`${prefix}m:key:shared:${Math.floor(start / 60)}`)).toBe('100');
    expect(await admin.get(`${prefix}d:key:shared:${ymd(start)}`)).toBe('100');
  });
});

describe('MemoryRateLimiter', () => {
  it('uses fixed UTC windows on the local clock', () => {
    let now = Date.UTC(2024, 1, 29, 23, 58, 30, 250);
    const rl = new MemoryRateLimiter({ perMinute: 2, perDay: 3 }, () => now);
    expect(rl.check('k')).toEqual({ allowed: true, limit: 2, remaining: 1, resetS: 30 });
    expect(rl.check('k')).toEqual({ allowed: true, limit: 2, remaining: 0, resetS: 30 });
    expect(rl.check('k')).toEqual({ allowed: false, limit: 2, remaining: 0, resetS: 30, reason: 'minute_limit' });
    now = Date.UTC(2024, 1, 29, 23, 59, 0, 0);
    // Day: 1 remaining vs minute: 2 remaining → the day window binds (60 s to midnight).
    expect(rl.check('k')).toEqual({ allowed: true, limit: 3, remaining: 0, resetS: 60 });
    expect(rl.check('k')).toEqual({ allowed: false, limit: 3, remaining: 0, resetS: 60, reason: 'day_limit' });
    now = Date.UTC(2024, 2, 1, 0, 0, 59, 999);
    expect(rl.check('k')).toEqual({ allowed: true, limit: 2, remaining: 1, resetS: 1 });
  });
});

describe('RateLimiter fallback', () => {
  const fixedNow = (): number => Date.UTC(2024, 5, 1, 12, 0, 10);

  it('falls back to the memory limiter within 250 ms per call when Redis is unreachable', async () => {
    const states: RedisState[] = [];
    const log = recordingLog();
    const rl = limiter({
      prefix: uniquePrefix(),
      redisUrl: 'redis://127.0.0.1:1',
      perMinute: 3,
      log,
      onStateChange: (s) => states.push(s),
      now: fixedNow,
    });
    expect(rl.state).toBe('up');
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      decisions.push(await rl.check('ip:192.0.2.9'));
      expect(performance.now() - t0).toBeLessThan(250);
    }
    expect(decisions).toEqual([
      { allowed: true, limit: 3, remaining: 2, resetS: 50 },
      { allowed: true, limit: 3, remaining: 1, resetS: 50 },
      { allowed: true, limit: 3, remaining: 0, resetS: 50 },
      { allowed: false, limit: 3, remaining: 0, resetS: 50, reason: 'minute_limit' },
      { allowed: false, limit: 3, remaining: 0, resetS: 50, reason: 'minute_limit' },
    ]);
    expect(states).toEqual(['down']);
    expect(log.lines).toEqual(['redis unavailable: rate limiting uses the in-memory limiter of this process']);
    expect(rl.state).toBe('down');
  });

  it('treats a call slower than 250 ms as a failure', async () => {
    // Accepts connections and never answers: every Redis call hangs.
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    try {
      const port = (blackhole.address() as net.AddressInfo).port;
      const states: RedisState[] = [];
      const rl = limiter({
        prefix: uniquePrefix(),
        redisUrl: `redis://127.0.0.1:${port}`,
        perMinute: 3,
        onStateChange: (s) => states.push(s),
        now: fixedNow,
      });
      const t0 = performance.now();
      const decision = await rl.check('k');
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(245);
      expect(elapsed).toBeLessThan(400);
      expect(decision).toEqual({ allowed: true, limit: 3, remaining: 2, resetS: 50 });
      expect(states).toEqual(['down']);
      const t1 = performance.now();
      await rl.check('k');
      expect(performance.now() - t1).toBeLessThan(20);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackhole.close(r));
    }
  });

  it('recovers after a server that accepted but never answered starts answering', async () => {
    const target = new URL(REDIS_URL);
    let answering = false;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      sockets.add(client);
      if (!answering) return; // accepted, never answered
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      sockets.add(upstream);
      for (const s of [client, upstream]) s.on('error', () => [client, upstream].forEach((x) => x.destroy()));
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const states: RedisState[] = [];
    const rl = limiter({
      prefix: uniquePrefix(),
      redisUrl: `redis://127.0.0.1:${port}/12`,
      probeIntervalMs: 50,
      onStateChange: (s) => states.push(s),
    });
    try {
      await rl.check('k');
      expect(states).toEqual(['down']);
      await sleep(100); // a probe is now stuck connecting to the silent server
      answering = true;
      const deadline = Date.now() + 3000;
      while (rl.state !== 'up' && Date.now() < deadline) await sleep(20);
      expect(states).toEqual(['down', 'up']);
    } finally {
      await rl.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('switches to memory when Redis goes away and back to Redis after the probe', async () => {
    await awayFromMinuteEnd();
    const target = new URL(REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    const prefix = uniquePrefix();
    const states: RedisState[] = [];
    const log = recordingLog();
    const rl = limiter({
      prefix,
      redisUrl: `redis://127.0.0.1:${proxy.port}/12`,
      perMinute: 50,
      probeIntervalMs: 50,
      log,
      onStateChange: (s) => states.push(s),
    });
    try {
      const minuteKey = async (): Promise<string | null> =>
        admin.get(`${prefix}m:k:${Math.floor((await redisNowS()) / 60)}`);
      expect((await rl.check('k')).remaining).toBe(49);
      expect(await minuteKey()).toBe('1');

      await proxy.stop();
      // Served by this process's memory limiter, which has seen none of the Redis traffic.
      expect((await rl.check('k')).remaining).toBe(49);
      expect((await rl.check('k')).remaining).toBe(48);
      expect(states).toEqual(['down']);
      expect(await minuteKey()).toBe('1');

      await proxy.start();
      const deadline = Date.now() + 3000;
      while (rl.state !== 'up' && Date.now() < deadline) await sleep(20);
      expect(states).toEqual(['down', 'up']);
      expect((await rl.check('k')).remaining).toBe(48);
      expect(await minuteKey()).toBe('2');
      expect(log.lines).toEqual([
        'redis unavailable: rate limiting uses the in-memory limiter of this process',
        'redis available again: rate limiting uses redis',
      ]);
    } finally {
      await rl.close();
      await proxy.stop();
    }
  });

  it('uses the memory limiter only when no Redis is configured', async () => {
    const states: RedisState[] = [];
    const rl = limiter({
      prefix: uniquePrefix(),
      redisUrl: null,
      perMinute: 1,
      onStateChange: (s) => states.push(s),
      now: fixedNow,
    });
    expect(rl.state).toBe('none');
    expect(rl.redis).toBeNull();
    expect(await rl.check('k')).toEqual({ allowed: true, limit: 1, remaining: 0, resetS: 50 });
    expect(await rl.check('k')).toEqual({ allowed: false, limit: 1, remaining: 0, resetS: 50, reason: 'minute_limit' });
    expect(states).toEqual([]);
  });
});

describe('LoginThrottle', () => {
  it('throttles a /64 after 5 failures within 15 minutes (Redis)', async () => {
    const prefix = uniquePrefix();
    const rl = limiter({ prefix });
    const throttle = new LoginThrottle({ redis: rl.redis, prefix });
    for (let i = 1; i <= 4; i++) {
      expect(await throttle.recordFailure(`2001:db8:1:2::${i}`)).toEqual({ throttled: false, retryAfterS: 0 });
    }
    expect(await throttle.check('2001:db8:1:2::99')).toEqual({ throttled: false, retryAfterS: 0 });
    const fifth = await throttle.recordFailure('2001:db8:1:2:ffff::1');
    expect(fifth.throttled).toBe(true);
    expect(fifth.retryAfterS).toBeGreaterThanOrEqual(899);
    expect(fifth.retryAfterS).toBeLessThanOrEqual(900);
    const again = await throttle.check('2001:db8:1:2::7');
    expect(again.throttled).toBe(true);
    expect(again.retryAfterS).toBeGreaterThanOrEqual(899);
    expect(again.retryAfterS).toBeLessThanOrEqual(900);
    // Another /64 and an IPv4 client are unaffected.
    expect(await throttle.check('2001:db8:1:3::1')).toEqual({ throttled: false, retryAfterS: 0 });
    expect(await throttle.check('192.0.2.1')).toEqual({ throttled: false, retryAfterS: 0 });
    expect(await admin.get(`${prefix}login:ip:2001:db8:1:2::/64`)).toBe('5');
    expect(await admin.ttl(`${prefix}login:ip:2001:db8:1:2::/64`)).toBeGreaterThanOrEqual(899);
  });

  it('throttles in memory when Redis is not configured, until the window expires', async () => {
    let now = Date.UTC(2024, 0, 1, 8, 0, 0);
    const throttle = new LoginThrottle({ redis: null, prefix: 'rate:', now: () => now });
    for (let i = 0; i < 4; i++) await throttle.recordFailure('::ffff:198.51.100.4');
    now += 60_000;
    expect(await throttle.recordFailure('198.51.100.4')).toEqual({ throttled: true, retryAfterS: 840 });
    now += 839_500;
    expect(await throttle.check('198.51.100.4')).toEqual({ throttled: true, retryAfterS: 1 });
    now += 500;
    expect(await throttle.check('198.51.100.4')).toEqual({ throttled: false, retryAfterS: 0 });
  });
});
