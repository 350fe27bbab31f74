/**
 * The AuditStore over the service database: table public.audit_manifests (migration 0002, analysis spec §6).
 * Works on both backends of src/db (node-postgres and PGlite).
 */
import type { Executor } from '../../db/database.js';
import { evidenceJson, type Evidence } from './evidence.js';
import { MANIFEST_FIELDS, type AuditManifest, type AuditRecord } from './manifest.js';
import { AuditStoreError, checkRecord, normalizeAuditId, type AuditStore } from './store.js';

const COLUMNS =
  'audit_id, request_id, endpoint, intent, registry_version, code_version, created_at, query_ids, ' +
  'answer_digest_sha256, manifest_digest_sha256, hmac_sha256, manifest, answer, evidence';

const INSERT = `INSERT INTO public.audit_manifests (${COLUMNS})
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8::text[], $9, $10, $11, $12::jsonb, $13::jsonb, $14::jsonb)
  ON CONFLICT (audit_id) DO NOTHING
  RETURNING audit_id`;

const SELECT = `SELECT ${COLUMNS} FROM public.audit_manifests WHERE audit_id = $1::uuid`;

interface Row {
  audit_id: string;
  request_id: string | null;
  endpoint: string;
  intent: string | null;
  registry_version: string;
  code_version: string;
  created_at: Date | string;
  query_ids: string[] | null;
  answer_digest_sha256: string;
  manifest_digest_sha256: string;
  hmac_sha256: string | null;
  manifest: unknown;
  answer: unknown;
  evidence: unknown;
}

/** jsonb keeps no member order: the manifest is given back in the order of the §6 table, unknown members last. */
function orderedManifest(value: unknown): AuditManifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value as AuditManifest;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of MANIFEST_FIELDS) if (k in source) out[k] = source[k];
  for (const [k, v] of Object.entries(source)) if (!(k in out)) out[k] = v;
  return out as unknown as AuditManifest;
}

function toRecord(row: Row): AuditRecord {
  return {
    audit_id: row.audit_id,
    request_id: row.request_id,
    endpoint: row.endpoint,
    intent: row.intent,
    registry_version: row.registry_version,
    code_version: row.code_version,
    created_at: row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at),
    query_ids: row.query_ids ?? [],
    answer_digest_sha256: row.answer_digest_sha256,
    manifest_digest_sha256: row.manifest_digest_sha256,
    hmac_sha256: row.hmac_sha256,
    manifest: orderedManifest(row.manifest),
    answer: row.answer as Record<string, unknown>,
    evidence: row.evidence as Evidence,
  };
}

export class PostgresAuditStore implements AuditStore {
  constructor(private readonly db: Executor) {}

  async put(record: AuditRecord): Promise<void> {
    const id = checkRecord(record);
    const { rows } = await this.db.query(
      INSERT,
      [
        id,
        record.request_id,
        record.endpoint,
        record.intent,
        record.registry_version,
        record.code_version,
        record.created_at,
        record.query_ids,
        record.answer_digest_sha256,
        record.manifest_digest_sha256,
        record.hmac_sha256,
        JSON.stringify(record.manifest),
        JSON.stringify(record.answer),
        evidenceJson(record.evidence),
      ],
      { operation: 'audit_manifest' },
    );
    if (rows.length === 0) throw new AuditStoreError('duplicate_audit_id', `audit id ${id} is already stored`);
  }

  async get(auditId: string): Promise<AuditRecord | null> {
    const id = normalizeAuditId(auditId);
    if (id === null) return null;
    const { rows } = await this.db.query<Row>(SELECT, [id], { operation: 'audit_manifest' });
    const row = rows[0];
    return row === undefined ? null : toRecord(row);
  }
}
