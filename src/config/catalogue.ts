/**
 * The environment catalogue: every variable QNWIS reads, with its type, default and consumer.
 * docs/deploy/SECURE_ENV_REFERENCE.md and the README are checked against this list by a test.
 */
export type Consumer = 'service' | 'compose' | 'scripts' | 'smoke' | 'image' | 'entrypoint';

export type VarKind =
  | { type: 'string'; pattern?: RegExp; patternText?: string; minLength?: number }
  | { type: 'path'; readableFile?: boolean }
  | { type: 'int'; min: number; max: number }
  | { type: 'port' }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'list' }
  | { type: 'url'; schemes: readonly string[] }
  | { type: 'ip' }
  | { type: 'hostname' }
  | { type: 'date' }
  | { type: 'cidrList'; allowBareAddress: boolean }
  | { type: 'originList' };

export interface VarSpec {
  name: string;
  consumers: readonly Consumer[];
  kind: VarKind;
  /** Documented default as text, parsed like an explicit value; undefined = unset. */
  default?: string;
  /** How the default is documented when it is not a literal value (e.g. "package version"). */
  defaultText?: string;
  secret?: boolean;
  /** Unconditionally required when QNWIS_ENV=prod. */
  requiredInProd?: boolean;
  /** Documented condition under which the variable is required in prod (rows that are not unconditional). */
  requiredInProdWhen?: string;
  /** Cross-field or prod-only rule, appended to the documented validation. */
  rule?: string;
  /** What the variable means (README "Meaning" column). */
  description: string;
  /** One line of operational handling advice (reference "Handling guidance" column). */
  guidance: string;
}

const POSTGRES_SCHEMES = [
  'postgres:',
  'postgresql:',
  'postgresql+psycopg:',
  'postgresql+psycopg2:',
  'postgresql+asyncpg:',
] as const;

/** Secrets shared by the service and its HMACs: at least 32 characters (spec §3.8). */
const SECRET_32 = { type: 'string', minLength: 32 } as const;

