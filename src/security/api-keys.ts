/**
 * API keys of service spec §2.2: `qnwis_<key_id>_<secret>`, stored only as HMAC-SHA256(pepper, key) in `api_keys`.
 * Verification is cached per process for at most `cacheMs` (hits and misses), so a revocation committed by any
 * process is honoured everywhere within that window.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import { isDbError } from '../db/errors.js';
import { constantTimeEqual } from './constant-time.js';
import { createPrincipal, principalHash, type Principal } from './principal.js';
import { isRole, type Role } from './roles.js';

export const KEY_PATTERN = /^qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{12}$/;

/** `last_used_at` is written at most this often per key. */
export const LAST_USED_INTERVAL_MS = 60_000;
const DEFAULT_CACHE_MS = 1_000;
/** Bounds the memory an attacker can pin by presenting many well-formed unknown key ids. */
const DEFAULT_CACHE_MAX = 10_000;
const MAX_LABEL_LENGTH = 256;
const UNIQUE_VIOLATION = '23505';

export type ApiKeyErrorCode = 'invalid_label' | 'invalid_roles' | 'invalid_expiry';

/** A rejected argument of create/parseExpiry; the CLI maps it to a usage error. */
export class ApiKeyError extends Error {
  readonly code: ApiKeyErrorCode;
  constructor(code: ApiKeyErrorCode, message: string) {
    super(message);
    this.name = 'ApiKeyError';
    this.code = code;
  }
}

