import { createHash, createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';

export const SESSION_COOKIE_NAME = '__Host-qnwis_session';

// 32 random bytes and an HMAC-SHA256 both encode to 43 unpadded base64url characters.
const SESSION_COOKIE_VALUE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;
const COOKIE_ATTRIBUTES = 'Path=/; HttpOnly; Secure; SameSite=Strict';

export interface VerifiedSessionCookie {
  sid: string;
  /** True when only SESSION_SECRET_PREVIOUS matched: the caller re-issues the cookie with the current secret. */
  signedWithPrevious: boolean;
}

/** A fresh session id: 32 random bytes, base64url without padding. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

function sessionSignature(sid: string, secret: string): string {
  return createHmac('sha256', secret).update(sid, 'utf8').digest('base64url');
}

/** Cookie value `<sid>.<sig>`. */
export function signSession(sid: string, secret: string): string {
  return `${sid}.${sessionSignature(sid, secret)}`;
}

/** Returns the session id when the signature matches the current or the previous secret, else null. */
export function verifySessionCookie(
  value: string,
  secret: string,
  previousSecret?: string,
): VerifiedSessionCookie | null {
  const match = SESSION_COOKIE_VALUE.exec(value);
  if (match === null) return null;
  const sid = match[1]!;
  const sig = match[2]!;
  if (constantTimeEqual(sig, sessionSignature(sid, secret))) return { sid, signedWithPrevious: false };
  if (previousSecret && constantTimeEqual(sig, sessionSignature(sid, previousSecret))) {
    return { sid, signedWithPrevious: true };
  }
  return null;
}

/** `Set-Cookie` value for a session cookie; `__Host-` requires Secure, Path=/ and no Domain. */
export function sessionCookieHeader(value: string, maxAgeS: number): string {
  if (!Number.isInteger(maxAgeS) || maxAgeS < 0) throw new RangeError('maxAgeS must be a non-negative integer');
  return `${SESSION_COOKIE_NAME}=${value}; ${COOKIE_ATTRIBUTES}; Max-Age=${maxAgeS}`;
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearSessionCookieHeader(): string {
  return `${SESSION_COOKIE_NAME}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`;
}

/** What the `sessions` table stores instead of the raw id: hex SHA-256 of the sid string. */
export function sessionIdHash(sid: string): string {
  return createHash('sha256').update(sid, 'utf8').digest('hex');
}

/** The first `__Host-qnwis_session` value of a `Cookie` request header, or null. */
export function sessionCookieFromHeader(cookieHeader: string | undefined): string | null {
  if (cookieHeader === undefined) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE_NAME) return part.slice(eq + 1).trim();
  }
  return null;
}
