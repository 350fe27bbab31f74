/**
 * The security collaborators of one worker (service spec §2–§3): credential stores, limiter, throttle and audit
 * queue, assembled from the resolved configuration. The request pipeline (plugins/request-security.ts) uses them.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { Database } from '../db/database.js';
import { ApiKeyStore, type ApiKeyAuditEvent } from '../security/api-keys.js';
import { AuditQueue, type AuditEvent } from '../security/audit-events.js';
import { createJwtVerifier, type JwtVerifier } from '../security/jwt.js';
import { LoginThrottle, RateLimiter, type RedisState } from '../security/rate-limit.js';
import { SessionStore } from '../security/session-store.js';

export interface SecuritySettings {
  /** QNWIS_BYPASS_AUTH outside prod: requests without credentials act as the `dev-bypass` admin. */
  bypassAuth: boolean;
  requireHttps: boolean;
  healthAllowCidrs: readonly string[];
  allowedOrigins: readonly string[];
  rateLimitEnabled: boolean;
  csrfSecret: string;
  csrfSecretPrevious: string | undefined;
  sessionSecret: string;
  sessionSecretPrevious: string | undefined;
  session: { idleTimeoutS: number; absoluteTimeoutS: number };
}

export interface SecurityServices {
  settings: SecuritySettings;
  /** The database of keys, sessions and audit events; null in unit-test apps. */
  db: Database | null;
  /** Null without a database (unit-test apps): every API key and session is then refused. */
  apiKeys: ApiKeyStore | null;
  sessions: SessionStore | null;
  jwt: JwtVerifier;
  /** Null when RATE_LIMIT_ENABLED=false. */
  rateLimiter: RateLimiter | null;
  loginThrottle: LoginThrottle;
  /** Null without a database. */
  audit: AuditQueue | null;
  /** `degraded` while the limiter runs on its memory fallback because Redis is down. */
  redisState(): RedisState | 'none';
  close(): Promise<void>;
}

export interface SecurityDeps {
  db: Database | undefined;
  logger: Logger;
  onAuditDropped?: (count: number) => void;
  onRedisState?: (state: RedisState) => void;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new Error(`${name} is not set (run ensureDevSecrets first)`);
  return value;
}

/** The security settings of a resolved AppConfig (secrets must have been filled by ensureDevSecrets outside prod). */
export function securitySettings(config: AppConfig): SecuritySettings {
  return {
    bypassAuth: config.bypassAuth && config.env !== 'prod',
    requireHttps: config.requireHttps,
    healthAllowCidrs: config.healthAllowCidrs,
    allowedOrigins: config.allowedOrigins,
    rateLimitEnabled: config.rateLimit.enabled,
    csrfSecret: required(config.secrets.csrf, 'CSRF_SECRET'),
    csrfSecretPrevious: config.secrets.csrfPrevious,
    sessionSecret: required(config.secrets.session, 'SESSION_SECRET'),
    sessionSecretPrevious: config.secrets.sessionPrevious,
    session: config.session,
  };
}

export function createSecurityServices(config: AppConfig, deps: SecurityDeps): SecurityServices {
  const { db, logger } = deps;
  const settings = securitySettings(config);
  const audit = db
    ? new AuditQueue({
        db,
        log: logger,
        ...(deps.onAuditDropped ? { onDropped: deps.onAuditDropped } : {}),
      })
    : null;
  const auditKeyEvent = (event: ApiKeyAuditEvent): void => {
    audit?.push({
      ts: new Date(),
      request_id: null,
      principal_hash: null,
      principal_kind: null,
      action: event.action,
      resource: null,
      status: null,
      client_ip_hash: null,
      details: event.details,
    } satisfies AuditEvent);
  };
  const onError = (err: unknown): void =>
    logger.warn(
      { err: { message: err instanceof Error ? err.message : String(err) } },
      'security background task failed',
    );
  const apiKeys = db
    ? new ApiKeyStore({
        db,
        pepper: required(config.secrets.apiKeyPepper, 'QNWIS_API_KEY_PEPPER'),
        previousPepper: config.secrets.apiKeyPepperPrevious,
        onAudit: auditKeyEvent,
        onError,
      })
    : null;
  const sessions =
    db && apiKeys
      ? new SessionStore({
          db,
          keys: apiKeys,
          idleTimeoutS: config.session.idleTimeoutS,
          absoluteTimeoutS: config.session.absoluteTimeoutS,
          onError,
        })
      : null;
  const jwt = createJwtVerifier({
    secret: config.jwt.mode === 'secret' ? config.secrets.jwtSecret : undefined,
    jwksFile: config.jwt.mode === 'jwks_file' ? config.jwt.jwksFile : undefined,
    jwksUrl: config.jwt.mode === 'jwks_url' ? config.jwt.jwksUrl : undefined,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    leewayS: config.jwt.leewayS,
    allowInsecureLoopback: config.env !== 'prod',
  });
  const limiterOptions = {
    perMinute: config.rateLimit.perMinute,
    perDay: config.rateLimit.perDay,
    prefix: config.rateLimit.redisPrefix,
    redisUrl: config.redisUrl ?? null,
    log: logger,
    ...(deps.onRedisState ? { onStateChange: deps.onRedisState } : {}),
  };
  // The login throttle shares the limiter's Redis connection and state even when rate limiting is switched off.
  const limiter = new RateLimiter(limiterOptions);
  const loginThrottle = new LoginThrottle({ redis: limiter.redis, prefix: config.rateLimit.redisPrefix });
  return {
    settings,
    db: db ?? null,
    apiKeys,
    sessions,
    jwt,
    rateLimiter: settings.rateLimitEnabled ? limiter : null,
    loginThrottle,
    audit,
    redisState: () => limiter.state,
    async close() {
      await audit?.close();
      await apiKeys?.flush().catch(() => undefined);
      await limiter.close();
    },
  };
}
