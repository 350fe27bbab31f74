/**
 * The built dashboard in the system Chromium (ui.md §11) against the secure server: API keys, sessions and audit
 * events in a scratch PostgreSQL database, the ts_* views of the shared pack database. Sign-in goes through the login
 * page with an API key per role. Every test runs under the CSP watch (no CSP or Trusted Types message, no page error,
 * no request to another host, no report at /api/v1/ui/csp-report); console errors are problems too, except the 401
 * and 403 answers of /api/v1/session that the login flow expects.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SCREENSHOT_DIR,
  buildWebInto,
  launchChromium,
  newContext,
  screenshot,
  settled,
  watchPage,
  type PageWatch,
} from './browser-support.js';
import { startSecureWebServer, type SecureWebServer } from '../support/secure-web-app.js';
import type { UiAnswer } from '../../src/http/ui-answer.js';

const DIST = path.resolve(`var/test/web-dist-secure-${process.pid}`);
let server: SecureWebServer;
let browser: Browser;

/** The login flow's expected refusals: no session yet (401), a wrong key (401), a service key (403). */
const SESSION_API = /\/api\/v1\/session$/;

beforeAll(async () => {
  buildWebInto(DIST);
  server = await startSecureWebServer(DIST);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(DIST, { recursive: true, force: true });
});

afterEach(() => {
  expect(server.cspViolations).toEqual([]);
});

interface Session {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
}

/** Opens the login page in a fresh context and submits `key`. */
async function submitKey(key: string, lang: 'en' | 'ar' = 'en'): Promise<Session> {
  const context = await newContext(browser, server.base, lang);
  const page = await context.newPage();
  const watch = watchPage(page, (url) => SESSION_API.test(url));
  await page.goto(`${server.base}/app/login`);
  await settled(page);
  await page.fill('#api-key', key);
  await page.locator('form.login-form button[type="submit"]').click();
  return { context, page, watch };
}

/** Signs in with `key` and waits for Overview. */
async function signIn(key: string, lang: 'en' | 'ar' = 'en'): Promise<Session> {
  const s = await submitKey(key, lang);
  await s.page.waitForURL('**/app/overview');
  await settled(s.page);
  return s;
}

/**
 * A context holding a session of `key` created through `POST /api/v1/session` (the login page itself is tested
 * separately), opened at `pathname`.
 */
