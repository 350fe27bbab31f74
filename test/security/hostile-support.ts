/**
 * Tools of the hostile-request suite (test/security/hostile.test.ts): a raw HTTP client that counts what it sends,
 * hand-made JWTs (any header, any algorithm, any signature), and the checks every hostile response must pass.
 */
import { createHmac, createPrivateKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'vitest';

// ---------------------------------------------------------------------------------------------------------------------
// HTTP

export interface HostileRequest {
  method?: string;
  /** Sent exactly as given: no normalisation of `..`, no re-encoding. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Connect to this address instead of the client's default host (the Host header stays as given or defaults). */
  connectTo?: string;
  /** A new connection of its own (for requests the server answers by closing the connection). */
  fresh?: boolean;
}

export interface HostileResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Raw header lines as received (name, value, name, value, ...). */
  rawHeaders: string[];
  json<T = unknown>(): T;
}

export interface ErrorBody {
  code: string;
  message: string;
  request_id: string;
  reason?: string;
  details?: { path: string; message: string }[];
  error_id?: string;
}

/**
 * A node:http client that sends paths and headers verbatim (fetch would normalise `../` away) and counts every
 * hostile request. `probe` requests (setup and route discovery) are not counted.
 */
export class HostileClient {
  /** Hostile requests sent so far. */
  sent = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** A hostile request: counted. */
  send(req: HostileRequest): Promise<HostileResponse> {
    this.sent += 1;
    return this.exchange(req);
  }

  /** Setup or discovery traffic: not counted. */
  probe(req: HostileRequest): Promise<HostileResponse> {
    return this.exchange(req);
  }

  /** A hostile request written byte for byte on a fresh socket; resolves with the whole response text. */
  sendRaw(bytes: string): Promise<string> {
    this.sent += 1;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      let out = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (out += d));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
      socket.write(bytes, 'latin1');
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private exchange(req: HostileRequest): Promise<HostileResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = { ...(req.headers ?? {}) };
      const framed = Object.keys(headers).some((h) =>
        ['content-length', 'transfer-encoding'].includes(h.toLowerCase()),
      );
      if (req.body !== undefined && !framed) {
        headers['content-length'] = String(Buffer.byteLength(req.body));
      }
      const outgoing = http.request(
        {
          host: req.connectTo ?? this.host,
          port: this.port,
          method: req.method ?? 'GET',
          path: req.path,
          headers,
          agent: req.connectTo || req.fresh ? false : this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              text,
              json<T>() {
                return JSON.parse(text) as T;
              },
            });
          });
          res.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      if (req.body !== undefined) outgoing.write(req.body);
      outgoing.end();
    });
  }
}

/** Status line and headers of a raw response text (latin1), header names lower-cased. */
export function parseRawResponse(text: string): { status: number; headers: Map<string, string[]>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(statusLine?.split(' ')[1] ?? 0), headers, body: end === -1 ? '' : text.slice(end + 4) };
}

// ---------------------------------------------------------------------------------------------------------------------
// Response checks

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CSP_NONCE = /'nonce-([A-Za-z0-9_-]{22})'/;

