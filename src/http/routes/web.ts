/**
 * The dashboard shell and its assets (ui.md §2.2): `/app/assets/*` from memory (loaded once at start-up, so no request
 * value ever names a file), every other `/app/*` path gets `index.html` with the request's CSP nonce and the
 * language cookie applied. Text assets are compressed once at start-up (Brotli and gzip) and sent in the encoding the
 * client accepts. Without a build the routes answer 503 "UI assets not built" and the API keeps working.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../errors.js';
import { addVary } from '../etag.js';

export interface WebRoutesOptions {
  /** The Vite output directory (QNWIS_WEB_DIST, default dist/web). */
  webDist: string;
}

export const NONCE_PLACEHOLDER = '__QNWIS_CSP_NONCE__';
const HTML_OPEN_LTR = '<html lang="en" dir="ltr">';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const MAX_ASSET_BYTES = 8 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (fonts are WOFF2, already compressed). */
const COMPRESSIBLE = /^(?:text\/|application\/json|image\/svg\+xml)/;

interface Asset {
  body: Buffer;
  type: string;
  /** Present when the encoding makes the body at least 10 % smaller. */
  br?: Buffer;
  gzip?: Buffer;
}

function compressed(body: Buffer, type: string): Pick<Asset, 'br' | 'gzip'> {
  if (!COMPRESSIBLE.test(type)) return {};
  const worth = (c: Buffer): Buffer | undefined => (c.length <= body.length * 0.9 ? c : undefined);
  const br = worth(
    zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  );
  const gzip = worth(zlib.gzipSync(body, { level: zlib.constants.Z_BEST_COMPRESSION }));
  return { ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) };
}

/** Codings of an Accept-Encoding header with a non-zero q (RFC 9110 §12.5.3); `*` stands for any coding. */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (!coding) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    out.add(coding);
  }
  return out;
}

/** The body to send and its Content-Encoding: Brotli, then gzip, then identity. */
export function negotiate(asset: Asset, acceptEncoding: string | undefined): { body: Buffer; encoding?: string } {
  const accepted = acceptedEncodings(acceptEncoding);
  const any = accepted.has('*');
  if (asset.br && (accepted.has('br') || any)) return { body: asset.br, encoding: 'br' };
  if (asset.gzip && (accepted.has('gzip') || accepted.has('x-gzip') || any))
    return { body: asset.gzip, encoding: 'gzip' };
  return { body: asset.body };
}

/** The built app as loaded at start-up; null when `dist/web` (or its index.html) is missing. */
export interface WebBundle {
  /** index.html split at the nonce placeholder. */
  indexParts: string[];
  assets: Map<string, Asset>;
}

function walk(dir: string, prefix: string, into: Map<string, Asset>): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, rel, into);
    else if (entry.isFile()) {
      const type = TYPES[path.extname(entry.name).toLowerCase()];
      if (type === undefined || fs.statSync(full).size > MAX_ASSET_BYTES) continue;
      const body = fs.readFileSync(full);
      into.set(rel, { body, type, ...compressed(body, type) });
    }
  }
}

export function loadWebBundle(webDist: string): WebBundle | null {
  let html: string;
  try {
    html = fs.readFileSync(path.join(webDist, 'index.html'), 'utf8');
  } catch {
    return null;
  }
  const assets = new Map<string, Asset>();
  const assetDir = path.join(webDist, 'assets');
  if (fs.existsSync(assetDir)) walk(assetDir, '', assets);
  return { indexParts: html.split(NONCE_PLACEHOLDER), assets };
}

/** `qnwis_lang` from a Cookie header: `ar`, `en`, or null when absent or anything else. */
export function langFromCookie(header: string | undefined): 'en' | 'ar' | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'qnwis_lang') {
      const value = rest.join('=').trim();
      return value === 'ar' || value === 'en' ? value : null;
    }
  }
  return null;
}

/** index.html for one request: every placeholder becomes the nonce; `<html lang dir>` follows the cookie. */
export function renderIndex(bundle: WebBundle, nonce: string, lang: 'en' | 'ar' | null): string {
  const html = bundle.indexParts.join(nonce);
  return lang === 'ar' ? html.replace(HTML_OPEN_LTR, '<html lang="ar" dir="rtl">') : html;
}

function notBuilt(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .type('text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .send('UI assets not built');
}

/** `/app`, `/app/*`, `/app/assets/*` (public routes; data comes from authenticated API calls). */
export async function webRoutes(app: FastifyInstance, opts: WebRoutesOptions): Promise<void> {
  const bundle = loadWebBundle(opts.webDist);

  app.get('/app', async (_req, reply) => reply.redirect('/app/', 308));

  app.get<{ Params: { '*': string } }>('/app/assets/*', async (req, reply) => {
    if (bundle === null) return notBuilt(reply);
    const asset = bundle.assets.get(req.params['*']);
    if (asset === undefined) throw new HttpError(404, 'not_found', 'no such asset');
    reply.type(asset.type).header('cache-control', IMMUTABLE);
    if (asset.br === undefined && asset.gzip === undefined) return reply.send(asset.body);
    const { body, encoding } = negotiate(asset, req.headers['accept-encoding']);
    addVary(reply, 'Accept-Encoding');
    if (encoding !== undefined) reply.header('content-encoding', encoding);
    return reply.send(body);
  });

  app.get('/app/*', async (req, reply) => {
    if (bundle === null) return notBuilt(reply);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return renderIndex(bundle, req.cspNonce, langFromCookie(req.headers.cookie));
  });
}
