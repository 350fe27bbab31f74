import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { JwtConfigError, createJwtVerifier } from '../../src/security/jwt.js';

const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const SECRET = 'test-secret-with-at-least-32-characters!!';
const fixedClock = (): number => NOW_MS;
const tmp = mkdtempSync(join(tmpdir(), 'qnwis-jwt-'));

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function claims(extra: JWTPayload = {}): JWTPayload {
  return { sub: 'alice', iat: NOW_S - 10, exp: NOW_S + 300, roles: ['analyst'], ...extra };
}

async function hs256(payload: JWTPayload, secret: string | Uint8Array = SECRET, kid?: string): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...(kid ? { kid } : {}) }).sign(key);
}

async function signWith(alg: 'RS256' | 'ES256', key: CryptoKey, payload: JWTPayload, kid?: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key);
}

/** HS256 token with an arbitrary header, signed by hand (jose refuses to sign `crit` it does not know). */
function handSignedHs256(header: Record<string, unknown>, payload: JWTPayload): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

function writeJwks(name: string, keys: JWK[]): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}

function secretVerifier(extra: { issuer?: string; audience?: string } = {}) {
  return createJwtVerifier({ secret: SECRET, leewayS: 30, now: fixedClock, ...extra });
}

let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
let rsaOther: { publicKey: CryptoKey; privateKey: CryptoKey };
let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
let rsaJwk: JWK;
let ecJwk: JWK;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  rsaOther = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  rsaJwk = await exportJWK(rsa.publicKey);
  ecJwk = await exportJWK(ec.publicKey);
});

describe('configuration', () => {
  it('is disabled without a key source and rejects every token', async () => {
    const verifier = createJwtVerifier({ leewayS: 30 });
    expect(verifier.enabled).toBe(false);
    expect(await verifier.verify(await hs256(claims()))).toEqual({
      ok: false,
      reason: 'bearer authentication is not configured',
    });
  });

  it('refuses more than one key source', () => {
    expect(() => createJwtVerifier({ secret: SECRET, jwksUrl: 'https://idp.example/jwks', leewayS: 0 })).toThrow(
      JwtConfigError,
    );
  });

  it('accepts https JWKS URLs and plain http only for loopback when allowed', () => {
    expect(createJwtVerifier({ jwksUrl: 'https://idp.example/jwks', leewayS: 0 }).enabled).toBe(true);
    expect(() => createJwtVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks', leewayS: 0 })).toThrow(
      'JWKS URL must use https (plain http only for loopback outside prod)',
    );
    expect(() =>
      createJwtVerifier({ jwksUrl: 'http://idp.example/jwks', leewayS: 0, allowInsecureLoopback: true }),
    ).toThrow(JwtConfigError);
    expect(createJwtVerifier({ jwksUrl: 'http://[::1]:9/jwks', leewayS: 0, allowInsecureLoopback: true }).enabled).toBe(
      true,
    );
  });

  it('refuses a JWKS file without keys', () => {
    const path = writeJwks('empty.json', []);
    expect(() => createJwtVerifier({ jwksFile: path, leewayS: 0 })).toThrow('JWKS document has no keys');
  });
});