/** Text that must never reach a client: stack frames, exception names, source files, filesystem locations. */
const LEAK_PATTERNS: readonly RegExp[] = [
  /^\s*at /m, // a stack frame line
  /\bat (?:async )?[\w$.<>[\]]+ \(/, // "at fn (" inside one line
  /\.[cm]?[jt]s:\d+/, // file.ts:12
  /\b[A-Z]\w*Error:/, // "TypeError:", "Error:"
  /\/work\//,
  /\/root\//,
  /\/tmp\//,
  /node_modules/,
  /root:x:0:0/, // /etc/passwd content
];

/** Secrets a hostile response must never contain; `values` grows as the suite creates keys and tokens. */
export class SecretList {
  private readonly values = new Set<string>();

  add(...values: string[]): void {
    for (const v of values) if (v.length >= 8) this.values.add(v);
  }

  /** The first secret found in `text`, or null. */
  foundIn(text: string): string | null {
    for (const v of this.values) if (text.includes(v)) return v;
    return null;
  }

  get size(): number {
    return this.values.size;
  }
}

/** Every CSP nonce seen: each response must carry a fresh one. */
const seenNonces = new Set<string>();

/** The §3.3 headers with a fresh CSP nonce, a well-formed X-Request-ID, and no Server/X-Powered-By. */
export function expectSecurityHeaders(res: HostileResponse, label = ''): void {
  const h = res.headers;
  const csp = String(h['content-security-policy'] ?? '');
  expect(csp, label).toMatch(/^default-src 'none'; /);
  expect(csp).not.toContain('unsafe-inline');
  const nonce = CSP_NONCE.exec(csp)?.[1];
  expect(nonce, 'CSP nonce').toBeDefined();
  expect(seenNonces.has(nonce!), 'CSP nonce reused').toBe(false);
  seenNonces.add(nonce!);
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['x-frame-options']).toBe('DENY');
  expect(h['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
  expect(h['referrer-policy']).toBe('no-referrer');
  expect(h['permissions-policy']).toBe('geolocation=(), microphone=(), camera=()');
  expect(h['cross-origin-opener-policy']).toBe('same-origin');
  expect(h['cross-origin-resource-policy']).toBe('same-site');
  expect(String(h['x-request-id'])).toMatch(REQUEST_ID);
  expect(h['server']).toBeUndefined();
  expect(h['x-powered-by']).toBeUndefined();
}

/** No stack text, filesystem path, /etc/passwd content or secret anywhere in the headers or the body. */
export function expectNoLeak(res: HostileResponse, secrets: SecretList, label = ''): void {
  const everything = `${res.rawHeaders.join('\n')}\n${res.text}`;
  for (const pattern of LEAK_PATTERNS) expect(everything, `${label} leak ${pattern}`).not.toMatch(pattern);
  expect(secrets.foundIn(everything), `${label} secret in response`).toBeNull();
}

/** The checks of every hostile response: not 5xx, the security headers, no leak. */
export function expectHardened(res: HostileResponse, secrets: SecretList, label = ''): void {
  expect(res.status, `${label} 5xx: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expectSecurityHeaders(res, label);
  expectNoLeak(res, secrets, label);
}

/** The body with this response's CSP nonce and every UUID blanked (to compare two responses). */
export function normalisedBody(res: HostileResponse): string {
  const nonce = CSP_NONCE.exec(String(res.headers['content-security-policy'] ?? ''))?.[1];
  const text = nonce === undefined ? res.text : res.text.split(nonce).join('<nonce>');
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
}

/** A hostile response with the stable error shape: exact status and code, request id equal to the header. */
export function expectError(
  res: HostileResponse,
  status: number,
  code: string,
  secrets: SecretList,
  label = '',
): ErrorBody {
  expectHardened(res, secrets, label);
  expect(res.status, `${label} → ${res.text.slice(0, 300)}`).toBe(status);
  expect(String(res.headers['content-type'])).toBe('application/json; charset=utf-8');
  const body = res.json<{ error: ErrorBody }>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code, label).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.request_id).toBe(res.headers['x-request-id']);
  expect(body.error.error_id).toBeUndefined();
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer realm="qnwis"');
  return body.error;
}

// ---------------------------------------------------------------------------------------------------------------------
// JWTs made by hand

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** `<header>.<payload>.` with any header and payload (objects are JSON-encoded, strings used as they are). */
export function unsignedJwt(header: object | string, payload: object | string): string {
  const enc = (v: object | string): string => b64url(typeof v === 'string' ? v : JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.`;
}

/** HMAC-signed compact JWS; the header is taken as given (its `alg` need not match the HMAC used). */
export function hmacJwt(
  header: object,
  payload: object,
  secret: string | Buffer,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const input = unsignedJwt(header, payload).slice(0, -1);
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Asymmetric keys made once per suite: RSA-2048 (RS256) and P-256 (ES256). */
export interface AsymmetricKeys {
  rsaPrivate: KeyObject;
  rsaPublicPem: string;
  ecPrivate: KeyObject;
}

export function makeAsymmetricKeys(): AsymmetricKeys {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    rsaPrivate: rsa.privateKey,
    rsaPublicPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ecPrivate: createPrivateKey(ec.privateKey.export({ type: 'pkcs8', format: 'pem' })),
  };
}

/** RS256 (RSA PKCS#1 v1.5) or ES256 (ECDSA P-256, IEEE P1363 signature) compact JWS. */
export function asymmetricJwt(alg: 'RS256' | 'ES256', payload: object, keys: AsymmetricKeys): string {
  const input = unsignedJwt({ alg, typ: 'JWT' }, payload).slice(0, -1);
  const signature =
    alg === 'RS256'
      ? cryptoSign('sha256', Buffer.from(input), keys.rsaPrivate)
      : cryptoSign('sha256', Buffer.from(input), { key: keys.ecPrivate, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** Seconds since the epoch. */
export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}
