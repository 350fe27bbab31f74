/**
 * PENDING browser tests (ui.md §11): not matched by vitest's include (no `.test.ts`). Enable by renaming to
 * `test/browser/session-ask-briefing.test.ts` once the app registers the dashboard routes with real security
 * (buildSecureApp), and `/api/v1/ui/ask*` and `/api/v1/ui/briefing` exist.
 * Needs: a `buildSecureWebApp()` (buildSecureApp + uiRoutes/exportRoutes/webRoutes registered) listening on localhost.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebInto, launchChromium, newContext, settled, watchPage } from '../browser-support.js';

/** Filled in when enabling: base URL of a secure server and one API key per role. */
interface SecureServer {
  base: string;
  keys: Record<'analyst' | 'auditor' | 'admin' | 'service', string>;
  close(): Promise<void>;
}
declare function startSecureWebServer(webDist: string): Promise<SecureServer>;

const DIST = path.resolve(`var/test/web-dist-secure-${process.pid}`);
let server: SecureServer;
let browser: Browser;

beforeAll(async () => {
  buildWebInto(DIST);
  server = await startSecureWebServer(DIST);
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function login(key: string) {
  const context = await newContext(browser, server.base, 'en');
  const page = await context.newPage();
  const watch = watchPage(page);
  await page.goto(`${server.base}/app/login`);
  await settled(page);
  await page.fill('#api-key', key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { context, page, watch };
}

describe('login, roles, ask, briefing (pending endpoints)', () => {
  it('wrong key: message and no cookie; analyst key: Overview with an HttpOnly SameSite=Strict cookie; logout', async () => {
    const bad = await login('qnwis_000000000000_' + 'x'.repeat(43));
    expect(await bad.page.locator('#login-error').textContent()).toBe('Invalid API key');
    expect(await bad.context.cookies()).not.toContainEqual(expect.objectContaining({ name: '__Host-qnwis_session' }));
    await bad.context.close();
    const { context, page } = await login(server.keys.analyst);
    await page.waitForURL('**/app/overview');
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-qnwis_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/app/login');
    const old = await fetch(`${server.base}/api/v1/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(old.status).toBe(401);
    await context.close();
  });

  it('role navigation: analyst has no Admin; auditor has Audit but no Ask; service key refused', async () => {
    const analyst = await login(server.keys.analyst);
    await analyst.page.waitForURL('**/app/overview');
    expect(await analyst.page.locator('nav', { hasText: 'Admin' }).count()).toBe(0);
    await analyst.context.close();
    const auditor = await login(server.keys.auditor);
    await auditor.page.waitForURL('**/app/overview');
    expect(await auditor.page.locator('nav a', { hasText: 'Audit log' }).count()).toBe(1);
    expect(await auditor.page.locator('nav a', { hasText: 'Ask' }).count()).toBe(0);
    await auditor.context.close();
    const service = await login(server.keys.service);
    expect(await service.page.locator('#login-error').textContent()).toBe('Service keys cannot open a UI session');
    await service.context.close();
  });

  it('ask round trip: chip → answered with summary, findings, citation link, confidence, freshness', async () => {
    const { context, page, watch } = await login(server.keys.analyst);
    await page.goto(`${server.base}/app/ask`);
    await settled(page);
    await page.locator('.chips .chip').first().click();
    await page.waitForSelector('.answer[data-status="answered"]');
    expect(await page.locator('.answer .summary').textContent()).not.toBe('');
    expect(await page.locator('.answer table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('.badge[class*="band-"]').textContent()).toMatch(/^(GREEN|AMBER|RED) \d+\/100$/);
    await page.locator('.citations a').first().click();
    await page.waitForURL('**/app/queries/*');
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('ask clarification: a vague question gets option chips, choosing one answers', async () => {
    const { context, page } = await login(server.keys.analyst);
    await page.goto(`${server.base}/app/ask`);
    await settled(page);
    await page.fill('#question', 'Employment in 2023');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.answer.clarification .chip');
    await page.locator('.answer.clarification .chip').first().click();
    await page.waitForSelector('.answer[data-status="answered"]');
    await context.close();
  });

  it('briefing renders and the Markdown download has the section headings', async () => {
    const { context, page } = await login(server.keys.analyst);
    await page.goto(`${server.base}/app/briefing`);
    await settled(page);
    expect(await page.locator('.briefing h3').count()).toBeGreaterThan(3);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Markdown' }).click(),
    ]);
    const text = (await import('node:fs')).readFileSync((await download.path())!, 'utf8');
    for (const heading of ['Headline', 'Key Metrics', 'Red Flags', 'Confidence', 'Provenance'])
      expect(text).toContain(heading);
    await context.close();
  });

  it('admin: create key shows the plaintext once, the new key logs in, revoke ends its session', async () => {
    const { context, page } = await login(server.keys.admin);
    await page.goto(`${server.base}/app/admin/keys`);
    await settled(page);
    await page.getByRole('button', { name: 'Create key' }).first().click();
    await page.fill('dialog input[pattern]', 'e2e-analyst');
    await page.check('dialog input[value="analyst"]');
    await page.locator('dialog').getByRole('button', { name: 'Create key' }).click();
    const key = await page.locator('dialog input[readonly]').inputValue();
    expect(key).toMatch(/^qnwis_[0-9a-f]{12}_/);
    const second = await login(key);
    await second.page.waitForURL('**/app/overview');
    await page.locator('dialog').getByRole('button', { name: 'Close' }).click();
    await page.locator('tr', { hasText: 'e2e-analyst' }).getByRole('button', { name: 'Revoke' }).click();
    await page.locator('dialog').getByRole('button', { name: 'Revoke' }).click();
    await second.page.goto(`${second.page.url()}`);
    await second.page.waitForURL('**/app/login**');
    await second.context.close();
    await context.close();
  });
});
