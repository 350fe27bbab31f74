/**
 * The whole service configuration (service spec §7): every `service`, `smoke` and `entrypoint` row of the catalogue,
 * validated together with the cross-field rules and the production guardrails of §3.8.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CATALOGUE, findVar, type Consumer, type VarSpec } from './catalogue.js';
import {
  ConfigError,
  cidrPrefix,
  effectiveText,
  readCatalogue,
  type ConfigProblem,
  type Parsed,
  type RawEnv,
} from './resolve.js';
import { dataConfigFromValues, type DataConfig } from './data-config.js';

export type QnwisEnv = 'dev' | 'test' | 'staging' | 'dr' | 'ops' | 'prod';
export type DbMode = 'auto' | 'postgres' | 'embedded';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where the service keeps its data, after QNWIS_DB_MODE is resolved. */
export type DatabaseTarget = { mode: 'postgres'; url: string; readonlyUrl: string } | { mode: 'embedded'; dir: string };

export interface AppSecrets {
  csrf: string | undefined;
  csrfPrevious: string | undefined;
  session: string | undefined;
  sessionPrevious: string | undefined;
  apiKeyPepper: string | undefined;
  apiKeyPepperPrevious: string | undefined;
  auditHmacKey: string | undefined;
  jwtSecret: string | undefined;
}

export interface AppConfig {
  env: QnwisEnv;
  host: string;
  port: number;
  metricsPort: number | undefined;
  /** Workers to fork; already 1 in embedded mode (§8.5). */
  webConcurrency: number;
  gracefulTimeoutS: number;
  keepAliveTimeoutS: number;
  requestTimeoutS: number;
  version: string;
  /** Absolute path. */
  stateDir: string;
  dbMode: DbMode;
  database: DatabaseTarget;
  logLevel: LogLevel;
  enableDocs: boolean;
  bypassAuth: boolean;
  pool: { min: number; max: number; timeoutS: number };
  dbStatementTimeoutMs: number;
  readyTimeoutMs: number;
  redisUrl: string | undefined;
  /** Outside prod the four primary secrets may be undefined until ensureDevSecrets fills them. */
  secrets: AppSecrets;
  session: { idleTimeoutS: number; absoluteTimeoutS: number };
  allowedOrigins: string[];
  trustedProxies: string[];
  requireHttps: boolean;
  healthAllowCidrs: string[];
  metricsAllowCidrs: string[];
  maxBodyBytes: number;
  rateLimit: { enabled: boolean; perMinute: number; perDay: number; redisPrefix: string };
  jwt: {
    /** Which key source enables bearer tokens; `off` = bearer tokens are rejected. */
    mode: 'off' | 'secret' | 'jwks_file' | 'jwks_url';
    jwksFile: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    leewayS: number;
  };
  pagination: { autoThreshold: number; defaultPageSize: number; maxPageSize: number };
  briefingTtlS: number;
  /** Absolute path of the built dashboard. */
  webDist: string;
  testHooks: boolean;
  clockDate: string | undefined;
  ingestOnStart: boolean;
  smoke: { url: string | undefined; apiKey: string | undefined };
  data: DataConfig;
}

export interface ResolveOptions {
  /** Base of relative paths; default the working directory. */
  cwd?: string;
  /** CPUs for the WEB_CONCURRENCY warning; default os.availableParallelism(). */
  cpuCount?: number;
  /**
   * Also validate the compose, scripts and image rows and enforce their prod requirements
   * (`qnwis config check` on a compose env file). The service itself never reads those rows.
   */
  deployment?: boolean;
}

export interface ConfigCheck {
  /** Undefined when there are problems. */
  config: AppConfig | undefined;
  problems: ConfigProblem[];
  warnings: string[];
}

const SERVICE_CONSUMERS: ReadonlySet<Consumer> = new Set(['service', 'smoke', 'entrypoint']);

