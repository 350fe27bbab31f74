/**
 * Audit events of service spec §3.9: a per-process queue written to `audit_events` by multi-row INSERT, so request
 * latency never waits for audit writes.
 *
 * Callers pass only safe values: `details` must never hold secrets, request or response bodies, API keys, tokens,
 * cookies or raw client addresses (use `clientIpHash`). The queue does not inspect `details` for secrets; it only makes
 * the values storable (JSON-serialisable, no NUL characters).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import { canonicalIp } from './rate-limit.js';

export interface AuditEvent {
  ts: Date;
  request_id: string | null;
  principal_hash: string | null;
  principal_kind: string | null;
  /** `"<METHOD> <route template>"`, `security.*`, or an administrative action such as `apikey.create`. */
  action: string;
  /** Concrete path without query string. */
  resource: string | null;
  status: number | null;
  client_ip_hash: string | null;
  /** Small, safe context only (see the module comment). */
  details: Record<string, unknown>;
}

/** A stored event as read back by `tailAuditEvents`. */
export interface AuditRecord extends AuditEvent {
  /** bigserial: a number while it is a safe integer, else its decimal string. */
  id: number | string;
}

export interface AuditLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/** Pseudonymous client address: first 12 hex digits of SHA-256 of the canonical address (§3.9). */
export function clientIpHash(ip: string): string {
  const known = ipHashes.get(ip);
  if (known !== undefined) return known;
  const address = canonicalIp(ip) ?? ip.trim();
  const hash = createHash('sha256').update(address).digest('hex').slice(0, 12);
  ipHashes.set(ip, hash);
  return hash;
}

/** Recent answers of clientIpHash: a worker sees the same few peers (proxies, load balancers) again and again. */
const ipHashes = new LRUCache<string, string>({ max: 10_000 });

const COLUMNS = [
  'ts',
  'request_id',
  'principal_hash',
  'principal_kind',
  'action',
  'resource',
  'status',
  'client_ip_hash',
  'details',
] as const;
const CASTS = ['timestamptz', 'text', 'text', 'text', 'text', 'text', 'int', 'text', 'jsonb'] as const;
/** Keeps one pathological URL from making a row (and its batch) unreasonably large. */
const MAX_TEXT_LENGTH = 2048;

type Row = [
  Date,
  string | null,
  string | null,
  string | null,
  string,
  string | null,
  number | null,
  string | null,
  string,
];

/** PostgreSQL text and jsonb reject U+0000, which would fail the whole batch. */
function storableText(value: string | null): string | null {
  if (value === null) return null;
  const clean = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  return clean.length > MAX_TEXT_LENGTH ? clean.slice(0, MAX_TEXT_LENGTH) : clean;
}

function detailsJson(details: Record<string, unknown>): string {
  try {
    const json = JSON.stringify(details, (_key, value: unknown) =>
      typeof value === 'string' && value.includes('\u0000')
        ? value.replaceAll('\u0000', '')
        : typeof value === 'bigint'
          ? value.toString()
          : value,
    );
    return json === undefined ? '{}' : json;
  } catch {
    // Circular structures: keep the event, lose only its details.
    return JSON.stringify({ details_error: 'not serialisable' });
  }
}

/** Snapshot at push time, so later mutation of the caller's objects cannot change what is written. */
function toRow(event: AuditEvent): Row {
  return [
    new Date(event.ts.getTime()),
    storableText(event.request_id),
    storableText(event.principal_hash),
    storableText(event.principal_kind),
    storableText(event.action) ?? '',
    storableText(event.resource),
    event.status === null || !Number.isSafeInteger(event.status) ? null : event.status,
    storableText(event.client_ip_hash),
    detailsJson(event.details),
  ];
}

function insertStatement(count: number): string {
  const groups: string[] = [];
  for (let r = 0; r < count; r++) {
    const base = r * COLUMNS.length;
    groups.push(`(${CASTS.map((cast, c) => `$${base + c + 1}::${cast}`).join(', ')})`);
  }
  return `INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES ${groups.join(', ')}`;
}

