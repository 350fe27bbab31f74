/**
 * Rate limiting of service spec §3.7 and login throttling of §2.4.
 *
 * Fixed windows aligned to the UTC minute and UTC day. With Redis, one Lua script per request reads both counters,
 * denies when either is at its limit and otherwise increments both, using the Redis server clock, so every worker and
 * instance shares exact counts. Without Redis (or while it is down) an in-memory limiter with the same limits applies
 * per process. Nothing here touches metrics or readiness: the app receives state changes through `onStateChange`.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface RateDecision {
  allowed: boolean;
  /** Limit of the binding window (the one with fewer remaining; ties → minute). */
  limit: number;
  remaining: number;
  /** Whole seconds (≥ 1) until the binding window resets: `X-RateLimit-Reset` and, on 429, `Retry-After`. */
  resetS: number;
  /** Set only when denied. */
  reason?: 'minute_limit' | 'day_limit';
}

export interface RateLimits {
  perMinute: number;
  perDay: number;
}

export interface RateLimitLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export type RedisState = 'up' | 'down';

const MINUTE_TTL_S = 120;
const DAY_TTL_S = 48 * 3600;
const DEFAULT_CALL_TIMEOUT_MS = 250;
const DEFAULT_PROBE_INTERVAL_MS = 5000;
/** The client's connectTimeout: a probe may take that long to open a connection. */
const PROBE_CONNECT_TIMEOUT_MS = 1000;
/** Bound on keys the in-memory limiters track; evicting the least recently used only forgets an old counter. */
const MEMORY_MAX_KEYS = 100_000;

// ---------------------------------------------------------------------------------------------------------------------
// Client keys

