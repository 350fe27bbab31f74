import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkAppConfig,
  closestVariable,
  editDistance,
  ensureDevSecrets,
  maskConfig,
  resolveAppConfig,
  type AppConfig,
} from '../../src/config/app-config.js';
import { ConfigError, type RawEnv } from '../../src/config/resolve.js';
import { resolveDataConfig } from '../../src/config/data-config.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-app-config-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCounter = 0;
function freshDir(): string {
  const dir = path.join(tmpRoot, `case-${++tmpCounter}`);
  fs.mkdirSync(dir);
  return dir;
}

const CWD = '/srv/qnwis';
const resolve = (env: RawEnv, cpuCount = 4) => resolveAppConfig(env, { cwd: CWD, cpuCount });

/** The ConfigError lines of an environment that must be refused. */
function problemsOf(env: RawEnv, cpuCount = 4): string[] {
  try {
    resolve(env, cpuCount);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const SECRET_A = 'a'.repeat(40);
const SECRET_B = 'b'.repeat(40);
const SECRET_C = 'c'.repeat(40);
const SECRET_D = 'd'.repeat(40);

/** A production environment that passes every guardrail. */
const PROD_OK: Record<string, string> = {
  QNWIS_ENV: 'prod',
  DATABASE_URL: 'postgresql://qnwis:pg-pass-1234@db.internal:5432/qnwis?sslmode=require',
  REDIS_URL: 'rediss://:redis-pass-5678@cache.internal:6380/0',
  CSRF_SECRET: SECRET_A,
  SESSION_SECRET: SECRET_B,
  QNWIS_API_KEY_PEPPER: SECRET_C,
  QNWIS_AUDIT_HMAC_KEY: SECRET_D,
};

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('defaults', () => {
  it('an empty environment resolves to the documented defaults (dev, embedded)', () => {
    const { config, warnings } = resolve({});
    expect(warnings).toEqual([]);
    const expected: AppConfig = {
      env: 'dev',
      host: '0.0.0.0',
      port: 8000,
      metricsPort: undefined,
      webConcurrency: 1,
      gracefulTimeoutS: 30,
      keepAliveTimeoutS: 5,
      requestTimeoutS: 120,
      version: PACKAGE_VERSION,
      stateDir: '/srv/qnwis/var',
      dbMode: 'auto',
      database: { mode: 'embedded', dir: '/srv/qnwis/var/pglite' },
      logLevel: 'info',
      enableDocs: false,
      bypassAuth: false,
      pool: { min: 2, max: 10, timeoutS: 30 },
      dbStatementTimeoutMs: 30000,
      readyTimeoutMs: 1000,
      redisUrl: undefined,
      secrets: {
        csrf: undefined,
        csrfPrevious: undefined,
        session: undefined,
        sessionPrevious: undefined,
        apiKeyPepper: undefined,
        apiKeyPepperPrevious: undefined,
        auditHmacKey: undefined,
        jwtSecret: undefined,
      },
      session: { idleTimeoutS: 1800, absoluteTimeoutS: 28800 },
      allowedOrigins: [],
      trustedProxies: [],
      requireHttps: true,
      healthAllowCidrs: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
      metricsAllowCidrs: ['127.0.0.0/8', '::1/128'],
      maxBodyBytes: 1048576,
      rateLimit: { enabled: true, perMinute: 60, perDay: 10000, redisPrefix: 'rate:' },
      jwt: {
        mode: 'off',
        jwksFile: undefined,
        jwksUrl: undefined,
        issuer: undefined,
        audience: undefined,
        leewayS: 30,
      },
      pagination: { autoThreshold: 2000, defaultPageSize: 500, maxPageSize: 5000 },
      briefingTtlS: 300,
      webDist: '/srv/qnwis/dist/web',
      testHooks: false,
      clockDate: undefined,
      ingestOnStart: true,
      smoke: { url: undefined, apiKey: undefined },
      data: {
        env: 'dev',
        queriesDir: '/srv/qnwis/data/queries',
        catalogPath: '/srv/qnwis/data/catalog/datasets.yaml',
        dataDir: '/srv/qnwis/data/lmis',
        worldBankDir: '/srv/qnwis/data/world_bank',
        worldBankOnline: false,
        worldBankBaseUrl: 'https://api.worldbank.org/v2',
        databaseUrl: undefined,
        readonlyDatabaseUrl: undefined,
        redisUrl: undefined,
        defaultCacheTtlS: 3600,
        cacheMaxEntries: 1000,
        cacheMaxBytes: 67108864,
        warmCache: false,
        warmQueries: ['syn_employment_latest_total', 'syn_attrition_hotspots_latest', 'syn_qatarization_gap_latest'],
        warmMaxWorkers: 4,
        transformTrace: false,
      },
    };
    expect(config).toStrictEqual(expected);
  });

  it('an empty value counts as unset and explicit values override defaults', () => {
    const { config } = resolve({
      PORT: '',
      HOST: '127.0.0.1',
      METRICS_PORT: '9100',
      LOG_LEVEL: 'debug',
      QNWIS_VERSION: '1.2.3+abc',
      QNWIS_CLOCK_DATE: '2024-02-29',
      QNWIS_BRIEFING_TTL_S: '60',
      QNWIS_SMOKE_URL: 'https://qnwis.example.org',
    });
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.metricsPort).toBe(9100);
    expect(config.logLevel).toBe('debug');
    expect(config.version).toBe('1.2.3+abc');
    expect(config.clockDate).toBe('2024-02-29');
    expect(config.briefingTtlS).toBe(60);
    expect(config.smoke).toEqual({ url: 'https://qnwis.example.org', apiKey: undefined });
  });

  it('rejects malformed scalar values with one line each, all together', () => {
    expect(
      problemsOf({
        HOST: 'localhost',
        PORT: '70000',
        WEB_CONCURRENCY: 'two',
        LOG_LEVEL: 'verbose',
        QNWIS_CLOCK_DATE: '2023-02-29',
        HEALTH_ALLOW_CIDRS: '10.0.0.0/8, 10.0.0.1',
        ALLOWED_ORIGINS: 'https://a.example/',
        RATE_LIMIT_REDIS_PREFIX: 'rate limit',
        QNWIS_SMOKE_API_KEY: 'not-a-key',
      }),
    ).toEqual([
      'config error: HOST: must be an IPv4 or IPv6 address',
      'config error: PORT: must be between 1 and 65535',
      'config error: WEB_CONCURRENCY: must be an integer',
      'config error: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      'config error: QNWIS_CLOCK_DATE: must be a calendar date YYYY-MM-DD',
      'config error: ALLOWED_ORIGINS: entry 1 ("https://a.example/") is not an origin like https://host[:port] (lower case, no path, no default port)',
      'config error: HEALTH_ALLOW_CIDRS: entry 2 ("10.0.0.1") is not a CIDR (address/prefix)',
      'config error: RATE_LIMIT_REDIS_PREFIX: must match ^[A-Za-z0-9:_-]{1,64}$',
      'config error: QNWIS_SMOKE_API_KEY: must be an API key `qnwis_<12 hex>_<43 base64url>`',
    ]);
  });

  it('a short secret is refused in every environment', () => {
    expect(problemsOf({ CSRF_SECRET: 'short', SESSION_SECRET_PREVIOUS: 'x'.repeat(31) })).toEqual([
      'config error: CSRF_SECRET: must be at least 32 characters',
      'config error: SESSION_SECRET_PREVIOUS: must be at least 32 characters',
    ]);
  });
});

describe('booleans and lists', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['yes', true],
    ['YES', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    ['No', false],
    [' yes ', true],
  ])('QNWIS_ENABLE_DOCS=%j resolves to %s', (text, expected) => {
    expect(resolve({ QNWIS_ENABLE_DOCS: text }).config.enableDocs).toBe(expected);
  });

  it.each(['on', 'off', 'y', '2', 'enabled'])('QNWIS_ENABLE_DOCS=%j is a config error', (text) => {
    expect(problemsOf({ QNWIS_ENABLE_DOCS: text })).toEqual([
      'config error: QNWIS_ENABLE_DOCS: must be one of true, false, 1, 0, yes, no',
    ]);
  });

  it('lists are split on commas with whitespace trimmed and empty items dropped', () => {
    const { config } = resolve({
      ALLOWED_ORIGINS: ' https://a.example , http://localhost:3000 ,, ',
      TRUSTED_PROXIES: '10.0.0.1,  172.16.0.0/12 ,::1',
      METRICS_ALLOW_CIDRS: ' 10.1.0.0/16 ',
      QNWIS_WARM_QUERIES: ' q_one, q_two ,q_three,',
    });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
    expect(config.trustedProxies).toEqual(['10.0.0.1', '172.16.0.0/12', '::1']);
    expect(config.metricsAllowCidrs).toEqual(['10.1.0.0/16']);
    expect(config.data.warmQueries).toEqual(['q_one', 'q_two', 'q_three']);
  });
});

