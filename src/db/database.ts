/**
 * One small interface over the two database backends of service spec §8: a node-postgres pool (§8.1) and an embedded
 * PGlite database persisted on disk (§8.5). Both return the same JavaScript types and throw only DbError, whose messages
 * never carry a password, SQL text or bound values.
 *
 * Value mapping of `query` (identical on both backends): int2/int4/float → number; int8 → number when safe, else the
 * decimal string; numeric → string (lossless); bool → boolean; date → `YYYY-MM-DD`; timestamptz → Date; timestamp → Date
 * read as UTC; json/jsonb → parsed value; text arrays → string[]; everything else → PostgreSQL text form.
 */
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import pg from 'pg';
import {
  PGlite,
  type QueryOptions as PGliteQueryOptions,
  type Results as PGliteResults,
  type Transaction as PGliteTransaction,
} from '@electric-sql/pglite';
import { DbError, isDbError } from './errors.js';

export interface FieldInfo {
  name: string;
  dataTypeID: number;
}

export interface QueryResultSet<T> {
  rows: T[];
  fields: FieldInfo[];
  /** Rows affected or returned as reported by the command tag, null when the server gave none. */
  rowCount: number | null;
}

/** Rows as arrays of PostgreSQL text-format values (null for SQL NULL), for callers doing their own type mapping. */
export interface TextResultSet {
  rows: (string | null)[][];
  fields: FieldInfo[];
}

export interface QueryOptions {
  /** Label for the latency callback; defaults to the statement's first keyword. */
  operation?: string;
}

export interface TextQueryOptions extends QueryOptions {
  /** Keep at most this many rows (on Postgres the rest are never fetched: the portal is left suspended). */
  maxRows: number;
}

/** What runs statements: the database itself, a dedicated session, or an open transaction. */
export interface Executor {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResultSet<T>>;
  queryText(sql: string, params: readonly unknown[], options: TextQueryOptions): Promise<TextResultSet>;
  /** Runs a parameterless script of one or more statements (simple query protocol). */
  exec(sql: string, options?: QueryOptions): Promise<void>;
  /**
   * Streams `data` into a `COPY … FROM STDIN …` statement and returns the number of rows copied. The embedded backend
   * reads the same bytes through PGlite's `/dev/blob` device.
   */
  copyFrom(sql: string, data: Uint8Array, options?: QueryOptions): Promise<number>;
}

export interface TransactionOptions {
  /** `BEGIN READ ONLY`. */
  readOnly?: boolean;
  /** End with ROLLBACK even on success (read-only work that must leave nothing behind). */
  rollback?: boolean;
}

export interface Session extends Executor {
  /** BEGIN … COMMIT around `fn`; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Executor) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

export interface Database extends Session {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Runs `fn` on one dedicated connection (session settings, advisory locks). `fn` must undo session-level settings
   * it makes; after a failure the connection is discarded rather than reused.
   */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Receives the duration of every statement, for `qnwis_db_latency_seconds`. */
export type QueryTimer = (operation: string, seconds: number) => void;

export interface PostgresPoolOptions {
  /** Connections opened at start and kept open (`PERF_POOL_MIN`). */
  min: number;
  /** Pool size (`PERF_POOL_MAX`). */
  max: number;
  /** Seconds to wait for a connection before failing with `unavailable` (`PERF_POOL_TIMEOUT`). */
  acquireTimeoutS: number;
  /** `statement_timeout` of every connection (`QNWIS_DB_STATEMENT_TIMEOUT_MS`). */
  statementTimeoutMs: number;
  /** `application_name`, e.g. `qnwis-1`. */
  applicationName: string;
  /** Idle time after which connections above `min` are closed; default 10 000 ms. */
  idleTimeoutMs?: number;
  onQuery?: QueryTimer;
  /** Errors of idle pooled connections (the server went away); they are otherwise swallowed. */
  onIdleError?: (err: DbError) => void;
  /**
   * When given, a failure to pre-open the `min` connections is reported here instead of rejecting: a serving worker
   * starts anyway and reports not-ready until the database answers.
   */
  onPrewarmError?: (err: DbError) => void;
}

export interface EmbeddedOptions {
  onQuery?: QueryTimer;
}

// ---------------------------------------------------------------------------------------------------------------------
// URLs and secrets

const DRIVER_SUFFIXED_SCHEMES = new Set(['postgresql+psycopg', 'postgresql+psycopg2', 'postgresql+asyncpg']);
const PLAIN_SCHEMES = new Set(['postgres', 'postgresql']);

/**
 * Accepts `postgres://`, `postgresql://` and the driver-suffixed forms of service spec §7.1, returning a URL libpq and
 * node-postgres understand (`postgresql+asyncpg://…` → `postgresql://…`); query parameters such as `sslmode` pass through.
 */
export function normalizeDatabaseUrl(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url.trim());
  const scheme = match?.[1]?.toLowerCase();
  if (match === null || scheme === undefined) {
    throw new DbError('invalid_database_url', 'database URL must start with postgres:// or postgresql://');
  }
  const rest = url.trim().slice(match[0].length);
  if (PLAIN_SCHEMES.has(scheme)) return `${scheme}://${rest}`;
  if (DRIVER_SUFFIXED_SCHEMES.has(scheme)) return `postgresql://${rest}`;
  throw new DbError('invalid_database_url', `unsupported database URL scheme "${scheme}://"`);
}

