/**
 * The service logger (service spec §6) and secret redaction (§3.10). Redaction happens in layers, because each
 * pino hook sees only part of a line: `formatters.log`, `formatters.bindings` and the `child`/`setBindings` wrappers
 * scrub structured fields (by key name and by value), the `msg` serializer scrubs the final interpolated message, `hooks.logMethod` scrubs objects used as
 * format arguments, and `hooks.streamWrite` scrubs the finished line as a last resort (e.g. output of serializers
 * added by child loggers). pino's own `redact` covers the fixed header paths of §3.10.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export const REDACTED = '[REDACTED]';
export const REDACTED_JWT = '[REDACTED_JWT]';
export const TRUNCATED = '[Truncated]';
export const CIRCULAR = '[Circular]';
/** Fields deeper than this are replaced by `[Truncated]`: nothing leaves unscrubbed. */
export const MAX_SCRUB_DEPTH = 8;

/** Fixed paths for pino's `redact` (§3.10); key names at any depth are handled by the formatter. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

// Header spellings are normalised ('-' → '_') before the check, so `x-api-key` and `set-cookie` are covered.
const SECRET_KEY_NAMES = new Set([
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
  'apikey',
  'authorization',
  'proxy_authorization',
  'cookie',
  'set_cookie',
  'pepper',
  'x_csrf_token',
]);
const SECRET_KEY_SUFFIXES = ['_secret', '_key', '_token', '_password'];

/** Whether a field of this name is always logged as `[REDACTED]` (case-insensitive). */
export function isSecretKey(key: string): boolean {
  const normalised = key.toLowerCase().replaceAll('-', '_');
  return SECRET_KEY_NAMES.has(normalised) || SECRET_KEY_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

// `scheme://user:pass@`: the password may contain '@' (greedy up to the last one) but not '/', '?', '#', '"'.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"]*):([^\s/?#"]*)@/gi;
// RFC 6750 token68 characters, so punctuation after the token survives.
const BEARER = /\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
// JWS (3 segments) and JWE (5 segments); the header of both is base64url JSON, hence `eyJ`.
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}/g;
// Also catches truncated or over-long secrets so a malformed key leaks nothing either.
const API_KEY = /qnwis_([0-9a-fA-F]{12})_[A-Za-z0-9_-]+/g;
const SESSION_COOKIE = /(__Host-qnwis_session=)[^\s;,"]+/g;
// libpq keyword DSNs (`host=h password=p`) and query strings.
const PASSWORD_PARAM = /\b(password|passwd|pwd)=[^\s&;,"]+/gi;

/** Secret values longest first, so a secret containing another is replaced whole. */
function prepareSecrets(secretValues: readonly string[]): string[] {
  return [...new Set(secretValues.filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
}

function replaceSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function scrubPatterns(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1$2:***@')
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED_JWT)
    .replace(API_KEY, `qnwis_$1_${REDACTED}`)
    .replace(SESSION_COOKIE, `$1${REDACTED}`)
    .replace(PASSWORD_PARAM, '$1=***');
}

/** Removes secrets from free text: exact `secretValues`, URL passwords, bearer tokens, JWTs, API keys, session cookies. */
export function scrubText(text: string, secretValues: readonly string[]): string {
  return scrubPatterns(replaceSecrets(text, prepareSecrets(secretValues)));
}

/** `scheme://user:pass@host` → `scheme://user:***@host`; everything else unchanged (configuration dumps, §3.10). */
export function maskUrl(url: string): string {
  return url.replace(URL_PASSWORD, '$1$2:***@');
}

interface Scrubber {
  text(value: string): string;
  /** Scrubs the fields of a merge object or bindings; fields of `fields` are at depth 1. */
  fields(fields: object): Record<string, unknown>;
  value(value: unknown): unknown;
  /** The finished JSON line, where secrets appear JSON-escaped. */
  line(line: string): string;
}

function createScrubber(secretValues: readonly string[]): Scrubber {
  const secrets = prepareSecrets(secretValues);
  const escapedSecrets = prepareSecrets([...secrets, ...secrets.map((secret) => JSON.stringify(secret).slice(1, -1))]);
  const text = (value: string): string => scrubPatterns(replaceSecrets(value, secrets));

  // `ancestors` holds the objects on the current path only, so shared (non-circular) references are kept.
  const scrubFields = (source: object, depth: number, ancestors: Set<object>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    ancestors.add(source);
    for (const [key, field] of Object.entries(source)) {
      out[key] = isSecretKey(key) ? REDACTED : scrubValue(field, depth, ancestors);
    }
    ancestors.delete(source);
    return out;
  };

  // `depth` is the depth of the field holding `value`; an object there would put its own fields one deeper.
  const scrubValue = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (typeof value === 'string') return text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (ancestors.has(value)) return CIRCULAR;
    if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth, ancestors);
    if (depth >= MAX_SCRUB_DEPTH) return TRUNCATED;
    if (Array.isArray(value)) {
      ancestors.add(value);
      const out = value.map((item: unknown) => scrubValue(item, depth + 1, ancestors));
      ancestors.delete(value);
      return out;
    }
    // Date, URL, Buffer, ...: scrub what JSON.stringify would write.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return scrubValue(toJSON.call(value) as unknown, depth, ancestors);
    return scrubFields(value, depth + 1, ancestors);
  };

  return {
    text,
    fields: (fields) => scrubFields(fields, 1, new Set()),
    value: (value) => scrubValue(value, 0, new Set()),
    line: (line) => scrubPatterns(replaceSecrets(line, escapedSecrets)),
  };
}

export interface CreateLoggerOptions {
  level: string;
  /** Cluster worker id, or `primary`. */
  worker: string | number;
  version: string;
  /** Values of the secret configuration variables; each is replaced by `[REDACTED]` wherever it appears. */
  secretValues: readonly string[];
  /** Defaults to stdout. */
  destination?: DestinationStream;
}

/** JSON-lines logger with the §6 base fields and §3.10 redaction. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const scrubber = createScrubber(opts.secretValues);
  const base = { pid: process.pid, worker: opts.worker, version: opts.version };

  // Last resort on the serialized line; if a replacement ever broke the JSON, the line is withheld rather than leaked.
  const streamWrite = (line: string): string => {
    const scrubbed = scrubber.line(line);
    if (scrubbed === line) return line;
    try {
      JSON.parse(scrubbed);
      return scrubbed;
    } catch {
      const time = new Date().toISOString();
      return `${JSON.stringify({ level: 'error', time, ...base, msg: 'log line withheld: redaction broke its JSON' })}\n`;
    }
  };

  const options: LoggerOptions = {
    level: opts.level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => scrubber.fields(bindings),
      log: (object) => scrubber.fields(object),
    },
    serializers: {
      // The formatter has already turned errors into scrubbed plain objects; pino's default would re-wrap them.
      err: (value: unknown) => value,
      msg: (value: unknown) => (typeof value === 'string' ? scrubber.text(value) : scrubber.value(value)),
    },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    hooks: {
      logMethod(args, method) {
        // Objects interpolated by %j / %o skip the formatter; scrub them by key as well as by value.
        const firstFormatArg = typeof args[0] === 'object' ? 2 : 1;
        const scrubbed = args.map((arg: unknown, index) =>
          index >= firstFormatArg && typeof arg === 'object' && arg !== null ? scrubber.value(arg) : arg,
        ) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
      streamWrite,
    },
  };
  const logger = opts.destination ? pino(options, opts.destination) : pino(options);
  // pino applies `formatters.bindings` to the root only and resets it for children, so child bindings (Fastify's
  // request loggers, `log.child({...})`) are scrubbed here; children inherit these overrides through the prototype.
  const originalChild = logger.child;
  const originalSetBindings = logger.setBindings;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return originalChild.call(this, scrubber.fields(bindings), childOptions);
  } as Logger['child'];
  logger.setBindings = function scrubbedSetBindings(this: Logger, bindings) {
    originalSetBindings.call(this, scrubber.fields(bindings));
  };
  return logger;
}
