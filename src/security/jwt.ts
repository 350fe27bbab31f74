import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify } from 'jose';
import type { CryptoKey, JWK, JWTPayload, JWTVerifyOptions } from 'jose';
import { ROLES, isRole } from './roles.js';
import type { Role } from './roles.js';

export const MAX_TOKEN_BYTES = 8 * 1024;
export const JWKS_CACHE_TTL_MS = 10 * 60 * 1000;
export const JWKS_REFETCH_INTERVAL_MS = 60 * 1000;
export const JWKS_FETCH_TIMEOUT_MS = 2000;
const MAX_SUBJECT_CHARS = 256;
const MAX_JWKS_BYTES = 512 * 1024;

export interface JwtVerifierOptions {
  secret?: string | undefined;
  jwksFile?: string | undefined;
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  leewayS: number;
  /** Permits plain-http JWKS URLs on loopback hosts (never in prod). */
  allowInsecureLoopback?: boolean | undefined;
  fetch?: typeof fetch | undefined;
  /** Clock in epoch milliseconds; tests inject one to drive expiry and the JWKS refetch limit. */
  now?: (() => number) | undefined;
}

export type JwtVerifyResult = { ok: true; subject: string; roles: Role[] } | { ok: false; reason: string };

export interface JwtVerifier {
  /** False when no key source is configured: every bearer token is then rejected. */
  readonly enabled: boolean;
  /** `reason` is for logs only; clients always see the same invalid_credentials error. */
  verify(token: string): Promise<JwtVerifyResult>;
  /** Fetches a JWKS URL eagerly (worker start); a no-op for secret and file configurations. */
  warmUp(): Promise<void>;
}

/** Thrown for configuration that must refuse start (more than one key source, bad JWKS file or URL). */
export class JwtConfigError extends Error {
  override readonly name = 'JwtConfigError';
}

type AsymmetricAlg = 'RS256' | 'ES256';

interface JwksEntry {
  kid: string | undefined;
  /** Undefined when the key type or curve is not supported; selecting it rejects the token. */
  alg: AsymmetricAlg | undefined;
  declaredAlg: string | undefined;
  use: string | undefined;
  publicJwk: JWK | undefined;
  imported?: Promise<CryptoKey | Uint8Array>;
}

interface KeySet {
  entries: JwksEntry[];
}

class Rejection extends Error {}

function reject(reason: string): never {
  throw new Rejection(reason);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Keeps only the public members so private material in a JWKS can never be used or confused with a secret. */
function toEntry(raw: unknown): JwksEntry {
  if (!isRecord(raw)) throw new JwtConfigError('JWKS key is not an object');
  const base = {
    kid: optionalString(raw.kid),
    declaredAlg: optionalString(raw.alg),
    use: optionalString(raw.use),
  };
  if (raw.kty === 'RSA' && typeof raw.n === 'string' && typeof raw.e === 'string') {
    return { ...base, alg: 'RS256', publicJwk: { kty: 'RSA', n: raw.n, e: raw.e } };
  }
  if (raw.kty === 'EC' && raw.crv === 'P-256' && typeof raw.x === 'string' && typeof raw.y === 'string') {
    return { ...base, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: raw.x, y: raw.y } };
  }
  return { ...base, alg: undefined, publicJwk: undefined };
}

export function parseJwks(document: unknown): KeySet {
  if (!isRecord(document) || !Array.isArray(document.keys)) {
    throw new JwtConfigError('JWKS document must be an object with a "keys" array');
  }
  if (document.keys.length === 0) throw new JwtConfigError('JWKS document has no keys');
  return { entries: document.keys.map(toEntry) };
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function checkJwksUrl(raw: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new JwtConfigError('JWKS URL is not a valid URL');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(url.hostname)) return url;
  throw new JwtConfigError('JWKS URL must use https (plain http only for loopback outside prod)');
}

function checkAsymmetricKey(entry: JwksEntry, headerAlg: string): void {
  if (entry.alg === undefined) reject('jwks key type not supported');
  if (entry.alg !== headerAlg) reject(`alg ${headerAlg} does not match key type`);
  if (entry.declaredAlg !== undefined && entry.declaredAlg !== headerAlg) {
    reject(`alg ${headerAlg} does not match key alg ${entry.declaredAlg}`);
  }
  if (entry.use !== undefined && entry.use !== 'sig') reject('jwks key is not a signing key');
}

function importEntry(entry: JwksEntry): Promise<CryptoKey | Uint8Array> {
  if (entry.imported === undefined) {
    entry.imported = importJWK(entry.publicJwk!, entry.alg!);
    // A key that fails to import must not stay cached as a rejected promise for later tokens.
    entry.imported.catch(() => {
      entry.imported = undefined;
    });
  }
  return entry.imported;
}

/** Picks the key by kid; without a kid only a single-key set is acceptable. */
function selectEntry(set: KeySet, kid: string | undefined): JwksEntry | undefined {
  if (kid === undefined) {
    if (set.entries.length !== 1) reject('kid required when the key set has more than one key');
    return set.entries[0];
  }
  const matches = set.entries.filter((entry) => entry.kid === kid);
  if (matches.length > 1) reject('kid matches more than one key');
  return matches[0];
}

