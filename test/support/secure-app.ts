import { SignJWT } from 'jose';
import { migrate } from '../../src/db/migrate.js';
import type { Role } from '../../src/security/roles.js';
import { buildTestApp, type TestApp } from './app.js';
import { createScratch, type Scratch } from '../db/support.js';
import { testSecurity } from './security.js';
import type { SecurityServices } from '../../src/http/security-services.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopq';
export const TEST_JWT_ISSUER = 'https://issuer.test';
export const TEST_JWT_AUDIENCE = 'qnwis-test';

export interface SecureApp extends TestApp {
  scratch: Scratch;
  security: SecurityServices;
  /** Keys by name: analyst, service, auditor, admin, none (no roles), revoked, expired. */
  keys: Record<'analyst' | 'service' | 'auditor' | 'admin' | 'none' | 'revoked' | 'expired', string>;
  jwt(claims: Record<string, unknown>, opts?: { secret?: string; expiresIn?: string | number }): Promise<string>;
}

/**
 * The in-process app with real security: API keys, sessions and audit events in a scratch PostgreSQL database,
 * bearer tokens with an HS256 secret, authentication not bypassed. Rate limiting follows `env` (off by default).
 */
export async function buildSecureApp(env: Record<string, string> = {}): Promise<SecureApp> {
  const scratch = await createScratch('postgres');
  await migrate(scratch.db, { appVersion: 'test' });
  const security = testSecurity(
    {
      QNWIS_BYPASS_AUTH: 'false',
      QNWIS_JWT_SECRET: TEST_JWT_SECRET,
      QNWIS_JWT_ISSUER: TEST_JWT_ISSUER,
      QNWIS_JWT_AUDIENCE: TEST_JWT_AUDIENCE,
      ...env,
    },
    scratch.db,
  );
  const store = security.apiKeys!;
  const make = async (label: string, roles: Role[], expiresAt?: Date): Promise<string> =>
    (await store.create({ label, roles, ...(expiresAt ? { expiresAt } : {}) })).key;
  const revoked = await make('revoked', ['admin']);
  await store.revoke(revoked.split('_')[1]!);
  const expired = await make('expired', ['admin'], new Date(Date.now() + 3_600_000));
  await scratch.db.query(`UPDATE public.api_keys SET expires_at = now() - interval '1 hour' WHERE key_id = $1`, [
    expired.split('_')[1]!,
  ]);
  const keys = {
    analyst: await make('analyst', ['analyst']),
    service: await make('service', ['service']),
    auditor: await make('auditor', ['auditor']),
    admin: await make('admin', ['admin']),
    none: await make('no-roles', []),
    revoked,
    expired,
  };
  const base = await buildTestApp({ security });
  await security.audit?.flush();
  const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);
  return {
    ...base,
    scratch,
    security,
    keys,
    async jwt(claims, opts = {}) {
      const key = opts.secret ? new TextEncoder().encode(opts.secret) : secretKey;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setIssuer(TEST_JWT_ISSUER)
        .setAudience(TEST_JWT_AUDIENCE)
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(key);
    },
    async close() {
      await base.close();
      await scratch.cleanup();
    },
  };
}
