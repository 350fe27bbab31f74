/**
 * Filtered, cursor-paginated reads of `audit_events` (service spec §3.9) for the audit log page and its CSV export
 * (ui.md §5.8, §7.1). Newest first: ordered by `ts` then `id`, both descending. The cursor is the position of the last
 * event of a page (its timestamp in whole microseconds and its id), so pages stay stable while new events arrive.
 */
import type { Executor } from '../db/database.js';

export type AuditOutcome = 'success' | 'failure';
export type AuditStatusClass = '2xx' | '3xx' | '4xx' | '5xx';

export const AUDIT_STATUS_CLASSES: readonly AuditStatusClass[] = ['2xx', '3xx', '4xx', '5xx'];

export interface AuditFilter {
  /** Inclusive lower bound of `ts`. */
  from?: Date;
  /** Inclusive upper bound of `ts`. */
  to?: Date;
  /** Exact action: `"<METHOD> <route template>"` or an event name such as `session.create`. */
  action?: string;
  /** Exact principal hash (12 hex). */
  principalHash?: string;
  /** Substring of the resource path (case-sensitive). */
  resource?: string;
  outcome?: AuditOutcome;
  statusClass?: AuditStatusClass;
}

/** One event as the audit log shows it (ui.md §6 `GET /admin/audit`). */
export interface AuditEventView {
  id: number | string;
  /** ISO 8601 UTC. */
  at: string;
  request_id: string | null;
  action: string;
  resource: string | null;
  status: number | null;
  success: boolean;
  principal_hash: string | null;
  client_hash: string | null;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Cursor of the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/** A cursor that was not produced by this module (the HTTP layer answers 422). */
export class AuditCursorError extends Error {
  constructor() {
    super('cursor is not valid');
    this.name = 'AuditCursorError';
  }
}

interface Position {
  /** Microseconds since the Unix epoch, as decimal digits. */
  us: string;
  /** bigserial id, as decimal digits. */
  id: string;
}

const DIGITS = /^\d{1,19}$/;

export function encodeAuditCursor(position: Position): string {
  return Buffer.from(`v1:${position.us}:${position.id}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string): Position {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) throw new AuditCursorError();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (parts.length !== 3 || parts[0] !== 'v1' || !DIGITS.test(parts[1]!) || !DIGITS.test(parts[2]!)) {
    throw new AuditCursorError();
  }
  return { us: parts[1]!, id: parts[2]! };
}

/**
 * An event succeeded when its status is below 400; events without a status (administrative events such as
 * `apikey.create`) succeeded unless they are security events.
 */
export function auditEventSucceeded(action: string, status: number | null): boolean {
  return status === null ? !action.startsWith('security.') : status < 400;
}

const SUCCESS_SQL = `(status < 400 OR (status IS NULL AND action NOT LIKE 'security.%'))`;
const STATUS_BOUNDS: Record<AuditStatusClass, [number, number]> = {
  '2xx': [200, 300],
  '3xx': [300, 400],
  '4xx': [400, 500],
  '5xx': [500, 600],
};

/** WHERE clause and parameters of a filter (and optionally a cursor); values are always bound, never inlined. */
function whereClause(filter: AuditFilter, after: Position | null): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.from) conditions.push(`ts >= ${bind(filter.from)}::timestamptz`);
  if (filter.to) conditions.push(`ts <= ${bind(filter.to)}::timestamptz`);
  if (filter.action !== undefined) conditions.push(`action = ${bind(filter.action)}`);
  if (filter.principalHash !== undefined) conditions.push(`principal_hash = ${bind(filter.principalHash)}`);
  if (filter.resource !== undefined && filter.resource !== '') {
    conditions.push(`strpos(resource, ${bind(filter.resource)}) > 0`);
  }
  if (filter.outcome === 'success') conditions.push(SUCCESS_SQL);
  if (filter.outcome === 'failure') conditions.push(`NOT ${SUCCESS_SQL}`);
  if (filter.statusClass) {
    const [low, high] = STATUS_BOUNDS[filter.statusClass];
    conditions.push(`status >= ${bind(low)}::int AND status < ${bind(high)}::int`);
  }
  if (after) {
    const ts = `(timestamptz 'epoch' + ${bind(after.us)}::bigint * interval '1 microsecond')`;
    conditions.push(`(ts, id) < (${ts}, ${bind(after.id)}::bigint)`);
  }
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

interface Row {
  id: number | string;
  ts: Date;
  ts_us: string;
  request_id: string | null;
  action: string;
  resource: string | null;
  status: number | null;
  principal_hash: string | null;
  client_ip_hash: string | null;
}

function view(row: Row): AuditEventView {
  return {
    id: row.id,
    at: row.ts.toISOString(),
    request_id: row.request_id,
    action: row.action,
    resource: row.resource,
    status: row.status,
    success: auditEventSucceeded(row.action, row.status),
    principal_hash: row.principal_hash,
    client_hash: row.client_ip_hash,
  };
}

async function select(
  db: Executor,
  filter: AuditFilter,
  after: Position | null,
  limit: number,
  operation: string,
): Promise<Row[]> {
  const where = whereClause(filter, after);
  const { rows } = await db.query<Row>(
    `SELECT id, ts, (extract(epoch FROM ts) * 1000000)::bigint::text AS ts_us, request_id, action, resource, status,
            principal_hash, client_ip_hash
       FROM public.audit_events ${where.sql}
      ORDER BY ts DESC, id DESC
      LIMIT ${String(limit)}`,
    where.params,
    { operation },
  );
  return rows;
}

/** One page of events, newest first; `cursor` is the `next_cursor` of the previous page. */
export async function queryAuditEvents(
  db: Executor,
  filter: AuditFilter,
  page: { cursor?: string | null; limit: number },
): Promise<AuditPage> {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new RangeError('limit must be a positive integer');
  const after = page.cursor ? decodeAuditCursor(page.cursor) : null;
  const rows = await select(db, filter, after, page.limit + 1, 'audit_query');
  const shown = rows.slice(0, page.limit);
  const last = shown[shown.length - 1];
  return {
    events: shown.map(view),
    next_cursor: rows.length > page.limit && last ? encodeAuditCursor({ us: last.ts_us, id: String(last.id) }) : null,
  };
}

/**
 * Every event matching the filter, newest first, up to `max`; `truncated` is true when more exist (the export
 * answers 413 then).
 */
export async function listAuditEvents(
  db: Executor,
  filter: AuditFilter,
  max: number,
): Promise<{ events: AuditEventView[]; truncated: boolean }> {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  const rows = await select(db, filter, null, max + 1, 'audit_query');
  return { events: rows.slice(0, max).map(view), truncated: rows.length > max };
}