/** The 8 groups of a valid IPv6 address (zone id removed, embedded IPv4 converted), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (net.isIPv6(text) === false) return null;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (net.isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it carries, else null. */
function mappedIpv4(groups: readonly number[]): string | null {
  if (groups.slice(0, 5).some((g) => g !== 0) || groups[5] !== 0xffff) return null;
  const hi = groups[6]!;
  const lo = groups[7]!;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** RFC 5952 text of 8 groups (WHATWG URL host serialisation implements exactly that compression). */
function formatIpv6(groups: readonly number[]): string {
  return new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

/**
 * The canonical form of an address: IPv4 dotted quad (IPv4-mapped IPv6 included) or compressed lower-case IPv6;
 * null when `ip` is not an address.
 */
export function canonicalIp(ip: string): string | null {
  const trimmed = ip.trim();
  if (net.isIPv4(trimmed)) return trimmed;
  const groups = ipv6Groups(trimmed);
  if (groups === null) return null;
  return mappedIpv4(groups) ?? formatIpv6(groups);
}

/**
 * Rate-limit key of an unauthenticated client: `ip:<IPv4>` or `ip:<IPv6 /64 prefix>/64` (one subscriber usually owns a
 * whole /64, so per-address keys would be trivially evaded). Unparsable input shares the single key `ip:unknown`.
 */
export function clientKey(ip: string): string {
  const trimmed = ip.trim();
  if (net.isIPv4(trimmed)) return `ip:${trimmed}`;
  const groups = ipv6Groups(trimmed);
  if (groups === null) return 'ip:unknown';
  const v4 = mappedIpv4(groups);
  if (v4 !== null) return `ip:${v4}`;
  return `ip:${formatIpv6([...groups.slice(0, 4), 0, 0, 0, 0])}/64`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Decisions

function decide(
  allowed: boolean,
  minuteCount: number,
  dayCount: number,
  limits: RateLimits,
  minuteResetS: number,
  dayResetS: number,
): RateDecision {
  const minuteRemaining = Math.max(0, limits.perMinute - minuteCount);
  const dayRemaining = Math.max(0, limits.perDay - dayCount);
  const minuteBinds = minuteRemaining <= dayRemaining;
  const decision: RateDecision = {
    allowed,
    limit: minuteBinds ? limits.perMinute : limits.perDay,
    remaining: minuteBinds ? minuteRemaining : dayRemaining,
    resetS: minuteBinds ? minuteResetS : dayResetS,
  };
  if (!allowed) decision.reason = minuteBinds ? 'minute_limit' : 'day_limit';
  return decision;
}

/** Whole seconds (≥ 1) from `nowUs` (microseconds since the epoch) to the end of its `windowS`-long window. */
function secondsToWindowEnd(nowUs: number, windowS: number): number {
  const windowUs = windowS * 1_000_000;
  const leftUs = windowUs - (nowUs % windowUs);
  return Math.max(1, Math.ceil(leftUs / 1_000_000));
}

function validateLimits(limits: RateLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Redis

/** Lua function `utc_ymd(epoch_seconds)` → `YYYYMMDD` of the UTC date (days-to-civil algorithm of H. Hinnant). */
export const UTC_DATE_LUA = `
local function utc_ymd(sec)
  local z = math.floor(sec / 86400) + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp < 10 and mp + 3 or mp - 9
  local year = yoe + era * 400
  if month <= 2 then year = year + 1 end
  return string.format('%04d%02d%02d', year, month, day)
end
`;

/**
 * ARGV: prefix, key, per-minute limit, per-day limit. Returns {allowed 0|1, minute count, day count, TIME seconds,
 * TIME microseconds}; counts are after the increment when allowed, unchanged when denied.
 */
const RATE_LIMIT_LUA = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
${UTC_DATE_LUA}
local prefix = ARGV[1]
local key = ARGV[2]
local per_minute = tonumber(ARGV[3])
local per_day = tonumber(ARGV[4])
local t = redis.call('TIME')
local sec = tonumber(t[1])
local usec = tonumber(t[2])
local mkey = prefix .. 'm:' .. key .. ':' .. string.format('%d', math.floor(sec / 60))
local dkey = prefix .. 'd:' .. key .. ':' .. utc_ymd(sec)
local m = tonumber(redis.call('GET', mkey) or '0')
local d = tonumber(redis.call('GET', dkey) or '0')
if m >= per_minute or d >= per_day then
  return {0, m, d, sec, usec}
end
m = redis.call('INCR', mkey)
if m == 1 then redis.call('EXPIRE', mkey, ${MINUTE_TTL_S}) end
d = redis.call('INCR', dkey)
if d == 1 then redis.call('EXPIRE', dkey, ${DAY_TTL_S}) end
return {1, m, d, sec, usec}
`;

/** ARGV: key, window seconds. Counts one failure; the window starts at the first failure. Returns {count, ttl}. */
const LOGIN_FAILURE_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return {n, redis.call('TTL', KEYS[1])}
`;

interface ScriptedRedis {
  qnwisRateLimit(prefix: string, key: string, perMinute: number, perDay: number): Promise<number[]>;
  qnwisLoginFailure(key: string, windowS: number): Promise<number[]>;
}

/** A client with the fail-fast options of §3.7: no offline queue, short timeouts, reconnects driven by the probe. */
export function createRateLimitRedis(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_CONNECT_TIMEOUT_MS,
    commandTimeout: DEFAULT_CALL_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A hung server ignores the FIN of a disconnect: destroy the socket soon instead of after ioredis' 2 s default.
    disconnectTimeout: DEFAULT_CALL_TIMEOUT_MS,
    // No background reconnect loop: the limiter's probe reconnects every few seconds while Redis is down.
    retryStrategy: () => null,
  });
  // State changes are logged by the limiter; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  return client;
}

const connecting = new WeakMap<Redis, Promise<void>>();

/** With lazyConnect and no offline queue, commands fail unless the connection is ready: (re)connect explicitly. */
async function ensureReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  let pending = connecting.get(client);
  if (pending === undefined) {
    if (client.status !== 'wait' && client.status !== 'end' && client.status !== 'close') {
      throw new Error(`redis connection is ${client.status}`);
    }
    pending = client.connect().finally(() => connecting.delete(client));
    connecting.set(client, pending);
  }
  await pending;
}

function scripted(client: Redis): ScriptedRedis {
  const c = client as Redis & Partial<ScriptedRedis>;
  if (c.qnwisRateLimit === undefined) {
    client.defineCommand('qnwisRateLimit', { numberOfKeys: 0, lua: RATE_LIMIT_LUA });
    client.defineCommand('qnwisLoginFailure', { numberOfKeys: 1, lua: LOGIN_FAILURE_LUA });
  }
  return client as Redis & ScriptedRedis;
}

/** Shared counters in Redis: exact across workers and instances. Throws on any Redis error. */
export class RedisRateLimiter {
  private readonly redis: ScriptedRedis;

  constructor(
    private readonly client: Redis,
    private readonly limits: RateLimits,
    private readonly prefix: string,
  ) {
    validateLimits(limits);
    this.redis = scripted(client);
  }

  async check(key: string): Promise<RateDecision> {
    await ensureReady(this.client);
    const reply = await this.redis.qnwisRateLimit(this.prefix, key, this.limits.perMinute, this.limits.perDay);
    const [allowed, minuteCount, dayCount, sec, usec] = reply.map(Number) as [number, number, number, number, number];
    const nowUs = sec * 1_000_000 + usec;
    return decide(
      allowed === 1,
      minuteCount,
      dayCount,
      this.limits,
      secondsToWindowEnd(nowUs, 60),
      secondsToWindowEnd(nowUs, 86_400),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Memory

interface MemoryCounters {
  minute: number;
  minuteCount: number;
  day: number;
  dayCount: number;
}

/** The same fixed UTC windows on the local clock; counts are per process. */
export class MemoryRateLimiter {
  private readonly counters = new LRUCache<string, MemoryCounters>({ max: MEMORY_MAX_KEYS });

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    validateLimits(limits);
  }

  check(key: string): RateDecision {
    const nowMs = this.now();
    const minute = Math.floor(nowMs / 60_000);
    const day = Math.floor(nowMs / 86_400_000);
    const c = this.counters.get(key) ?? { minute, minuteCount: 0, day, dayCount: 0 };
    if (c.minute !== minute) Object.assign(c, { minute, minuteCount: 0 });
    if (c.day !== day) Object.assign(c, { day, dayCount: 0 });
    const allowed = c.minuteCount < this.limits.perMinute && c.dayCount < this.limits.perDay;
    if (allowed) {
      c.minuteCount += 1;
      c.dayCount += 1;
    }
    this.counters.set(key, c);
    const nowUs = nowMs * 1000;
    return decide(
      allowed,
      c.minuteCount,
      c.dayCount,
      this.limits,
      secondsToWindowEnd(nowUs, 60),
      secondsToWindowEnd(nowUs, 86_400),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Redis with fallback

export interface RedisDependencyOptions {
  url: string;
  log?: RateLimitLogger;
  /** Called on every change of state (never for the initial 'up'): drives `qnwis_dependency_up` and readiness. */
  onStateChange?: (state: RedisState) => void;
  /** How often a down Redis is probed (default 5000 ms). */
  probeIntervalMs?: number;
  /** A call slower than this counts as a failure (default 250 ms). */
  callTimeoutMs?: number;
}

class CallTimeout extends Error {
  constructor(ms: number) {
    super(`redis call exceeded ${ms} ms`);
    this.name = 'CallTimeout';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A late rejection of the abandoned call must not surface as unhandled.
  promise.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One Redis connection with the failover rules of §3.7: an error or a call slower than `callTimeoutMs` marks it down
 * (callers then use their memory fallback), and an unref'd probe every `probeIntervalMs` marks it up again.
 * Shared by the rate limiter and the login throttle of one process.
 */
export class RedisDependency {
  readonly client: Redis;
  private current: RedisState = 'up';
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private closed = false;
  private readonly probeIntervalMs: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly options: RedisDependencyOptions) {
    this.client = createRateLimitRedis(options.url);
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  get state(): RedisState {
    return this.current;
  }

  /** Runs `op` against Redis while it is up; `undefined` when Redis is down or the call fails (now marked down). */
  async run<T>(op: (client: Redis) => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.current === 'down' || this.closed) return undefined;
    try {
      const value = await withTimeout(
        (async () => {
          await ensureReady(this.client);
          return op(this.client);
        })(),
        this.callTimeoutMs,
      );
      return { value };
    } catch (err) {
      this.markDown(err);
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopProbe();
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    this.client.disconnect();
  }

  private markDown(err: unknown): void {
    if (this.current === 'down' || this.closed) return;
    this.current = 'down';
    // Drop a half-open or slow connection so the probe starts from a fresh one.
    if (this.client.status !== 'end' && this.client.status !== 'wait') this.client.disconnect();
    this.options.log?.warn(
      { dependency: 'redis', state: 'down', err: err instanceof Error ? err.message : String(err) },
      'redis unavailable: rate limiting uses the in-memory limiter of this process',
    );
    this.options.onStateChange?.('down');
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      // Connecting may take up to the client's connectTimeout; a server that accepts but never answers must not
      // leave the probe waiting forever.
      await withTimeout(ensureReady(this.client), PROBE_CONNECT_TIMEOUT_MS);
      await withTimeout(this.client.ping(), this.callTimeoutMs);
    } catch {
      if (this.client.status !== 'end' && this.client.status !== 'wait') this.client.disconnect();
      this.probing = false;
      return;
    }
    this.probing = false;
    if (this.closed || this.current === 'up') return;
    this.stopProbe();
    this.current = 'up';
    this.options.log?.warn({ dependency: 'redis', state: 'up' }, 'redis available again: rate limiting uses redis');
    this.options.onStateChange?.('up');
  }

  private stopProbe(): void {
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }
}

export interface RateLimiterOptions extends RateLimits {
  /** `RATE_LIMIT_REDIS_PREFIX`. */
  prefix: string;
  /** `REDIS_URL`; null or absent → in-memory limiter only, and no state changes are ever reported. */
  redisUrl?: string | null;
  log?: RateLimitLogger;
  onStateChange?: (state: RedisState) => void;
  probeIntervalMs?: number;
  callTimeoutMs?: number;
  /** Local clock of the memory limiter (tests). */
  now?: () => number;
}

/** The process's limiter: Redis when configured and up, otherwise the in-memory limiter with the same limits. */
export class RateLimiter {
  /** Null when no Redis is configured; pass it to LoginThrottle so both share one connection and one state. */
  readonly redis: RedisDependency | null;
  private readonly shared: RedisRateLimiter | null;
  private readonly memory: MemoryRateLimiter;

  constructor(options: RateLimiterOptions) {
    const limits = { perMinute: options.perMinute, perDay: options.perDay };
    this.memory = new MemoryRateLimiter(limits, options.now);
    if (options.redisUrl) {
      this.redis = new RedisDependency({
        url: options.redisUrl,
        ...(options.log === undefined ? {} : { log: options.log }),
        ...(options.onStateChange === undefined ? {} : { onStateChange: options.onStateChange }),
        ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
        ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
      });
      this.shared = new RedisRateLimiter(this.redis.client, limits, options.prefix);
    } else {
      this.redis = null;
      this.shared = null;
    }
  }

  /** `none` when no Redis is configured (readiness unaffected). */
  get state(): RedisState | 'none' {
    return this.redis?.state ?? 'none';
  }

  async check(key: string): Promise<RateDecision> {
    if (this.redis !== null && this.shared !== null) {
      const shared = this.shared;
      const result = await this.redis.run(() => shared.check(key));
      if (result !== undefined) return result.value;
    }
    return this.memory.check(key);
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Login throttling (§2.4)

export interface LoginThrottleOptions {
  /** The rate limiter's RedisDependency (shared connection and state), or null for memory only. */
  redis: RedisDependency | null;
  prefix: string;
  /** Failures allowed per window (default 5). */
  maxFailures?: number;
  /** Window length from the first failure (default 900 s). */
  windowS?: number;
  now?: () => number;
}

export interface LoginThrottleState {
  throttled: boolean;
  /** Whole seconds (≥ 1) until the failure window expires; 0 when not throttled. */
  retryAfterS: number;
}

/** Failed logins per client address (IPv6 aggregated to /64): `maxFailures` within `windowS` throttles the address. */
export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly windowS: number;
  private readonly now: () => number;
  private readonly memory: LRUCache<string, { count: number; expiresAtMs: number }>;

  constructor(private readonly options: LoginThrottleOptions) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowS = options.windowS ?? 900;
    this.now = options.now ?? Date.now;
    this.memory = new LRUCache({ max: MEMORY_MAX_KEYS });
  }

  /** Whether a login attempt from `ip` must be refused with 429 `login_throttled`. */
  async check(ip: string): Promise<LoginThrottleState> {
    const key = this.key(ip);
    const shared = await this.options.redis?.run(async (client) => {
      const [count, ttl] = await Promise.all([client.get(key), client.ttl(key)]);
      return { count: Number(count ?? 0), ttl };
    });
    if (shared !== undefined) return this.state(shared.value.count, shared.value.ttl);
    const entry = this.memoryEntry(key);
    return entry === undefined ? this.state(0, 0) : this.state(entry.count, this.memoryTtl(entry));
  }

  /** Counts one failed login from `ip` and returns the resulting state. */
  async recordFailure(ip: string): Promise<LoginThrottleState> {
    const key = this.key(ip);
    const windowS = this.windowS;
    const shared = await this.options.redis?.run(async (client) => {
      const [count, ttl] = (await scripted(client).qnwisLoginFailure(key, windowS)).map(Number) as [number, number];
      return { count, ttl };
    });
    if (shared !== undefined) return this.state(shared.value.count, shared.value.ttl);
    const entry = this.memoryEntry(key) ?? { count: 0, expiresAtMs: this.now() + windowS * 1000 };
    entry.count += 1;
    this.memory.set(key, entry);
    return this.state(entry.count, this.memoryTtl(entry));
  }

  private key(ip: string): string {
    return `${this.options.prefix}login:${clientKey(ip)}`;
  }

  private memoryEntry(key: string): { count: number; expiresAtMs: number } | undefined {
    const entry = this.memory.get(key);
    if (entry !== undefined && entry.expiresAtMs <= this.now()) {
      this.memory.delete(key);
      return undefined;
    }
    return entry;
  }

  private memoryTtl(entry: { expiresAtMs: number }): number {
    return Math.ceil((entry.expiresAtMs - this.now()) / 1000);
  }

  private state(count: number, ttlS: number): LoginThrottleState {
    const throttled = count >= this.maxFailures;
    return { throttled, retryAfterS: throttled ? Math.max(1, ttlS) : 0 };
  }
}
