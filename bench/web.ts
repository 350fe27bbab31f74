/**
 * Dashboard first-load benchmark (issue 7): the built dashboard in headless Chromium (playwright-core, the system
 * Chromium as in the browser tests) against a one-worker QNWIS target with real security (bench/http-server.ts
 * `secure-key`: API key, sessions and audit events in an embedded database, the synthetic pack).
 *
 * Each load is a fresh browser context (empty HTTP cache) holding a session cookie created beforehand through
 * `POST /api/v1/session`, so the measured navigation is the page itself, not the login form. One unmeasured warm-up
 * load per page settles the server (query cache, JIT); then `loads` measured loads per page.
 *
 * Per load:
 * - time to first chart: `performance.now()` (ms since navigation start) at the first animation frame in which the
 *   chart element is in the DOM with a non-empty layout box (a MutationObserver in an init script watches for it);
 * - the requests of the load: every request the page issued up to that moment (CDP Network.requestWillBeSent; the
 *   document, its assets, fonts, API calls), each counted whole (response headers + encoded body, as Chromium
 *   received them, from Playwright's request sizes);
 * - the gzipped size: when the server sent a response with a `content-encoding`, its wire size; otherwise the
 *   response headers + zlib gzip (level 6) of the body, except for formats that are already compressed (woff2, png,
 *   jpeg, gif, webp), which count raw.
 *
 * Overview (the first page after sign-in, ui.md §5.1) has no SVG chart: its "first chart" is the first KPI card
 * value. The time to a real SVG chart is measured on Sectors (ui.md §5.2) as a second figure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium, type Browser, type Request } from 'playwright-core';
import { resolvePackOptions, writePack } from '../src/data/synthetic/pack.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../test/browser/browser-support.js';
import { median } from './stats.js';

/** Target of the issue: the first page under 300 KB gzipped (1 KB = 1024 bytes). */
export const FIRST_PAGE_GZIP_KB_BELOW = 300;

const WEB_DIST = path.resolve('dist/web');
const LOAD_TIMEOUT_MS = 60_000;
const ALREADY_COMPRESSED = /^(font\/woff2?|image\/(png|jpeg|gif|webp|avif))\b/;

export interface WebResource {
  url: string;
  resource_type: string;
  content_type: string;
  status: number;
  /** ms after navigation start (the page's time origin): issued by the page, last byte received. */
  start_ms: number;
  end_ms: number;
  headers_bytes: number;
  body_bytes: number;
  /** headers + encoded body as received. */
  transferred_bytes: number;
  /** headers + gzip of the body (or the wire size when the server already compressed it). */
  gzipped_bytes: number;
  content_encoding: string | null;
  /** Where gzipped_bytes comes from: the server's own encoding, zlib here, or the raw size (already compressed). */
  gzip_source: 'server' | 'zlib' | 'raw';
}

export interface WebLoad {
  time_to_first_chart_ms: number;
  dom_content_loaded_ms: number;
  requests: number;
  transferred_bytes: number;
  gzipped_bytes: number;
  resources: WebResource[];
}

export interface WebPageResult {
  page: string;
  path: string;
  /** What counts as the first chart on this page. */
  first_chart: { selector: string; note: string };
  loads: number;
  time_to_first_chart_ms: { p50: number; min: number; max: number; samples: number[] };
  dom_content_loaded_ms_p50: number;
  /**
   * From the load with the median time to first chart. Which requests the page issued before its first chart varies
   * a little from load to load (a late font), hence the ranges over all measured loads.
   */
  requests: number;
  requests_range: [number, number];
  gzipped_bytes_range: [number, number];
  transferred_bytes: number;
  gzipped_bytes: number;
  by_type: Record<string, { requests: number; transferred_bytes: number; gzipped_bytes: number }>;
  resources: WebResource[];
}

export interface WebBenchResult {
  browser: string;
  loads_per_page: number;
  warmup_loads_per_page: number;
  web_dist: string;
  /** True when dist/web was missing and the bench built it (`npm run build:web`). */
  built_web: boolean;
  /** True when a file under web/ or src/charts/ is newer than dist/web/index.html (the bench does not rebuild it). */
  web_dist_stale: boolean;
  /** True when any response of the first page arrived with a content-encoding (gzip, br, …). */
  server_compresses: boolean;
  /** The gzipped figure as sent by the server (measured), computed with zlib (computed), or partly each (mixed). */
  gzipped_figure: 'measured' | 'computed' | 'mixed';
  overview: WebPageResult;
  sectors: WebPageResult;
  target: { first_page_gzipped_kb_below: number; gzipped_kb: number; ratio: number; passed: boolean };
}

