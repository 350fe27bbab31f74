import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueCsrfToken, verifyCsrfToken } from '../../src/security/csrf.js';
import {
  SESSION_COOKIE_NAME,
  clearSessionCookieHeader,
  newSessionId,
  sessionCookieFromHeader,
  sessionCookieHeader,
  sessionIdHash,
  signSession,
  verifySessionCookie,
} from '../../src/security/session-cookie.js';

const SECRET = 'session-secret-current-0123456789abcdef';
const PREVIOUS = 'session-secret-previous-0123456789abcdef';
// 32 bytes 0x00..0x1f, base64url: a fixed sid whose expected signature is computed independently below.
const FIXED_SID = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url');

/** Flips one character of a base64url string at `index` to another valid character. */
function flip(value: string, index: number): string {
  const replacement = value[index] === 'A' ? 'B' : 'A';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe('session cookie', () => {
  it('creates 43-character base64url session ids that differ each time', () => {
    const a = newSessionId();
    const b = newSessionId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('signs as <sid>.<base64url HMAC-SHA256(secret, sid)>', () => {
    expect(FIXED_SID).toBe('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    const expectedSig = createHmac('sha256', SECRET).update(FIXED_SID).digest('base64url');
    expect(signSession(FIXED_SID, SECRET)).toBe(`${FIXED_SID}.${expectedSig}`);
  });

  it('round-trips with the current secret', () => {
    const sid = newSessionId();
    expect(verifySessionCookie(signSession(sid, SECRET), SECRET, PREVIOUS)).toEqual({
      sid,
      signedWithPrevious: false,
    });
  });

  it('accepts the previous secret and flags it for re-issue', () => {
    const sid = newSessionId();
    expect(verifySessionCookie(signSession(sid, PREVIOUS), SECRET, PREVIOUS)).toEqual({
      sid,
      signedWithPrevious: true,
    });
    expect(verifySessionCookie(signSession(sid, PREVIOUS), SECRET)).toBeNull();
  });

  it('rejects tampered ids, tampered signatures, foreign secrets and malformed values', () => {
    const value = signSession(FIXED_SID, SECRET);
    const [sid, sig] = value.split('.') as [string, string];
    expect(verifySessionCookie(`${flip(sid, 5)}.${sig}`, SECRET)).toBeNull();
    expect(verifySessionCookie(`${sid}.${flip(sig, 5)}`, SECRET)).toBeNull();
    expect(verifySessionCookie(signSession(FIXED_SID, 'some-other-secret-0123456789'), SECRET, PREVIOUS)).toBeNull();
    expect(verifySessionCookie('', SECRET)).toBeNull();
    expect(verifySessionCookie(sid, SECRET)).toBeNull();
    expect(verifySessionCookie(`${value}.extra`, SECRET)).toBeNull();
    expect(verifySessionCookie(`${sid}.${sig}=`, SECRET)).toBeNull();
    expect(verifySessionCookie(`short.${sig}`, SECRET)).toBeNull();
  });

  it('builds constant cookie attributes with no Domain', () => {
    expect(sessionCookieHeader('abc.def', 28800)).toBe(
      '__Host-qnwis_session=abc.def; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800',
    );
    expect(clearSessionCookieHeader()).toBe(
      '__Host-qnwis_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0',
    );
    expect(SESSION_COOKIE_NAME).toBe('__Host-qnwis_session');
    expect(() => sessionCookieHeader('abc.def', -1)).toThrow(RangeError);
    expect(() => sessionCookieHeader('abc.def', 1.5)).toThrow(RangeError);
  });

  it('hashes the session id as hex SHA-256 of the id string', () => {
    expect(sessionIdHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sessionIdHash(FIXED_SID)).toBe(createHash('sha256').update(FIXED_SID).digest('hex'));
  });

  it('reads the session cookie from a Cookie header', () => {
    expect(sessionCookieFromHeader('a=1; __Host-qnwis_session=sid.sig; b=2')).toBe('sid.sig');
    expect(sessionCookieFromHeader('__Host-qnwis_session=first; __Host-qnwis_session=second')).toBe('first');
    expect(sessionCookieFromHeader('qnwis_session=x; other=y')).toBeNull();
    expect(sessionCookieFromHeader(undefined)).toBeNull();
  });
});

describe('CSRF token', () => {
  const CSRF_SECRET = 'csrf-secret-current-0123456789abcdef';
  const CSRF_PREVIOUS = 'csrf-secret-previous-0123456789abcdef';

  it('is <nonce>.<sig> with sig = HMAC-SHA256(secret, "csrf|" + sha256hex(sid) + "|" + nonce)', () => {
    const token = issueCsrfToken(FIXED_SID, CSRF_SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    const [nonce, sig] = token.split('.') as [string, string];
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    const sidHash = createHash('sha256').update(FIXED_SID).digest('hex');
    expect(sig).toBe(createHmac('sha256', CSRF_SECRET).update(`csrf|${sidHash}|${nonce}`).digest('base64url'));
  });

  it('round-trips and allows several valid tokens per session', () => {
    const first = issueCsrfToken(FIXED_SID, CSRF_SECRET);
    const second = issueCsrfToken(FIXED_SID, CSRF_SECRET);
    expect(first).not.toBe(second);
    expect(verifyCsrfToken(first, FIXED_SID, CSRF_SECRET)).toBe(true);
    expect(verifyCsrfToken(second, FIXED_SID, CSRF_SECRET)).toBe(true);
  });

  it('is bound to the session id', () => {
    const token = issueCsrfToken(FIXED_SID, CSRF_SECRET);
    expect(verifyCsrfToken(token, newSessionId(), CSRF_SECRET)).toBe(false);
  });

  it('accepts the previous secret only when given', () => {
    const token = issueCsrfToken(FIXED_SID, CSRF_PREVIOUS);
    expect(verifyCsrfToken(token, FIXED_SID, CSRF_SECRET)).toBe(false);
    expect(verifyCsrfToken(token, FIXED_SID, CSRF_SECRET, CSRF_PREVIOUS)).toBe(true);
  });

  it('rejects tampering, missing and malformed tokens', () => {
    const token = issueCsrfToken(FIXED_SID, CSRF_SECRET);
    const [nonce, sig] = token.split('.') as [string, string];
    expect(verifyCsrfToken(`${flip(nonce, 3)}.${sig}`, FIXED_SID, CSRF_SECRET)).toBe(false);
    expect(verifyCsrfToken(`${nonce}.${flip(sig, 3)}`, FIXED_SID, CSRF_SECRET)).toBe(false);
    expect(verifyCsrfToken(undefined, FIXED_SID, CSRF_SECRET)).toBe(false);
    expect(verifyCsrfToken('', FIXED_SID, CSRF_SECRET)).toBe(false);
    expect(verifyCsrfToken(`${token}.`, FIXED_SID, CSRF_SECRET)).toBe(false);
    // A session cookie signature is not a CSRF token for that session.
    expect(verifyCsrfToken(signSession(FIXED_SID, CSRF_SECRET), FIXED_SID, CSRF_SECRET)).toBe(false);
  });
});