describe('cross-field rules', () => {
  it.each<[string, RawEnv, string]>([
    ['METRICS_PORT = PORT', { PORT: '9000', METRICS_PORT: '9000' }, 'METRICS_PORT: must differ from PORT'],
    ['PERF_POOL_MIN > MAX', { PERF_POOL_MIN: '11' }, 'PERF_POOL_MIN: must not exceed PERF_POOL_MAX (10)'],
    [
      'absolute < idle',
      { SESSION_IDLE_TIMEOUT_S: '3600', SESSION_ABSOLUTE_TIMEOUT_S: '3599' },
      'SESSION_ABSOLUTE_TIMEOUT_S: must be at least SESSION_IDLE_TIMEOUT_S (3600)',
    ],
    [
      'per day < per minute',
      { RATE_LIMIT_REQUESTS_PER_MINUTE: '500', RATE_LIMIT_REQUESTS_PER_DAY: '499' },
      'RATE_LIMIT_REQUESTS_PER_DAY: must be at least RATE_LIMIT_REQUESTS_PER_MINUTE (500)',
    ],
    [
      'default page > max page',
      { QNWIS_DEFAULT_PAGE_SIZE: '6000' },
      'QNWIS_DEFAULT_PAGE_SIZE: must not exceed QNWIS_MAX_PAGE_SIZE (5000)',
    ],
    [
      'two JWT key sources',
      { QNWIS_JWT_SECRET: SECRET_A, QNWIS_JWT_JWKS_URL: 'https://idp.example/jwks.json' },
      'QNWIS_JWT_JWKS_URL: only one of QNWIS_JWT_SECRET, QNWIS_JWT_JWKS_FILE, QNWIS_JWT_JWKS_URL may be set',
    ],
  ])('%s', (_name, env, line) => {
    expect(problemsOf(env)).toEqual([`config error: ${line}`]);
  });

  it('boundary values that satisfy the rules are accepted', () => {
    const { config } = resolve({
      PERF_POOL_MIN: '10',
      SESSION_IDLE_TIMEOUT_S: '600',
      SESSION_ABSOLUTE_TIMEOUT_S: '600',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100',
      RATE_LIMIT_REQUESTS_PER_DAY: '100',
      QNWIS_DEFAULT_PAGE_SIZE: '5000',
    });
    expect(config.pool).toEqual({ min: 10, max: 10, timeoutS: 30 });
    expect(config.session).toEqual({ idleTimeoutS: 600, absoluteTimeoutS: 600 });
    expect(config.rateLimit.perDay).toBe(100);
    expect(config.pagination.defaultPageSize).toBe(5000);
  });

  it('all three JWT sources set: both extra sources are reported', () => {
    const jwks = path.join(freshDir(), 'jwks.json');
    fs.writeFileSync(jwks, '{"keys":[]}');
    expect(
      problemsOf({
        QNWIS_JWT_SECRET: SECRET_A,
        QNWIS_JWT_JWKS_FILE: jwks,
        QNWIS_JWT_JWKS_URL: 'https://idp.example/k',
      }),
    ).toEqual([
      'config error: QNWIS_JWT_JWKS_FILE: only one of QNWIS_JWT_SECRET, QNWIS_JWT_JWKS_FILE, QNWIS_JWT_JWKS_URL may be set',
      'config error: QNWIS_JWT_JWKS_URL: only one of QNWIS_JWT_SECRET, QNWIS_JWT_JWKS_FILE, QNWIS_JWT_JWKS_URL may be set',
    ]);
  });

  it('JWT mode follows the one configured source; the JWKS file must be readable', () => {
    const jwks = path.join(freshDir(), 'jwks.json');
    fs.writeFileSync(jwks, '{"keys":[]}');
    expect(resolve({ QNWIS_JWT_JWKS_FILE: jwks }).config.jwt).toEqual({
      mode: 'jwks_file',
      jwksFile: jwks,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      leewayS: 30,
    });
    expect(resolve({ QNWIS_JWT_SECRET: SECRET_A }).config.jwt.mode).toBe('secret');
    expect(resolve({ QNWIS_JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).config.jwt.mode).toBe('jwks_url');
    expect(problemsOf({ QNWIS_JWT_JWKS_FILE: path.join(tmpRoot, 'missing.json') })).toEqual([
      'config error: QNWIS_JWT_JWKS_FILE: must be a readable file',
    ]);
    expect(problemsOf({ QNWIS_JWT_JWKS_URL: 'http://idp.example/jwks' })).toEqual([
      'config error: QNWIS_JWT_JWKS_URL: must be an https URL (plain http only for loopback outside prod)',
    ]);
  });
});

describe('database URLs and mode', () => {
  it.each([
    ['postgres://u:p@db:5432/q', 'postgres://u:p@db:5432/q'],
    ['postgresql://u:p@db/q', 'postgresql://u:p@db/q'],
    ['postgresql+psycopg://u:p@db:5432/q?sslmode=require', 'postgresql://u:p@db:5432/q?sslmode=require'],
    [
      'postgresql+psycopg2://u:p@db/q?sslmode=verify-full&connect_timeout=5',
      'postgresql://u:p@db/q?sslmode=verify-full&connect_timeout=5',
    ],
    ['postgresql+asyncpg://u:p@db/q', 'postgresql://u:p@db/q'],
  ])('DATABASE_URL %s is used as %s', (given, used) => {
    const { config } = resolve({ DATABASE_URL: given });
    expect(config.database).toEqual({ mode: 'postgres', url: used, readonlyUrl: used });
    expect(config.data.databaseUrl).toBe(used);
    expect(config.data.readonlyDatabaseUrl).toBe(used);
  });

  it('the read-only URL is stripped the same way and the data layer sees the same URLs', () => {
    const env = {
      DATABASE_URL: 'postgresql+psycopg://w:p@db/q?sslmode=require',
      QNWIS_DB_READONLY_URL: 'postgresql+asyncpg://r:p@replica/q?sslmode=require',
    };
    expect(resolve(env).config.database).toEqual({
      mode: 'postgres',
      url: 'postgresql://w:p@db/q?sslmode=require',
      readonlyUrl: 'postgresql://r:p@replica/q?sslmode=require',
    });
    const data = resolveDataConfig(env, CWD);
    expect([data.databaseUrl, data.readonlyDatabaseUrl]).toEqual([
      'postgresql://w:p@db/q?sslmode=require',
      'postgresql://r:p@replica/q?sslmode=require',
    ]);
  });

  it('other schemes are refused', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://u:p@db/q', REDIS_URL: 'http://cache:6379' })).toEqual([
      'config error: DATABASE_URL: scheme must be one of postgres:, postgresql:, postgresql+psycopg:, postgresql+psycopg2:, postgresql+asyncpg:',
      'config error: REDIS_URL: scheme must be one of redis:, rediss:',
    ]);
  });

  it('auto without DATABASE_URL outside prod is embedded under the state directory, one worker', () => {
    const { config } = resolve({ QNWIS_STATE_DIR: 'state', QNWIS_ENV: 'staging' });
    expect(config.database).toEqual({ mode: 'embedded', dir: '/srv/qnwis/state/pglite' });
    expect(config.webConcurrency).toBe(1);
  });

  it('auto with DATABASE_URL is postgres and keeps WEB_CONCURRENCY', () => {
    const { config } = resolve({ DATABASE_URL: 'postgres://u:p@db/q', WEB_CONCURRENCY: '6' });
    expect(config.dbMode).toBe('auto');
    expect(config.database.mode).toBe('postgres');
    expect(config.webConcurrency).toBe(6);
  });

  it('an explicit WEB_CONCURRENCY above 1 in embedded mode is clamped with a warning', () => {
    const { config, warnings } = resolve({ WEB_CONCURRENCY: '4' });
    expect(config.webConcurrency).toBe(1);
    expect(warnings).toEqual(['WEB_CONCURRENCY: embedded mode runs one worker; 4 clamped to 1']);
  });

  it('QNWIS_DB_MODE=embedded ignores DATABASE_URL with a warning', () => {
    const { config, warnings } = resolve({ QNWIS_DB_MODE: 'embedded', DATABASE_URL: 'postgres://u:p@db/q' });
    expect(config.database).toEqual({ mode: 'embedded', dir: '/srv/qnwis/var/pglite' });
    expect(config.data.databaseUrl).toBeUndefined();
    expect(warnings).toEqual(['DATABASE_URL: ignored because QNWIS_DB_MODE=embedded']);
  });

  it('QNWIS_DB_MODE=postgres without DATABASE_URL is an error', () => {
    expect(problemsOf({ QNWIS_DB_MODE: 'postgres' })).toEqual([
      'config error: DATABASE_URL: is required when QNWIS_DB_MODE=postgres',
    ]);
  });
});