export const CATALOGUE: readonly VarSpec[] = [
  // ---- process and runtime ----
  {
    name: 'QNWIS_ENV',
    consumers: ['service'],
    kind: { type: 'enum', values: ['dev', 'test', 'staging', 'dr', 'ops', 'prod'] },
    default: 'dev',
    description: 'Deployment environment; `prod` turns on the production guardrails.',
    guidance: 'Set to `prod` on every production host; any other value disables the guardrails.',
  },
  {
    name: 'NODE_ENV',
    consumers: ['image'],
    kind: { type: 'string' },
    defaultText: '`production` in the image',
    description: 'Node.js convention for libraries; QNWIS code never branches on it.',
    guidance: 'Leave as the image sets it; use QNWIS_ENV to select the environment.',
  },
  {
    name: 'HOST',
    consumers: ['service'],
    kind: { type: 'ip' },
    default: '0.0.0.0',
    description: 'Address the API listener binds to.',
    guidance: 'Use `127.0.0.1` when a local reverse proxy is the only client.',
  },
  {
    name: 'PORT',
    consumers: ['service'],
    kind: { type: 'port' },
    default: '8000',
    description: 'Port of the API listener.',
    guidance: 'Keep in step with the proxy upstream and the container health check.',
  },
  {
    name: 'METRICS_PORT',
    consumers: ['service'],
    kind: { type: 'port' },
    rule: '≠ PORT',
    description: 'Separate listener serving only `/metrics`; unset = `/metrics` on the API port.',
    guidance: 'Recommended in prod; must differ from PORT and stay off the public network.',
  },
  {
    name: 'WEB_CONCURRENCY',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 64 },
    default: '2',
    description: 'Worker processes forked by the primary (embedded mode runs one).',
    guidance: 'Size as min(2 × CPUs, 8) and check the Postgres connection budget.',
  },
  {
    name: 'QNWIS_GRACEFUL_TIMEOUT_S',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 300 },
    default: '30',
    description: 'Seconds a draining worker waits for in-flight requests.',
    guidance: 'Keep preStop + this + 5 s below the supervisor grace period (45 s).',
  },
  {
    name: 'QNWIS_KEEPALIVE_TIMEOUT_S',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 120 },
    default: '5',
    description: 'HTTP keep-alive timeout of idle client connections.',
    guidance: 'Keep below the idle timeout of the load balancer in front.',
  },
  {
    name: 'QNWIS_REQUEST_TIMEOUT_S',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 120 },
    default: '120',
    description: 'Handler deadline per request (504 `request_timeout`).',
    guidance: 'Keep at or below the proxy read timeout.',
  },
  {
    name: 'QNWIS_VERSION',
    consumers: ['service'],
    kind: { type: 'string' },
    defaultText: 'package version',
    description: 'Version reported by health details, metrics and audit manifests.',
    guidance: 'Set by the image build argument; do not override by hand.',
  },
  {
    name: 'QNWIS_STATE_DIR',
    consumers: ['service'],
    kind: { type: 'path' },
    default: 'var',
    description: 'Writable directory for the embedded database, dev secrets, dev admin key and lock file.',
    guidance: 'Unused in prod; outside prod keep it private (it holds generated secrets).',
  },
  {
    name: 'LOG_LEVEL',
    consumers: ['service'],
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'Pino log level.',
    guidance: 'Use `info` in prod; `debug` only for short investigations.',
  },
  {
    name: 'QNWIS_INGEST_ON_START',
    consumers: ['entrypoint'],
    kind: { type: 'bool' },
    default: 'true',
    description: 'The container entrypoint ingests the LMIS pack before starting the server.',
    guidance: '`false` leaves loading the LMIS pack to an operator running `qnwis ingest`.',
  },
  {
    name: 'QNWIS_ENABLE_DOCS',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    rule: 'prod: must be false',
    description: 'Serve the OpenAPI document and `/docs`.',
    guidance: 'Must stay false in prod (refused at start).',
  },
  {
    name: 'QNWIS_BYPASS_AUTH',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    rule: 'prod: must be false',
    description: 'Treat unauthenticated requests as an admin (`dev-bypass`); development only.',
    guidance: 'Never set outside a developer machine; refused in prod.',
  },
  {
    name: 'QNWIS_TEST_HOOKS',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    description: 'Mount the test-only routes used by the browser tests.',
    guidance: 'Test environments only; leave unset everywhere else.',
  },
  {
    name: 'QNWIS_WEB_DIST',
    consumers: ['service'],
    kind: { type: 'path' },
    default: 'dist/web',
    description: 'Directory of the built dashboard served under `/app/`.',
    guidance: 'Leave the default; the image ships the build there.',
  },
  {
    name: 'QNWIS_BRIEFING_TTL_S',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 86400 },
    default: '300',
    description: 'Seconds the minister briefing is cached per registry version.',
    guidance: 'Longer values keep `generated_at` and the ETag stable longer.',
  },
  {
    name: 'QNWIS_CLOCK_DATE',
    consumers: ['service'],
    kind: { type: 'date' },
    description: 'Fixed `clock_date` (YYYY-MM-DD) for answers; unset = current UTC date.',
    guidance: 'Tests and reproductions only; leave unset in every deployment.',
  },
  // ---- data layer ----
  {
    name: 'QNWIS_QUERIES_DIR',
    consumers: ['service'],
    kind: { type: 'path' },
    default: 'data/queries',
    description: 'Directory of the query spec registry (`*.yaml`, not recursive).',
    guidance: 'Ship with the image; changes alter the registry version.',
  },
  {
    name: 'QNWIS_CATALOG_PATH',
    consumers: ['service'],
    kind: { type: 'path' },
    default: 'data/catalog/datasets.yaml',
    description: 'Dataset catalogue used for licence enrichment.',
    guidance: 'Ship with the image next to the registry.',
  },
  {
    name: 'QNWIS_DATA_DIR',
    consumers: ['service', 'entrypoint'],
    kind: { type: 'path' },
    default: 'data/lmis',
    description: 'Data root of the CSV connector; `seed` writes and `ingest` reads the LMIS pack here.',
    guidance: 'Mount read-only in prod; only `seed` writes to it.',
  },
  {
    name: 'QNWIS_WORLD_BANK_DIR',
    consumers: ['service'],
    kind: { type: 'path' },
    default: 'data/world_bank',
    description: 'Directory of World Bank API v2 JSON snapshots.',
    guidance: 'Writable only when live fetching refreshes the snapshots.',
  },
  {
    name: 'QNWIS_WORLD_BANK_ONLINE',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    description: 'Fetch World Bank indicators live (and refresh the snapshots); off means no network I/O.',
    guidance: 'Enable only where outbound HTTPS to the World Bank is allowed.',
  },
  {
    name: 'QNWIS_WORLD_BANK_BASE_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: ['http:', 'https:'] },
    default: 'https://api.worldbank.org/v2',
    description: 'Base URL of the World Bank API for live fetches.',
    guidance: 'Change only to point at an approved mirror.',
  },
  {
    name: 'QNWIS_TRANSFORM_TRACE',
    consumers: ['service'],
    kind: { type: 'bool' },
    description: 'When true, every executed postprocess step adds a `transform:<name>` warning.',
    guidance: 'Debugging aid; leave unset in prod.',
  },
  // ---- database ----
  {
    name: 'QNWIS_DB_MODE',
    consumers: ['service'],
    kind: { type: 'enum', values: ['auto', 'postgres', 'embedded'] },
    default: 'auto',
    rule: 'prod: `embedded` refused; `postgres` needs DATABASE_URL',
    description: '`auto` uses Postgres when DATABASE_URL is set, else the embedded PGlite database (not in prod).',
    guidance: 'Must resolve to `postgres` in prod; `embedded` is refused there.',
  },
  {
    name: 'DATABASE_URL',
    consumers: ['service', 'scripts'],
    kind: { type: 'url', schemes: POSTGRES_SCHEMES },
    secret: true,
    requiredInProd: true,
    rule: 'prod: must carry a password',
    description: 'Postgres URL of the writer role (migrations, ingest, materialize, keys, audit).',
    guidance: 'Secret store only; include a password and `sslmode` as the network requires.',
  },
  {
    name: 'QNWIS_DB_READONLY_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: POSTGRES_SCHEMES },
    secret: true,
    defaultText: '`DATABASE_URL`',
    description: 'Postgres URL of the read-only role used by `postgres` query specs; defaults to DATABASE_URL.',
    guidance: 'Use a role with SELECT-only grants on the lmis schema.',
  },
  {
    name: 'PERF_POOL_MIN',
    consumers: ['service'],
    kind: { type: 'int', min: 0, max: 200 },
    default: '2',
    rule: '≤ PERF_POOL_MAX',
    description: 'Connections per worker opened at start and kept.',
    guidance: 'At most PERF_POOL_MAX.',
  },
  {
    name: 'PERF_POOL_MAX',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 200 },
    default: '10',
    description: 'Connection pool size per worker.',
    guidance: 'Instances × WEB_CONCURRENCY × this + 10 must not exceed Postgres max_connections.',
  },
  {
    name: 'PERF_POOL_TIMEOUT',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 300 },
    default: '30',
    description: 'Seconds to wait for a pooled connection before 503 `dependency_unavailable`.',
    guidance: 'Keep below QNWIS_REQUEST_TIMEOUT_S.',
  },
  {
    name: 'QNWIS_DB_STATEMENT_TIMEOUT_MS',
    consumers: ['service'],
    kind: { type: 'int', min: 100, max: 120000 },
    default: '30000',
    description: 'Postgres `statement_timeout` set on every connection.',
    guidance: 'Keep below QNWIS_REQUEST_TIMEOUT_S.',
  },
  {
    name: 'QNWIS_READY_TIMEOUT_MS',
    consumers: ['service'],
    kind: { type: 'int', min: 100, max: 10000 },
    default: '1000',
    description: 'Deadline of the dependency checks behind `/health/ready`.',
    guidance: 'Keep below the readiness probe timeout.',
  },
  // ---- cache and Redis ----
  {
    name: 'REDIS_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: ['redis:', 'rediss:'] },
    secret: true,
    requiredInProd: true,
    rule: 'prod: must carry a password',
    description: 'Redis URL for the shared result cache and rate limits; unset = in-process cache.',
    guidance: 'Secret store only; must carry a password in prod; prefer `rediss://` across hosts.',
  },
  {
    name: 'QNWIS_DEFAULT_CACHE_TTL_S',
    consumers: ['service'],
    kind: { type: 'int', min: 0, max: 86400 },
    default: '3600',
    description: 'Default result-cache TTL in seconds (0 disables caching).',
    guidance: 'Lower it when data refreshes more often than hourly.',
  },
  {
    name: 'QNWIS_CACHE_MAX_ENTRIES',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 10_000_000 },
    default: '1000',
    description: 'Entry bound of the in-process result cache.',
    guidance: 'Applies per worker when REDIS_URL is unset.',
  },
  {
    name: 'QNWIS_CACHE_MAX_BYTES',
    consumers: ['service'],
    kind: { type: 'int', min: 1024, max: 17_179_869_184 },
    default: '67108864',
    description: 'Byte bound of the in-process result cache (stored strings).',
    guidance: 'Applies per worker; budget it against the container memory limit.',
  },
  {
    name: 'QNWIS_WARM_CACHE',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    description: 'Warm the result cache with QNWIS_WARM_QUERIES after the registry loads.',
    guidance: 'Enable where first-request latency matters.',
  },
  {
    name: 'QNWIS_WARM_QUERIES',
    consumers: ['service'],
    kind: { type: 'list' },
    default: 'syn_employment_latest_total,syn_attrition_hotspots_latest,syn_qatarization_gap_latest',
    description: 'Query ids run by cache warming.',
    guidance: 'Registered query ids only; unknown ids are reported at warm-up.',
  },
  {
    name: 'QNWIS_WARM_MAX_WORKERS',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 64 },
    default: '4',
    description: 'Concurrent executions during cache warming.',
    guidance: 'Keep at or below PERF_POOL_MAX.',
  },
  // ---- secrets ----
  {
    name: 'CSRF_SECRET',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    requiredInProd: true,
    defaultText: 'generated outside prod',
    description: 'HMAC key of CSRF tokens.',
    guidance: 'Generate with `openssl rand -base64 48`; rotate via CSRF_SECRET_PREVIOUS.',
  },
  {
    name: 'CSRF_SECRET_PREVIOUS',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    description: 'Previous CSRF key, still accepted during rotation.',
    guidance: 'Set only during a rotation; remove after the session lifetime has passed.',
  },
  {
    name: 'SESSION_SECRET',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    requiredInProd: true,
    defaultText: 'generated outside prod',
    description: 'HMAC key of session cookies.',
    guidance: 'Generate with `openssl rand -base64 48`; rotate via SESSION_SECRET_PREVIOUS.',
  },
  {
    name: 'SESSION_SECRET_PREVIOUS',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    description: 'Previous session key, still accepted (cookies are re-issued) during rotation.',
    guidance: 'Remove once SESSION_ABSOLUTE_TIMEOUT_S has passed since the rotation.',
  },
  {
    name: 'QNWIS_API_KEY_PEPPER',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    requiredInProd: true,
    defaultText: 'generated outside prod',
    description: 'HMAC pepper of stored API key hashes.',
    guidance: 'Losing it invalidates every API key; back it up in the secret store.',
  },
  {
    name: 'QNWIS_API_KEY_PEPPER_PREVIOUS',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    description: 'Previous pepper; keys verified with it are re-hashed with the current one.',
    guidance: 'Keep until `qnwis keys list` shows no key on the previous pepper.',
  },
  {
    name: 'QNWIS_AUDIT_HMAC_KEY',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    requiredInProd: true,
    defaultText: 'generated outside prod',
    description: 'HMAC key signing audit manifests.',
    guidance: 'Never rotate without keeping the old key: stored manifests verify against it.',
  },
  // ---- sessions ----
  {
    name: 'SESSION_IDLE_TIMEOUT_S',
    consumers: ['service'],
    kind: { type: 'int', min: 60, max: 86400 },
    default: '1800',
    description: 'Browser session idle timeout.',
    guidance: 'Shorten on shared workstations.',
  },
  {
    name: 'SESSION_ABSOLUTE_TIMEOUT_S',
    consumers: ['service'],
    kind: { type: 'int', min: 60, max: 604800 },
    default: '28800',
    rule: '≥ SESSION_IDLE_TIMEOUT_S',
    description: 'Browser session lifetime after login (also the cookie Max-Age).',
    guidance: 'At least SESSION_IDLE_TIMEOUT_S.',
  },
  // ---- HTTP security ----
  {
    name: 'ALLOWED_ORIGINS',
    consumers: ['service'],
    kind: { type: 'originList' },
    rule: 'prod: https only, no `*`',
    description: 'Exact origins (`scheme://host[:port]`) allowed cross-origin access; empty = none.',
    guidance: 'https origins only in prod, never `*`.',
  },
  {
    name: 'TRUSTED_PROXIES',
    consumers: ['service'],
    kind: { type: 'cidrList', allowBareAddress: true },
    rule: 'prod: no `/0` entry',
    description: 'Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.',
    guidance: 'List only the reverse proxy addresses; never a catch-all.',
  },
  {
    name: 'QNWIS_REQUIRE_HTTPS',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'true',
    rule: 'prod: must be true',
    description: 'Reject plain-HTTP requests (400 `https_required`) except the documented exemptions.',
    guidance: 'Must stay true in prod (refused at start).',
  },
  {
    name: 'HEALTH_ALLOW_CIDRS',
    consumers: ['service'],
    kind: { type: 'cidrList', allowBareAddress: false },
    default: '127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7',
    description: 'Client networks allowed to probe `/health/*` over plain HTTP.',
    guidance: 'Narrow to the orchestrator and proxy networks.',
  },
  {
    name: 'METRICS_ALLOW_CIDRS',
    consumers: ['service'],
    kind: { type: 'cidrList', allowBareAddress: false },
    default: '127.0.0.0/8,::1/128',
    rule: 'prod: no `/0` entry',
    description: 'Client networks allowed to scrape `/metrics`.',
    guidance: 'Only the Prometheus network; never a catch-all.',
  },
  {
    name: 'QNWIS_MAX_BODY_BYTES',
    consumers: ['service'],
    kind: { type: 'int', min: 1024, max: 10485760 },
    default: '1048576',
    description: 'Largest accepted request body (413 `payload_too_large`).',
    guidance: 'Keep the proxy body limit equal or lower.',
  },
  // ---- rate limiting ----
  {
    name: 'RATE_LIMIT_ENABLED',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'true',
    description: 'Per-key request limits.',
    guidance: 'Keep on in prod (a warning is logged when off).',
  },
  {
    name: 'RATE_LIMIT_REQUESTS_PER_MINUTE',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 100000 },
    default: '60',
    description: 'Requests per key per UTC minute.',
    guidance: 'Shared by all workers and instances through Redis.',
  },
  {
    name: 'RATE_LIMIT_REQUESTS_PER_DAY',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 1_000_000_000 },
    default: '10000',
    rule: '≥ RATE_LIMIT_REQUESTS_PER_MINUTE',
    description: 'Requests per key per UTC day.',
    guidance: 'At least RATE_LIMIT_REQUESTS_PER_MINUTE.',
  },
  {
    name: 'RATE_LIMIT_REDIS_PREFIX',
    consumers: ['service'],
    kind: { type: 'string', pattern: /^[A-Za-z0-9:_-]{1,64}$/ },
    default: 'rate:',
    description: 'Prefix of the rate-limit keys in Redis.',
    guidance: 'Distinct per deployment sharing one Redis.',
  },
  // ---- JWT ----
  {
    name: 'QNWIS_JWT_SECRET',
    consumers: ['service'],
    kind: SECRET_32,
    secret: true,
    rule: 'at most one JWT key variable set',
    description: 'HS256 key enabling bearer tokens (one of the three JWT key sources).',
    guidance: 'Prefer a JWKS; set at most one of the JWT key variables.',
  },
  {
    name: 'QNWIS_JWT_JWKS_FILE',
    consumers: ['service'],
    kind: { type: 'path', readableFile: true },
    rule: 'at most one JWT key variable set',
    description: 'JWKS file with the RS256/ES256 public keys enabling bearer tokens.',
    guidance: 'Public keys only; set at most one of the JWT key variables.',
  },
  {
    name: 'QNWIS_JWT_JWKS_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: ['https:', 'http:'] },
    rule: 'at most one JWT key variable set; `http:` only for loopback outside prod',
    description: 'HTTPS URL of the identity provider JWKS enabling bearer tokens.',
    guidance: 'https only (plain http only for loopback outside prod).',
  },
  {
    name: 'QNWIS_JWT_ISSUER',
    consumers: ['service'],
    kind: { type: 'string' },
    requiredInProdWhen: 'JWT enabled',
    description: 'Required `iss` claim of bearer tokens.',
    guidance: 'Exactly the identity provider issuer string.',
  },
  {
    name: 'QNWIS_JWT_AUDIENCE',
    consumers: ['service'],
    kind: { type: 'string' },
    requiredInProdWhen: 'JWT enabled',
    description: 'Audience that bearer tokens must contain.',
    guidance: 'A value registered for this service alone.',
  },
  {
    name: 'QNWIS_JWT_LEEWAY_SECONDS',
    consumers: ['service'],
    kind: { type: 'int', min: 0, max: 300 },
    default: '30',
    description: 'Clock skew tolerated on `exp`, `nbf` and `iat`.',
    guidance: 'Keep small; fix clocks with NTP instead.',
  },
  // ---- pagination ----
  {
    name: 'QNWIS_AUTO_PAGINATE_THRESHOLD',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '2000',
    description: 'Result rows above which responses are paginated automatically.',
    guidance: 'Raise only with matching client support.',
  },
  {
    name: 'QNWIS_DEFAULT_PAGE_SIZE',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '500',
    rule: '≤ QNWIS_MAX_PAGE_SIZE',
    description: 'Rows per page when the client does not ask.',
    guidance: 'At most QNWIS_MAX_PAGE_SIZE.',
  },
  {
    name: 'QNWIS_MAX_PAGE_SIZE',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: '5000',
    description: 'Largest page a client may request.',
    guidance: 'Bounds response size and memory per request.',
  },
  // ---- compose ----
  {
    name: 'COMPOSE_PROJECT_NAME',
    consumers: ['compose'],
    kind: { type: 'string', pattern: /^[a-z0-9][a-z0-9_-]*$/ },
    default: 'qnwis',
    description: 'Docker Compose project name (prefix of containers, networks and volumes).',
    guidance: 'One name per host; changing it orphans the existing volumes.',
  },
  {
    name: 'QNWIS_IMAGE',
    consumers: ['compose'],
    kind: {
      type: 'string',
      pattern:
        /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
      patternText: 'an image reference `registry/name[:tag][@sha256:digest]`',
    },
    default: 'ghcr.io/albarami/qnwis:latest',
    description: 'Container image the stack runs.',
    guidance: 'Pin a digest (`@sha256:…`) in prod.',
  },
  {
    name: 'POSTGRES_DB',
    consumers: ['compose'],
    kind: { type: 'string', pattern: /^[a-z_][a-z0-9_]{0,62}$/ },
    default: 'qnwis',
    description: 'Database created by the Postgres container.',
    guidance: 'Must match the database in DATABASE_URL.',
  },
  {
    name: 'POSTGRES_USER',
    consumers: ['compose'],
    kind: { type: 'string', pattern: /^[a-z_][a-z0-9_]{0,62}$/ },
    default: 'qnwis',
    description: 'Owner role created by the Postgres container.',
    guidance: 'Must match the user in DATABASE_URL.',
  },
  {
    name: 'POSTGRES_PASSWORD',
    consumers: ['compose'],
    kind: { type: 'string', minLength: 16 },
    secret: true,
    requiredInProd: true,
    description: 'Password of POSTGRES_USER.',
    guidance: 'Generate with `openssl rand -base64 48`; must match DATABASE_URL.',
  },
  {
    name: 'REDIS_PASSWORD',
    consumers: ['compose'],
    kind: { type: 'string', minLength: 16 },
    secret: true,
    requiredInProd: true,
    description: 'Password the Redis container requires.',
    guidance: 'Generate with `openssl rand -base64 48`; must match REDIS_URL.',
  },
  {
    name: 'QNWIS_PUBLIC_HOST',
    consumers: ['compose'],
    kind: { type: 'hostname' },
    requiredInProd: true,
    description: 'DNS name the reverse proxy routes to the service.',
    guidance: 'The certificate must cover this name.',
  },
  {
    name: 'QNWIS_STACK',
    consumers: ['compose'],
    kind: { type: 'string', pattern: /^[a-z0-9-]{1,20}$/ },
    default: 'blue',
    description: 'Colour of the blue/green stack.',
    guidance: 'Alternate `blue` and `green` between releases.',
  },
  {
    name: 'QNWIS_HTTP_PORT',
    consumers: ['compose'],
    kind: { type: 'port' },
    default: '80',
    description: 'Host port of the proxy plain-HTTP listener (redirects to HTTPS).',
    guidance: 'Change only when another service owns port 80.',
  },
  {
    name: 'QNWIS_HTTPS_PORT',
    consumers: ['compose'],
    kind: { type: 'port' },
    default: '443',
    description: 'Host port of the proxy HTTPS listener.',
    guidance: 'Change only when another service owns port 443.',
  },
  {
    name: 'QNWIS_PROXY_CIDRS',
    consumers: ['compose'],
    kind: { type: 'cidrList', allowBareAddress: false },
    default: '172.16.0.0/12,192.168.0.0/16',
    rule: 'prod: no `/0` entry',
    description: 'Networks of the compose proxy, fed into TRUSTED_PROXIES.',
    guidance: 'Narrow if the Docker address pool differs; never a catch-all.',
  },
  {
    name: 'QNWIS_METRICS_CIDRS',
    consumers: ['compose'],
    kind: { type: 'cidrList', allowBareAddress: false },
    default: '172.16.0.0/12,192.168.0.0/16',
    rule: 'prod: no `/0` entry',
    description: 'Networks of the compose Prometheus, fed into METRICS_ALLOW_CIDRS.',
    guidance: 'Narrow if the Docker address pool differs; never a catch-all.',
  },
  // ---- scripts and smoke ----
  {
    name: 'QNWIS_BACKUP_KEEP',
    consumers: ['scripts'],
    kind: { type: 'int', min: 1, max: 365 },
    default: '14',
    description: 'Backups kept by the backup script.',
    guidance: 'Cover at least one full release cycle.',
  },
  {
    name: 'QNWIS_SMOKE_URL',
    consumers: ['smoke'],
    kind: { type: 'url', schemes: ['http:', 'https:'] },
    description: 'Base URL the smoke test calls.',
    guidance: 'The public https URL after a deploy.',
  },
  {
    name: 'QNWIS_SMOKE_API_KEY',
    consumers: ['smoke'],
    kind: {
      type: 'string',
      pattern: /^qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/,
      patternText: 'an API key `qnwis_<12 hex>_<43 base64url>`',
    },
    secret: true,
    description: 'API key the smoke test authenticates with.',
    guidance: 'A dedicated least-privilege key; revoke it if it leaks.',
  },
];

