/**
 * Where audit records live (analysis spec §6): the store interface, its typed error, and the in-memory store used by
 * unit tests, which behaves like the Postgres store (copies in and out, duplicate ids refused, jsonb's text rules).
 */
import { evidenceHasNul } from './evidence.js';
import type { AuditRecord } from './manifest.js';

export interface AuditStore {
  /** Stores a new record; an audit_id already stored is refused with AuditStoreError `duplicate_audit_id`. */
  put(record: AuditRecord): Promise<void>;
  /** The record, or null for an unknown id or a string that is not a UUID. */
  get(auditId: string): Promise<AuditRecord | null>;
}

export type AuditStoreErrorCode = 'duplicate_audit_id' | 'invalid_record';

export class AuditStoreError extends Error {
  constructor(
    readonly code: AuditStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditStoreError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** The canonical (lower-case) form of a UUID, or null when the text is not one. */
export function normalizeAuditId(auditId: string): string | null {
  if (typeof auditId !== 'string') return null;
  const id = auditId.trim().toLowerCase();
  return UUID.test(id) ? id : null;
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  }
  return false;
}

/** Checks what both stores require before writing; throws AuditStoreError `invalid_record`. */
export function checkRecord(record: AuditRecord): string {
  const id = normalizeAuditId(record.audit_id);
  const fail = (why: string): never => {
    throw new AuditStoreError('invalid_record', `audit record ${String(record.audit_id).slice(0, 64)}: ${why}`);
  };
  if (id === null) return fail('audit_id is not a UUID');
  if (!HEX64.test(record.answer_digest_sha256)) fail('answer_digest_sha256 is not 64 hex digits');
  if (!HEX64.test(record.manifest_digest_sha256)) fail('manifest_digest_sha256 is not 64 hex digits');
  if (record.hmac_sha256 !== null && !HEX64.test(record.hmac_sha256)) fail('hmac_sha256 is not 64 hex digits');
  if (Number.isNaN(Date.parse(record.created_at))) fail('created_at is not a timestamp');
  // PostgreSQL text and jsonb cannot hold U+0000.
  if (hasNul([record.request_id, record.endpoint, record.intent, record.registry_version, record.code_version])) {
    fail('a text column contains U+0000');
  }
  if (hasNul(record.query_ids) || hasNul(record.manifest) || hasNul(record.answer) || evidenceHasNul(record.evidence)) {
    fail('a JSON value contains U+0000');
  }
  return id;
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** An AuditStore in process memory, for unit tests and for running without a database. */
export class MemoryAuditStore implements AuditStore {
  private readonly records = new Map<string, AuditRecord>();

  async put(record: AuditRecord): Promise<void> {
    const id = checkRecord(record);
    if (this.records.has(id)) {
      throw new AuditStoreError('duplicate_audit_id', `audit id ${id} is already stored`);
    }
    const stored = copy(record);
    stored.audit_id = id;
    stored.created_at = new Date(record.created_at).toISOString();
    this.records.set(id, stored);
  }

  async get(auditId: string): Promise<AuditRecord | null> {
    const id = normalizeAuditId(auditId);
    if (id === null) return null;
    const record = this.records.get(id);
    return record === undefined ? null : copy(record);
  }

  /** Test hook: replaces a stored record as is (to simulate tampering). */
  overwrite(record: AuditRecord): void {
    const id = normalizeAuditId(record.audit_id);
    if (id === null) throw new AuditStoreError('invalid_record', 'audit_id is not a UUID');
    this.records.set(id, copy(record));
  }

  get size(): number {
    return this.records.size;
  }
}