/** `scheme://user:secret@host` → `scheme://user:***@host`; a `password=` query parameter is masked too. */
export function maskDatabaseUrl(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/g, '$1:***@')
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

function passwordOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    const fromQuery = parsed.searchParams.get('password');
    const raw = parsed.password !== '' ? decodeURIComponent(parsed.password) : fromQuery;
    return raw !== null && raw !== '' ? raw : null;
  } catch {
    return null;
  }
}

function scrub(message: string, secret: string | null): string {
  let out = maskDatabaseUrl(message);
  // Very short passwords would mangle ordinary words; URL masking above already covers their usual carrier.
  if (secret !== null && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Error mapping

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
]);
// Session-level refusals: bad credentials, missing database, too many clients, server shutting down.
const UNAVAILABLE_SQLSTATES = new Set(['28000', '28P01', '3D000', '53300', '57P01', '57P02', '57P03']);

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  constraint?: unknown;
}

/** Converts a driver error into a DbError whose message holds no password, SQL text or bound values. */
function toDbError(err: unknown, secret: string | null): DbError {
  if (isDbError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const rawMessage = typeof e.message === 'string' ? e.message : String(err);
  const message = scrub(rawMessage, secret);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const constraint = typeof e.constraint === 'string' ? e.constraint : undefined;
  const isSqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  if (isSqlstate) {
    const extra = constraint === undefined ? { sqlstate: code } : { sqlstate: code, constraint };
    if (code === '57014') return new DbError('statement_timeout', message, extra);
    if (code === '55P03') return new DbError('lock_timeout', message, extra);
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code)) return new DbError('unavailable', message, extra);
    return new DbError('query_failed', message, extra);
  }
  if (code !== undefined && UNAVAILABLE_NODE_CODES.has(code)) {
    return new DbError('unavailable', `database connection failed: ${message}`);
  }
  if (/timeout exceeded when trying to connect/i.test(rawMessage)) {
    return new DbError('unavailable', 'timed out waiting for a database connection');
  }
  if (/connection terminated|not queryable|client has encountered a connection error|is closed/i.test(rawMessage)) {
    return new DbError('unavailable', `database connection lost: ${message}`);
  }
  return new DbError('query_failed', message);
}

// ---------------------------------------------------------------------------------------------------------------------
// Shared helpers

const KNOWN_OPERATIONS = new Set([
  'select',
  'with',
  'insert',
  'update',
  'delete',
  'begin',
  'commit',
  'rollback',
  'create',
  'drop',
  'alter',
  'truncate',
  'refresh',
  'comment',
  'set',
  'reset',
  'values',
]);

function operationOf(sql: string, options?: QueryOptions): string {
  if (options?.operation !== undefined) return options.operation;
  const word = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase();
  return word !== undefined && KNOWN_OPERATIONS.has(word) ? word : 'other';
}

async function timed<T>(timer: QueryTimer | undefined, operation: string, run: () => Promise<T>): Promise<T> {
  if (timer === undefined) return run();
  const started = performance.now();
  try {
    return await run();
  } finally {
    timer(operation, (performance.now() - started) / 1000);
  }
}

function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

function parseDateText(text: string): string {
  return text;
}

function parseTimestampAsUtc(text: string): Date | string {
  const value = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(value.getTime()) ? text : value;
}

const OID_INT8 = 20;
const OID_DATE = 1082;
const OID_TIMESTAMP = 1114;

const identity = (text: string): string => text;

