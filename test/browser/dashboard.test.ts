/**
 * The built dashboard in the system Chromium (ui.md §11), against the in-process server with authentication
 * bypassed (the dev-bypass admin). Every test runs under the CSP watch: no CSP or Trusted Types console message,
 * no page error, no request to another host, no report at /api/v1/ui/csp-report.
 * Login, Ask and Briefing round trips with real sessions: test/browser/session-ask-briefing.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  buildWebInto,
  launchChromium,
  newContext,
  screenshot,
  settled,
  startWebServer,
  watchPage,
  type PageWatch,
  type WebServer,
} from './browser-support.js';

const DIST = path.resolve(`var/test/web-dist-browser-${process.pid}`);
let server: WebServer;
let browser: Browser;

/** Endpoints that do not exist yet (or need a database) answer errors: the pages show their error state. */
const PENDING_API = /\/api\/v1\/(ui\/admin|export\/audit\.csv)/;

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
  { path: 'admin/keys', h1: { en: 'API keys', ar: 'مفاتيح الواجهة البرمجية' }, pending: true },
  { path: 'admin/audit', h1: { en: 'Audit log', ar: 'سجل التدقيق' }, pending: true },
  { path: 'no-such-page', h1: { en: 'Page not found', ar: 'الصفحة غير موجودة' } },
] as const;