async function withSession(key: string, pathname: string, lang: 'en' | 'ar' = 'en'): Promise<Session> {
  const res = await fetch(`${server.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: key }),
  });
  expect(res.status).toBe(200);
  const [name, value] = res.headers.get('set-cookie')!.split(';')[0]!.split(/=(.*)/s) as [string, string];
  const context = await newContext(browser, server.base, lang);
  // Host-only (no leading dot), as the login response sets it.
  await context.addCookies([
    { name, value, domain: 'localhost', path: '/', httpOnly: true, secure: true, sameSite: 'Strict' },
  ]);
  const page = await context.newPage();
  const watch = watchPage(page, (url) => SESSION_API.test(url));
  await go(page, pathname);
  return { context, page, watch };
}

/** Runs `fn`, then checks the watch; on failure a screenshot goes to test-results/screenshots. */
async function session(name: string, s: Session, fn: (s: Session) => Promise<void>): Promise<void> {
  try {
    await fn(s);
    expect(s.watch.problems).toEqual([]);
  } catch (err) {
    await screenshot(s.page, `failure-session-${name}`).catch(() => undefined);
    throw err;
  } finally {
    await s.context.close();
  }
}

/** Same-origin JSON from the API with an API key (what the page shows is compared with it). */
async function api<T>(pathname: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${server.base}${pathname}`, {
    method: init.method ?? 'GET',
    headers: {
      'x-api-key': server.keys.analyst,
      accept: 'application/json',
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  expect(res.status, pathname).toBe(200);
  return (await res.json()) as T;
}

async function go(page: Page, pathname: string): Promise<void> {
  await page.goto(`${server.base}/app/${pathname}`);
  await settled(page);
}

/** A route without data requests: the layout and its navigation only. */
const NAV_ONLY = 'no-such-page';

describe('sign-in and roles', () => {
  it('wrong key: message and no cookie; analyst key: Overview with an HttpOnly Secure SameSite=Strict cookie; logout', async () => {
    const bad = await submitKey(`qnwis_000000000000_${'x'.repeat(43)}`);
    await session('wrong-key', bad, async ({ page, context }) => {
      await page.locator('#login-error:not([hidden])').waitFor();
      expect(await page.locator('#login-error').textContent()).toBe('Invalid API key');
      expect(await page.locator('#api-key').getAttribute('aria-invalid')).toBe('true');
      expect((await context.cookies()).map((c) => c.name)).not.toContain('__Host-qnwis_session');
    });

    await session('logout', await signIn(server.keys.analyst), async ({ page, context }) => {
      const cookie = (await context.cookies()).find((c) => c.name === '__Host-qnwis_session');
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      expect(await page.locator('header').textContent()).toContain('analyst');
      const pair = `${cookie!.name}=${cookie!.value}`;
      expect((await fetch(`${server.base}/api/v1/session`, { headers: { cookie: pair } })).status).toBe(200);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL('**/app/login');
      expect((await context.cookies()).map((c) => c.name)).not.toContain('__Host-qnwis_session');
      expect((await fetch(`${server.base}/api/v1/session`, { headers: { cookie: pair } })).status).toBe(401);
    });
  });

  it('navigation follows the roles: analyst no Admin; auditor Audit log but no Ask; admin all; service key refused', async () => {
    const navOf = async (page: Page) => (await page.locator('nav a').allTextContents()).map((s) => s.trim());
    await session('nav-analyst', await withSession(server.keys.analyst, NAV_ONLY), async ({ page }) => {
      expect(await navOf(page)).toEqual(['Overview', 'Sectors', 'GCC', 'Ask', 'Queries', 'Briefing']);
      // a route without the permission: the access view, and no data request
      await go(page, 'admin/audit');
      expect(await page.locator('main').textContent()).toContain('You do not have access to this page');
    });
    await session('nav-auditor', await withSession(server.keys.auditor, NAV_ONLY), async ({ page }) => {
      expect(await navOf(page)).toEqual(['Overview', 'Sectors', 'GCC', 'Queries', 'Briefing', 'Audit log']);
    });
    await session('nav-admin', await withSession(server.keys.admin, NAV_ONLY), async ({ page }) => {
      expect(await navOf(page)).toEqual([
        'Overview',
        'Sectors',
        'GCC',
        'Ask',
        'Queries',
        'Briefing',
        'API keys',
        'Audit log',
      ]);
    });
    await session('service-refused', await submitKey(server.keys.service), async ({ page, context }) => {
      await page.locator('#login-error:not([hidden])').waitFor();
      expect(await page.locator('#login-error').textContent()).toBe('Service keys cannot open a UI session');
      expect((await context.cookies()).map((c) => c.name)).not.toContain('__Host-qnwis_session');
    });
  });
});

describe('Ask', () => {
  it('suggestion chip → answered: summary, findings, confidence, freshness, a citation that opens the query', async () => {
    await session('ask', await withSession(server.keys.analyst, 'ask'), async ({ page }) => {
      const chips = page.locator('.chips .chip');
      expect(await chips.count()).toBe(5);
      const question = (await chips.first().textContent())!;
      await chips.first().click();
      await page.waitForSelector('.answer[data-status="answered"]');
      expect(await page.locator('.stages li[data-state="done"]').count()).toBe(5);
      const expected = await api<UiAnswer>('/api/v1/ui/ask', { method: 'POST', body: { question } });
      expect(await page.locator('#question').inputValue()).toBe(question);
      expect(await page.locator('.answer .summary').textContent()).toBe(expected.executive_summary.text);
      expect(await page.locator('.answer .status-line').textContent()).toBe('Answered');
      const metricRows = expected.findings.reduce((n, f) => n + f.metrics.length + 1, 0);
      expect(await page.locator('.answer table tbody tr').count()).toBe(metricRows);
      expect(await page.locator('.answer table').textContent()).not.toMatch(/NaN|undefined/);
      expect(await page.locator('.answer .badge[class*="band-"]').textContent()).toBe(
        `${expected.confidence!.band} ${expected.confidence!.score}/100`,
      );
      const links = page.locator('.answer .citations a');
      expect(await links.allTextContents()).toEqual(
        expected.citations.filter((c) => c.in_registry).map((c) => c.query_id),
      );
      expect(await page.locator('.answer').textContent()).toContain(expected.freshness[0]!.source);
      expect(await page.locator('.history li').allTextContents()).toEqual([question]);
      await screenshot(page, 'session/ask-answer-en');
      const target = (await links.first().textContent())!;
      await links.first().click();
      await page.waitForURL(`**/app/queries/${target}`);
      await settled(page);
      expect(await page.locator('h1').textContent()).toBe(target);
    });
  });

  it('a vague question gets a clarification with chips; choosing one answers', async () => {
    await session('ask-clarify', await withSession(server.keys.analyst, 'ask'), async ({ page }) => {
      await page.fill('#question', 'Employment in 2023');
      await page.locator('#question').press('Enter');
      await page.waitForSelector('.answer.clarification .chip');
      expect(await page.locator('.answer.clarification p').first().textContent()).toMatch(
        /^I could not tell which analysis this question asks for\./,
      );
      const options = page.locator('.answer.clarification .chip');
      expect(await options.count()).toBe(3);
      expect(await page.locator('#question').inputValue()).toBe('Employment in 2023');
      await options.first().click();
      await page.waitForSelector('.answer[data-status="answered"]');
      expect(await page.locator('.answer .summary').textContent()).toMatch(/^Employment, national/);
    });
  });
});

describe('Queries, Briefing, Admin', () => {
  it('runs a query with a year and downloads its CSV, which matches the API rows', async () => {
    const id = 'syn_sector_employment_by_year';
    await session('query-csv', await withSession(server.keys.auditor, `queries/${id}`), async ({ page }) => {
      await page.fill('input[name="year"]', '2019');
      await page.getByRole('button', { name: 'Run query' }).click();
      await settled(page);
      expect(await page.locator('[data-row-count]').getAttribute('data-row-count')).toBe('10');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('qnwis-syn-sector-employment-by-year-2019-en.csv');
      const text = fs.readFileSync((await download.path())!, 'utf8');
      expect(text.endsWith('\r\n')).toBe(true);
      const csv = parse(text) as string[][];
      const rows = await api<{ columns: string[]; rows: Record<string, unknown>[]; row_count: number }>(
        `/api/v1/ui/queries/${id}/rows?year=2019&page_size=500`,
      );
      expect(csv[0]).toEqual(rows.columns);
      expect(csv.slice(1)).toEqual(rows.rows.map((r) => rows.columns.map((c) => (r[c] === null ? '' : String(r[c])))));
      expect(csv.length - 1).toBe(rows.row_count);
      expect(new Set(csv.slice(1).map((r) => r[rows.columns.indexOf('year')]))).toEqual(new Set(['2019']));
    });
  });

  it('briefing renders, prints without navigation, and its Markdown download has the section headings', async () => {
    await session('briefing', await withSession(server.keys.analyst, 'briefing'), async ({ page }) => {
      const expected = await api<{ title: string; headline: string[] }>('/api/v1/ui/briefing');
      expect(await page.locator('.briefing h2').textContent()).toBe(expected.title);
      expect(await page.locator('.briefing h3').allTextContents()).toEqual([
        'Headline',
        'Confidence',
        'Red flags',
        'Provenance',
        'Licences',
      ]);
      expect(await page.locator('.briefing ul').first().locator('li').allTextContents()).toEqual(expected.headline);
      expect(await page.locator('.briefing table tbody tr').count()).toBe(5);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download Markdown' }).click(),
      ]);
      const md = fs.readFileSync((await download.path())!, 'utf8');
      expect(md.startsWith(`# ${expected.title}\n`)).toBe(true);
      for (const heading of ['Headline', 'Key Metrics', 'Red Flags', 'Confidence', 'Provenance', 'Licences'])
        expect(md).toContain(`\n## ${heading}\n`);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('nav').isVisible()).toBe(false);
      expect(await page.locator('.briefing').isVisible()).toBe(true);
    });
  });

  it('admin: a new key is shown once and can sign in; revoking it ends that session; the audit log shows it', async () => {
    await session('admin', await withSession(server.keys.admin, 'admin/keys'), async ({ page }) => {
      await page.locator('main .actions').getByRole('button', { name: 'Create key' }).click();
      await page.fill('dialog input[pattern]', 'e2e-analyst');
      await page.check('dialog input[value="analyst"]');
      await page.locator('dialog').getByRole('button', { name: 'Create key' }).click();
      const key = await page.locator('dialog input[readonly]').inputValue();
      expect(key).toMatch(/^qnwis_[0-9a-f]{12}_/);
      const keyId = key.split('_')[1]!;
      await page.locator('dialog[open]').getByRole('button', { name: 'Close' }).click();
      // the dialog's close event (which removes it and the key with it) is dispatched as a separate task
      await page.locator('dialog').waitFor({ state: 'detached', timeout: 5000 });
      expect(await page.locator('dialog input[readonly]').count()).toBe(0);

      const second = await signIn(key);
      try {
        await settled(page);
        const row = page.locator('tr', { hasText: keyId });
        await row.getByRole('button', { name: 'Revoke' }).click();
        await page.locator('dialog[open]').getByRole('button', { name: 'Revoke' }).click();
        await page.locator('tr', { hasText: keyId }).filter({ hasText: 'revoked' }).waitFor();
        // the next API call of that session is refused: back to the login page, with the reason
        await second.page.locator('nav a', { hasText: 'Sectors' }).click();
        await second.page.waitForURL(
          (u) => u.pathname === '/app/login' && u.searchParams.get('next') === '/app/sectors',
        );
        expect(await second.page.locator('.notice').textContent()).toBe(
          'Your session has ended. Please sign in again.',
        );
      } finally {
        await second.context.close();
      }

      // audit log: the logins of this test, filtered by action (events are written in the background)
      await server.app.security.audit!.flush();
      await go(page, 'admin/audit');
      await page.getByLabel('Action').fill('session.create');
      await page.getByLabel('To').fill('');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await settled(page);
      const actions = await page.locator('main table tbody tr td:nth-child(3)').allTextContents();
      expect(actions.length).toBeGreaterThanOrEqual(2);
      expect(new Set(actions)).toEqual(new Set(['session.create']));
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('qnwis-audit-en.csv');
      const csv = parse(fs.readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<
        string,
        string
      >[];
      expect(csv.map((r) => r.action)).toEqual(actions);
      expect(csv.map((r) => r.request_id)).toEqual(
        await page.locator('main table tbody tr td:nth-child(2)').allTextContents(),
      );
    });
  });
});

const PAGES = [
  { path: 'overview', h1: { en: 'Overview', ar: 'نظرة عامة' } },
  { path: 'sectors', h1: { en: 'Sectors', ar: 'القطاعات' } },
  { path: 'gcc', h1: { en: 'GCC', ar: 'دول مجلس التعاون' } },
  { path: 'ask', h1: { en: 'Ask', ar: 'اسأل' } },
  { path: 'queries', h1: { en: 'Queries', ar: 'الاستعلامات' } },
  {
    path: 'queries/syn_sector_employment_by_year',
    h1: { en: 'syn_sector_employment_by_year', ar: 'syn_sector_employment_by_year' },
  },
  { path: 'briefing', h1: { en: 'Briefing', ar: 'الإحاطة' } },
  { path: 'admin/keys', h1: { en: 'API keys', ar: 'مفاتيح الواجهة البرمجية' } },
  { path: 'admin/audit', h1: { en: 'Audit log', ar: 'سجل التدقيق' } },
] as const;

describe.each(['en', 'ar'] as const)('every page signed in as admin, in %s', (lang) => {
  it('renders its data without an error state, CSP problem or console error', async () => {
    const dir = path.join(SCREENSHOT_DIR, 'session');
    fs.mkdirSync(dir, { recursive: true });
    await session(`pages-${lang}`, await withSession(server.keys.admin, 'overview', lang), async ({ page }) => {
      for (const p of PAGES) {
        await go(page, p.path);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        expect(await page.locator('html').getAttribute('dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
        expect((await page.locator('h1').textContent())?.trim(), p.path).toBe(p.h1[lang]);
        expect(await page.locator('.state-error').count(), p.path).toBe(0);
        expect(await page.locator('header .badge.synthetic').count()).toBe(1);
        if (p.path === 'ask') expect(await page.locator('.chips .chip').count()).toBe(5);
        if (p.path === 'briefing') expect(await page.locator('.briefing table tbody tr').count()).toBe(5);
        if (p.path === 'admin/keys') expect(await page.locator('main table tbody tr').count()).toBeGreaterThan(3);
        if (p.path === 'admin/audit') expect(await page.locator('main table tbody tr').count()).toBeGreaterThan(0);
        await screenshot(page, `session/${p.path.replace(/\//g, '-')}-${lang}`);
      }
    });
  }, 120_000);
});
