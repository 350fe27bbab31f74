import pino from 'pino';
import { resolveAppConfig } from '../../src/config/app-config.js';
import type { Database } from '../../src/db/database.js';
import { createSecurityServices, type SecurityServices } from '../../src/http/security-services.js';

/** Fixed test secrets (32+ characters, never used outside tests). */
export const TEST_SECRETS: Readonly<Record<string, string>> = {
  CSRF_SECRET: 'test-csrf-secret-0123456789abcdefghijklmnop',
  SESSION_SECRET: 'test-session-secret-0123456789abcdefghijklm',
  QNWIS_API_KEY_PEPPER: 'test-api-key-pepper-0123456789abcdefghijkl',
  QNWIS_AUDIT_HMAC_KEY: 'test-audit-hmac-key-0123456789abcdefghijkl',
};

/**
 * Security services for in-process test apps. Defaults: authentication bypassed (dev-bypass admin) and rate limiting
 * off, as a development server with QNWIS_BYPASS_AUTH=true; pass `db` for API keys, sessions and audit events.
 */
export function testSecurity(env: Record<string, string> = {}, db?: Database): SecurityServices {
  const { config } = resolveAppConfig({
    QNWIS_ENV: 'test',
    QNWIS_BYPASS_AUTH: 'true',
    RATE_LIMIT_ENABLED: 'false',
    ...TEST_SECRETS,
    ...env,
  });
  return createSecurityServices(config, { db, logger: pino({ level: 'silent' }) });
}
