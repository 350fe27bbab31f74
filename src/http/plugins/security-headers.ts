import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** Content-Security-Policy of the UI spec §3.1 with this response's nonce. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
    'report-uri /api/v1/ui/csp-report',
    'report-to csp',
  ].join('; ');
}

// Nonces come from a pooled random buffer: one getrandom call per 256 requests instead of one each.
const POOL_NONCES = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** 16 fresh random bytes, base64url (22 characters), different on every call. */
export function newCspNonce(): string {
  if (offset >= pool.length) {
    pool = randomBytes(16 * POOL_NONCES);
    offset = 0;
  }
  const nonce = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return nonce;
}

const CSP = 'content-security-policy';
// The policy around its two nonce slots, built once: every response fills in its own nonce.
const [CSP_HEAD, CSP_MIDDLE, CSP_TAIL] = contentSecurityPolicy('\u0000').split('\u0000') as [string, string, string];

/** The headers every response carries (service spec §3.3), in order; the CSP value is per response. */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['strict-transport-security', 'max-age=63072000; includeSubDomains; preload'],
  [CSP, ''],
  ['reporting-endpoints', 'csp="/api/v1/ui/csp-report"'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['permissions-policy', 'geolocation=(), microphone=(), camera=()'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-site'],
  ['cache-control', 'no-store'],
];

function securityHeaders(nonce: string): [string, string][] {
  const policy = CSP_HEAD + nonce + CSP_MIDDLE + nonce + CSP_TAIL;
  return SECURITY_HEADERS.map(([name, value]) => [name, name === CSP ? policy : value]);
}

/** Pre-sets the headers every response carries (service spec §3.3); handlers may narrow Cache-Control only. */
export function applySecurityHeaders(reply: FastifyReply, nonce: string): void {
  const policy = CSP_HEAD + nonce + CSP_MIDDLE + nonce + CSP_TAIL;
  for (const [name, value] of SECURITY_HEADERS) reply.header(name, name === CSP ? policy : value);
}

/** The same headers as raw `name: value` lines, for replies written straight to a socket. */
export function securityHeaderLines(nonce: string): string[] {
  return securityHeaders(nonce).map(([name, value]) => `${name}: ${value}`);
}