/** The secrets of §3.8 that are generated outside prod and whose absence in prod reads `is required`. */
const PRIMARY_SECRETS = [
  ['csrf', 'CSRF_SECRET'],
  ['session', 'SESSION_SECRET'],
  ['apiKeyPepper', 'QNWIS_API_KEY_PEPPER'],
  ['auditHmacKey', 'QNWIS_AUDIT_HMAC_KEY'],
] as const;
const PRIMARY_SECRET_NAMES: ReadonlySet<string> = new Set(PRIMARY_SECRETS.map(([, name]) => name));

const JWT_SOURCES = ['QNWIS_JWT_SECRET', 'QNWIS_JWT_JWKS_FILE', 'QNWIS_JWT_JWKS_URL'] as const;

const UNKNOWN_PREFIXES = ['QNWIS_', 'RATE_LIMIT_', 'PERF_POOL_', 'SESSION_', 'CSRF_', 'METRICS_'];
/** Test-only settings (test/README.md): read by the test suite, deliberately outside the catalogue. */
const TEST_ONLY_VARIABLES: ReadonlySet<string> = new Set([
  'QNWIS_TEST_DATABASE_URL',
  'QNWIS_TEST_REDIS_URL',
  'QNWIS_CHROMIUM_PATH',
]);

const PLACEHOLDER = /change_me/i;

/** Reason texts of spec §3.8, verbatim. */
export const PROD_REASONS = {
  bypassAuth: 'authentication bypass is not allowed in prod',
  secretTooShort: 'must be at least 32 characters',
  secretRequired: 'is required',
  placeholder: 'still holds a placeholder value',
  origins: 'wildcard or non-https origin not allowed in prod',
  docs: 'API docs must be disabled in prod',
  required: 'is required in prod',
  password: 'password required',
  embedded: 'embedded database not allowed in prod',
  https: 'HTTPS enforcement cannot be disabled in prod',
  catchAll: 'must not trust every address',
  jwtClaims: 'issuer and audience are required in prod',
} as const;

