#!/usr/bin/env node
// Build guard of the dashboard (ui.md §2.1): fails when the built files in dist/web (or the directory given as the
// first argument) hold an inline <script> or <style> without the nonce placeholder, a style="…" attribute, an
// http(s) URL in src, href or CSS url() (the SVG namespace is exempt), or a data: URI in CSS.
import fs from 'node:fs';
import path from 'node:path';

const PLACEHOLDER = '__QNWIS_CSP_NONCE__';
const NAMESPACES = new Set([
  'http://www.w3.org/2000/svg',
  'http://www.w3.org/1999/xlink',
  'http://www.w3.org/XML/1998/namespace',
]);

function files(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

function checkHtml(text, rel, problems) {
  for (const m of text.matchAll(/<(script|style)\b([^>]*)>/gi)) {
    const [, tag, attrs] = m;
    const inline = tag.toLowerCase() === 'style' || !/\bsrc\s*=/i.test(attrs);
    if (inline && !attrs.includes(`nonce="${PLACEHOLDER}"`)) {
      problems.push(`${rel}:${lineOf(text, m.index)}: inline <${tag}> without the nonce placeholder`);
    }
  }
  for (const m of text.matchAll(/<[a-z][^>]*\sstyle\s*=/gi)) {
    problems.push(`${rel}:${lineOf(text, m.index)}: style attribute`);
  }
  for (const m of text.matchAll(/\s(src|href)\s*=\s*["']?\s*(https?:\/\/[^"'\s>]*)/gi)) {
    problems.push(`${rel}:${lineOf(text, m.index)}: external URL in ${m[1]}: ${m[2]}`);
  }
  if (rel === 'index.html' && !text.includes(PLACEHOLDER)) problems.push(`${rel}: no nonce placeholder`);
}

function checkCss(text, rel, problems) {
  for (const m of text.matchAll(/url\(\s*["']?\s*((?:https?:|data:)[^"')]*)/gi)) {
    problems.push(`${rel}:${lineOf(text, m.index)}: url() with ${m[1].slice(0, 60)}`);
  }
  for (const m of text.matchAll(/@import\s+["']?(https?:\/\/[^"';\s]*)/gi)) {
    problems.push(`${rel}:${lineOf(text, m.index)}: @import of ${m[1]}`);
  }
}

function checkJs(text, rel, problems) {
  for (const m of text.matchAll(/https?:\/\/[A-Za-z0-9.-]+(?:\/[^\s"'`)]*)?/g)) {
    if (NAMESPACES.has(m[0])) continue;
    problems.push(`${rel}:${lineOf(text, m.index)}: external URL ${m[0].slice(0, 80)}`);
  }
}

export function checkWebBuild(dir) {
  const problems = [];
  if (!fs.existsSync(path.join(dir, 'index.html'))) return [`${dir}: no index.html (run npm run build:web)`];
  for (const file of files(dir)) {
    const rel = path.relative(dir, file).split(path.sep).join('/');
    const ext = path.extname(file).toLowerCase();
    if (!['.html', '.css', '.js', '.mjs', '.svg'].includes(ext)) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (ext === '.html' || ext === '.svg') checkHtml(text, rel, problems);
    if (ext === '.css') checkCss(text, rel, problems);
    if (ext === '.js' || ext === '.mjs') checkJs(text, rel, problems);
    if (ext === '.html')
      for (const m of text.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) checkCss(m[1], rel, problems);
  }
  return problems;
}

const invokedDirectly =
  process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  const dir = path.resolve(process.argv[2] ?? 'dist/web');
  const problems = checkWebBuild(dir);
  if (problems.length > 0) {
    for (const p of problems) console.error(`check-web-build: ${p}`);
    process.exit(1);
  }
  console.log(`check-web-build: ${dir} is clean`);
}
