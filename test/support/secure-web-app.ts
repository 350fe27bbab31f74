/**
 * The dashboard with real security for browser and API tests: API keys, sessions and audit events in a scratch
 * PostgreSQL database, the `postgres` query source (ts_* views) on the shared pack database, the built web bundle,
 * and the dashboard's analysis routes (Ask, Briefing, audit log and their exports).
 */
import pino from 'pino';
import { migrate } from '../../src/db/migrate.js';
import { openPostgres, type Database, type Executor } from '../../src/db/database.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';
import { createAnalysisServices } from '../../src/analysis/analysis-services.js';
import { runBriefing } from '../../src/analysis/briefing.js';
import { BriefingCache } from '../../src/http/ui-briefing.js';
import { uiAnalysisRoutes } from '../../src/http/routes/ui-analysis.js';
import { briefingAuditExportRoutes } from '../../src/http/routes/export.js';
import type { SecurityServices } from '../../src/http/security-services.js';
import type { Role } from '../../src/security/roles.js';
import { createScratch, type Scratch } from '../db/support.js';
import { buildTestApp, type TestApp } from './app.js';
import { testSecurity, TEST_SECRETS } from './security.js';
import { sharedPackDatabase } from './shared-postgres.js';
import { FONT_DIR } from '../web/web-app.js';

/** Clock date of the answers (as in every test app). */
export const TEST_CLOCK_DATE = '2025-01-15';

/**
 * Registers the analysis routes (`uiAnalysisRoutes`, `briefingAuditExportRoutes`) on a test app the way
 * src/http/app.ts does, unless the app already has them. Returns the briefing cache in use (null when the app
 * registered the routes itself).
 */
export async function addUiAnalysisRoutes(
  t: TestApp,
  opts: { auditDb: Executor | null; briefingTtlS?: number },
): Promise<BriefingCache | null> {
  if (t.app.hasRoute({ method: 'GET', url: '/api/v1/ui/briefing' })) return null;
  const analysis = createAnalysisServices({
    queries: t.data.queryService,
    db: undefined,
    version: '0.0.0-test',
    clockDate: TEST_CLOCK_DATE,
    hmacKey: TEST_SECRETS.QNWIS_AUDIT_HMAC_KEY,
  });
  const briefing = new BriefingCache({
    build: async (requestId) => (await runBriefing(analysis.answers, { requestId })).response,
    registryVersion: () => t.data.registry.version(),
    ...(opts.briefingTtlS !== undefined ? { ttlS: opts.briefingTtlS } : {}),
  });
  await t.app.register(uiAnalysisRoutes, { analysis, registry: t.data.registry, briefing, auditDb: opts.auditDb });
  await t.app.register(briefingAuditExportRoutes, { briefing, auditDb: opts.auditDb });
  return briefing;
}

export type RoleKeyName = 'analyst' | 'auditor' | 'admin' | 'service';

export interface SecureWebApp extends TestApp {
  scratch: Scratch;
  security: SecurityServices;
  /** One API key per role (created in the scratch database). */
  keys: Record<RoleKeyName, string>;
}

export interface SecureWebAppOptions {
  webDist?: string;
  cspViolations?: string[];
}

/** The secure dashboard app (authentication not bypassed, rate limiting off), not listening. */
export async function buildSecureWebApp(opts: SecureWebAppOptions = {}): Promise<SecureWebApp> {
  const scratch = await createScratch('postgres');
  let packDb: Database | undefined;
  let base: TestApp | undefined;
  try {
    await migrate(scratch.db, { appVersion: 'test' });
    const security = testSecurity({ QNWIS_BYPASS_AUTH: 'false' }, scratch.db);
    const store = security.apiKeys!;
    const make = async (label: string, roles: Role[]): Promise<string> => (await store.create({ label, roles })).key;
    const keys = {
      analyst: await make('analyst', ['analyst']),
      auditor: await make('auditor', ['auditor']),
      admin: await make('admin', ['admin']),
      service: await make('service', ['service']),
    };
    packDb = await openPostgres(await sharedPackDatabase(), {
      min: 0,
      max: 4,
      acquireTimeoutS: 30,
      statementTimeoutMs: 60_000,
      applicationName: 'qnwis-test-secure-web',
    });
    const cspViolations = opts.cspViolations;
    base = await buildTestApp({
      security,
      postgres: createPostgresRunner(packDb),
      db: scratch.db,
      clockDate: TEST_CLOCK_DATE,
      settings: { ...(opts.webDist ? { webDist: opts.webDist } : {}), webFontDir: FONT_DIR },
      ui: { onCspViolation: (d) => cspViolations?.push(d), log: pino({ level: 'silent' }) },
    });
    await addUiAnalysisRoutes(base, { auditDb: scratch.db });
    const app = base;
    const pack = packDb;
    return {
      ...app,
      scratch,
      security,
      keys,
      async close() {
        await app.close();
        await pack.close();
        await scratch.cleanup();
      },
    };
  } catch (err) {
    await base?.close().catch(() => undefined);
    await packDb?.close().catch(() => undefined);
    await scratch.cleanup().catch(() => undefined);
    throw err;
  }
}

export interface SecureWebServer {
  /** `http://localhost:<port>`: a secure context, so `Secure` cookies work. */
  base: string;
  app: SecureWebApp;
  keys: Record<RoleKeyName, string>;
  cspViolations: string[];
  close(): Promise<void>;
}

/** The secure dashboard listening on an ephemeral port of 127.0.0.1. */
export async function startSecureWebServer(webDist: string): Promise<SecureWebServer> {
  const cspViolations: string[] = [];
  const app = await buildSecureWebApp({ webDist, cspViolations });
  try {
    await app.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { base: `http://localhost:${address.port}`, app, keys: app.keys, cspViolations, close: () => app.close() };
}