interface PageSpec {
  page: string;
  path: string;
  selector: string;
  note: string;
}

const OVERVIEW: PageSpec = {
  page: 'Overview',
  path: '/app/overview',
  selector: '[data-kpi] .kpi-value',
  note: 'Overview has no SVG chart; its first chart is the first KPI card value',
};
const SECTORS: PageSpec = {
  page: 'Sectors',
  path: '/app/sectors',
  selector: 'svg.chart-svg',
  note: 'the first SVG chart of the shared renderer',
};

/** Builds dist/web the way a fresh checkout would (`npm run build:web`) when its index.html is missing. */
function ensureWebBuild(): boolean {
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) return false;
  process.stderr.write('bench web: dist/web is missing, running npm run build:web\n');
  // The build's output goes to stderr so that `--json` keeps stdout clean.
  execFileSync('npm', ['run', 'build:web'], { stdio: ['ignore', 2, 2] });
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html')))
    throw new Error('npm run build:web left no dist/web/index.html');
  return true;
}

interface Target {
  child: ChildProcess;
  base: string;
  key: string;
  /** The target's TMPDIR (it puts its embedded database there): removed by stopTarget. */
  tmp: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.isFile()) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The sources the dashboard bundle is built from, against the build's index.html. */
function webDistStale(): boolean {
  const built = fs.statSync(path.join(WEB_DIST, 'index.html')).mtimeMs;
  return Math.max(newestMtime(path.resolve('web')), newestMtime(path.resolve('src/charts'))) > built;
}

async function startTarget(packDir: string): Promise<Target> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-bench-web-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-server.ts', 'secure-key', packDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TMPDIR: tmp },
  });
  const exited = once(child, 'exit').then(([code]) => `exited with code ${String(code)}`);
  const first = await Promise.race([once(child.stdout!, 'data') as Promise<[Buffer]>, exited]);
  const [port, key] = typeof first === 'string' ? [] : first[0].toString().trim().split(' ');
  if (!port || !key) {
    await stopTarget({ child, base: '', key: '', tmp });
    throw new Error(
      `bench web: the target ${typeof first === 'string' ? first : `printed ${JSON.stringify(first[0].toString())}`}`,
    );
  }
  // localhost, not 127.0.0.1: the session cookie is a `__Host-` cookie, which needs a secure context
  return { child, base: `http://localhost:${port}`, key, tmp };
}

async function stopTarget(target: Target): Promise<void> {
  if (target.child.exitCode === null && target.child.signalCode === null) {
    const exited = once(target.child, 'exit');
    target.child.kill();
    await exited;
  }
  fs.rmSync(target.tmp, { recursive: true, force: true });
}

async function sessionCookie(base: string, key: string): Promise<{ name: string; value: string }> {
  const res = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: key }),
  });
  if (res.status !== 200) throw new Error(`bench web: POST /api/v1/session answered ${res.status}`);
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  const at = cookie?.indexOf('=') ?? -1;
  if (!cookie || at < 1) throw new Error('bench web: POST /api/v1/session set no cookie');
  return { name: cookie.slice(0, at), value: cookie.slice(at + 1) };
}

/** Init script: records the first animation frame at which `selector` matches an element with a layout box. */
function watchScript(selector: string): string {
  return `(() => {
  const state = { firstChart: undefined };
  Object.defineProperty(window, '__qnwisBench', { value: state });
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending || state.firstChart !== undefined || document.querySelector(${JSON.stringify(selector)}) === null) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const el = document.querySelector(${JSON.stringify(selector)});
      const box = el === null ? null : el.getBoundingClientRect();
      if (box === null || box.width === 0 || box.height === 0) return;
      state.firstChart = performance.now();
      observer.disconnect();
    });
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})();`;
}

interface PageTimes {
  firstChart: number;
  timeOrigin: number;
  domContentLoaded: number;
}