describe('HS256 with a shared secret', () => {
  it('accepts a valid token and returns subject and roles', async () => {
    expect(await secretVerifier().verify(await hs256(claims({ roles: ['admin', 'analyst'] })))).toEqual({
      ok: true,
      subject: 'alice',
      roles: ['analyst', 'admin'],
    });
  });

  it('rejects an expired token beyond the leeway and accepts one inside it', async () => {
    expect(await secretVerifier().verify(await hs256(claims({ exp: NOW_S - 31 })))).toEqual({
      ok: false,
      reason: 'token expired',
    });
    expect((await secretVerifier().verify(await hs256(claims({ exp: NOW_S - 29 })))).ok).toBe(true);
  });

  it('rejects nbf in the future beyond the leeway', async () => {
    expect(await secretVerifier().verify(await hs256(claims({ nbf: NOW_S + 60 })))).toEqual({
      ok: false,
      reason: 'claim nbf invalid: check_failed',
    });
    expect((await secretVerifier().verify(await hs256(claims({ nbf: NOW_S + 20 })))).ok).toBe(true);
  });

  it('rejects iat in the future beyond the leeway', async () => {
    expect(await secretVerifier().verify(await hs256(claims({ iat: NOW_S + 120 })))).toEqual({
      ok: false,
      reason: 'iat is in the future',
    });
  });

  it('requires exp and a sub of 1..256 characters', async () => {
    const noExp = claims();
    delete noExp.exp;
    expect(await secretVerifier().verify(await hs256(noExp))).toEqual({
      ok: false,
      reason: 'claim exp invalid: missing',
    });
    expect(await secretVerifier().verify(await hs256(claims({ sub: 'x'.repeat(257) })))).toEqual({
      ok: false,
      reason: 'sub must be 1..256 chars',
    });
    expect(await secretVerifier().verify(await hs256(claims({ sub: 'x'.repeat(256) })))).toEqual({
      ok: true,
      subject: 'x'.repeat(256),
      roles: ['analyst'],
    });
  });

  it('checks issuer and audience when configured', async () => {
    const verifier = secretVerifier({ issuer: 'https://idp.example', audience: 'qnwis' });
    const good = claims({ iss: 'https://idp.example', aud: ['other', 'qnwis'] });
    expect((await verifier.verify(await hs256(good))).ok).toBe(true);
    expect(await verifier.verify(await hs256({ ...good, iss: 'https://evil.example' }))).toEqual({
      ok: false,
      reason: 'claim iss invalid: check_failed',
    });
    expect(await verifier.verify(await hs256({ ...good, aud: 'someone-else' }))).toEqual({
      ok: false,
      reason: 'claim aud invalid: check_failed',
    });
  });

  it('rejects alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    expect(await secretVerifier().verify(token)).toEqual({ ok: false, reason: 'alg none or missing' });
  });

  it('rejects a token signed with another secret and a tampered payload', async () => {
    expect(await secretVerifier().verify(await hs256(claims(), 'another-secret-of-sufficient-length!!'))).toEqual({
      ok: false,
      reason: 'signature verification failed',
    });
    const [header, , sig] = (await hs256(claims())).split('.');
    const tampered = `${header}.${b64url(claims({ roles: ['admin'] }))}.${sig}`;
    expect(await secretVerifier().verify(tampered)).toEqual({ ok: false, reason: 'signature verification failed' });
  });

  it('rejects RS256 when only a secret is configured', async () => {
    expect(await secretVerifier().verify(await signWith('RS256', rsa.privateKey, claims()))).toEqual({
      ok: false,
      reason: 'alg RS256 not accepted with a shared secret',
    });
  });

  it('rejects a crit header even when the signature is valid', async () => {
    const token = handSignedHs256({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 }, claims());
    expect(await secretVerifier().verify(token)).toEqual({ ok: false, reason: 'crit header not accepted' });
    // Control: the same hand-signing without crit is accepted, so the rejection is due to crit alone.
    expect((await secretVerifier().verify(handSignedHs256({ alg: 'HS256' }, claims()))).ok).toBe(true);
  });

  it('rejects tokens over 8 KiB', async () => {
    const token = await hs256(claims({ pad: 'p'.repeat(9 * 1024) }));
    expect(token.length).toBeGreaterThan(9 * 1024);
    expect(await secretVerifier().verify(token)).toEqual({ ok: false, reason: 'token larger than 8 KiB' });
  });

  it('rejects malformed input', async () => {
    expect(await secretVerifier().verify('not-a-token')).toEqual({ ok: false, reason: 'malformed token header' });
  });

  it('maps roles: missing, empty or non-array means none; unknown values are dropped', async () => {
    const verifier = secretVerifier();
    const noRoles = claims();
    delete noRoles.roles;
    expect(await verifier.verify(await hs256(noRoles))).toEqual({ ok: true, subject: 'alice', roles: [] });
    expect(await verifier.verify(await hs256(claims({ roles: [] })))).toEqual({
      ok: true,
      subject: 'alice',
      roles: [],
    });
    expect(await verifier.verify(await hs256(claims({ roles: 'admin' })))).toEqual({
      ok: true,
      subject: 'alice',
      roles: [],
    });
    expect(
      await verifier.verify(await hs256(claims({ roles: ['superuser', 'auditor', 7, 'Admin', 'auditor'] }))),
    ).toEqual({ ok: true, subject: 'alice', roles: ['auditor'] });
  });
});

