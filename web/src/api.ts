/**
 * The app's only way to the service: same-origin fetch with an in-memory ETag cache, the CSRF token of a cookie
 * session (memory only), typed errors carrying the request id, and a session-ended hook for 401s (ui.md §3, §4.2, §8).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  constructor(status: number, code: string, message: string, requestId: string | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export interface Session {
  subject: string;
  auth_method: string;
  roles: string[];
  effective_roles: string[];
  permissions: string[];
  expires_at: string | null;
}

interface Hooks {
  onUnauthorized(): void;
  onRequestId(id: string): void;
}

let hooks: Hooks = { onUnauthorized: () => undefined, onRequestId: () => undefined };
let csrfToken: string | null = null;
const etags = new Map<string, { etag: string; body: unknown }>();

export function setApiHooks(next: Hooks): void {
  hooks = next;
}

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function clearCache(): void {
  etags.clear();
}

async function errorOf(res: Response): Promise<ApiError> {
  const headerId = res.headers.get('x-request-id');
  let code = 'http_error';
  let message = res.statusText || `HTTP ${res.status}`;
  let requestId = headerId;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; request_id?: string } };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      requestId = body.error.request_id ?? requestId;
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(res.status, code, message, requestId);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
  /** Session endpoints handle their own 401 (login page). */
  noAuthRedirect?: boolean;
}

async function refreshCsrf(): Promise<void> {
  const res = await fetch('/api/v1/session/csrf', { credentials: 'same-origin' });
  if (res.ok) csrfToken = ((await res.json()) as { csrf_token: string }).csrf_token;
}

/** Low-level request: returns the Response for 2xx/304, throws ApiError otherwise (one CSRF refresh and retry). */
export async function request(path: string, opts: RequestOptions = {}, retried = false): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
  const cached = method === 'GET' ? etags.get(path) : undefined;
  if (cached) headers['if-none-match'] = cached.etag;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'network error', null);
  }
  const id = res.headers.get('x-request-id');
  if (id) hooks.onRequestId(id);
  if (res.ok || res.status === 304) return res;
  const error = await errorOf(res);
  if (error.status === 401 && !opts.noAuthRedirect) hooks.onUnauthorized();
  if (error.status === 403 && error.code === 'csrf_failed' && !retried) {
    await refreshCsrf();
    return request(path, opts, true);
  }
  throw error;
}

/** JSON request with the ETag cache: a 304 reuses the stored body. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, { signal });
  if (res.status === 304) {
    const cached = etags.get(path);
    if (cached) return cached.body as T;
  }
  let body: T;
  try {
    body = (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, 'malformed_body', 'malformed response', res.headers.get('x-request-id'));
  }
  const etag = res.headers.get('etag');
  if (etag) etags.set(path, { etag, body });
  return body;
}

export async function sendJson<T>(
  path: string,
  method: 'POST' | 'DELETE',
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T | null> {
  const res = await request(path, { ...opts, method, body });
  if (res.status === 204) return null;
  return (await res.json()) as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Downloads a file through a temporary object URL and an `<a download>` click (ui.md §4.5). */
export async function download(path: string, fileName: string, signal?: AbortSignal): Promise<void> {
  const res = await request(path, { accept: '*/*', signal });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