export interface AuditQueueOptions {
  db: Database;
  /** Events held in memory (queued and being written); beyond it the newest event is dropped. Default 10 000. */
  capacity?: number;
  /** Rows per INSERT; reaching it triggers a flush. Default 100. */
  batchSize?: number;
  /** Periodic flush. Default 1000 ms. */
  intervalMs?: number;
  /** Events lost (overflow, failed flush, shutdown timeout): the app increments `qnwis_audit_dropped_total`. */
  onDropped?: (count: number) => void;
  log?: AuditLogger;
}

/** The per-process audit queue. `push` is synchronous; writes happen in the background, one batch at a time. */
export class AuditQueue {
  private readonly db: Database;
  private readonly capacity: number;
  private readonly batchSize: number;
  private queued: Row[] = [];
  private inFlight = 0;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null;
  private closed = false;
  /** One error line per overflow episode, not one per dropped event. */
  private overflowing = false;

  constructor(private readonly options: AuditQueueOptions) {
    this.db = options.db;
    this.capacity = options.capacity ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
    this.timer = setInterval(() => {
      if (this.queued.length > 0) void this.flush();
    }, options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Events queued or being written. */
  get depth(): number {
    return this.queued.length + this.inFlight;
  }

  /** Queues one event; false when it was dropped (queue full or closed). Never waits for the database. */
  push(event: AuditEvent): boolean {
    if (this.closed) {
      this.drop(1, 'audit queue closed: event dropped', { action: event.action });
      return false;
    }
    if (this.depth >= this.capacity) {
      if (!this.overflowing) {
        this.overflowing = true;
        this.options.log?.error(
          { capacity: this.capacity, action: event.action },
          'audit queue full: dropping newest events',
        );
      }
      this.options.onDropped?.(1);
      return false;
    }
    this.overflowing = false;
    this.queued.push(toRow(event));
    if (this.queued.length >= this.batchSize && this.flushing === null) void this.flush();
    return true;
  }

  /** Writes everything queued so far (batch by batch); resolves when the queue is empty or every batch was tried. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * Stops the timer, refuses further events and flushes what is queued. After `timeoutMs` it gives up: events still
   * queued are dropped and counted (a batch already being written may still land).
   */
  async close(timeoutMs = 3000): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.flush().then(() => 'flushed' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout' && this.queued.length > 0) {
      const lost = this.queued.length;
      this.queued = [];
      this.drop(lost, 'audit queue not flushed before shutdown timeout: events dropped', { timeout_ms: timeoutMs });
    }
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.batchSize);
      this.inFlight = batch.length;
      try {
        await this.insert(batch);
      } catch {
        try {
          // One retry: a broken pooled connection is replaced on the next attempt.
          await this.insert(batch);
        } catch (err) {
          this.drop(batch.length, 'audit flush failed twice: events dropped', {
            err: err instanceof Error ? err.message : String(err),
          });
        }
      } finally {
        this.inFlight = 0;
      }
    }
  }

  private async insert(batch: readonly Row[]): Promise<void> {
    await this.db.query(insertStatement(batch.length), batch.flat(), { operation: 'audit_flush' });
  }

  private drop(count: number, message: string, fields: Record<string, unknown>): void {
    this.options.onDropped?.(count);
    this.options.log?.error({ ...fields, dropped: count }, message);
  }
}

/** The newest `n` events (by `ts`, then `id`), returned oldest first. */
export async function tailAuditEvents(db: Database, n: number): Promise<AuditRecord[]> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  const { rows } = await db.query<AuditRecord>(
    `SELECT id, ts, request_id, principal_hash, principal_kind, action, resource, status, client_ip_hash, details
       FROM (SELECT * FROM audit_events ORDER BY ts DESC, id DESC LIMIT $1) newest
      ORDER BY ts, id`,
    [n],
    { operation: 'audit_tail' },
  );
  return rows;
}