function rolesFromClaim(claim: unknown): Role[] {
  if (!Array.isArray(claim)) return [];
  const granted = new Set<Role>();
  for (const value of claim) {
    if (isRole(value)) granted.add(value);
  }
  return ROLES.filter((role) => granted.has(role));
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} invalid: ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JOSEError) return `${err.code}: ${err.message}`;
  return 'verification failed';
}

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const sources = [opts.secret, opts.jwksFile, opts.jwksUrl].filter((v) => v !== undefined && v !== '');
  if (sources.length > 1) {
    throw new JwtConfigError('configure exactly one of QNWIS_JWT_SECRET, QNWIS_JWT_JWKS_FILE, QNWIS_JWT_JWKS_URL');
  }
  if (sources.length === 0) {
    return {
      enabled: false,
      verify: () => Promise.resolve({ ok: false, reason: 'bearer authentication is not configured' }),
      warmUp: () => Promise.resolve(),
    };
  }
  const now = opts.now ?? Date.now;
  const leewayS = opts.leewayS;
  let resolveKey: (headerAlg: string, kid: string | undefined) => Promise<CryptoKey | Uint8Array>;
  let warmUp: () => Promise<void> = () => Promise.resolve();

  if (opts.secret) {
    const secretBytes = new TextEncoder().encode(opts.secret);
    resolveKey = (headerAlg) => {
      if (headerAlg !== 'HS256') reject(`alg ${headerAlg} not accepted with a shared secret`);
      return Promise.resolve(secretBytes);
    };
  } else if (opts.jwksFile) {
    let set: KeySet;
    try {
      set = parseJwks(JSON.parse(readFileSync(opts.jwksFile, 'utf8')) as unknown);
    } catch (err) {
      if (err instanceof JwtConfigError) throw err;
      throw new JwtConfigError('JWKS file is unreadable or not JSON');
    }
    resolveKey = (headerAlg, kid) => {
      const entry = selectEntry(set, kid);
      if (entry === undefined) reject('unknown kid');
      checkAsymmetricKey(entry, headerAlg);
      return importEntry(entry);
    };
  } else {
    const url = checkJwksUrl(opts.jwksUrl!, opts.allowInsecureLoopback === true);
    const fetchImpl = opts.fetch ?? fetch;
    let cached: { set: KeySet; fetchedAt: number } | undefined;
    let lastAttemptAt: number | undefined;
    let inFlight: Promise<void> | undefined;

    const load = async (): Promise<void> => {
      lastAttemptAt = now();
      const response = await fetchImpl(url, {
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
      });
      if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS document too large');
      cached = { set: parseJwks(JSON.parse(text) as unknown), fetchedAt: now() };
    };
    // Concurrent requests share one fetch; any fetch (success or failure) starts the 60 s cool-down.
    const refresh = (): Promise<void> => {
      inFlight ??= load().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    };
    const mayFetch = (): boolean => lastAttemptAt === undefined || now() - lastAttemptAt >= JWKS_REFETCH_INTERVAL_MS;
    const currentSet = async (): Promise<KeySet> => {
      const stale = cached === undefined || now() - cached.fetchedAt >= JWKS_CACHE_TTL_MS;
      if (stale && mayFetch()) {
        try {
          await refresh();
        } catch {
          // A failed refresh keeps serving the previous set; with none, the token is rejected below.
        }
      }
      if (cached === undefined) reject('JWKS unavailable');
      return cached.set;
    };

    warmUp = () => refresh();
    resolveKey = async (headerAlg, kid) => {
      let entry = selectEntry(await currentSet(), kid);
      if (entry === undefined && mayFetch()) {
        try {
          await refresh();
        } catch {
          reject('unknown kid (JWKS refetch failed)');
        }
        entry = selectEntry(cached!.set, kid);
      }
      if (entry === undefined) reject('unknown kid');
      checkAsymmetricKey(entry, headerAlg);
      return importEntry(entry);
    };
  }

  const verifyOptions = (alg: string): JWTVerifyOptions => ({
    algorithms: [alg],
    clockTolerance: leewayS,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(now()),
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  });

  const verifyOrThrow = async (token: string): Promise<JwtVerifyResult> => {
    if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) reject('token larger than 8 KiB');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      reject('malformed token header');
    }
    if (token.split('.').length !== 3) reject('not a compact JWS');
    if ('crit' in header) reject('crit header not accepted');
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === 'none') reject('alg none or missing');
    if (header.kid !== undefined && typeof header.kid !== 'string') reject('kid is not a string');
    const key = await resolveKey(alg, header.kid);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, verifyOptions(alg)));
    } catch (err) {
      reject(describeJoseError(err));
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length < 1 || sub.length > MAX_SUBJECT_CHARS) reject('sub must be 1..256 chars');
    // jose checks iat only together with maxTokenAge; a token issued in the future is rejected here.
    if (typeof payload.iat === 'number' && payload.iat > now() / 1000 + leewayS) reject('iat is in the future');
    return { ok: true, subject: sub, roles: rolesFromClaim(payload.roles) };
  };

  return {
    enabled: true,
    async verify(token) {
      try {
        return await verifyOrThrow(token);
      } catch (err) {
        if (err instanceof Rejection) return { ok: false, reason: err.message };
        return { ok: false, reason: describeJoseError(err) };
      }
    },
    warmUp,
  };
}