async function measureResource(req: Request, startMs: number, timeOrigin: number): Promise<WebResource> {
  const response = await req.response();
  if (response === null) throw new Error(`bench web: ${req.method()} ${req.url()} got no response`);
  await response.finished();
  const sizes = await req.sizes();
  const headers = await response.allHeaders();
  const contentType = headers['content-type'] ?? '';
  const encoding = headers['content-encoding'] ?? null;
  const transferred = sizes.responseHeadersSize + sizes.responseBodySize;
  const gzipSource =
    encoding !== null && encoding !== 'identity' ? 'server' : ALREADY_COMPRESSED.test(contentType) ? 'raw' : 'zlib';
  const gzipped =
    gzipSource === 'server'
      ? transferred
      : sizes.responseHeadersSize +
        (gzipSource === 'raw' ? sizes.responseBodySize : zlib.gzipSync(await response.body(), { level: 6 }).length);
  return {
    url: req.url(),
    resource_type: req.resourceType(),
    content_type: contentType,
    status: response.status(),
    start_ms: Math.round(startMs * 10) / 10,
    end_ms: Math.round((req.timing().startTime + req.timing().responseEnd - timeOrigin) * 10) / 10,
    headers_bytes: sizes.responseHeadersSize,
    body_bytes: sizes.responseBodySize,
    transferred_bytes: transferred,
    gzipped_bytes: gzipped,
    content_encoding: encoding,
    gzip_source: gzipSource,
  };
}