// ---------------------------------------------------------------------------------------------------------------------
// PostgreSQL (node-postgres pool)

type TextParser = (text: string) => unknown;

const pgValueTypes = {
  getTypeParser(oid: number, format?: string): TextParser {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary') as TextParser;
    if (oid === OID_INT8) return parseInt8;
    if (oid === OID_DATE) return parseDateText;
    if (oid === OID_TIMESTAMP) return parseTimestampAsUtc;
    return pg.types.getTypeParser(oid, 'text') as TextParser;
  },
} as unknown as pg.CustomTypesConfig;

const pgTextTypes = { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig;

interface PgConnectionLike {
  sync(): void;
}

/**
 * A portal read capped at `rows` rows: node-postgres would fetch every page of a suspended portal, this stops after the
 * first one and ends the extended-protocol exchange with Sync (the transaction's ROLLBACK then closes the portal).
 */
class CappedQuery extends pg.Query {
  handlePortalSuspended(connection: PgConnectionLike): void {
    connection.sync();
  }

  // With a row count node-postgres sends no Sync up front, so an error must be followed by one or the session hangs.
  handleError(err: Error, connection: PgConnectionLike): void {
    // Only a server ErrorResponse (it has a severity) leaves a live session waiting for Sync; a dead socket gets none.
    if ((err as { severity?: unknown }).severity !== undefined) connection.sync();
    (pg.Query.prototype as unknown as { handleError: (e: Error, c: PgConnectionLike) => void }).handleError.call(
      this,
      err,
      connection,
    );
  }
}

interface PgCopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Uint8Array): void;
  endCopyFrom(): void;
}

const COPY_CHUNK_BYTES = 1 << 20;

/** COPY FROM STDIN as a node-postgres submittable: answers CopyInResponse with the data, then CopyDone. */
class CopyFromStdin {
  private rowCount = 0;
  private finished = false;

  constructor(
    private readonly text: string,
    private readonly data: Uint8Array,
    private readonly done: (err: Error | null, rows: number) => void,
  ) {}

  submit(connection: PgCopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgCopyConnection): void {
    for (let offset = 0; offset < this.data.length; offset += COPY_CHUNK_BYTES) {
      connection.sendCopyFromChunk(this.data.subarray(offset, offset + COPY_CHUNK_BYTES));
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/^COPY (\d+)/.exec(msg.text ?? '')?.[1] ?? 0);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  handleError(err: Error): void {
    this.finish(err);
  }

  // A COPY statement produces none of these; they exist because node-postgres calls them unconditionally.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}

  private finish(err: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.done(err, this.rowCount);
  }
}

function runCopy(client: pg.PoolClient, sql: string, data: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyFromStdin(sql, data, (err, rows) => (err ? reject(err) : resolve(rows)));
    void client.query(submittable as unknown as pg.Submittable);
  });
}

interface PgRawResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  rowCount: number | null;
}

function runCapped(
  client: pg.PoolClient,
  sql: string,
  params: readonly unknown[],
  maxRows: number,
): Promise<PgRawResult> {
  return new Promise((resolve, reject) => {
    const query = new CappedQuery(
      { text: sql, values: [...params], rowMode: 'array', types: pgTextTypes, rows: maxRows } as pg.QueryConfig,
      (err: Error | undefined, result: unknown) => {
        if (err) reject(err);
        else resolve(result as PgRawResult);
      },
    );
    void client.query(query);
  });
}

class PgExecutor implements Executor {
  constructor(
    protected readonly client: pg.PoolClient,
    protected readonly timer: QueryTimer | undefined,
    protected readonly secret: string | null,
  ) {}

  async query<T>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResultSet<T>> {
    return timed(this.timer, operationOf(sql, options), async () => {
      try {
        const result = await this.client.query({ text: sql, values: [...params], types: pgValueTypes });
        return { rows: result.rows as T[], fields: mapFields(result.fields), rowCount: result.rowCount ?? null };
      } catch (err) {
        throw toDbError(err, this.secret);
      }
    });
  }

  async queryText(sql: string, params: readonly unknown[], options: TextQueryOptions): Promise<TextResultSet> {
    return timed(this.timer, operationOf(sql, options), async () => {
      try {
        const result = await runCapped(this.client, sql, params, Math.max(1, options.maxRows));
        return { rows: result.rows as (string | null)[][], fields: mapFields(result.fields) };
      } catch (err) {
        throw toDbError(err, this.secret);
      }
    });
  }

