import path from 'node:path';
import pino from 'pino';
import { buildTestApp, type TestApp } from '../support/app.js';
import type { Rasteriser } from '../../src/http/routes/export.js';
import type { SecurityServices } from '../../src/http/security-services.js';

export const FONT_DIR = path.resolve('web/src/assets/fonts');

export interface WebTestOptions {
  webDist?: string;
  security?: SecurityServices;
  rasterise?: Rasteriser;
  cspViolations?: string[];
  logLines?: Record<string, unknown>[];
}

/**
 * The test app (authentication bypassed unless `security` is given) with the dashboard's route modules registered
 * the way src/http/app.ts registers them.
 */
export async function buildWebTestApp(opts: WebTestOptions = {}): Promise<TestApp> {
  const logLines = opts.logLines;
  return buildTestApp({
    ...(opts.security ? { security: opts.security } : {}),
    settings: { webDist: opts.webDist ?? path.resolve('dist/web'), webFontDir: FONT_DIR },
    ui: {
      onCspViolation: (d) => opts.cspViolations?.push(d),
      log: logLines ? { warn: (fields) => void logLines.push(fields) } : pino({ level: 'silent' }),
      ...(opts.rasterise ? { rasterise: opts.rasterise } : {}),
    },
  });
}
