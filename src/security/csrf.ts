import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import { sessionIdHash } from './session-cookie.js';

// 16-byte nonce (22 base64url chars) and HMAC-SHA256 signature (43 chars).
const CSRF_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export const CSRF_HEADER = 'x-csrf-token';

function csrfSignature(sid: string, nonce: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(`csrf|${sessionIdHash(sid)}|${nonce}`, 'utf8')
    .digest('base64url');
}

/** A new token `<nonce>.<sig>` bound to the session id; any number may be valid for one session. */
export function issueCsrfToken(sid: string, secret: string): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${nonce}.${csrfSignature(sid, nonce, secret)}`;
}

/** True when the token was signed for this session with CSRF_SECRET or CSRF_SECRET_PREVIOUS. */
export function verifyCsrfToken(
  token: string | undefined,
  sid: string,
  secret: string,
  previousSecret?: string,
): boolean {
  if (token === undefined) return false;
  const match = CSRF_TOKEN.exec(token);
  if (match === null) return false;
  const nonce = match[1]!;
  const sig = match[2]!;
  if (constantTimeEqual(sig, csrfSignature(sid, nonce, secret))) return true;
  return previousSecret ? constantTimeEqual(sig, csrfSignature(sid, nonce, previousSecret)) : false;
}