  async exec(sql: string, options?: QueryOptions): Promise<void> {
    await timed(this.timer, operationOf(sql, options), async () => {
      try {
        await this.client.query(sql);
      } catch (err) {
        throw toDbError(err, this.secret);
      }
    });
  }

  copyFrom(sql: string, data: Uint8Array, options?: QueryOptions): Promise<number> {
    return timed(this.timer, options?.operation ?? 'copy', async () => {
      try {
        return await runCopy(this.client, sql, data);
      } catch (err) {
        throw toDbError(err, this.secret);
      }
    });
  }
}

class PgSession extends PgExecutor implements Session {
  async transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    await this.exec(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    let result: T;
    try {
      result = await fn(new PgExecutor(this.client, this.timer, this.secret));
    } catch (err) {
      try {
        await this.exec('ROLLBACK');
      } catch {
        // The connection is gone; the original error is the one worth reporting.
      }
      throw err;
    }
    await this.exec(options.rollback ? 'ROLLBACK' : 'COMMIT');
    return result;
  }
}

function mapFields(fields: readonly { name: string; dataTypeID: number }[]): FieldInfo[] {
  return fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
}

function isConnectionFailure(err: unknown): boolean {
  return !isDbError(err) || err.code === 'unavailable';
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly pool: pg.Pool,
    private readonly timer: QueryTimer | undefined,
    private readonly secret: string | null,
  ) {}

  /**
   * Runs `fn` on a pooled connection. `discardAfter` decides from the failure whether the connection may be reused:
   * a caller's session may leave locks or settings behind, a single statement or transaction only a broken socket.
   */
  private async withClient<T>(
    fn: (session: PgSession) => Promise<T>,
    discardAfter: (err: unknown) => boolean,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toDbError(err, this.secret);
    }
    let discard: Error | undefined;
    try {
      return await fn(new PgSession(client, this.timer, this.secret));
    } catch (err) {
      if (discardAfter(err)) discard = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(discard);
    }
  }

  session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.withClient(fn, () => true);
  }

  query<T>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResultSet<T>> {
    return this.withClient((s) => s.query<T>(sql, params, options), isConnectionFailure);
  }

  queryText(sql: string, params: readonly unknown[], options: TextQueryOptions): Promise<TextResultSet> {
    return this.withClient((s) => s.queryText(sql, params, options), isConnectionFailure);
  }

  exec(sql: string, options?: QueryOptions): Promise<void> {
    return this.withClient((s) => s.exec(sql, options), isConnectionFailure);
  }

  copyFrom(sql: string, data: Uint8Array, options?: QueryOptions): Promise<number> {
    return this.withClient((s) => s.copyFrom(sql, data, options), isConnectionFailure);
  }

  // A failed transaction has been rolled back, so its connection is clean unless the ROLLBACK itself could not run.
  transaction<T>(fn: (tx: Executor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.withClient((s) => s.transaction(fn, options), isConnectionFailure);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Opens the node-postgres pool of service spec §8.1 and pre-opens `min` connections (a failure to reach the server
 * rejects with DbError `unavailable`). `url` may use any scheme accepted by normalizeDatabaseUrl.
 */
export async function openPostgres(url: string, options: PostgresPoolOptions): Promise<Database> {
  const connectionString = normalizeDatabaseUrl(url);
  const secret = passwordOf(connectionString);
  const pool = new pg.Pool({
    connectionString,
    min: options.min,
    max: options.max,
    connectionTimeoutMillis: Math.round(options.acquireTimeoutS * 1000),
    idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs,
    application_name: options.applicationName,
  });
  pool.on('error', (err) => options.onIdleError?.(toDbError(err, secret)));
  const database = new PostgresDatabase(pool, options.onQuery, secret);
  if (options.min > 0) {
    const clients: pg.PoolClient[] = [];
    try {
      for (let i = 0; i < options.min; i++) clients.push(await pool.connect());
    } catch (err) {
      for (const c of clients) c.release();
      if (options.onPrewarmError) {
        options.onPrewarmError(toDbError(err, secret));
        return database;
      }
      await pool.end().catch(() => undefined);
      throw toDbError(err, secret);
    }
    for (const c of clients) c.release();
  }
  return database;
}

// ---------------------------------------------------------------------------------------------------------------------
// Embedded (PGlite)

/** What PGlite and its transactions have in common. */
interface PGliteRunner {
  query<T>(sql: string, params?: unknown[], options?: PGliteQueryOptions): Promise<PGliteResults<T>>;
  exec(sql: string): Promise<PGliteResults[]>;
}

class PGliteExecutor implements Executor {
  constructor(
    protected readonly runner: PGliteRunner,
    protected readonly textParsers: () => Record<number, (text: string) => unknown>,
    protected readonly timer: QueryTimer | undefined,
  ) {}

  async query<T>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResultSet<T>> {
    return timed(this.timer, operationOf(sql, options), async () => {
      try {
        const result = await this.runner.query<T>(sql, [...params]);
        return {
          rows: result.rows as T[],
          fields: mapFields(result.fields),
          rowCount: result.affectedRows ?? result.rows.length,
        };
      } catch (err) {
        throw toDbError(err, null);
      }
    });
  }

  async queryText(sql: string, params: readonly unknown[], options: TextQueryOptions): Promise<TextResultSet> {
    return timed(this.timer, operationOf(sql, options), async () => {
      try {
        // PGlite has no portal row limit: the whole result is read and the surplus dropped.
        const result = await this.runner.query<(string | null)[]>(sql, [...params], {
          rowMode: 'array',
          parsers: this.textParsers(),
        });
        const rows = result.rows as (string | null)[][];
        return {
          rows: rows.length > options.maxRows ? rows.slice(0, options.maxRows) : rows,
          fields: mapFields(result.fields),
        };
      } catch (err) {
        throw toDbError(err, null);
      }
    });
  }

  async exec(sql: string, options?: QueryOptions): Promise<void> {
    await timed(this.timer, operationOf(sql, options), async () => {
      try {
        await this.runner.exec(sql);
      } catch (err) {
        throw toDbError(err, null);
      }
    });
  }

  copyFrom(sql: string, data: Uint8Array, options?: QueryOptions): Promise<number> {
    // PGlite has no CopyIn sub-protocol in query(): the bytes go through its /dev/blob device instead of STDIN.
    const blobSql = sql.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
    return timed(this.timer, options?.operation ?? 'copy', async () => {
      try {
        const result = await this.runner.query(blobSql, [], { blob: new Blob([data]) });
        return result.affectedRows ?? 0;
      } catch (err) {
        throw toDbError(err, null);
      }
    });
  }
}

class EmbeddedDatabase extends PGliteExecutor implements Database {
  readonly kind = 'embedded' as const;
  private closed = false;

  constructor(
    private readonly pglite: PGlite,
    timer: QueryTimer | undefined,
  ) {
    let textParsers: Record<number, (text: string) => unknown> | undefined;
    // Every parser PGlite knows (array types included) replaced by identity, so values stay in PostgreSQL text form.
    const parsersFor = (): Record<number, (text: string) => unknown> => {
      textParsers ??= Object.fromEntries(Object.keys(pglite.parsers).map((oid) => [Number(oid), identity]));
      return textParsers;
    };
    super(pglite, parsersFor, timer);
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    try {
      return await this.pglite.transaction(async (tx: PGliteTransaction) => {
        const executor = new PGliteExecutor(tx, this.textParsers, this.timer);
        // PGlite has already sent BEGIN; this is its READ ONLY equivalent and must precede any query.
        if (options.readOnly) await executor.exec('SET TRANSACTION READ ONLY');
        const result = await fn(executor);
        if (options.rollback) await tx.rollback();
        return result;
      });
    } catch (err) {
      // The caller's own errors pass through; PGlite's (BEGIN, COMMIT) become DbError like every other.
      throw isDriverError(err) ? toDbError(err, null) : err;
    }
  }

  // A single connection: the session is the database itself.
  session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pglite.close();
  }
}

function isDriverError(err: unknown): boolean {
  if (!(err instanceof Error) || isDbError(err)) return false;
  return (
    typeof (err as ErrorLike).code === 'string' ||
    err.name === 'DatabaseError' ||
    err.name === 'TransactionAbortedError'
  );
}

/** Opens (creating when needed) the embedded PGlite database whose files live in `dir`. */
export async function openEmbedded(dir: string, options: EmbeddedOptions = {}): Promise<Database> {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const pglite = await PGlite.create({
      dataDir: dir,
      parsers: { [OID_INT8]: parseInt8, [OID_DATE]: parseDateText, [OID_TIMESTAMP]: parseTimestampAsUtc },
    });
    return new EmbeddedDatabase(pglite, options.onQuery);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DbError('unavailable', `cannot open the embedded database: ${message}`);
  }
}
