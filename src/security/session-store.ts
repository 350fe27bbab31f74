/**
 * Browser sessions (service spec §2.4): rows of `public.sessions` keyed by SHA-256 of the session id. The roles of a
 * session are always the current roles of its API key, so revoking or expiring the key ends the session too.
 */
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import type { ApiKeyStore } from './api-keys.js';
import { createPrincipal, type Principal } from './principal.js';
import { newSessionId, sessionIdHash } from './session-cookie.js';
import { isRole, type Role } from './roles.js';

/** Lookups (hits and misses) are cached this long per worker: revocation reaches every worker within 1 s. */
const LOOKUP_CACHE_MS = 1000;
/** `last_seen_at` is written at most once per minute per session. */
const TOUCH_INTERVAL_MS = 60_000;

interface SessionRow {
  key_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface SessionStoreOptions {
  db: Database;
  keys: ApiKeyStore;
  idleTimeoutS: number;
  absoluteTimeoutS: number;
  now?: () => Date;
  onError?: (err: unknown) => void;
}

export interface ResolvedSession {
  principal: Principal;
  expiresAt: Date;
}

export class SessionStore {
  private readonly now: () => Date;
  private readonly lookups = new LRUCache<string, Promise<SessionRow | null>>({ max: 10_000, ttl: LOOKUP_CACHE_MS });
  /** sid hash → epoch ms of the last `last_seen_at` this process wrote or read. */
  private readonly seen = new LRUCache<string, number>({ max: 10_000 });

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Opens a session for a key; returns the raw session id (only the cookie carries it) and the absolute expiry. */
  async create(keyId: string): Promise<{ sid: string; expiresAt: Date }> {
    const sid = newSessionId();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.options.absoluteTimeoutS * 1000);
    await this.options.db.query(
      `INSERT INTO public.sessions (sid_sha256, key_id, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $3, $4)`,
      [sessionIdHash(sid), keyId, now, expiresAt],
      { operation: 'session_write' },
    );
    this.seen.set(sessionIdHash(sid), now.getTime());
    return { sid, expiresAt };
  }

  /**
   * The principal of a live session: not revoked, within its absolute and idle limits, its key still active.
   * Null otherwise. Database failures propagate (the caller answers 503).
   */
  async resolve(sid: string): Promise<ResolvedSession | null> {
    const hash = sessionIdHash(sid);
    const row = await this.lookup(hash);
    if (row === null || row.revoked_at !== null) return null;
    const now = this.now();
    const nowMs = now.getTime();
    if (row.expires_at.getTime() <= nowMs) return null;
    const lastSeen = Math.max(row.last_seen_at.getTime(), this.seen.get(hash) ?? 0);
    if (nowMs - lastSeen > this.options.idleTimeoutS * 1000) return null;
    const key = await this.options.keys.getActive(row.key_id);
    if (key === null) return null;
    if (nowMs - lastSeen >= TOUCH_INTERVAL_MS) this.touch(hash, now);
    const roles = key.roles.filter((r): r is Role => isRole(r));
    return {
      principal: createPrincipal({ kind: 'session', subject: key.label, roles, keyId: key.key_id }),
      expiresAt: row.expires_at,
    };
  }

  /** Revokes one session; true when a live row was revoked. */
  async revoke(sid: string): Promise<boolean> {
    const hash = sessionIdHash(sid);
    const { rows } = await this.options.db.query<{ sid_sha256: string }>(
      `UPDATE public.sessions SET revoked_at = $2 WHERE sid_sha256 = $1 AND revoked_at IS NULL RETURNING sid_sha256`,
      [hash, this.now()],
      { operation: 'session_write' },
    );
    this.lookups.delete(hash);
    return rows.length > 0;
  }

  private lookup(hash: string): Promise<SessionRow | null> {
    let pending = this.lookups.get(hash);
    if (pending === undefined) {
      pending = this.options.db
        .query<SessionRow>(
          `SELECT key_id, created_at, last_seen_at, expires_at, revoked_at FROM public.sessions WHERE sid_sha256 = $1`,
          [hash],
          { operation: 'session_lookup' },
        )
        .then((r) => r.rows[0] ?? null);
      this.lookups.set(hash, pending);
      pending.catch(() => this.lookups.delete(hash));
    }
    return pending;
  }

  private touch(hash: string, now: Date): void {
    this.seen.set(hash, now.getTime());
    this.options.db
      .query(`UPDATE public.sessions SET last_seen_at = $2 WHERE sid_sha256 = $1 AND last_seen_at < $2`, [hash, now], {
        operation: 'session_write',
      })
      .catch((err: unknown) => this.options.onError?.(err));
  }
}
