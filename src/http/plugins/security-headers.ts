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

/** Pre-sets the headers every response carries (service spec §3.3); handlers may narrow Cache-Control only. */
export function applySecurityHeaders(reply: FastifyReply, nonce: string): void {
  reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains; preload');
  reply.header('content-security-policy', contentSecurityPolicy(nonce));
  reply.header('reporting-endpoints', 'csp="/api/v1/ui/csp-report"');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('permissions-policy', 'geolocation=(), microphone=(), camera=()');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-site');
  reply.header('cache-control', 'no-store');
}