describe('production guardrails (spec §3.8)', () => {
  it('a complete production environment is accepted without warnings', () => {
    const { config, warnings } = resolve(PROD_OK);
    expect(warnings).toEqual([]);
    expect(config.env).toBe('prod');
    expect(config.database).toEqual({
      mode: 'postgres',
      url: 'postgresql://qnwis:pg-pass-1234@db.internal:5432/qnwis?sslmode=require',
      readonlyUrl: 'postgresql://qnwis:pg-pass-1234@db.internal:5432/qnwis?sslmode=require',
    });
    expect(config.secrets).toEqual({
      csrf: SECRET_A,
      csrfPrevious: undefined,
      session: SECRET_B,
      sessionPrevious: undefined,
      apiKeyPepper: SECRET_C,
      apiKeyPepperPrevious: undefined,
      auditHmacKey: SECRET_D,
      jwtSecret: undefined,
    });
    expect(config.webConcurrency).toBe(2);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['bypass', { QNWIS_BYPASS_AUTH: 'true' }, 'QNWIS_BYPASS_AUTH: authentication bypass is not allowed in prod'],
    ['CSRF_SECRET missing', { CSRF_SECRET: undefined }, 'CSRF_SECRET: is required'],
    ['SESSION_SECRET missing', { SESSION_SECRET: '' }, 'SESSION_SECRET: is required'],
    ['pepper missing', { QNWIS_API_KEY_PEPPER: undefined }, 'QNWIS_API_KEY_PEPPER: is required'],
    ['HMAC key missing', { QNWIS_AUDIT_HMAC_KEY: undefined }, 'QNWIS_AUDIT_HMAC_KEY: is required'],
    ['CSRF_SECRET short', { CSRF_SECRET: 'x'.repeat(31) }, 'CSRF_SECRET: must be at least 32 characters'],
    ['SESSION_SECRET short', { SESSION_SECRET: 'short' }, 'SESSION_SECRET: must be at least 32 characters'],
    ['pepper short', { QNWIS_API_KEY_PEPPER: 'p' }, 'QNWIS_API_KEY_PEPPER: must be at least 32 characters'],
    [
      'HMAC key short',
      { QNWIS_AUDIT_HMAC_KEY: 'k'.repeat(20) },
      'QNWIS_AUDIT_HMAC_KEY: must be at least 32 characters',
    ],
    [
      'CSRF placeholder (long)',
      { CSRF_SECRET: 'CHANGE_ME_' + 'x'.repeat(40) },
      'CSRF_SECRET: still holds a placeholder value',
    ],
    ['session placeholder (short)', { SESSION_SECRET: 'change_me' }, 'SESSION_SECRET: still holds a placeholder value'],
    [
      'pepper placeholder',
      { QNWIS_API_KEY_PEPPER: 'Change_Me' },
      'QNWIS_API_KEY_PEPPER: still holds a placeholder value',
    ],
    [
      'HMAC placeholder',
      { QNWIS_AUDIT_HMAC_KEY: 'CHANGE_ME' },
      'QNWIS_AUDIT_HMAC_KEY: still holds a placeholder value',
    ],
    ['previous short', { CSRF_SECRET_PREVIOUS: 'old' }, 'CSRF_SECRET_PREVIOUS: must be at least 32 characters'],
    [
      'previous placeholder',
      { SESSION_SECRET_PREVIOUS: 'CHANGE_ME' },
      'SESSION_SECRET_PREVIOUS: still holds a placeholder value',
    ],
    [
      'pepper previous short',
      { QNWIS_API_KEY_PEPPER_PREVIOUS: 'old' },
      'QNWIS_API_KEY_PEPPER_PREVIOUS: must be at least 32 characters',
    ],
    [
      'JWT secret short',
      { QNWIS_JWT_SECRET: 'jwt', QNWIS_JWT_ISSUER: 'i', QNWIS_JWT_AUDIENCE: 'a' },
      'QNWIS_JWT_SECRET: must be at least 32 characters',
    ],
    [
      'JWT secret placeholder',
      { QNWIS_JWT_SECRET: 'change_me', QNWIS_JWT_ISSUER: 'i', QNWIS_JWT_AUDIENCE: 'a' },
      'QNWIS_JWT_SECRET: still holds a placeholder value',
    ],
    ['wildcard origin', { ALLOWED_ORIGINS: '*' }, 'ALLOWED_ORIGINS: wildcard or non-https origin not allowed in prod'],
    [
      'http origin',
      { ALLOWED_ORIGINS: 'https://a.example,http://b.example' },
      'ALLOWED_ORIGINS: wildcard or non-https origin not allowed in prod',
    ],
    ['docs', { QNWIS_ENABLE_DOCS: 'yes' }, 'QNWIS_ENABLE_DOCS: API docs must be disabled in prod'],
    ['DATABASE_URL missing', { DATABASE_URL: undefined }, 'DATABASE_URL: is required in prod'],
    [
      'DATABASE_URL without password',
      { DATABASE_URL: 'postgresql://qnwis@db/qnwis' },
      'DATABASE_URL: password required',
    ],
    [
      'DATABASE_URL placeholder password',
      { DATABASE_URL: 'postgresql+psycopg://qnwis:CHANGE_ME@db/qnwis' },
      'DATABASE_URL: still holds a placeholder value',
    ],
    ['REDIS_URL missing', { REDIS_URL: undefined }, 'REDIS_URL: is required in prod'],
    ['REDIS_URL without password', { REDIS_URL: 'redis://cache:6379/0' }, 'REDIS_URL: password required'],
    [
      'REDIS_URL placeholder password',
      { REDIS_URL: 'redis://:change_me@cache:6379' },
      'REDIS_URL: still holds a placeholder value',
    ],
    ['embedded mode', { QNWIS_DB_MODE: 'embedded' }, 'QNWIS_DB_MODE: embedded database not allowed in prod'],
    [
      'https off',
      { QNWIS_REQUIRE_HTTPS: 'false' },
      'QNWIS_REQUIRE_HTTPS: HTTPS enforcement cannot be disabled in prod',
    ],
    ['proxy catch-all v4', { TRUSTED_PROXIES: '10.0.0.1,0.0.0.0/0' }, 'TRUSTED_PROXIES: must not trust every address'],
    ['proxy catch-all v6', { TRUSTED_PROXIES: '::/0' }, 'TRUSTED_PROXIES: must not trust every address'],
    ['metrics catch-all', { METRICS_ALLOW_CIDRS: '::/0' }, 'METRICS_ALLOW_CIDRS: must not trust every address'],
    [
      'JWT without audience',
      { QNWIS_JWT_JWKS_URL: 'https://idp.example/jwks', QNWIS_JWT_ISSUER: 'https://idp.example/' },
      'QNWIS_JWT_AUDIENCE: issuer and audience are required in prod',
    ],
    [
      'JWT without issuer',
      { QNWIS_JWT_SECRET: SECRET_A, QNWIS_JWT_AUDIENCE: 'qnwis' },
      'QNWIS_JWT_ISSUER: issuer and audience are required in prod',
    ],
  ])('%s', (_name, change, line) => {
    expect(problemsOf({ ...PROD_OK, ...change })).toEqual([`config error: ${line}`]);
  });

  it('JWKS over plain http is refused in prod even on loopback', () => {
    expect(
      problemsOf({
        ...PROD_OK,
        QNWIS_JWT_JWKS_URL: 'http://127.0.0.1/jwks',
        QNWIS_JWT_ISSUER: 'i',
        QNWIS_JWT_AUDIENCE: 'a',
      }),
    ).toEqual(['config error: QNWIS_JWT_JWKS_URL: must be an https URL (plain http only for loopback outside prod)']);
  });

  it('every violation is reported together, one line each, in catalogue order', () => {
    const env: RawEnv = {
      QNWIS_ENV: 'prod',
      QNWIS_BYPASS_AUTH: '1',
      QNWIS_ENABLE_DOCS: 'true',
      QNWIS_DB_MODE: 'embedded',
      DATABASE_URL: 'postgres://qnwis@db/qnwis',
      REDIS_URL: 'redis://:CHANGE_ME@cache',
      CSRF_SECRET: 'CHANGE_ME',
      SESSION_SECRET: 'short',
      QNWIS_API_KEY_PEPPER_PREVIOUS: 'x',
      ALLOWED_ORIGINS: '*',
      TRUSTED_PROXIES: '0.0.0.0/0',
      QNWIS_REQUIRE_HTTPS: 'no',
      METRICS_ALLOW_CIDRS: '::/0',
      QNWIS_JWT_SECRET: SECRET_A,
    };
    expect(problemsOf(env)).toEqual([
      'config error: QNWIS_ENABLE_DOCS: API docs must be disabled in prod',
      'config error: QNWIS_BYPASS_AUTH: authentication bypass is not allowed in prod',
      'config error: QNWIS_DB_MODE: embedded database not allowed in prod',
      'config error: DATABASE_URL: password required',
      'config error: REDIS_URL: still holds a placeholder value',
      'config error: CSRF_SECRET: still holds a placeholder value',
      'config error: SESSION_SECRET: must be at least 32 characters',
      'config error: QNWIS_API_KEY_PEPPER: is required',
      'config error: QNWIS_API_KEY_PEPPER_PREVIOUS: must be at least 32 characters',
      'config error: QNWIS_AUDIT_HMAC_KEY: is required',
      'config error: ALLOWED_ORIGINS: wildcard or non-https origin not allowed in prod',
      'config error: TRUSTED_PROXIES: must not trust every address',
      'config error: QNWIS_REQUIRE_HTTPS: HTTPS enforcement cannot be disabled in prod',
      'config error: METRICS_ALLOW_CIDRS: must not trust every address',
      'config error: QNWIS_JWT_ISSUER: issuer and audience are required in prod',
      'config error: QNWIS_JWT_AUDIENCE: issuer and audience are required in prod',
    ]);
  });

  it('the same settings outside prod are accepted (bypass only warns)', () => {
    const { config, warnings } = resolve({
      QNWIS_BYPASS_AUTH: 'true',
      QNWIS_ENABLE_DOCS: 'true',
      ALLOWED_ORIGINS: '*',
      TRUSTED_PROXIES: '0.0.0.0/0',
      QNWIS_REQUIRE_HTTPS: 'false',
      REDIS_URL: 'redis://cache:6379',
      CSRF_SECRET: 'CHANGE_ME_' + 'x'.repeat(30),
    });
    expect(config.bypassAuth).toBe(true);
    expect(config.allowedOrigins).toEqual(['*']);
    expect(warnings).toEqual(['QNWIS_BYPASS_AUTH: authentication is bypassed; unauthenticated requests act as admin']);
  });

  it('compose rows are validated and required in prod only for a deployment check', () => {
    const deploymentProblems = checkAppConfig(
      { ...PROD_OK, QNWIS_PROXY_CIDRS: '0.0.0.0/0', POSTGRES_PASSWORD: 'CHANGE_ME', QNWIS_IMAGE: 'Bad Image' },
      { cwd: CWD, cpuCount: 4, deployment: true },
    ).problems;
    expect(deploymentProblems).toEqual([
      { variable: 'QNWIS_IMAGE', reason: 'must be an image reference `registry/name[:tag][@sha256:digest]`' },
      { variable: 'POSTGRES_PASSWORD', reason: 'still holds a placeholder value' },
      { variable: 'REDIS_PASSWORD', reason: 'is required in prod' },
      { variable: 'QNWIS_PUBLIC_HOST', reason: 'is required in prod' },
      { variable: 'QNWIS_PROXY_CIDRS', reason: 'must not trust every address' },
    ]);
    // The service itself never reads compose rows, so they neither fail nor warn there.
    expect(resolve({ ...PROD_OK, POSTGRES_PASSWORD: 'CHANGE_ME', QNWIS_IMAGE: 'Bad Image' }).warnings).toEqual([]);
  });
});

