import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, documentedDefault, documentedRequirement } from '../../src/config/catalogue.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REFERENCE = path.join(ROOT, 'docs/deploy/SECURE_ENV_REFERENCE.md');
const README = path.join(ROOT, 'README.md');

/** Cells of a Markdown table row (`\|` is a literal pipe inside a cell). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The first table after `heading` (or in the whole text), as header-keyed rows. */
function tableAfter(text: string, heading?: string): Record<string, string>[] {
  let lines = text.split('\n');
  if (heading !== undefined) {
    const start = lines.findIndex((l) => l.trim() === heading);
    expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
    lines = lines.slice(start + 1);
    const next = lines.findIndex((l) => /^#{1,2} /.test(l));
    if (next >= 0) lines = lines.slice(0, next);
  }
  const first = lines.findIndex((l) => l.trim().startsWith('|'));
  expect(first).toBeGreaterThanOrEqual(0);
  const block: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.trim().startsWith('|')) break;
    block.push(line);
  }
  const header = cells(block[0]!);
  expect(cells(block[1]!).every((c) => /^:?-+:?$/.test(c))).toBe(true);
  return block.slice(2).map((line) => {
    const row = cells(line);
    expect(row.length, line).toBe(header.length);
    return Object.fromEntries(header.map((h, i) => [h, row[i]!]));
  });
}

function variableName(cell: string): string {
  const match = /^`([A-Z0-9_]+)`$/.exec(cell);
  expect(match, `variable cell ${cell}`).not.toBeNull();
  return match![1]!;
}

