/** Cache value envelope of data-layer spec §10.2. */
import { deflateSync, inflateSync } from 'node:zlib';
import type { StoredResult } from '../model.js';
import { parseStoredResultInDocument, parseStoredResultText } from '../result-json.js';

/** Results of at least this many UTF-8 bytes are stored zlib-compressed. */
export const COMPRESSION_THRESHOLD_BYTES = 8192;

export type CacheDecodeFailure =
  'bad_json' | 'no_envelope' | 'unknown_encoding' | 'bad_meta' | 'bad_base64' | 'bad_zlib' | 'size_mismatch' | 'schema';

/** A cache entry that cannot be turned back into a StoredResult. */
export class CacheDecodeError extends Error {
  readonly reason: CacheDecodeFailure;

  constructor(reason: CacheDecodeFailure, message: string) {
    super(message);
    this.name = 'CacheDecodeError';
    this.reason = reason;
  }
}

/** Wraps compact result JSON (as written by storedResultToJson) in the envelope, member order exactly as §10.2. */
export function encodeEnvelope(json: string): string {
  const originalBytes = Buffer.byteLength(json, 'utf8');
  if (originalBytes < COMPRESSION_THRESHOLD_BYTES) {
    // Inlined as text so the row key order written by the caller is stored unchanged.
    return `{"_meta":{"content_encoding":"identity","compressed":false,"original_bytes":${originalBytes}},"payload":${json}}`;
  }
  const compressed = deflateSync(Buffer.from(json, 'utf8'));
  return (
    `{"_meta":{"content_encoding":"zlib","compressed":true,"original_bytes":${originalBytes},` +
    `"compressed_bytes":${compressed.length}},"payload":${JSON.stringify(compressed.toString('base64'))}}`
  );
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes an envelope; throws CacheDecodeError on any malformed part. */
export function decodeEnvelope(text: string): StoredResult {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new CacheDecodeError('bad_json', 'cache entry is not JSON');
  }
  if (!isRecord(envelope) || !hasExactKeys(envelope, ['_meta', 'payload']) || !isRecord(envelope._meta)) {
    throw new CacheDecodeError('no_envelope', 'cache entry has no envelope');
  }
  const meta = envelope._meta;
  const payload = envelope.payload;
  switch (meta.content_encoding) {
    case 'identity': {
      if (!hasExactKeys(meta, ['content_encoding', 'compressed', 'original_bytes']) || meta.compressed !== false) {
        throw new CacheDecodeError('bad_meta', 'identity envelope metadata is malformed');
      }
      const originalBytes = byteCount(meta.original_bytes);
      if (typeof payload === 'string') {
        if (Buffer.byteLength(payload, 'utf8') !== originalBytes) {
          throw new CacheDecodeError('size_mismatch', 'identity payload length differs from original_bytes');
        }
        return asStoredResult(() => parseStoredResultText(payload));
      }
      // An inline object is not re-serialised to check original_bytes: other writers may format numbers differently.
      return asStoredResult(() => parseStoredResultInDocument(text, envelope, ['payload']));
    }
    case 'zlib': {
      if (
        !hasExactKeys(meta, ['content_encoding', 'compressed', 'original_bytes', 'compressed_bytes']) ||
        meta.compressed !== true
      ) {
        throw new CacheDecodeError('bad_meta', 'zlib envelope metadata is malformed');
      }
      const originalBytes = byteCount(meta.original_bytes);
      const compressedBytes = byteCount(meta.compressed_bytes);
      if (typeof payload !== 'string' || !BASE64_RE.test(payload)) {
        throw new CacheDecodeError('bad_base64', 'zlib payload is not base64 text');
      }
      const compressed = Buffer.from(payload, 'base64');
      if (compressed.length !== compressedBytes) {
        throw new CacheDecodeError('size_mismatch', 'zlib payload length differs from compressed_bytes');
      }
      let inflated: Buffer;
      try {
        // The output cap stops a corrupt or hostile entry from inflating past its declared size.
        inflated = inflateSync(compressed, { maxOutputLength: Math.max(1, originalBytes) });
      } catch {
        throw new CacheDecodeError('bad_zlib', 'zlib payload does not inflate');
      }
      if (inflated.length !== originalBytes) {
        throw new CacheDecodeError('size_mismatch', 'inflated payload length differs from original_bytes');
      }
      let json: string;
      try {
        json = strictUtf8.decode(inflated);
      } catch {
        throw new CacheDecodeError('bad_zlib', 'inflated payload is not UTF-8');
      }
      return asStoredResult(() => parseStoredResultText(json));
    }
    default:
      throw new CacheDecodeError('unknown_encoding', 'cache entry has an unknown content encoding');
  }
}

function asStoredResult(parse: () => StoredResult): StoredResult {
  try {
    return parse();
  } catch (err) {
    throw new CacheDecodeError('schema', err instanceof Error ? err.message : 'cache payload is not a stored result');
  }
}

function byteCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CacheDecodeError('bad_meta', 'envelope byte counts must be non-negative integers');
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}