beforeAll(async () => {
  buildWebInto(DIST);
  server = await startWebServer({ webDist: DIST });
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

interface Opened {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
}

async function open(pathname: string, lang: 'en' | 'ar', shared?: BrowserContext): Promise<Opened> {
  const context = shared ?? (await newContext(browser, server.base, lang));
  const page = await context.newPage();
  const watch = watchPage(page, (url) => PENDING_API.test(url));
  await page.goto(`${server.base}/app/${pathname}`);
  await settled(page);
  return { context, page, watch };
}

/** Runs `fn` on a page; on failure a screenshot named after the test goes to test-results/screenshots. */
async function withPage(
  name: string,
  pathname: string,
  fn: (o: Opened) => Promise<void>,
  lang: 'en' | 'ar' = 'en',
  shared?: BrowserContext,
) {
  const o = await open(pathname, lang, shared);
  try {
    await fn(o);
    expect(o.watch.problems).toEqual([]);
  } catch (err) {
    await screenshot(o.page, `failure-${name}`).catch(() => undefined);
    throw err;
  } finally {
    if (shared) await o.page.close();
    else await o.context.close();
  }
}

describe.each(['en', 'ar'] as const)('every page in %s', (lang) => {
  it('renders with one focused h1, the page title, the language and no CSP problem', async () => {
    const context = await newContext(browser, server.base, lang);
    for (const p of PAGES) {
      await withPage(
        `${p.path.replace(/\//g, '-')}-${lang}`,
        p.path,
        async ({ page, watch }) => {
          expect(await page.locator('html').getAttribute('lang')).toBe(lang);
          expect(await page.locator('html').getAttribute('dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
          expect(await page.locator('h1').count()).toBe(1);
          expect((await page.locator('h1').textContent())?.trim()).toBe(p.h1[lang]);
          expect(await page.evaluate<unknown>('document.activeElement?.tagName')).toBe('H1');
          expect(await page.title()).toBe(`${p.h1[lang]} — QNWIS`);
          for (const landmark of ['header', 'nav', 'main', 'footer'])
            expect(await page.locator(landmark).count()).toBe(1);
          expect(await page.locator('header .badge.synthetic').count()).toBe(1);
          if ('pending' in p) {
            // pending endpoints: the error state names the request id
            expect(watch.failedRequests.length).toBeGreaterThan(0);
            const id = await page.locator('[data-request-id]').first().getAttribute('data-request-id');
            expect(id).toMatch(/^[0-9a-f-]{36}$/);
          }
          await screenshot(page, `${p.path.replace(/\//g, '-')}-${lang}`);
        },
        lang,
        context,
      );
    }
    await context.close();
  }, 240_000);
});

describe('pages', () => {
  it('overview: four KPI cards with values and years, top five, hotlist', async () => {
    await withPage('overview', 'overview', async ({ page }) => {
      const cards = page.locator('[data-kpi]');
      expect(await cards.count()).toBe(4);
      expect(await page.locator('[data-kpi="total_employment"] .kpi-value').textContent()).toBe('216,293');
      for (const text of await page.locator('[data-kpi] .kpi-meta').allTextContents()) expect(text).toBe('Year 2024');
      expect(await page.locator('section[aria-labelledby="top-h"] ol.ranked li').count()).toBe(5);
      expect(await page.locator('section[aria-labelledby="ewi-h"] ol.ranked li').allTextContents()).toEqual([
        'drop Finance — 5.9%',
        'drop Public — 5.1%',
        'drop Energy — 4.2%',
      ]);
      await page.selectOption('section[aria-labelledby="ewi-h"] select', '10');
      await settled(page);
      expect(await page.locator('section[aria-labelledby="ewi-h"] .state-empty').count()).toBe(1);
    });
  });

  it('sectors: five charts, the 30% target line, sector switch in the URL, table toggle', async () => {
    await withPage('sectors', 'sectors?year=2024&sector=Energy', async ({ page }) => {
      expect(await page.locator('svg[data-chart]').count()).toBe(5);
      const qat = page.locator('svg[data-chart="qatarization-by-sector"]');
      expect(await qat.locator('text', { hasText: 'Vision 2030 target (30%)' }).count()).toBe(1);
      expect(await qat.locator('line[stroke-dasharray]').count()).toBe(1);
      expect(await qat.getAttribute('role')).toBe('img');
      expect(await page.locator('svg[data-chart="salary-trend"] title').textContent()).toBe(
        'Average monthly salary, Energy',
      );
      // sector switch
      await page.selectOption('section[aria-labelledby="by-sector-h"] select', 'ICT');
      await settled(page);
      expect(new URL(page.url()).search).toBe('?year=2024&sector=ICT');
      expect(await page.locator('svg[data-chart="salary-trend"] title').textContent()).toBe(
        'Average monthly salary, ICT',
      );
      // table toggle: same row count as bars, remembered
      const block = page.locator('section.chart[data-chart="sector-employment"]');
      await block.getByRole('button', { name: 'Table' }).click();
      expect(await block.locator('table tbody tr').count()).toBe(10);
      expect(await block.locator('table caption').textContent()).toBe('Employment by sector, 2024');
      expect(await page.evaluate<unknown>(`localStorage.getItem('qnwis.table.sector-employment')`)).toBe('1');
    });
  });

  it('gcc: the rank card matches the table and Qatar is highlighted', async () => {
    await withPage('gcc', 'gcc', async ({ page }) => {
      expect(await page.locator('.rank-card .kpi-value').textContent()).toBe(
        'Qatar ranks 1 of 6 in the GCC (1 = lowest unemployment)',
      );
      const firstRow = await page
        .locator('main > .region > .table-scroll table tbody tr')
        .first()
        .locator('th, td')
        .allTextContents();
      expect(firstRow).toEqual(['1', 'Qatar', '0.3%', '2024']);
      expect(await page.locator('svg[data-chart="gcc-unemployment"] rect[fill="#b3261e"]').count()).toBe(1);
    });
  });

  it('queries: registry version, run with a year, pagination, provenance and licence', async () => {
    await withPage('queries', 'queries', async ({ page }) => {
      expect(await page.locator('[data-registry-version]').textContent()).toMatch(/^[0-9a-f]{12}$/);
      await page.fill('input[type="search"]', 'sector_employment_by');
      await page.locator('a', { hasText: 'syn_sector_employment_by_year' }).click();
      await settled(page);
      expect(new URL(page.url()).pathname).toBe('/app/queries/syn_sector_employment_by_year');
      await page.fill('input[name="year"]', '2019');
      await page.getByRole('button', { name: 'Run query' }).click();
      await settled(page);
      expect(await page.locator('[data-row-count]').getAttribute('data-row-count')).toBe('10');
      expect(await page.locator('[data-license]').textContent()).toBe('MIT-SYNTHETIC');
      const years = await page.locator('.region table tbody tr th').allTextContents();
      expect(new Set(years)).toEqual(new Set(['2019']));
      await page.fill('input[name="year"]', '1.5');
      await page.getByRole('button', { name: 'Run query' }).click();
      expect(await page.locator('input[name="year"]').getAttribute('aria-invalid')).toBe('true');
    });
  });

  it('exports: CSV parses with the table row count, SVG has the title, PNG has the expected size', async () => {
    await withPage('exports', 'sectors?year=2024&sector=Energy', async ({ page }) => {
      const block = page.locator('section.chart[data-chart="sector-employment"]');
      const fetchFile = async (ext: 'csv' | 'svg' | 'png') => {
        await block.getByRole('button', { name: 'Export' }).click();
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          block.locator(`[data-ext="${ext}"]`).click(),
        ]);
        expect(download.suggestedFilename()).toBe(`qnwis-sector-employment-2024-en.${ext}`);
        return fs.readFileSync((await download.path())!);
      };
      const csv = parse(await fetchFile('csv')) as string[][];
      expect(csv[0]).toEqual(['year', 'sector', 'employees']);
      await block.getByRole('button', { name: 'Table' }).click();
      expect(csv.length - 1).toBe(await block.locator('table tbody tr').count());
      const svg = (await fetchFile('svg')).toString('utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<title id="sector-employment-title">Employment by sector, 2024</title>');
      const png = await fetchFile('png');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1440, 720]);
    });
  });

  it('keyboard: skip link first, navigation in order, the export menu closes on Escape', async () => {
    await withPage('keyboard', 'overview', async ({ page }) => {
      const firstTabStop = await page.evaluate<unknown>(
        `[...document.querySelectorAll('a[href], button, select, input, textarea, [tabindex]')]` +
          `.find((el) => el.tabIndex >= 0 && !el.hasAttribute('disabled'))?.textContent`,
      );
      expect(firstTabStop).toBe('Skip to main content');
      await page.locator('.skip-link').focus();
      const order: string[] = [];
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press('Tab');
        order.push(String(await page.evaluate<unknown>(`document.activeElement?.textContent?.trim() ?? ''`)));
      }
      expect(order).toEqual([
        'QNWIS',
        'العربية',
        'Overview',
        'Sectors',
        'GCC',
        'Ask',
        'Queries',
        'Briefing',
        'API keys',
        'Audit log',
      ]);
      await page.locator('.skip-link').focus();
      await page.keyboard.press('Enter');
      expect(await page.evaluate<unknown>('document.activeElement?.id')).toBe('main');
      expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Overview');
      // keyboard activation of a nav link moves focus to the new page's h1
      await page.locator('nav a', { hasText: 'GCC' }).focus();
      await page.keyboard.press('Enter');
      await settled(page);
      expect(await page.evaluate<unknown>('document.activeElement?.tagName')).toBe('H1');
      const exportButton = page.locator('section.chart').getByRole('button', { name: 'Export' });
      await exportButton.focus();
      await page.keyboard.press('ArrowDown');
      expect(await page.evaluate<unknown>(`document.activeElement?.getAttribute('role')`)).toBe('menuitem');
      await page.keyboard.press('Escape');
      expect(await exportButton.getAttribute('aria-expanded')).toBe('false');
      expect(await page.evaluate<unknown>('document.activeElement?.textContent')).toBe('Export');
    });
  });

  it('briefing: print media hides the navigation and controls', async () => {
    await withPage('print', 'briefing', async ({ page }) => {
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('nav').isVisible()).toBe(false);
      expect(await page.locator('footer').isVisible()).toBe(false);
      expect(await page.locator('h1').isVisible()).toBe(true);
    });
  });
});

describe('accessibility (axe-core, separate context with CSP bypassed)', () => {
  it.each(['en', 'ar'] as const)(
    'has no serious or critical issue on any page in %s',
    async (lang) => {
      const context = await newContext(browser, server.base, lang, { bypassCSP: true });
      try {
        const found: string[] = [];
        for (const p of PAGES) {
          const page = await context.newPage();
          await page.goto(`${server.base}/app/${p.path}`);
          await settled(page);
          for (const v of await axeViolations(page)) found.push(`${p.path}: ${v}`);
          await page.close();
        }
        expect(found).toEqual([]);
      } finally {
        await context.close();
      }
    },
    240_000,
  );
});