describe('catalogue, SECURE_ENV_REFERENCE.md and README agree', () => {
  const referenceRows = tableAfter(fs.readFileSync(REFERENCE, 'utf8'), '## Variables');
  const readmeRows = tableAfter(fs.readFileSync(README, 'utf8'), '## Configuration');
  const names = CATALOGUE.map((v) => v.name);

  it('the catalogue names each variable once and excludes the test-only settings', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const testOnly of ['QNWIS_TEST_DATABASE_URL', 'QNWIS_TEST_REDIS_URL', 'QNWIS_CHROMIUM_PATH'])
      expect(names).not.toContain(testOnly);
  });

  it('the catalogue covers service spec §7.2, data-layer §13, analysis §6 and the UI variables', () => {
    const required = [
      'QNWIS_ENV',
      'HOST',
      'PORT',
      'METRICS_PORT',
      'WEB_CONCURRENCY',
      'QNWIS_GRACEFUL_TIMEOUT_S',
      'QNWIS_INGEST_ON_START',
      'QNWIS_KEEPALIVE_TIMEOUT_S',
      'QNWIS_REQUEST_TIMEOUT_S',
      'QNWIS_VERSION',
      'QNWIS_STATE_DIR',
      'QNWIS_DB_MODE',
      'LOG_LEVEL',
      'QNWIS_ENABLE_DOCS',
      'QNWIS_BYPASS_AUTH',
      'DATABASE_URL',
      'PERF_POOL_MIN',
      'PERF_POOL_MAX',
      'PERF_POOL_TIMEOUT',
      'QNWIS_DB_STATEMENT_TIMEOUT_MS',
      'QNWIS_READY_TIMEOUT_MS',
      'REDIS_URL',
      'QNWIS_DEFAULT_CACHE_TTL_S',
      'CSRF_SECRET',
      'SESSION_SECRET',
      'QNWIS_API_KEY_PEPPER',
      'CSRF_SECRET_PREVIOUS',
      'SESSION_SECRET_PREVIOUS',
      'QNWIS_API_KEY_PEPPER_PREVIOUS',
      'SESSION_IDLE_TIMEOUT_S',
      'SESSION_ABSOLUTE_TIMEOUT_S',
      'ALLOWED_ORIGINS',
      'TRUSTED_PROXIES',
      'QNWIS_REQUIRE_HTTPS',
      'HEALTH_ALLOW_CIDRS',
      'METRICS_ALLOW_CIDRS',
      'QNWIS_MAX_BODY_BYTES',
      'RATE_LIMIT_ENABLED',
      'RATE_LIMIT_REQUESTS_PER_MINUTE',
      'RATE_LIMIT_REQUESTS_PER_DAY',
      'RATE_LIMIT_REDIS_PREFIX',
      'QNWIS_JWT_SECRET',
      'QNWIS_JWT_JWKS_FILE',
      'QNWIS_JWT_JWKS_URL',
      'QNWIS_JWT_ISSUER',
      'QNWIS_JWT_AUDIENCE',
      'QNWIS_JWT_LEEWAY_SECONDS',
      'QNWIS_AUTO_PAGINATE_THRESHOLD',
      'QNWIS_DEFAULT_PAGE_SIZE',
      'QNWIS_MAX_PAGE_SIZE',
      'COMPOSE_PROJECT_NAME',
      'QNWIS_IMAGE',
      'POSTGRES_DB',
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'QNWIS_PUBLIC_HOST',
      'QNWIS_STACK',
      'QNWIS_HTTP_PORT',
      'QNWIS_HTTPS_PORT',
      'QNWIS_PROXY_CIDRS',
      'QNWIS_METRICS_CIDRS',
      'QNWIS_BACKUP_KEEP',
      'QNWIS_SMOKE_URL',
      'QNWIS_SMOKE_API_KEY',
      'NODE_ENV',
      'QNWIS_QUERIES_DIR',
      'QNWIS_CATALOG_PATH',
      'QNWIS_DATA_DIR',
      'QNWIS_WORLD_BANK_DIR',
      'QNWIS_WORLD_BANK_ONLINE',
      'QNWIS_WORLD_BANK_BASE_URL',
      'QNWIS_DB_READONLY_URL',
      'QNWIS_CACHE_MAX_ENTRIES',
      'QNWIS_CACHE_MAX_BYTES',
      'QNWIS_WARM_CACHE',
      'QNWIS_WARM_QUERIES',
      'QNWIS_WARM_MAX_WORKERS',
      'QNWIS_TRANSFORM_TRACE',
      'QNWIS_AUDIT_HMAC_KEY',
      'QNWIS_BRIEFING_TTL_S',
      'QNWIS_WEB_DIST',
      'QNWIS_TEST_HOOKS',
    ];
    expect(names.filter((n) => !required.includes(n))).toEqual(['QNWIS_CLOCK_DATE']);
    expect(required.filter((n) => !names.includes(n))).toEqual([]);
  });

  it('the reference has exactly one row per catalogue variable, in catalogue order', () => {
    expect(Object.keys(referenceRows[0]!)).toEqual([
      'Variable',
      'Consumer',
      'Type',
      'Default',
      'Required in prod',
      'Secret',
      'Validation',
      'Handling guidance',
    ]);
    expect(referenceRows.map((r) => variableName(r.Variable!))).toEqual(names);
  });

  it('the reference rows carry the catalogue defaults, required flags, consumers and secret flags', () => {
    for (const [i, spec] of CATALOGUE.entries()) {
      const row = referenceRows[i]!;
      expect(row.Default, spec.name).toBe(documentedDefault(spec));
      expect(row['Required in prod'], spec.name).toBe(documentedRequirement(spec));
      expect(row.Consumer, spec.name).toBe(spec.consumers.join(', '));
      expect(row.Secret, spec.name).toBe(spec.secret ? 'yes' : 'no');
      expect(row['Handling guidance'], spec.name).toBe(spec.guidance);
    }
  });

  it('the README Configuration table names exactly the catalogue variables with the same defaults', () => {
    expect(Object.keys(readmeRows[0]!)).toEqual(['Variable', 'Default', 'Meaning']);
    expect(readmeRows.map((r) => variableName(r.Variable!))).toEqual(names);
    for (const [i, spec] of CATALOGUE.entries())
      expect(readmeRows[i]!.Default, spec.name).toBe(documentedDefault(spec));
  });

  it('required-in-prod flags match spec §3.8 and §7.2', () => {
    expect(CATALOGUE.filter((v) => v.requiredInProd).map((v) => v.name)).toEqual([
      'DATABASE_URL',
      'REDIS_URL',
      'CSRF_SECRET',
      'SESSION_SECRET',
      'QNWIS_API_KEY_PEPPER',
      'QNWIS_AUDIT_HMAC_KEY',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'QNWIS_PUBLIC_HOST',
    ]);
    expect(CATALOGUE.filter((v) => v.secret).map((v) => v.name)).toEqual([
      'DATABASE_URL',
      'QNWIS_DB_READONLY_URL',
      'REDIS_URL',
      'CSRF_SECRET',
      'CSRF_SECRET_PREVIOUS',
      'SESSION_SECRET',
      'SESSION_SECRET_PREVIOUS',
      'QNWIS_API_KEY_PEPPER',
      'QNWIS_API_KEY_PEPPER_PREVIOUS',
      'QNWIS_AUDIT_HMAC_KEY',
      'QNWIS_JWT_SECRET',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'QNWIS_SMOKE_API_KEY',
    ]);
  });
});

describe('environment access stays in src/config', () => {
  function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return tsFiles(full);
      return entry.name.endsWith('.ts') ? [full] : [];
    });
  }

  it('no file under src/ outside src/config mentions process.env', () => {
    const src = path.join(ROOT, 'src');
    const files = tsFiles(src);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files
      .filter((f) => !f.startsWith(path.join(src, 'config') + path.sep))
      .filter((f) => /process\s*\.\s*env\b|process\s*\[\s*['"]env['"]\s*\]/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
