/** Stable error codes of the deterministic data layer (data-layer spec §1.4, §8.5). */
export type DataErrorCode =
  | 'unknown_query'
  | 'invalid_override'
  | 'invalid_ttl'
  | 'source_not_found'
  | 'no_rows_matched'
  | 'timeout'
  | 'source_unavailable'
  | 'source_error'
  | 'path_outside_root'
  | 'transform_failed'
  | 'internal_error'
  | 'registry_dir_missing'
  | 'registry_invalid';

/** The one error type of src/data. Messages never carry absolute paths, SQL text or credentials. */
export class DataError extends Error {
  readonly code: DataErrorCode;
  readonly details: readonly string[];

  constructor(code: DataErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'DataError';
    this.code = code;
    this.details = details;
  }
}

export function isDataError(err: unknown): err is DataError {
  return err instanceof DataError;
}