/** One load of `spec` in a fresh context (empty cache) that holds a new session. */
async function loadOnce(browser: Browser, base: string, key: string, spec: PageSpec): Promise<WebLoad> {
  const cookie = await sessionCookie(base, key);
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    await context.addCookies([
      { ...cookie, domain: 'localhost', path: '/', httpOnly: true, secure: true, sameSite: 'Strict' },
    ]);
    await context.addInitScript(watchScript(spec.selector));
    const page = await context.newPage();
    const requests: Request[] = [];
    const pageErrors: string[] = [];
    page.on('request', (req) => requests.push(req));
    // When the page issued each request (Network.requestWillBeSent, wall clock): Playwright's request timing only
    // has the network start (after queueing), and only once the response is in.
    const sentAt = new Map<string, number[]>();
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (e) => {
      const list = sentAt.get(e.request.url) ?? [];
      list.push(e.wallTime * 1000);
      sentAt.set(e.request.url, list);
    });
    await cdp.send('Network.enable');
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}${spec.path}`, { waitUntil: 'commit', timeout: LOAD_TIMEOUT_MS });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __qnwisBench?: { firstChart?: number } }).__qnwisBench?.firstChart !== undefined,
      undefined,
      { timeout: LOAD_TIMEOUT_MS, polling: 20 },
    );
    if (!page.url().endsWith(spec.path)) throw new Error(`bench web: ${spec.path} ended at ${page.url()}`);
    const times = await page.evaluate((): PageTimes => {
      const g = globalThis as unknown as {
        __qnwisBench: { firstChart: number };
        performance: { timeOrigin: number; getEntriesByType(t: string): { domContentLoadedEventEnd?: number }[] };
      };
      const nav = g.performance.getEntriesByType('navigation')[0];
      return {
        firstChart: g.__qnwisBench.firstChart,
        timeOrigin: g.performance.timeOrigin,
        domContentLoaded: nav?.domContentLoadedEventEnd ?? NaN,
      };
    });
    // requestWillBeSent times are wall-clock ms, the page's are ms after its time origin (navigation start).
    const cutoff = times.timeOrigin + times.firstChart;
    const before: [Request, number][] = [];
    for (const r of requests) {
      const sent = sentAt.get(r.url())?.shift(); // the same URL twice: matched in order
      if (sent !== undefined && sent <= cutoff) before.push([r, sent - times.timeOrigin]);
    }
    const resources = await Promise.all(before.map(([r, start]) => measureResource(r, start, times.timeOrigin)));
    const failed = resources.filter((r) => r.status >= 400);
    if (failed.length > 0 || pageErrors.length > 0) {
      throw new Error(
        `bench web: ${spec.path}: ${[...failed.map((r) => `${r.status} ${r.url}`), ...pageErrors].join('; ')}`,
      );
    }
    return {
      time_to_first_chart_ms: Math.round(times.firstChart * 10) / 10,
      dom_content_loaded_ms: Math.round(times.domContentLoaded * 10) / 10,
      requests: resources.length,
      transferred_bytes: resources.reduce((s, r) => s + r.transferred_bytes, 0),
      gzipped_bytes: resources.reduce((s, r) => s + r.gzipped_bytes, 0),
      resources: resources.sort((a, b) => a.start_ms - b.start_ms),
    };
  } finally {
    await context.close();
  }
}

async function measurePage(
  browser: Browser,
  base: string,
  key: string,
  spec: PageSpec,
  loads: number,
): Promise<WebPageResult> {
  await loadOnce(browser, base, key, spec); // warm-up, not counted
  const runs: WebLoad[] = [];
  for (let i = 0; i < loads; i++) runs.push(await loadOnce(browser, base, key, spec));
  const times = runs.map((r) => r.time_to_first_chart_ms);
  const p50 = median(times);
  const typical = [...runs].sort(
    (a, b) => Math.abs(a.time_to_first_chart_ms - p50) - Math.abs(b.time_to_first_chart_ms - p50),
  )[0]!;
  const byType: WebPageResult['by_type'] = {};
  for (const r of typical.resources) {
    const t = (byType[r.resource_type] ??= { requests: 0, transferred_bytes: 0, gzipped_bytes: 0 });
    t.requests += 1;
    t.transferred_bytes += r.transferred_bytes;
    t.gzipped_bytes += r.gzipped_bytes;
  }
  return {
    page: spec.page,
    path: spec.path,
    first_chart: { selector: spec.selector, note: spec.note },
    loads,
    time_to_first_chart_ms: { p50, min: Math.min(...times), max: Math.max(...times), samples: times },
    dom_content_loaded_ms_p50: median(runs.map((r) => r.dom_content_loaded_ms)),
    requests: typical.requests,
    requests_range: [Math.min(...runs.map((r) => r.requests)), Math.max(...runs.map((r) => r.requests))],
    gzipped_bytes_range: [Math.min(...runs.map((r) => r.gzipped_bytes)), Math.max(...runs.map((r) => r.gzipped_bytes))],
    transferred_bytes: typical.transferred_bytes,
    gzipped_bytes: typical.gzipped_bytes,
    by_type: byType,
    resources: typical.resources,
  };
}

/** First loads of Overview (the target) and Sectors (first SVG chart), `loads` fresh contexts each. */
export async function benchWeb(opts: { packDir: string; loads: number }): Promise<WebBenchResult> {
  if (!fs.existsSync(path.join(opts.packDir, 'employment_history.csv'))) {
    await writePack(opts.packDir, resolvePackOptions({}));
  }
  const builtWeb = ensureWebBuild();
  const stale = webDistStale();
  if (stale) {
    process.stderr.write(
      'bench web: dist/web is older than web/ or src/charts/: run npm run build:web to measure the current source\n',
    );
  }
  const target = await startTarget(opts.packDir);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
    const overview = await measurePage(browser, target.base, target.key, OVERVIEW, opts.loads);
    const sectors = await measurePage(browser, target.base, target.key, SECTORS, opts.loads);
    const serverCompresses = overview.resources.some((r) => r.gzip_source === 'server');
    const computed = overview.resources.some((r) => r.gzip_source === 'zlib');
    const gzippedKb = Math.round((overview.gzipped_bytes / 1024) * 10) / 10;
    return {
      browser: `Chromium ${browser.version()}`,
      loads_per_page: opts.loads,
      warmup_loads_per_page: 1,
      web_dist: WEB_DIST,
      built_web: builtWeb,
      web_dist_stale: stale,
      server_compresses: serverCompresses,
      gzipped_figure: !computed ? 'measured' : serverCompresses ? 'mixed' : 'computed',
      overview,
      sectors,
      target: {
        first_page_gzipped_kb_below: FIRST_PAGE_GZIP_KB_BELOW,
        gzipped_kb: gzippedKb,
        ratio: Math.round((FIRST_PAGE_GZIP_KB_BELOW / gzippedKb) * 100) / 100,
        passed: gzippedKb < FIRST_PAGE_GZIP_KB_BELOW,
      },
    };
  } finally {
    await browser?.close();
    await stopTarget(target);
  }
}