/** Validates the environment and collects every problem and warning instead of stopping at the first. */
export function checkAppConfig(env: RawEnv, options: ResolveOptions = {}): ConfigCheck {
  const cwd = options.cwd ?? process.cwd();
  const cpuCount = options.cpuCount ?? os.availableParallelism();
  const inScope = (spec: VarSpec): boolean =>
    options.deployment === true || spec.consumers.some((c) => SERVICE_CONSUMERS.has(c));
  const { values, problems: parseProblems } = readCatalogue(env, { include: inScope, cwd });
  const explicit = (name: string): string | undefined => {
    const raw = env[name];
    return raw !== undefined && raw !== '' ? raw : undefined;
  };

  const problems: ConfigProblem[] = [];
  const flagged = new Set<string>();
  // One reason per variable: the first stage to object wins (placeholder, type, requirement, rules).
  const add = (variable: string, reason: string): void => {
    if (flagged.has(variable)) return;
    flagged.add(variable);
    problems.push({ variable, reason });
  };
  const warnings: string[] = [];

  const prod = values.get('QNWIS_ENV') === 'prod';
  const scoped = CATALOGUE.filter(inScope);

  if (prod) {
    for (const spec of scoped) {
      const text = explicit(spec.name);
      if (text !== undefined && PLACEHOLDER.test(text)) add(spec.name, PROD_REASONS.placeholder);
    }
  }
  for (const p of parseProblems) add(p.variable, p.reason);
  if (prod) {
    for (const spec of scoped) {
      if (spec.requiredInProd && effectiveText(spec, env) === undefined)
        add(spec.name, PRIMARY_SECRET_NAMES.has(spec.name) ? PROD_REASONS.secretRequired : PROD_REASONS.required);
    }
  }

  const num = (name: string): number | undefined => values.get(name) as number | undefined;
  const str = (name: string): string | undefined => values.get(name) as string | undefined;
  const bool = (name: string): boolean | undefined => values.get(name) as boolean | undefined;
  const list = (name: string): string[] => (values.get(name) as string[] | undefined) ?? [];

  // Cross-field rules (§7.2).
  const port = num('PORT');
  const metricsPort = num('METRICS_PORT');
  if (metricsPort !== undefined && metricsPort === port) add('METRICS_PORT', 'must differ from PORT');
  const poolMin = num('PERF_POOL_MIN');
  const poolMax = num('PERF_POOL_MAX');
  if (poolMin !== undefined && poolMax !== undefined && poolMin > poolMax)
    add('PERF_POOL_MIN', `must not exceed PERF_POOL_MAX (${poolMax})`);
  const idle = num('SESSION_IDLE_TIMEOUT_S');
  const absolute = num('SESSION_ABSOLUTE_TIMEOUT_S');
  if (idle !== undefined && absolute !== undefined && absolute < idle)
    add('SESSION_ABSOLUTE_TIMEOUT_S', `must be at least SESSION_IDLE_TIMEOUT_S (${idle})`);
  const perMinute = num('RATE_LIMIT_REQUESTS_PER_MINUTE');
  const perDay = num('RATE_LIMIT_REQUESTS_PER_DAY');
  if (perMinute !== undefined && perDay !== undefined && perDay < perMinute)
    add('RATE_LIMIT_REQUESTS_PER_DAY', `must be at least RATE_LIMIT_REQUESTS_PER_MINUTE (${perMinute})`);
  const defaultPage = num('QNWIS_DEFAULT_PAGE_SIZE');
  const maxPage = num('QNWIS_MAX_PAGE_SIZE');
  if (defaultPage !== undefined && maxPage !== undefined && defaultPage > maxPage)
    add('QNWIS_DEFAULT_PAGE_SIZE', `must not exceed QNWIS_MAX_PAGE_SIZE (${maxPage})`);

  const jwtSources = JWT_SOURCES.filter((name) => explicit(name) !== undefined);
  for (const name of jwtSources.slice(1))
    add(name, 'only one of QNWIS_JWT_SECRET, QNWIS_JWT_JWKS_FILE, QNWIS_JWT_JWKS_URL may be set');
  const jwksUrl = str('QNWIS_JWT_JWKS_URL');
  if (jwksUrl !== undefined && new URL(jwksUrl).protocol === 'http:' && (prod || !isLoopbackUrl(jwksUrl)))
    add('QNWIS_JWT_JWKS_URL', 'must be an https URL (plain http only for loopback outside prod)');

  // Database mode (§8.5).
  const dbMode = str('QNWIS_DB_MODE') as DbMode | undefined;
  const databaseUrl = str('DATABASE_URL');
  if (dbMode === 'postgres' && databaseUrl === undefined)
    add('DATABASE_URL', 'is required when QNWIS_DB_MODE=postgres');
  const embedded = dbMode === 'embedded' || (dbMode === 'auto' && databaseUrl === undefined);

  if (prod) {
    if (bool('QNWIS_BYPASS_AUTH') === true) add('QNWIS_BYPASS_AUTH', PROD_REASONS.bypassAuth);
    if (list('ALLOWED_ORIGINS').some((o) => o === '*' || !o.startsWith('https://')))
      add('ALLOWED_ORIGINS', PROD_REASONS.origins);
    if (bool('QNWIS_ENABLE_DOCS') === true) add('QNWIS_ENABLE_DOCS', PROD_REASONS.docs);
    for (const name of ['DATABASE_URL', 'REDIS_URL']) {
      const url = str(name);
      if (url !== undefined && !urlHasPassword(url)) add(name, PROD_REASONS.password);
    }
    if (dbMode === 'embedded') add('QNWIS_DB_MODE', PROD_REASONS.embedded);
    if (bool('QNWIS_REQUIRE_HTTPS') === false) add('QNWIS_REQUIRE_HTTPS', PROD_REASONS.https);
    for (const name of ['TRUSTED_PROXIES', 'METRICS_ALLOW_CIDRS', 'QNWIS_PROXY_CIDRS', 'QNWIS_METRICS_CIDRS']) {
      if (list(name).some((entry) => cidrPrefix(entry, true) === 0)) add(name, PROD_REASONS.catchAll);
    }
    if (jwtSources.length > 0) {
      if (str('QNWIS_JWT_ISSUER') === undefined) add('QNWIS_JWT_ISSUER', PROD_REASONS.jwtClaims);
      if (str('QNWIS_JWT_AUDIENCE') === undefined) add('QNWIS_JWT_AUDIENCE', PROD_REASONS.jwtClaims);
    }
  }

  // Warnings.
  const webConcurrency = num('WEB_CONCURRENCY');
  if (prod) {
    if (bool('RATE_LIMIT_ENABLED') === false) warnings.push('RATE_LIMIT_ENABLED: rate limiting is disabled in prod');
    if (webConcurrency !== undefined && webConcurrency > 2 * cpuCount)
      warnings.push(`WEB_CONCURRENCY: ${webConcurrency} workers exceed 2 × ${cpuCount} CPUs`);
  } else {
    if (bool('QNWIS_BYPASS_AUTH') === true)
      warnings.push('QNWIS_BYPASS_AUTH: authentication is bypassed; unauthenticated requests act as admin');
    if (embedded && explicit('WEB_CONCURRENCY') !== undefined && (webConcurrency ?? 1) > 1)
      warnings.push(`WEB_CONCURRENCY: embedded mode runs one worker; ${webConcurrency} clamped to 1`);
    if (dbMode === 'embedded' && databaseUrl !== undefined)
      warnings.push('DATABASE_URL: ignored because QNWIS_DB_MODE=embedded');
  }
  warnings.push(...unknownVariableWarnings(env));

  const order = new Map(CATALOGUE.map((spec, i) => [spec.name, i]));
  problems.sort((a, b) => (order.get(a.variable) ?? Infinity) - (order.get(b.variable) ?? Infinity));
  if (problems.length > 0) return { config: undefined, problems, warnings };
  return { config: buildConfig(values, cwd, embedded), problems, warnings };
}

