/**
 * Executes registry `postgres` specs (data-layer spec §2.3): one read-only transaction per query with transaction-local
 * settings, the registry SQL with bound values over the extended protocol, at most max_rows + 1 rows read through a
 * portal, then ROLLBACK. Values arrive in PostgreSQL text form and are typed here, identically on both backends.
 * (PGlite cannot interrupt a running statement, so `timeout_s` is enforced on PostgreSQL only.)
 */
import { DataError } from '../errors.js';
import type { PostgresParams, Row, Scalar, SourceResult } from '../model.js';
import type { PostgresRunner } from '../query-service.js';
import type { Database, Executor, FieldInfo } from '../../db/database.js';
import { isDbError } from '../../db/errors.js';

export const POSTGRES_DEFAULT_MAX_ROWS = 10_000;
export const POSTGRES_DEFAULT_TIMEOUT_S = 30;
const SEARCH_PATH = 'lmis, pg_catalog';
// Transaction-local, bound values; TimeZone and DateStyle fix the text forms that typedValue reads.
const TRANSACTION_SETTINGS =
  "SELECT set_config('statement_timeout', $1, true), set_config('search_path', $2, true), set_config('TimeZone', $3, true), set_config('DateStyle', $4, true)";

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

// Condition names for the SQLSTATEs a registry query can plausibly hit; messages carry these, never server text.
const CONDITIONS: Readonly<Record<string, string>> = {
  '25006': 'read_only_sql_transaction',
  '42501': 'insufficient_privilege',
  '42P01': 'undefined_table',
  '42703': 'undefined_column',
  '42883': 'undefined_function',
  '42601': 'syntax_error',
  '42804': 'datatype_mismatch',
  '22P02': 'invalid_text_representation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '54000': 'program_limit_exceeded',
  '53200': 'out_of_memory',
  '55000': 'object_not_in_prerequisite_state',
};

export function createPostgresRunner(db: Database): PostgresRunner {
  return { run: (params, values) => runPostgresQuery(db, params, values) };
}

/** One registry query; throws DataError `source_unavailable`, `timeout` or `source_error` (messages without SQL). */
export async function runPostgresQuery(
  db: Database,
  params: PostgresParams,
  values: readonly (string | number)[],
): Promise<SourceResult> {
  const maxRows = params.max_rows ?? POSTGRES_DEFAULT_MAX_ROWS;
  const timeoutS = params.timeout_s ?? POSTGRES_DEFAULT_TIMEOUT_S;
  const timeoutMs = Math.max(1, Math.round(timeoutS * 1000));
  let fields: FieldInfo[];
  let textRows: (string | null)[][];
  let updatedAt: string | null;
  try {
    ({ fields, textRows, updatedAt } = await db.transaction(
      async (tx) => {
        await tx.query(TRANSACTION_SETTINGS, [String(timeoutMs), SEARCH_PATH, 'UTC', 'ISO, YMD'], {
          operation: 'registry_setup',
        });
        const result = await tx.queryText(params.sql, values, { maxRows: maxRows + 1, operation: 'registry_query' });
        return { fields: result.fields, textRows: result.rows, updatedAt: await lastRefresh(tx, params.dataset) };
      },
      { readOnly: true, rollback: true },
    ));
  } catch (err) {
    throw toDataError(err, params.dataset, timeoutS);
  }

  const names = fields.map((f) => f.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new DataError('source_error', `the result of ${params.dataset} has the column "${duplicate}" twice`);
  }
  const warnings: string[] = [];
  if (textRows.length > maxRows) {
    textRows = textRows.slice(0, maxRows);
    warnings.push(`row_limit_reached:${maxRows}`);
  }
  const rows: Row[] = textRows.map((cells) => {
    const row: Row = new Map();
    fields.forEach((f, i) => row.set(f.name, typedValue(cells[i] ?? null, f.dataTypeID)));
    return row;
  });
  return {
    rows,
    provenance: {
      source: 'postgres',
      dataset_id: params.dataset,
      locator: `postgres:${params.dataset}`,
      fields: names,
      license: null,
    },
    freshness: { asof_date: asOfDate(names, rows), updated_at: updatedAt },
    warnings,
  };
}

async function lastRefresh(tx: Executor, dataset: string): Promise<string | null> {
  try {
    const { rows } = await tx.query<{ refreshed_at: Date | null }>(
      'SELECT max(refreshed_at) AS refreshed_at FROM lmis.refresh_log WHERE view = $1',
      [dataset],
      { operation: 'registry_freshness' },
    );
    return rows[0]?.refreshed_at?.toISOString() ?? null;
  } catch {
    // No refresh log readable (an empty database, a role without the grant): freshness is simply unknown.
    return null;
  }
}

