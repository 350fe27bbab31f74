import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const roots: string[] = [];

function fixture(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-web-guard-'));
  roots.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

function guard(dir: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/check-web-build.mjs', dir], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

const N = '__QNWIS_CSP_NONCE__';
const cleanIndex = `<!doctype html><html lang="en" dir="ltr"><head><script type="module" src="/app/assets/a.js" nonce="${N}"></script><link rel="stylesheet" href="/app/assets/a.css" nonce="${N}"></head><body></body></html>`;

afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

describe('web build guard (scripts/check-web-build.mjs)', () => {
  it('accepts a clean build, the SVG namespace included', () => {
    const dir = fixture({
      'index.html': cleanIndex,
      'assets/a.js': 'document.createElementNS("http://www.w3.org/2000/svg","svg")',
      'assets/a.css': '@font-face{src:url(/app/assets/f.ttf)}',
    });
    expect(guard(dir)).toEqual({ status: 0, stderr: '' });
  });

  it.each([
    [
      'an inline script without the nonce',
      { 'index.html': cleanIndex.replace('<body>', '<body><script>alert(1)</script>') },
      'inline <script>',
    ],
    [
      'an inline style without the nonce',
      { 'index.html': cleanIndex.replace('<body>', '<body><style>p{}</style>') },
      'inline <style>',
    ],
    [
      'a style attribute',
      { 'index.html': cleanIndex.replace('<body>', '<body style="color:red">') },
      'style attribute',
    ],
    [
      'an external script',
      { 'index.html': cleanIndex.replace('/app/assets/a.js', 'https://cdn.example/x.js') },
      'external URL in src',
    ],
    [
      'an external stylesheet',
      { 'index.html': cleanIndex.replace('/app/assets/a.css', 'http://cdn.example/x.css') },
      'external URL in href',
    ],
    [
      'a CDN font in CSS',
      { 'index.html': cleanIndex, 'assets/a.css': '@font-face{src:url("https://fonts.example/f.woff2")}' },
      'url() with https:',
    ],
    [
      'a data: URI in CSS',
      { 'index.html': cleanIndex, 'assets/a.css': '.x{background:url(data:image/png;base64,AAAA)}' },
      'url() with data:',
    ],
    [
      'an external URL in a script',
      { 'index.html': cleanIndex, 'assets/a.js': 'fetch("https://evil.example/x")' },
      'external URL https://evil.example/x',
    ],
  ])('fails on %s', (_name, files, message) => {
    const r = guard(fixture(files as Record<string, string>));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('fails when there is no build', () => {
    const r = guard(fixture({ 'readme.txt': 'x' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no index.html');
  });
});