/**
 * Resolves the application configuration; throws one ConfigError listing every problem
 * (`config error: <VARIABLE>: <reason>` per line).
 */
export function resolveAppConfig(env: RawEnv, options: ResolveOptions = {}): { config: AppConfig; warnings: string[] } {
  const { config, problems, warnings } = checkAppConfig(env, options);
  if (config === undefined) throw new ConfigError(problems);
  return { config, warnings };
}

function buildConfig(values: ReadonlyMap<string, Parsed>, cwd: string, embedded: boolean): AppConfig {
  const num = (name: string): number => values.get(name) as number;
  const opt = (name: string): string | undefined => values.get(name) as string | undefined;
  const str = (name: string): string => values.get(name) as string;
  const bool = (name: string): boolean => values.get(name) as boolean;
  const list = (name: string): string[] => (values.get(name) as string[] | undefined) ?? [];
  const stateDir = path.resolve(cwd, str('QNWIS_STATE_DIR'));
  const data = dataConfigFromValues(values, cwd);
  let database: DatabaseTarget;
  if (embedded) {
    database = { mode: 'embedded', dir: path.join(stateDir, 'pglite') };
    data.databaseUrl = undefined;
    data.readonlyDatabaseUrl = undefined;
  } else {
    database = { mode: 'postgres', url: data.databaseUrl!, readonlyUrl: data.readonlyDatabaseUrl! };
  }
  const jwksFile = opt('QNWIS_JWT_JWKS_FILE');
  const jwtMode: AppConfig['jwt']['mode'] =
    opt('QNWIS_JWT_SECRET') !== undefined
      ? 'secret'
      : jwksFile !== undefined
        ? 'jwks_file'
        : opt('QNWIS_JWT_JWKS_URL') !== undefined
          ? 'jwks_url'
          : 'off';
  return {
    env: str('QNWIS_ENV') as QnwisEnv,
    host: str('HOST'),
    port: num('PORT'),
    metricsPort: values.get('METRICS_PORT') as number | undefined,
    webConcurrency: embedded ? 1 : num('WEB_CONCURRENCY'),
    gracefulTimeoutS: num('QNWIS_GRACEFUL_TIMEOUT_S'),
    keepAliveTimeoutS: num('QNWIS_KEEPALIVE_TIMEOUT_S'),
    requestTimeoutS: num('QNWIS_REQUEST_TIMEOUT_S'),
    version: opt('QNWIS_VERSION') ?? packageVersion(),
    stateDir,
    dbMode: str('QNWIS_DB_MODE') as DbMode,
    database,
    logLevel: str('LOG_LEVEL') as LogLevel,
    enableDocs: bool('QNWIS_ENABLE_DOCS'),
    bypassAuth: bool('QNWIS_BYPASS_AUTH'),
    pool: { min: num('PERF_POOL_MIN'), max: num('PERF_POOL_MAX'), timeoutS: num('PERF_POOL_TIMEOUT') },
    dbStatementTimeoutMs: num('QNWIS_DB_STATEMENT_TIMEOUT_MS'),
    readyTimeoutMs: num('QNWIS_READY_TIMEOUT_MS'),
    redisUrl: opt('REDIS_URL'),
    secrets: {
      csrf: opt('CSRF_SECRET'),
      csrfPrevious: opt('CSRF_SECRET_PREVIOUS'),
      session: opt('SESSION_SECRET'),
      sessionPrevious: opt('SESSION_SECRET_PREVIOUS'),
      apiKeyPepper: opt('QNWIS_API_KEY_PEPPER'),
      apiKeyPepperPrevious: opt('QNWIS_API_KEY_PEPPER_PREVIOUS'),
      auditHmacKey: opt('QNWIS_AUDIT_HMAC_KEY'),
      jwtSecret: opt('QNWIS_JWT_SECRET'),
    },
    session: { idleTimeoutS: num('SESSION_IDLE_TIMEOUT_S'), absoluteTimeoutS: num('SESSION_ABSOLUTE_TIMEOUT_S') },
    allowedOrigins: list('ALLOWED_ORIGINS'),
    trustedProxies: list('TRUSTED_PROXIES'),
    requireHttps: bool('QNWIS_REQUIRE_HTTPS'),
    healthAllowCidrs: list('HEALTH_ALLOW_CIDRS'),
    metricsAllowCidrs: list('METRICS_ALLOW_CIDRS'),
    maxBodyBytes: num('QNWIS_MAX_BODY_BYTES'),
    rateLimit: {
      enabled: bool('RATE_LIMIT_ENABLED'),
      perMinute: num('RATE_LIMIT_REQUESTS_PER_MINUTE'),
      perDay: num('RATE_LIMIT_REQUESTS_PER_DAY'),
      redisPrefix: str('RATE_LIMIT_REDIS_PREFIX'),
    },
    jwt: {
      mode: jwtMode,
      jwksFile: jwksFile === undefined ? undefined : path.resolve(cwd, jwksFile),
      jwksUrl: opt('QNWIS_JWT_JWKS_URL'),
      issuer: opt('QNWIS_JWT_ISSUER'),
      audience: opt('QNWIS_JWT_AUDIENCE'),
      leewayS: num('QNWIS_JWT_LEEWAY_SECONDS'),
    },
    pagination: {
      autoThreshold: num('QNWIS_AUTO_PAGINATE_THRESHOLD'),
      defaultPageSize: num('QNWIS_DEFAULT_PAGE_SIZE'),
      maxPageSize: num('QNWIS_MAX_PAGE_SIZE'),
    },
    briefingTtlS: num('QNWIS_BRIEFING_TTL_S'),
    webDist: path.resolve(cwd, str('QNWIS_WEB_DIST')),
    testHooks: bool('QNWIS_TEST_HOOKS'),
    clockDate: opt('QNWIS_CLOCK_DATE'),
    ingestOnStart: bool('QNWIS_INGEST_ON_START'),
    smoke: { url: opt('QNWIS_SMOKE_URL'), apiKey: opt('QNWIS_SMOKE_API_KEY') },
    data,
  };
}

