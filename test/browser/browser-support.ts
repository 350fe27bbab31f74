/**
 * Browser-test plumbing: a fresh build of the dashboard, the in-process server (test app plus the dashboard's route
 * modules) on an ephemeral port, the system Chromium through playwright-core, and the CSP watch of ui.md §11.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestApp } from '../support/app.js';
import { buildWebTestApp, type WebTestOptions } from '../web/web-app.js';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

/** QNWIS_CHROMIUM_PATH, else `chromium` on PATH. */
export function chromiumPath(): string {
  const configured = process.env.QNWIS_CHROMIUM_PATH;
  if (configured) return configured;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error('no Chromium: install the Debian package `chromium` or set QNWIS_CHROMIUM_PATH');
}

/** Builds the dashboard into a directory of its own (the served bundle is always the current source). */
export function buildWebInto(outDir: string): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      path.resolve('node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    { stdio: 'pipe' },
  );
  execFileSync(process.execPath, [path.resolve('scripts/check-web-build.mjs'), outDir], { stdio: 'pipe' });
}

export interface WebServer {
  base: string;
  app: TestApp;
  cspViolations: string[];
  close(): Promise<void>;
}

export async function startWebServer(opts: WebTestOptions & { webDist: string }): Promise<WebServer> {
  const cspViolations: string[] = [];
  const app = await buildWebTestApp({ ...opts, cspViolations });
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    base: `http://localhost:${address.port}`,
    app,
    cspViolations,
    close: () => app.close(),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
}

/** Everything a page did that the CSP watch forbids; `allowFailed` lists API paths whose error responses are expected. */
export interface PageWatch {
  problems: string[];
  failedRequests: string[];
}

export function watchPage(page: Page, allowFailed: (url: string) => boolean = () => false): PageWatch {
  const watch: PageWatch = { problems: [], failedRequests: [] };
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Trusted Type/i.test(text)) watch.problems.push(`csp: ${text}`);
    else if (msg.type() === 'error') {
      const url = msg.location().url;
      if (/^Failed to load resource/.test(text) && allowFailed(url)) watch.failedRequests.push(url);
      else watch.problems.push(`console error: ${text} (${url})`);
    }
  });
  page.on('pageerror', (err) => watch.problems.push(`pageerror: ${err.message}`));
  page.on('request', (req) => {
    const host = new URL(req.url()).hostname;
    if (
      !['localhost', '127.0.0.1', '[::1]'].includes(host) &&
      !req.url().startsWith('blob:') &&
      !req.url().startsWith('data:')
    ) {
      watch.problems.push(`request to another host: ${req.url()}`);
    }
  });
  return watch;
}

export async function newContext(
  browser: Browser,
  base: string,
  lang: 'en' | 'ar',
  extra: { bypassCSP?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    locale: lang === 'ar' ? 'ar-QA' : 'en-US',
    acceptDownloads: true,
    ...extra,
  });
  await context.addCookies([{ name: 'qnwis_lang', value: lang, url: base, sameSite: 'Strict' }]);
  return context;
}

/** Waits until no data region is busy (every request state settled). */
export async function settled(page: Page): Promise<void> {
  // A function, not a string: a string would be evaluated with eval, which the page's CSP forbids.
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelector(selector: string): unknown } }).document;
    return doc.querySelector('main h1') !== null && doc.querySelector('[aria-busy="true"]') === null;
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** axe-core in the page (only in a context that bypasses CSP); serious and critical violations. */
let axeSource: string | null = null;

export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= fs.readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');
  const source = axeSource;
  await page.addScriptTag({ content: source });
  const result = (await page.evaluate(`(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  })()`)) as { id: string; impact: string | null; targets: string[] }[];
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(' ')}`);
}