describe('warnings', () => {
  it('prod warns when rate limiting is off and when WEB_CONCURRENCY exceeds 2 × CPUs', () => {
    const { warnings } = resolve({ ...PROD_OK, RATE_LIMIT_ENABLED: 'false', WEB_CONCURRENCY: '9' }, 4);
    expect(warnings).toEqual([
      'RATE_LIMIT_ENABLED: rate limiting is disabled in prod',
      'WEB_CONCURRENCY: 9 workers exceed 2 × 4 CPUs',
    ]);
    expect(resolve({ ...PROD_OK, WEB_CONCURRENCY: '8' }, 4).warnings).toEqual([]);
  });

  it('unknown prefixed variables name the closest known variable; test-only and foreign names are ignored', () => {
    const { warnings } = resolve({
      QNWIS_BYPAS_AUTH: 'true',
      RATE_LIMIT_PER_MINUTE: '10',
      PERF_POOL_SIZE: '5',
      SESSION_TIMEOUT_S: '60',
      CSRF_KEY: 'x',
      METRICS_PORTS: '9100',
      QNWIS_TEST_DATABASE_URL: 'postgres://x',
      QNWIS_CHROMIUM_PATH: '/usr/bin/chromium',
      PATH: '/usr/bin',
      REDIS_HOST: 'cache',
    });
    expect(warnings).toEqual([
      'CSRF_KEY: unknown variable (did you mean CSRF_SECRET?)',
      'METRICS_PORTS: unknown variable (did you mean METRICS_PORT?)',
      'PERF_POOL_SIZE: unknown variable (did you mean PERF_POOL_MIN?)',
      'QNWIS_BYPAS_AUTH: unknown variable (did you mean QNWIS_BYPASS_AUTH?)',
      'RATE_LIMIT_PER_MINUTE: unknown variable (did you mean RATE_LIMIT_REQUESTS_PER_MINUTE?)',
      'SESSION_TIMEOUT_S: unknown variable (did you mean SESSION_IDLE_TIMEOUT_S?)',
    ]);
  });

  it('edit distance is the Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('PORT', 'PORT')).toBe(0);
    expect(closestVariable('QNWIS_REQUIRE_HTTP')).toBe('QNWIS_REQUIRE_HTTPS');
    // distance 9 to both RATE_LIMIT_ENABLED and RATE_LIMIT_REQUESTS_PER_MINUTE: the shared suffix decides
    expect(editDistance('RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_ENABLED')).toBe(9);
    expect(editDistance('RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_REQUESTS_PER_MINUTE')).toBe(9);
    expect(closestVariable('RATE_LIMIT_PER_MINUTE')).toBe('RATE_LIMIT_REQUESTS_PER_MINUTE');
  });
});