function urlHasPassword(text: string): boolean {
  try {
    const url = new URL(text);
    return url.password !== '' || (url.searchParams.get('password') ?? '') !== '';
  } catch {
    return false;
  }
}

function isLoopbackUrl(text: string): boolean {
  const host = new URL(text).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

let cachedPackageVersion: string | undefined;

/** The version in package.json (two levels above this file in both src/ and dist/). */
function packageVersion(): string {
  if (cachedPackageVersion === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cachedPackageVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cachedPackageVersion = 'unknown';
    }
  }
  return cachedPackageVersion;
}

/** Levenshtein distance, for naming the closest known variable. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The catalogue name nearest to `name`; ties go to the longer shared suffix (`…_PER_MINUTE`), then catalogue order. */
export function closestVariable(name: string): string {
  let best = CATALOGUE[0]!.name;
  let bestDistance = Infinity;
  let bestSuffix = -1;
  for (const spec of CATALOGUE) {
    const d = editDistance(name, spec.name);
    const suffix = sharedSuffixLength(name, spec.name);
    if (d < bestDistance || (d === bestDistance && suffix > bestSuffix)) {
      best = spec.name;
      bestDistance = d;
      bestSuffix = suffix;
    }
  }
  return best;
}

function sharedSuffixLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

function unknownVariableWarnings(env: RawEnv): string[] {
  return Object.keys(env)
    .filter((name) => UNKNOWN_PREFIXES.some((p) => name.startsWith(p)))
    .filter((name) => findVar(name) === undefined && !TEST_ONLY_VARIABLES.has(name))
    .sort()
    .map((name) => `${name}: unknown variable (did you mean ${closestVariable(name)}?)`);
}

