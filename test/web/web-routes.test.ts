import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { buildWebTestApp } from './web-app.js';
import zlib from 'node:zlib';
import { acceptedEncodings, langFromCookie } from '../../src/http/routes/web.js';

const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-web-dist-'));
const INDEX =
  '<!doctype html>\n<html lang="en" dir="ltr"><head><meta property="csp-nonce" nonce="__QNWIS_CSP_NONCE__">' +
  '<script type="module" src="/app/assets/index-abc.js" nonce="__QNWIS_CSP_NONCE__"></script></head><body></body></html>';
const BIG_JS = Array.from({ length: 400 }, (_, i) => `export const v${i} = "value ${i} ${'x'.repeat(i % 7)}";`).join(
  '\n',
);
let t: TestApp;
let missing: TestApp;

beforeAll(async () => {
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dist, 'assets', 'font-x.ttf'), Buffer.from([0, 1, 0, 0]));
  fs.writeFileSync(path.join(dist, 'assets', 'app-big.js'), BIG_JS);
  t = await buildWebTestApp({ webDist: dist });
  missing = await buildWebTestApp({ webDist: path.join(dist, 'absent') });
});
afterAll(async () => {
  await t.close();
  await missing.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

describe('/app routes (ui.md §2.2)', () => {
  it('serves index.html with the request nonce in every placeholder and no-store', async () => {
    const r = await t.app.inject({ url: '/app/sectors?year=2024' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const nonce = /'nonce-([A-Za-z0-9_-]{22})'/.exec(r.headers['content-security-policy'] as string)![1]!;
    expect(r.body).toBe(INDEX.replaceAll('__QNWIS_CSP_NONCE__', nonce));
    const other = await t.app.inject({ url: '/app/' });
    expect(other.body).not.toContain(nonce);
    expect(other.body).not.toContain('__QNWIS_CSP_NONCE__');
  });

  it('sets <html lang dir> from the qnwis_lang cookie', async () => {
    const ar = await t.app.inject({ url: '/app/overview', headers: { cookie: 'a=1; qnwis_lang=ar' } });
    expect(ar.body).toContain('<html lang="ar" dir="rtl">');
    const en = await t.app.inject({ url: '/app/overview', headers: { cookie: 'qnwis_lang=xx' } });
    expect(en.body).toContain('<html lang="en" dir="ltr">');
    expect(langFromCookie('qnwis_lang=en')).toBe('en');
    expect(langFromCookie(undefined)).toBeNull();
  });

  it('redirects /app to /app/ with 308', async () => {
    const r = await t.app.inject({ url: '/app' });
    expect(r.statusCode).toBe(308);
    expect(r.headers.location).toBe('/app/');
  });

  it('serves hashed assets immutable and never falls back to index.html', async () => {
    const js = await t.app.inject({ url: '/app/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    const font = await t.app.inject({ url: '/app/assets/font-x.ttf' });
    expect(font.headers['content-type']).toBe('font/ttf');
    for (const url of ['/app/assets/missing.js', '/app/assets/sub/index-abc.js', '/app/assets/index.html']) {
      const r = await t.app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain('<html');
    }
  });

  it('sends text assets compressed in the coding the client accepts, Brotli first, and never a tiny one', async () => {
    const url = '/app/assets/app-big.js';
    const br = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.rawPayload.length).toBeLessThan(BIG_JS.length / 3);
    expect(zlib.brotliDecompressSync(br.rawPayload).toString('utf8')).toBe(BIG_JS);
    const gz = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip;q=1.0, br;q=0' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).toString('utf8')).toBe(BIG_JS);
    for (const header of [undefined, 'identity', 'br;q=0, gzip;q=0.000', 'deflate']) {
      const plain = await t.app.inject({ url, headers: header === undefined ? {} : { 'accept-encoding': header } });
      expect(plain.headers['content-encoding'], header).toBeUndefined();
      expect(plain.body, header).toBe(BIG_JS);
    }
    const any = await t.app.inject({ url, headers: { 'accept-encoding': '*' } });
    expect(any.headers['content-encoding']).toBe('br');
    // a 14-byte script and a font are sent as they are
    const small = await t.app.inject({ url: '/app/assets/index-abc.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body).toBe('console.log(1)');
    const font = await t.app.inject({ url: '/app/assets/font-x.ttf', headers: { 'accept-encoding': 'br, gzip' } });
    expect(font.headers['content-encoding']).toBeUndefined();
    expect([...acceptedEncodings(' GZIP ; q=0.5 , br;q=0 ,, x;q=abc')]).toEqual(['gzip']);
  });

  it('answers 503 "UI assets not built" without a build, while the API keeps working', async () => {
    for (const url of ['/app/', '/app/overview', '/app/assets/index-abc.js']) {
      const r = await missing.app.inject({ url });
      expect(r.statusCode, url).toBe(503);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.body).toBe('UI assets not built');
      expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await missing.app.inject({ url: '/api/v1/ui/meta' })).statusCode).toBe(200);
  });
});
