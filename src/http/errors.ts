import type { DataErrorCode } from '../data/errors.js';

/** An error the HTTP layer turns into `{error:{code,message,request_id}}` with a fixed status. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details?: readonly { path: string; message: string }[];
  readonly reason?: string;
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { details?: { path: string; message: string }[]; reason?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = extra.details;
    this.reason = extra.reason;
    this.headers = extra.headers;
  }
}

/** Data-layer codes to HTTP status and API code (service spec §1.2, data-layer spec §8.5), in one place. */
const DATA_STATUS: Record<DataErrorCode, [number, string]> = {
  unknown_query: [404, 'unknown_query'],
  invalid_override: [422, 'validation_failed'],
  invalid_ttl: [422, 'validation_failed'],
  source_not_found: [404, 'no_data'],
  no_rows_matched: [404, 'no_data'],
  timeout: [504, 'query_timeout'],
  source_unavailable: [503, 'dependency_unavailable'],
  source_error: [500, 'internal_error'],
  path_outside_root: [500, 'internal_error'],
  transform_failed: [500, 'internal_error'],
  internal_error: [500, 'internal_error'],
  registry_dir_missing: [500, 'internal_error'],
  registry_invalid: [500, 'internal_error'],
};

export function statusForDataError(code: DataErrorCode): { status: number; apiCode: string } {
  const [status, apiCode] = DATA_STATUS[code];
  return { status, apiCode };
}

/** Fixed messages for 5xx replies: never exception text, SQL, hosts or paths. */
export const SERVER_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  500: 'internal error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'request timed out',
};