export function findVar(name: string): VarSpec | undefined {
  return CATALOGUE.find((v) => v.name === name);
}

/** The Default column text shared by the README and the reference (checked by a test). */
export function documentedDefault(spec: VarSpec): string {
  if (spec.default !== undefined) return '`' + spec.default + '`';
  return spec.defaultText ?? 'unset';
}

/** The "Required in prod" column text. */
export function documentedRequirement(spec: VarSpec): string {
  if (spec.requiredInProd) return 'yes';
  if (spec.requiredInProdWhen !== undefined) return `when ${spec.requiredInProdWhen}`;
  return 'no';
}

/** The Validation column text, derived from the kind so the document cannot drift from the checks. */
export function documentedValidation(spec: VarSpec): string {
  const base = kindValidation(spec.kind);
  return spec.rule === undefined ? base : `${base}; ${spec.rule}`;
}

function kindValidation(kind: VarKind): string {
  switch (kind.type) {
    case 'string':
      if (kind.pattern) return kind.patternText ?? '`' + kind.pattern.source + '`';
      if (kind.minLength !== undefined) return `at least ${kind.minLength} characters`;
      return 'any text';
    case 'path':
      return kind.readableFile ? 'readable file' : 'path (relative to the working directory)';
    case 'int':
      return `${kind.min}..${kind.max}`;
    case 'port':
      return '1..65535';
    case 'bool':
      return 'true, false, 1, 0, yes, no';
    case 'enum':
      return kind.values.join(', ');
    case 'list':
      return 'comma-separated';
    case 'url':
      return `scheme ${kind.schemes.map((s) => s + '//').join(', ')}`;
    case 'ip':
      return 'IPv4 or IPv6 address';
    case 'hostname':
      return 'DNS name';
    case 'date':
      return 'YYYY-MM-DD';
    case 'cidrList':
      return kind.allowBareAddress ? 'comma-separated addresses or CIDRs' : 'comma-separated CIDRs';
    case 'originList':
      return 'comma-separated `scheme://host[:port]` or `*`';
  }
}

/** The Type column text. */
export function documentedType(spec: VarSpec): string {
  const kind = spec.kind;
  switch (kind.type) {
    case 'string':
      return spec.secret ? 'secret' : 'string';
    case 'path':
      return 'path';
    case 'int':
      return 'integer';
    case 'port':
      return 'port';
    case 'bool':
      return 'bool';
    case 'enum':
      return 'enum';
    case 'list':
      return 'list';
    case 'url':
      return 'URL';
    case 'ip':
      return 'IP address';
    case 'hostname':
      return 'hostname';
    case 'date':
      return 'date';
    case 'cidrList':
      return 'CIDR list';
    case 'originList':
      return 'origin list';
  }
}