function toDataError(err: unknown, dataset: string, timeoutS: number): DataError {
  if (!isDbError(err)) {
    return new DataError('internal_error', `postgres query for ${dataset} failed unexpectedly`);
  }
  if (err.code === 'unavailable') {
    return new DataError('source_unavailable', `the database is unavailable for ${dataset}`);
  }
  if (err.code === 'statement_timeout' || err.code === 'lock_timeout') {
    return new DataError('timeout', `postgres query for ${dataset} exceeded its ${timeoutS} s limit`);
  }
  const state = err.sqlstate ?? 'unknown';
  const condition = CONDITIONS[state];
  const what = condition === undefined ? `SQLSTATE ${state}` : `${condition}, SQLSTATE ${state}`;
  return new DataError('source_error', `postgres query for ${dataset} failed (${what})`, [`sqlstate:${state}`]);
}

/** Text-form value → Scalar (data-layer spec §2.3 step 4). */
export function typedValue(text: string | null, oid: number): Scalar {
  if (text === null) return null;
  switch (oid) {
    case OID.int2:
    case OID.int4:
      return Number(text);
    case OID.int8: {
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : text;
    }
    case OID.numeric:
    case OID.float4:
    case OID.float8: {
      const value = Number(text);
      // NaN and ±Infinity have no JSON number; `+ 0` folds -0 into 0.
      return Number.isFinite(value) ? value + 0 : null;
    }
    case OID.bool:
      return text === 't';
    case OID.timestamp:
    case OID.timestamptz:
      return isoTimestamp(text) ?? text;
    default:
      // date is already YYYY-MM-DD under DateStyle ISO; BC dates and infinity keep their text form like other types.
      return text;
  }
}

const TIMESTAMP_TEXT =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?$/;

/** `2024-01-02 03:04:05.678+03` → `2024-01-02T00:04:05.678Z` (millisecond precision, no offset → UTC). */
function isoTimestamp(text: string): string | null {
  const m = TIMESTAMP_TEXT.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const millis = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), millis);
  const offsetS =
    sign === undefined ? 0 : (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * (sign === '-' ? -1 : 1);
  const time = date.getTime() - offsetS * 1000;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

const DATE_VALUE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_MONTH = /^(\d{4})-(\d{2})$/;
const PERIOD_YEAR = /^\d{4}$/;

function lastDayOfMonth(year: number, month: number): string {
  const day = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function maxText(rows: readonly Row[], column: string, pattern: RegExp): string | null {
  let best: string | null = null;
  for (const row of rows) {
    const value = row.get(column);
    if (typeof value === 'string' && pattern.test(value) && (best === null || value > best)) best = value;
  }
  return best;
}

/**
 * As-of (step 6), first rule that finds a value: max `date`; else the last day of the max month of `month` (date) or
 * `period` (`YYYY-MM`; an annual `YYYY` period counts as its December); else 31 Dec of the max integer `year`; else null.
 */
export function asOfDate(columns: readonly string[], rows: readonly Row[]): string | null {
  if (columns.includes('date')) {
    const best = maxText(rows, 'date', DATE_VALUE);
    if (best !== null) return best;
  }
  if (columns.includes('month')) {
    const best = maxText(rows, 'month', DATE_VALUE);
    if (best !== null) return lastDayOfMonth(Number(best.slice(0, 4)), Number(best.slice(5, 7)));
  }
  if (columns.includes('period')) {
    const month = maxText(rows, 'period', PERIOD_MONTH);
    const year = maxText(rows, 'period', PERIOD_YEAR);
    const monthYear = month === null ? null : Number(month.slice(0, 4));
    if (year !== null && (monthYear === null || Number(year) > monthYear)) return `${year}-12-31`;
    if (month !== null) return lastDayOfMonth(Number(month.slice(0, 4)), Number(month.slice(5, 7)));
  }
  if (columns.includes('year')) {
    let best: number | null = null;
    for (const row of rows) {
      const value = row.get('year');
      if (typeof value === 'number' && Number.isInteger(value) && value >= 1000 && value <= 9999) {
        best = best === null ? value : Math.max(best, value);
      }
    }
    if (best !== null) return `${best}-12-31`;
  }
  return null;
}