describe('JWKS file', () => {
  it('accepts RS256 from a single-key set without kid', async () => {
    const verifier = createJwtVerifier({ jwksFile: writeJwks('rsa.json', [rsaJwk]), leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims()))).toEqual({
      ok: true,
      subject: 'alice',
      roles: ['analyst'],
    });
  });

  it('rejects a token signed by a different RSA key', async () => {
    const verifier = createJwtVerifier({ jwksFile: writeJwks('rsa.json', [rsaJwk]), leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await signWith('RS256', rsaOther.privateKey, claims()))).toEqual({
      ok: false,
      reason: 'signature verification failed',
    });
  });

  it('rejects HS256 signed with the RSA public key PEM (algorithm confusion)', async () => {
    const verifier = createJwtVerifier({ jwksFile: writeJwks('rsa.json', [rsaJwk]), leewayS: 0, now: fixedClock });
    const pem = await exportSPKI(rsa.publicKey);
    const token = await hs256(claims(), new TextEncoder().encode(pem));
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'alg HS256 does not match key type' });
  });

  it('accepts ES256 with an EC P-256 key and rejects a header alg that does not fit the key', async () => {
    const path = writeJwks('mixed.json', [
      { ...rsaJwk, kid: 'rsa-1' },
      { ...ecJwk, kid: 'ec-1' },
    ]);
    const verifier = createJwtVerifier({ jwksFile: path, leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await signWith('ES256', ec.privateKey, claims(), 'ec-1'))).toEqual({
      ok: true,
      subject: 'alice',
      roles: ['analyst'],
    });
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims(), 'ec-1'))).toEqual({
      ok: false,
      reason: 'alg RS256 does not match key type',
    });
  });

  it('requires kid when the set has more than one key', async () => {
    const path = writeJwks('two.json', [
      { ...rsaJwk, kid: 'a' },
      { ...(await exportJWK(rsaOther.publicKey)), kid: 'b' },
    ]);
    const verifier = createJwtVerifier({ jwksFile: path, leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims()))).toEqual({
      ok: false,
      reason: 'kid required when the key set has more than one key',
    });
    expect((await verifier.verify(await signWith('RS256', rsa.privateKey, claims(), 'a'))).ok).toBe(true);
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims(), 'zzz'))).toEqual({
      ok: false,
      reason: 'unknown kid',
    });
  });

  it("honours the key's alg member", async () => {
    const path = writeJwks('rs384.json', [{ ...rsaJwk, alg: 'RS384' }]);
    const verifier = createJwtVerifier({ jwksFile: path, leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims()))).toEqual({
      ok: false,
      reason: 'alg RS256 does not match key alg RS384',
    });
  });

  it('never uses a symmetric key from a JWKS', async () => {
    const octKey: JWK = { kty: 'oct', k: Buffer.from(SECRET).toString('base64url') };
    const verifier = createJwtVerifier({ jwksFile: writeJwks('oct.json', [octKey]), leewayS: 0, now: fixedClock });
    expect(await verifier.verify(await hs256(claims()))).toEqual({ ok: false, reason: 'jwks key type not supported' });
  });
});

describe('JWKS URL', () => {
  let server: Server;
  let served: { keys: JWK[] };
  let requests = 0;
  let status = 200;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('caches the set, refetches an unknown kid at most once per 60 s and after 10 min', async () => {
    let clock = NOW_MS;
    requests = 0;
    status = 200;
    served = { keys: [{ ...rsaJwk, kid: 'k1' }] };
    const verifier = createJwtVerifier({
      jwksUrl: baseUrl,
      allowInsecureLoopback: true,
      leewayS: 0,
      now: () => clock,
    });
    const token = (key: CryptoKey, kid: string): Promise<string> =>
      signWith('RS256', key, claims({ iat: Math.floor(clock / 1000), exp: Math.floor(clock / 1000) + 3600 }), kid);

    await verifier.warmUp();
    expect(requests).toBe(1);
    expect((await verifier.verify(await token(rsa.privateKey, 'k1'))).ok).toBe(true);
    expect(requests).toBe(1);

    // The issuer rotates in k2; within 60 s of the last fetch the unknown kid does not trigger a fetch.
    served = {
      keys: [
        { ...rsaJwk, kid: 'k1' },
        { ...(await exportJWK(rsaOther.publicKey)), kid: 'k2' },
      ],
    };
    clock += 10_000;
    expect(await verifier.verify(await token(rsaOther.privateKey, 'k2'))).toEqual({
      ok: false,
      reason: 'unknown kid',
    });
    expect(requests).toBe(1);

    clock += 51_000; // 61 s after the first fetch
    expect((await verifier.verify(await token(rsaOther.privateKey, 'k2'))).ok).toBe(true);
    expect(requests).toBe(2);

    // Unknown kids cannot make the service hammer the issuer.
    clock += 1_000;
    expect(await verifier.verify(await token(rsaOther.privateKey, 'k3'))).toEqual({
      ok: false,
      reason: 'unknown kid',
    });
    clock += 30_000;
    expect((await verifier.verify(await token(rsaOther.privateKey, 'k3'))).ok).toBe(false);
    expect(requests).toBe(2);
    clock += 30_000; // 61 s after the second fetch
    expect((await verifier.verify(await token(rsaOther.privateKey, 'k3'))).ok).toBe(false);
    expect(requests).toBe(3);

    // Known kids use the cache until it is 10 minutes old.
    clock += 9 * 60_000;
    expect((await verifier.verify(await token(rsa.privateKey, 'k1'))).ok).toBe(true);
    expect(requests).toBe(3);
    clock += 60_000;
    expect((await verifier.verify(await token(rsa.privateKey, 'k1'))).ok).toBe(true);
    expect(requests).toBe(4);
  });

  it('rejects tokens while no key set could be fetched', async () => {
    requests = 0;
    status = 500;
    const verifier = createJwtVerifier({
      jwksUrl: baseUrl,
      allowInsecureLoopback: true,
      leewayS: 0,
      now: fixedClock,
    });
    await expect(verifier.warmUp()).rejects.toThrow('JWKS fetch answered 500');
    expect(await verifier.verify(await signWith('RS256', rsa.privateKey, claims(), 'k1'))).toEqual({
      ok: false,
      reason: 'JWKS unavailable',
    });
    expect(requests).toBe(1);
    status = 200;
  });
});