// ---------------------------------------------------------------------------------------------------------------
// Development secrets (§3.8): generated once outside prod, kept in <QNWIS_STATE_DIR>/dev-secrets.json.

export function devSecretsPath(stateDir: string): string {
  return path.join(stateDir, 'dev-secrets.json');
}

/**
 * Outside prod, fills the missing CSRF_SECRET, SESSION_SECRET, QNWIS_API_KEY_PEPPER and QNWIS_AUDIT_HMAC_KEY from
 * `<stateDir>/dev-secrets.json`, generating (32 random bytes, base64url) and persisting (mode 0600) any not stored yet.
 * Values from the environment always win. In prod the config is returned unchanged (those secrets are required there).
 */
export async function ensureDevSecrets(
  config: AppConfig,
  warn: (message: string) => void = () => undefined,
): Promise<AppConfig> {
  if (config.env === 'prod') return config;
  const missing = PRIMARY_SECRETS.filter(([field]) => config.secrets[field] === undefined);
  if (missing.length === 0) return config;
  const file = devSecretsPath(config.stateDir);
  await fsp.mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const { stored, generated } = await loadOrCreateDevSecrets(
    file,
    missing.map(([, name]) => name),
  );
  const secrets = { ...config.secrets };
  for (const [field, name] of missing) secrets[field] = stored[name];
  const names = missing.map(([, name]) => name).join(', ');
  warn(
    generated.length > 0
      ? `${names}: development secrets generated and stored in ${file}`
      : `${names}: using development secrets from ${file}`,
  );
  return { ...config, secrets };
}

function usableSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 32;
}

async function readDevSecrets(file: string): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const invalid = new ConfigError([
    {
      variable: 'QNWIS_STATE_DIR',
      reason: `${file} is not a valid dev-secrets file (delete it to generate new development secrets)`,
    },
  ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw invalid;
    result[key] = value;
  }
  return result;
}