/** Metadata of a key; never the key or its hash. */
export interface ApiKeyRecord {
  key_id: string;
  label: string;
  roles: Role[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  /** principal_hash of the key's subject (its label). */
  principal_hash: string;
}

/** `unknown`: hashed with a pepper that is neither the current nor the previous one, so it can never verify. */
export type PepperGeneration = 'current' | 'previous' | 'unknown';

export interface ApiKeyListing extends ApiKeyRecord {
  pepper: PepperGeneration;
}

export type RevokeResult = 'revoked' | 'already_revoked' | 'unknown';

/** Administrative audit events of §3.9; `details` never holds the key, its hash or the raw label. */
export type ApiKeyAuditEvent =
  | {
      action: 'apikey.create';
      key_id: string;
      details: { key_id: string; roles: Role[]; expires_at: string | null; subject_hash: string };
    }
  | { action: 'apikey.revoke'; key_id: string; details: { key_id: string; outcome: RevokeResult } };

export interface ApiKeyStoreOptions {
  db: Database;
  /** QNWIS_API_KEY_PEPPER. */
  pepper: string;
  /** QNWIS_API_KEY_PEPPER_PREVIOUS. */
  previousPepper?: string | undefined;
  /** Wall clock for expiry, created/revoked/last-used timestamps; default `new Date()`. */
  now?: () => Date;
  /** How long a lookup (hit or miss) is reused; default 1000, 0 disables caching. */
  cacheMs?: number;
  /** Called after create and revoke; its failures are reported to onError, never thrown. */
  onAudit?: (event: ApiKeyAuditEvent) => void;
  /** Failures of background work (last_used_at, re-hashing, audit callback). */
  onError?: (err: unknown) => void;
}

export interface CreateKeyInput {
  label: string;
  roles: readonly Role[];
  expiresAt?: Date | null;
}

interface StoredKey {
  key_id: string;
  label: string;
  roles: string[];
  hash: string;
  pepper_fp: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = 'key_id, label, roles, hash, pepper_fp, created_at, expires_at, revoked_at, last_used_at';
const LISTED_COLUMNS = 'key_id, label, roles, pepper_fp, created_at, expires_at, revoked_at, last_used_at';

/** 48 random bits of key id, 32 random bytes of secret (43 base64url characters). */
export function generateKey(): string {
  return `qnwis_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

/** Hex HMAC-SHA256(pepper, full key): the stored `hash`. */
export function hashKey(pepper: string, key: string): string {
  return createHmac('sha256', pepper).update(key, 'utf8').digest('hex');
}

/** First 8 hex of SHA-256 of the pepper: the stored `pepper_fp`. */
export function pepperFingerprint(pepper: string): string {
  return createHash('sha256').update(pepper, 'utf8').digest('hex').slice(0, 8);
}

/** The key id of a well-formed key, else null. */
export function keyIdOf(key: string): string | null {
  return KEY_PATTERN.test(key) ? key.slice(6, 18) : null;
}

function sameHex(a: string, b: string): boolean {
  if (a.length !== 64 || !/^[0-9a-f]{64}$/.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

function grantedRoles(roles: readonly string[]): Role[] {
  // A row edited by hand may hold unknown role names; they grant nothing.
  return [...new Set(roles.filter(isRole))];
}

function toRecord(row: Omit<StoredKey, 'hash'>): ApiKeyRecord {
  return {
    key_id: row.key_id,
    label: row.label,
    roles: grantedRoles(row.roles),
    created_at: row.created_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    last_used_at: row.last_used_at,
    principal_hash: principalHash(row.label),
  };
}

function isUsable(row: StoredKey, now: Date): boolean {
  return row.revoked_at === null && (row.expires_at === null || row.expires_at.getTime() > now.getTime());
}

export class ApiKeyStore {
  private readonly db: Database;
  private readonly pepper: string;
  private readonly previousPepper: string | undefined;
  private readonly currentFp: string;
  private readonly previousFp: string | undefined;
  private readonly now: () => Date;
  private readonly onAudit: ((event: ApiKeyAuditEvent) => void) | undefined;
  private readonly onError: (err: unknown) => void;
  /** key_id → in-flight or settled lookup; the TTL runs from the moment the lookup started. */
  private readonly lookups: LRUCache<string, Promise<StoredKey | null>> | undefined;
  /** The key and principal last verified against a cached row; it goes when the row leaves the lookup cache. */
  private readonly verified = new WeakMap<StoredKey, { key: string; principal: Principal }>();
  /** key_id → wall-clock ms of this process's last `last_used_at` write. */
  private readonly touched = new LRUCache<string, number>({ max: DEFAULT_CACHE_MAX });
  private readonly pending = new Set<Promise<void>>();

  constructor(options: ApiKeyStoreOptions) {
    if (typeof options.pepper !== 'string' || options.pepper === '') throw new Error('an API key pepper is required');
    this.db = options.db;
    this.pepper = options.pepper;
    this.currentFp = pepperFingerprint(options.pepper);
    if (options.previousPepper !== undefined && options.previousPepper !== '') {
      this.previousPepper = options.previousPepper;
      this.previousFp = pepperFingerprint(options.previousPepper);
    }
    this.now = options.now ?? (() => new Date());
    this.onAudit = options.onAudit;
    this.onError = options.onError ?? (() => undefined);
    const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    if (!Number.isFinite(cacheMs) || cacheMs < 0) throw new Error('cacheMs must be a non-negative number');
    this.lookups = cacheMs > 0 ? new LRUCache({ max: DEFAULT_CACHE_MAX, ttl: cacheMs }) : undefined;
  }

  /** Creates a key; the returned `key` exists nowhere else and cannot be recovered later. */
  async create(input: CreateKeyInput): Promise<{ key: string; record: ApiKeyRecord }> {
    const label = typeof input.label === 'string' ? input.label.trim() : '';
    if (label === '' || label.length > MAX_LABEL_LENGTH || /\p{Cc}/u.test(label)) {
      throw new ApiKeyError(
        'invalid_label',
        `label must be 1..${MAX_LABEL_LENGTH} characters without control characters`,
      );
    }
    const bad = input.roles.filter((r) => !isRole(r));
    if (bad.length > 0) {
      throw new ApiKeyError('invalid_roles', `unknown role ${JSON.stringify(bad[0])}`);
    }
    const roles = [...new Set(input.roles)];
    const now = this.now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime())) {
      throw new ApiKeyError('invalid_expiry', 'expiry must be a valid instant in the future');
    }
    // A 48-bit id collides only by extreme bad luck; a fresh key is then drawn.
    for (let attempt = 0; ; attempt++) {
      const key = generateKey();
      try {
        const { rows } = await this.db.query<Omit<StoredKey, 'hash'>>(
          `INSERT INTO public.api_keys (key_id, label, roles, hash, pepper_fp, created_at, expires_at)
           VALUES ($1, $2, $3::text[], $4, $5, $6, $7) RETURNING ${LISTED_COLUMNS}`,
          [keyIdOf(key), label, roles, hashKey(this.pepper, key), this.currentFp, now, expiresAt],
        );
        const record = toRecord(rows[0]!);
        this.lookups?.delete(record.key_id); // a cached miss for this id must not outlive its creation
        this.audit({
          action: 'apikey.create',
          key_id: record.key_id,
          details: {
            key_id: record.key_id,
            roles: record.roles,
            expires_at: record.expires_at?.toISOString() ?? null,
            subject_hash: record.principal_hash,
          },
        });
        return { key, record };
      } catch (err) {
        if (attempt < 2 && isDbError(err) && err.sqlstate === UNIQUE_VIOLATION) continue;
        throw err;
      }
    }
  }

  /**
   * The principal of a valid, unexpired, unrevoked key, else null. Malformed input never reaches the database.
   * Database failures propagate (the caller answers 503, not 401).
   */
  async verify(key: string): Promise<Principal | null> {
    if (typeof key !== 'string') return null;
    const keyId = keyIdOf(key);
    if (keyId === null) return null;
    const row = await this.lookup(keyId);
    if (row === null) return null;
    const now = this.now();
    // A key already verified against this cached row skips the keyed hash until the row leaves the cache.
    const known = this.verified.get(row);
    if (known !== undefined && constantTimeEqual(known.key, key)) {
      if (!isUsable(row, now)) return null;
      this.touch(row, now);
      return known.principal;
    }
    const pepper = this.pepperFor(row.pepper_fp);
    if (pepper === undefined || !sameHex(hashKey(pepper, key), row.hash)) return null;
    if (!isUsable(row, now)) return null;
    if (pepper !== this.pepper) await this.rehash(row, key);
    this.touch(row, now);
    const principal = Object.freeze(
      createPrincipal({ kind: 'api_key', subject: row.label, roles: grantedRoles(row.roles), keyId }),
    );
    if (this.lookups !== undefined && pepper === this.pepper) this.verified.set(row, { key, principal });
    return principal;
  }

  /** Metadata of an unrevoked, unexpired key (same cache as verify); for sessions tied to a key. */
  async getActive(keyId: string): Promise<ApiKeyRecord | null> {
    if (!KEY_ID_PATTERN.test(keyId)) return null;
    const row = await this.lookup(keyId);
    return row !== null && isUsable(row, this.now()) ? toRecord(row) : null;
  }

  /** Every key, oldest first, with the pepper generation it is hashed with. */
  async list(): Promise<ApiKeyListing[]> {
    const { rows } = await this.db.query<Omit<StoredKey, 'hash'>>(
      `SELECT ${LISTED_COLUMNS} FROM public.api_keys ORDER BY created_at, key_id`,
    );
    return rows.map((row) => ({ ...toRecord(row), pepper: this.generationOf(row.pepper_fp) }));
  }

  /** Sets `revoked_at`; a malformed id is `unknown` without a query or an audit event. */
  async revoke(keyId: string): Promise<RevokeResult> {
    if (!KEY_ID_PATTERN.test(keyId)) return 'unknown';
    const updated = await this.db.query(
      'UPDATE public.api_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL',
      [keyId, this.now()],
    );
    let outcome: RevokeResult = 'revoked';
    if (updated.rowCount !== 1) {
      const { rows } = await this.db.query('SELECT 1 AS present FROM public.api_keys WHERE key_id = $1', [keyId]);
      outcome = rows.length > 0 ? 'already_revoked' : 'unknown';
    }
    this.lookups?.delete(keyId);
    this.audit({ action: 'apikey.revoke', key_id: keyId, details: { key_id: keyId, outcome } });
    return outcome;
  }

  /** Waits for background `last_used_at` writes (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private lookup(keyId: string): Promise<StoredKey | null> {
    const cached = this.lookups?.get(keyId);
    if (cached !== undefined) return cached;
    const fetched = this.db
      .query<StoredKey>(`SELECT ${KEY_COLUMNS} FROM public.api_keys WHERE key_id = $1`, [keyId])
      .then(({ rows }) => rows[0] ?? null);
    this.lookups?.set(keyId, fetched);
    // A failed lookup is not an answer: the next request asks the database again.
    fetched.catch(() => {
      if (this.lookups?.peek(keyId) === fetched) this.lookups.delete(keyId);
    });
    return fetched;
  }

  private pepperFor(fp: string): string | undefined {
    if (fp === this.currentFp) return this.pepper;
    if (this.previousFp !== undefined && fp === this.previousFp) return this.previousPepper;
    return undefined;
  }

  private generationOf(fp: string): PepperGeneration {
    if (fp === this.currentFp) return 'current';
    if (this.previousFp !== undefined && fp === this.previousFp) return 'previous';
    return 'unknown';
  }

  /** Moves a key verified with the previous pepper to the current one; a failure leaves it verifiable as before. */
  private async rehash(row: StoredKey, key: string): Promise<void> {
    const hash = hashKey(this.pepper, key);
    try {
      await this.db.query('UPDATE public.api_keys SET hash = $1, pepper_fp = $2 WHERE key_id = $3 AND pepper_fp = $4', [
        hash,
        this.currentFp,
        row.key_id,
        row.pepper_fp,
      ]);
      // The cached row is updated in place so its TTL (and revocation latency) is unchanged.
      row.hash = hash;
      row.pepper_fp = this.currentFp;
    } catch (err) {
      this.onError(err);
    }
  }

  /** Fire-and-forget `last_used_at` write, at most once a minute per key (per process, and by the WHERE globally). */
  private touch(row: StoredKey, now: Date): void {
    const nowMs = now.getTime();
    const last = Math.max(this.touched.get(row.key_id) ?? -Infinity, row.last_used_at?.getTime() ?? -Infinity);
    if (nowMs - last < LAST_USED_INTERVAL_MS) return;
    this.touched.set(row.key_id, nowMs);
    const write = this.db
      .query(
        'UPDATE public.api_keys SET last_used_at = $1 WHERE key_id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)',
        [now, row.key_id, new Date(nowMs - LAST_USED_INTERVAL_MS)],
      )
      .then(
        () => undefined,
        (err: unknown) => this.onError(err),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  private audit(event: ApiKeyAuditEvent): void {
    if (this.onAudit === undefined) return;
    try {
      this.onAudit(event);
    } catch (err) {
      this.onError(err);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Expiry

const DURATION = /^([1-9]\d{0,6})([dhm])$/;
const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 };
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function expiryError(text: string, why: string): ApiKeyError {
  return new ApiKeyError('invalid_expiry', `--expires ${JSON.stringify(text)}: ${why}`);
}

/**
 * `90d`, `12h`, `30m` (from `now`) or an ISO-8601 instant with `Z` or an offset, e.g. `2026-01-31T00:00:00Z`.
 * The result must lie after `now`.
 */
export function parseExpiry(text: string, now: Date): Date {
  const input = text.trim();
  let result: Date;
  const duration = DURATION.exec(input);
  const instant = duration === null ? INSTANT.exec(input) : null;
  if (duration !== null) {
    result = new Date(now.getTime() + Number(duration[1]) * UNIT_MS[duration[2]!]!);
  } else if (instant !== null) {
    const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = instant;
    const fields = [y, mo, d, h, mi, s ?? '0'].map(Number) as [number, number, number, number, number, number];
    const [year, month, day, hour, minute, second] = fields;
    const local = Date.UTC(year, month - 1, day, hour, minute, second, Number((frac ?? '').padEnd(3, '0').slice(0, 3)));
    const check = new Date(local);
    // Date.UTC rolls 2025-02-30 over into March; a round trip of every field rejects it.
    const valid =
      year >= 1 &&
      check.getUTCFullYear() === year &&
      check.getUTCMonth() === month - 1 &&
      check.getUTCDate() === day &&
      check.getUTCHours() === hour &&
      check.getUTCMinutes() === minute &&
      check.getUTCSeconds() === second &&
      (z !== undefined || (Number(oh) <= 23 && Number(om) <= 59));
    if (!valid) throw expiryError(text, 'not a valid date and time');
    const offsetMs = z !== undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
    result = new Date(local - offsetMs);
  } else {
    throw expiryError(
      text,
      'expected an ISO-8601 instant such as 2026-01-31T00:00:00Z or a duration like 90d, 12h, 30m',
    );
  }
  if (Number.isNaN(result.getTime())) throw expiryError(text, 'out of range');
  if (result.getTime() <= now.getTime()) throw expiryError(text, 'must lie in the future');
  return result;
}