describe('development secrets', () => {
  const NAMES = ['CSRF_SECRET', 'QNWIS_API_KEY_PEPPER', 'QNWIS_AUDIT_HMAC_KEY', 'SESSION_SECRET'];

  it('are generated once, persisted 0600 in a 0700 directory, and reused on the next start', async () => {
    const stateDir = path.join(freshDir(), 'state');
    const { config } = resolveAppConfig({ QNWIS_STATE_DIR: stateDir }, { cwd: CWD, cpuCount: 4 });
    const warnings: string[] = [];
    const first = await ensureDevSecrets(config, (w) => warnings.push(w));
    const file = path.join(stateDir, 'dev-secrets.json');
    expect(warnings).toEqual([
      `CSRF_SECRET, SESSION_SECRET, QNWIS_API_KEY_PEPPER, QNWIS_AUDIT_HMAC_KEY: development secrets generated and stored in ${file}`,
    ]);
    expect(fs.statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(stored)).toEqual(NAMES);
    for (const name of NAMES) expect(stored[name]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(Object.values(stored)).size).toBe(4);
    expect(first.secrets).toEqual({
      ...config.secrets,
      csrf: stored.CSRF_SECRET,
      session: stored.SESSION_SECRET,
      apiKeyPepper: stored.QNWIS_API_KEY_PEPPER,
      auditHmacKey: stored.QNWIS_AUDIT_HMAC_KEY,
    });
    expect(config.secrets.csrf).toBeUndefined(); // the input is not mutated

    const again: string[] = [];
    const second = await ensureDevSecrets(config, (w) => again.push(w));
    expect(second.secrets).toEqual(first.secrets);
    expect(again).toEqual([
      `CSRF_SECRET, SESSION_SECRET, QNWIS_API_KEY_PEPPER, QNWIS_AUDIT_HMAC_KEY: using development secrets from ${file}`,
    ]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(stored);
  });

  it('environment values win; a secret missing from an older file is added to it', async () => {
    const stateDir = freshDir();
    const file = path.join(stateDir, 'dev-secrets.json');
    fs.writeFileSync(file, JSON.stringify({ CSRF_SECRET: SECRET_C }), { mode: 0o644 });
    const { config } = resolveAppConfig(
      { QNWIS_STATE_DIR: stateDir, SESSION_SECRET: SECRET_A, QNWIS_API_KEY_PEPPER: SECRET_B },
      { cwd: CWD, cpuCount: 4 },
    );
    const result = await ensureDevSecrets(config);
    expect(result.secrets.csrf).toBe(SECRET_C);
    expect(result.secrets.session).toBe(SECRET_A);
    expect(result.secrets.apiKeyPepper).toBe(SECRET_B);
    expect(result.secrets.auditHmacKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    expect(stored).toEqual({ CSRF_SECRET: SECRET_C, QNWIS_AUDIT_HMAC_KEY: result.secrets.auditHmacKey });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('nothing is written when every secret comes from the environment, nor in prod', async () => {
    const stateDir = path.join(freshDir(), 'unused');
    const full = resolveAppConfig(
      {
        QNWIS_STATE_DIR: stateDir,
        CSRF_SECRET: SECRET_A,
        SESSION_SECRET: SECRET_B,
        QNWIS_API_KEY_PEPPER: SECRET_C,
        QNWIS_AUDIT_HMAC_KEY: SECRET_D,
      },
      { cwd: CWD, cpuCount: 4 },
    ).config;
    expect(await ensureDevSecrets(full)).toBe(full);
    const prod = resolveAppConfig({ ...PROD_OK, QNWIS_STATE_DIR: stateDir }, { cwd: CWD, cpuCount: 4 }).config;
    expect(await ensureDevSecrets(prod)).toBe(prod);
    expect(fs.existsSync(stateDir)).toBe(false);
  });

  it('a corrupt secrets file is a config error, never silently replaced', async () => {
    const stateDir = freshDir();
    const file = path.join(stateDir, 'dev-secrets.json');
    fs.writeFileSync(file, '{not json');
    const { config } = resolveAppConfig({ QNWIS_STATE_DIR: stateDir }, { cwd: CWD, cpuCount: 4 });
    await expect(ensureDevSecrets(config)).rejects.toThrow(
      `config error: QNWIS_STATE_DIR: ${file} is not a valid dev-secrets file (delete it to generate new development secrets)`,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('{not json');
  });
});

describe('maskConfig', () => {
  it('masks secrets and URL passwords in a raw environment, listing defaults too', () => {
    const masked = maskConfig({
      DATABASE_URL: 'postgresql+psycopg://qnwis:s3cr%40t@db:5432/qnwis?sslmode=require',
      REDIS_URL: 'redis://:redispw@cache:6379/0',
      QNWIS_DB_READONLY_URL: 'postgresql://reader@replica/qnwis?password=hunter2hunter2',
      CSRF_SECRET: SECRET_A,
      QNWIS_SMOKE_URL: 'https://smoke:smokepw@qnwis.example.org/',
      QNWIS_SMOKE_API_KEY: 'qnwis_0123456789ab_' + 'k'.repeat(43),
      PATH: '/usr/bin',
    });
    expect(masked.DATABASE_URL).toBe('postgresql+psycopg://qnwis:***@db:5432/qnwis?sslmode=require');
    expect(masked.REDIS_URL).toBe('redis://:***@cache:6379/0');
    expect(masked.QNWIS_DB_READONLY_URL).toBe('postgresql://reader@replica/qnwis?password=***');
    expect(masked.CSRF_SECRET).toBe('***');
    expect(masked.QNWIS_SMOKE_URL).toBe('https://smoke:***@qnwis.example.org/');
    expect(masked.QNWIS_SMOKE_API_KEY).toBe('***');
    expect(masked.PORT).toBe('8000');
    expect(masked.PATH).toBeUndefined();
    expect(masked.SESSION_SECRET).toBeUndefined();
    expect(JSON.stringify(masked)).not.toMatch(/s3cr|redispw|hunter2|smokepw|aaaaaaaa|kkkkkkkk/);
  });

  it('masks an unencoded @ inside a secret URL password entirely', () => {
    expect(maskConfig({ DATABASE_URL: 'postgres://u:p@ss@db/q' }).DATABASE_URL).toBe('postgres://u:***@db/q');
  });

  it('dumps a resolved config with its effective values, secrets masked', () => {
    const { config } = resolve(PROD_OK);
    const masked = maskConfig(config);
    expect(masked.QNWIS_ENV).toBe('prod');
    expect(masked.DATABASE_URL).toBe('postgresql://qnwis:***@db.internal:5432/qnwis?sslmode=require');
    expect(masked.REDIS_URL).toBe('rediss://:***@cache.internal:6380/0');
    expect(masked.QNWIS_STATE_DIR).toBe('/srv/qnwis/var');
    expect(masked.QNWIS_VERSION).toBe(PACKAGE_VERSION);
    for (const name of ['CSRF_SECRET', 'SESSION_SECRET', 'QNWIS_API_KEY_PEPPER', 'QNWIS_AUDIT_HMAC_KEY'])
      expect(masked[name]).toBe('***');
    expect(masked.CSRF_SECRET_PREVIOUS).toBeUndefined();
    expect(masked.POSTGRES_PASSWORD).toBeUndefined();
    expect(JSON.stringify(masked)).not.toMatch(/pg-pass|redis-pass|aaaaaaaa|bbbbbbbb|cccccccc|dddddddd/);
  });
});
