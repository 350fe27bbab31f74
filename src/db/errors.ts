/** Stable error codes of src/db (service spec §8). Messages never carry passwords, SQL text or bound values. */
export type DbErrorCode =
  | 'invalid_database_url'
  /** The server cannot be reached, refused the session, or no pooled connection came free in time. */
  | 'unavailable'
  | 'statement_timeout'
  | 'lock_timeout'
  /** Any other server-side failure; `sqlstate` tells which. */
  | 'query_failed'
  | 'migration_invalid'
  | 'migration_checksum_mismatch'
  | 'migration_lock_timeout'
  | 'ingest_invalid'
  | 'unknown_view';

export class DbError extends Error {
  readonly code: DbErrorCode;
  /** Five-character SQLSTATE for server errors. */
  readonly sqlstate: string | undefined;
  /** Constraint named by the server (unique violations etc.). */
  readonly constraint: string | undefined;

  constructor(code: DbErrorCode, message: string, extra: { sqlstate?: string; constraint?: string } = {}) {
    super(message);
    this.name = 'DbError';
    this.code = code;
    this.sqlstate = extra.sqlstate;
    this.constraint = extra.constraint;
  }
}

export function isDbError(err: unknown): err is DbError {
  return err instanceof DbError;
}

/** Why a pack file was rejected by `ingestPack`; `code` is always `ingest_invalid`. */
export type IngestProblem =
  | 'missing_file'
  | 'unknown_file'
  | 'bad_header'
  | 'bad_column_count'
  | 'bad_value'
  | 'duplicate_key'
  | 'unknown_company'
  | 'unreadable';

export class IngestError extends DbError {
  readonly problem: IngestProblem;
  /** Pack-relative file name, e.g. `aggregates/attrition_by_sector.csv`. */
  readonly file: string;
  /** 1-based physical line number (header = 1), null for whole-file problems. */
  readonly line: number | null;

  constructor(problem: IngestProblem, file: string, line: number | null, message: string) {
    super('ingest_invalid', `${file}${line === null ? '' : `:${line}`}: ${message}`);
    this.name = 'IngestError';
    this.problem = problem;
    this.file = file;
    this.line = line;
  }
}