async function loadOrCreateDevSecrets(
  file: string,
  names: readonly string[],
): Promise<{ stored: Record<string, string>; generated: string[] }> {
  // A concurrent first start may create the file between our read and our link: then read it again.
  for (let attempt = 0; ; attempt++) {
    const existing = await readDevSecrets(file);
    const merged: Record<string, string> = { ...existing };
    const generated: string[] = [];
    for (const name of names) {
      if (!usableSecret(merged[name])) {
        merged[name] = crypto.randomBytes(32).toString('base64url');
        generated.push(name);
      }
    }
    if (generated.length === 0) {
      const mode = (await fsp.stat(file)).mode & 0o777;
      if (mode !== 0o600) await fsp.chmod(file, 0o600);
      return { stored: merged, generated };
    }
    const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(sorted, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    try {
      await fsp.chmod(tmp, 0o600);
      if (existing === undefined) {
        try {
          await fsp.link(tmp, file); // atomic create: never replaces secrets another process just wrote
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 3) continue;
          throw err;
        }
      } else {
        await fsp.rename(tmp, file);
      }
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    return { stored: merged, generated };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Masked dumps (§3.10).

/** `scheme://user:secret@host…` → `scheme://user:***@host…` and `password=` query values → `***`. */
export function maskUrlPasswords(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@]*@/g, '$1:***@')
    .replace(/([?&]password=)[^&#\s]*/gi, '$1***');
}

/** A secret URL keeps scheme, user and host; everything that could be a password becomes `***`. */
function maskSecretUrl(text: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([\s\S]*)$/.exec(text.trim());
  if (match === null) return '***';
  let rest = match[2]!;
  const at = rest.lastIndexOf('@'); // the last `@` so an unencoded `@` inside the password is masked too
  if (at >= 0) {
    const colon = rest.slice(0, at).indexOf(':');
    if (colon >= 0) rest = `${rest.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return match[1] + rest.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** The printable form of one variable's value. */
export function maskValue(spec: VarSpec, text: string): string {
  if (spec.secret) return spec.kind.type === 'url' ? maskSecretUrl(text) : '***';
  return maskUrlPasswords(text);
}

function isAppConfig(input: AppConfig | RawEnv): input is AppConfig {
  return typeof (input as { data?: unknown }).data === 'object';
}

/** The effective value of every variable an AppConfig was built from, as text. */
function variablesOf(config: AppConfig): Record<string, string | undefined> {
  const n = (v: number | undefined): string | undefined => (v === undefined ? undefined : String(v));
  const l = (v: readonly string[]): string | undefined => (v.length === 0 ? undefined : v.join(','));
  const d = config.data;
  return {
    QNWIS_ENV: config.env,
    HOST: config.host,
    PORT: n(config.port),
    METRICS_PORT: n(config.metricsPort),
    WEB_CONCURRENCY: n(config.webConcurrency),
    QNWIS_GRACEFUL_TIMEOUT_S: n(config.gracefulTimeoutS),
    QNWIS_KEEPALIVE_TIMEOUT_S: n(config.keepAliveTimeoutS),
    QNWIS_REQUEST_TIMEOUT_S: n(config.requestTimeoutS),
    QNWIS_VERSION: config.version,
    QNWIS_STATE_DIR: config.stateDir,
    LOG_LEVEL: config.logLevel,
    QNWIS_INGEST_ON_START: String(config.ingestOnStart),
    QNWIS_ENABLE_DOCS: String(config.enableDocs),
    QNWIS_BYPASS_AUTH: String(config.bypassAuth),
    QNWIS_TEST_HOOKS: String(config.testHooks),
    QNWIS_WEB_DIST: config.webDist,
    QNWIS_BRIEFING_TTL_S: n(config.briefingTtlS),
    QNWIS_CLOCK_DATE: config.clockDate,
    QNWIS_QUERIES_DIR: d.queriesDir,
    QNWIS_CATALOG_PATH: d.catalogPath,
    QNWIS_DATA_DIR: d.dataDir,
    QNWIS_WORLD_BANK_DIR: d.worldBankDir,
    QNWIS_WORLD_BANK_ONLINE: String(d.worldBankOnline),
    QNWIS_WORLD_BANK_BASE_URL: d.worldBankBaseUrl,
    QNWIS_TRANSFORM_TRACE: String(d.transformTrace),
    QNWIS_DB_MODE: config.dbMode,
    DATABASE_URL: config.database.mode === 'postgres' ? config.database.url : undefined,
    QNWIS_DB_READONLY_URL: config.database.mode === 'postgres' ? config.database.readonlyUrl : undefined,
    PERF_POOL_MIN: n(config.pool.min),
    PERF_POOL_MAX: n(config.pool.max),
    PERF_POOL_TIMEOUT: n(config.pool.timeoutS),
    QNWIS_DB_STATEMENT_TIMEOUT_MS: n(config.dbStatementTimeoutMs),
    QNWIS_READY_TIMEOUT_MS: n(config.readyTimeoutMs),
    REDIS_URL: config.redisUrl,
    QNWIS_DEFAULT_CACHE_TTL_S: n(d.defaultCacheTtlS),
    QNWIS_CACHE_MAX_ENTRIES: n(d.cacheMaxEntries),
    QNWIS_CACHE_MAX_BYTES: n(d.cacheMaxBytes),
    QNWIS_WARM_CACHE: String(d.warmCache),
    QNWIS_WARM_QUERIES: l(d.warmQueries),
    QNWIS_WARM_MAX_WORKERS: n(d.warmMaxWorkers),
    CSRF_SECRET: config.secrets.csrf,
    CSRF_SECRET_PREVIOUS: config.secrets.csrfPrevious,
    SESSION_SECRET: config.secrets.session,
    SESSION_SECRET_PREVIOUS: config.secrets.sessionPrevious,
    QNWIS_API_KEY_PEPPER: config.secrets.apiKeyPepper,
    QNWIS_API_KEY_PEPPER_PREVIOUS: config.secrets.apiKeyPepperPrevious,
    QNWIS_AUDIT_HMAC_KEY: config.secrets.auditHmacKey,
    SESSION_IDLE_TIMEOUT_S: n(config.session.idleTimeoutS),
    SESSION_ABSOLUTE_TIMEOUT_S: n(config.session.absoluteTimeoutS),
    ALLOWED_ORIGINS: l(config.allowedOrigins),
    TRUSTED_PROXIES: l(config.trustedProxies),
    QNWIS_REQUIRE_HTTPS: String(config.requireHttps),
    HEALTH_ALLOW_CIDRS: l(config.healthAllowCidrs),
    METRICS_ALLOW_CIDRS: l(config.metricsAllowCidrs),
    QNWIS_MAX_BODY_BYTES: n(config.maxBodyBytes),
    RATE_LIMIT_ENABLED: String(config.rateLimit.enabled),
    RATE_LIMIT_REQUESTS_PER_MINUTE: n(config.rateLimit.perMinute),
    RATE_LIMIT_REQUESTS_PER_DAY: n(config.rateLimit.perDay),
    RATE_LIMIT_REDIS_PREFIX: config.rateLimit.redisPrefix,
    QNWIS_JWT_SECRET: config.secrets.jwtSecret,
    QNWIS_JWT_JWKS_FILE: config.jwt.jwksFile,
    QNWIS_JWT_JWKS_URL: config.jwt.jwksUrl,
    QNWIS_JWT_ISSUER: config.jwt.issuer,
    QNWIS_JWT_AUDIENCE: config.jwt.audience,
    QNWIS_JWT_LEEWAY_SECONDS: n(config.jwt.leewayS),
    QNWIS_AUTO_PAGINATE_THRESHOLD: n(config.pagination.autoThreshold),
    QNWIS_DEFAULT_PAGE_SIZE: n(config.pagination.defaultPageSize),
    QNWIS_MAX_PAGE_SIZE: n(config.pagination.maxPageSize),
    QNWIS_SMOKE_URL: config.smoke.url,
    QNWIS_SMOKE_API_KEY: config.smoke.apiKey,
  };
}

/**
 * A printable dump for `qnwis config check` and the startup summary, in catalogue order: secret variables become
 * `***` (secret URLs keep scheme, user and host), URL passwords become `***`. Given a raw environment, every
 * catalogued variable with a value or a default is listed; given an AppConfig, every variable it was built from.
 */
export function maskConfig(input: AppConfig | RawEnv): Record<string, string> {
  const values = isAppConfig(input) ? variablesOf(input) : undefined;
  const out: Record<string, string> = {};
  for (const spec of CATALOGUE) {
    const text = values ? values[spec.name] : effectiveText(spec, input as RawEnv);
    if (text !== undefined) out[spec.name] = maskValue(spec, text);
  }
  return out;
}
