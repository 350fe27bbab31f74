import { deflateRawSync, deflateSync, gzipSync, inflateSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import {
  COMPRESSION_THRESHOLD_BYTES,
  CacheDecodeError,
  decodeEnvelope,
  encodeEnvelope,
  type CacheDecodeFailure,
} from '../../src/data/cache/envelope.js';
import { storedResultToJson } from '../../src/data/result-json.js';
import { row, rowKeys, storedResult } from './cache-fixtures.js';

/** Compact result JSON of exactly `bytes` UTF-8 bytes, padded with two-byte characters where possible. */
function resultOfBytes(bytes: number) {
  const baseBytes = Buffer.byteLength(storedResultToJson(storedResult({ warnings: [''] })), 'utf8');
  const missing = bytes - baseBytes;
  const padding = 'é'.repeat(Math.floor(missing / 2)) + 'a'.repeat(missing % 2);
  const result = storedResult({ warnings: [padding] });
  const json = storedResultToJson(result);
  expect(Buffer.byteLength(json, 'utf8')).toBe(bytes);
  return { result, json };
}

function meta(envelope: string): Record<string, unknown> {
  return (JSON.parse(envelope) as { _meta: Record<string, unknown> })._meta;
}

function decodeFailure(text: string): CacheDecodeFailure | 'no error' | 'other error' {
  try {
    decodeEnvelope(text);
  } catch (err) {
    return err instanceof CacheDecodeError ? err.reason : 'other error';
  }
  return 'no error';
}

const SMALL = storedResultToJson(storedResult());
const SMALL_BYTES = Buffer.byteLength(SMALL, 'utf8');
const identity = (payload: string, originalBytes: number = SMALL_BYTES): string =>
  `{"_meta":{"content_encoding":"identity","compressed":false,"original_bytes":${originalBytes}},"payload":${payload}}`;
const zlibEnvelope = (payloadBase64: unknown, originalBytes: number, compressedBytes: number): string =>
  JSON.stringify({
    _meta: {
      content_encoding: 'zlib',
      compressed: true,
      original_bytes: originalBytes,
      compressed_bytes: compressedBytes,
    },
    payload: payloadBase64,
  });
const zlibOf = (text: string): string => {
  const data = deflateSync(Buffer.from(text, 'utf8'));
  return zlibEnvelope(data.toString('base64'), Buffer.byteLength(text, 'utf8'), data.length);
};

describe('encodeEnvelope', () => {
  it('stores a result of 8191 bytes inline with the exact identity envelope', () => {
    const { json } = resultOfBytes(COMPRESSION_THRESHOLD_BYTES - 1);
    expect(json.length).toBeLessThan(8191); // bytes, not UTF-16 units, decide
    expect(encodeEnvelope(json)).toBe(
      `{"_meta":{"content_encoding":"identity","compressed":false,"original_bytes":8191},"payload":${json}}`,
    );
  });

  it('compresses a result of exactly 8192 bytes with zlib (RFC 1950, default level)', () => {
    const { json } = resultOfBytes(8192);
    expect(json.length).toBeLessThan(8192);
    const envelope = encodeEnvelope(json);
    const parsed = JSON.parse(envelope) as { _meta: Record<string, unknown>; payload: string };
    expect(Object.keys(parsed)).toEqual(['_meta', 'payload']);
    expect(Object.keys(parsed._meta)).toEqual(['content_encoding', 'compressed', 'original_bytes', 'compressed_bytes']);
    const compressed = Buffer.from(parsed.payload, 'base64');
    expect(parsed._meta).toEqual({
      content_encoding: 'zlib',
      compressed: true,
      original_bytes: 8192,
      compressed_bytes: compressed.length,
    });
    // 0x78 0x9c: zlib header, 32 KiB window, default compression level.
    expect([compressed[0], compressed[1]]).toEqual([0x78, 0x9c]);
    expect(inflateSync(compressed).toString('utf8')).toBe(json);
    expect(envelope.startsWith('{"_meta":{"content_encoding":"zlib","compressed":true,"original_bytes":8192,')).toBe(
      true,
    );
  });
});

describe('decodeEnvelope', () => {
  it('decodes both envelopes back to the same result, row order included', () => {
    for (const bytes of [8191, 8192, 20000]) {
      const { result, json } = resultOfBytes(bytes);
      const decoded = decodeEnvelope(encodeEnvelope(json));
      expect(decoded).toEqual(result);
      expect(rowKeys(decoded.rows)).toEqual([
        ['sector', '10', '2', 'employees'],
        ['sector', '10', '2', 'employees'],
      ]);
      expect(storedResultToJson(decoded)).toBe(json);
    }
  });

  it('keeps integer-like keys in written order inside an inline payload', () => {
    const result = storedResult({ rows: [row(['b', 1], ['10', 2], ['2', 3])] });
    const decoded = decodeEnvelope(encodeEnvelope(storedResultToJson(result)));
    expect(rowKeys(decoded.rows)).toEqual([['b', '10', '2']]);
  });

  it('accepts an identity payload given as a JSON string', () => {
    const decoded = decodeEnvelope(identity(JSON.stringify(SMALL)));
    expect(decoded).toEqual(storedResult());
    expect(rowKeys(decoded.rows)[0]).toEqual(['sector', '10', '2', 'employees']);
  });

  it('does not depend on envelope member order', () => {
    const text = `{"payload":${SMALL},"_meta":{"original_bytes":${SMALL_BYTES},"compressed":false,"content_encoding":"identity"}}`;
    expect(decodeEnvelope(text)).toEqual(storedResult());
  });

  const valid = zlibOf(SMALL);
  const validMeta = meta(valid);
  const validPayload = (JSON.parse(valid) as { payload: string }).payload;
  const rawDeflate = deflateRawSync(Buffer.from(SMALL));
  const gzip = gzipSync(Buffer.from(SMALL));
  const notUtf8 = deflateSync(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  const notResult = deflateSync(Buffer.from('{"a":1}'));
  const truncated = Buffer.from(validPayload, 'base64').subarray(0, 20);
  const cases: [string, string, CacheDecodeFailure][] = [
    ['not JSON', '{"_meta":', 'bad_json'],
    ['empty text', '', 'bad_json'],
    ['a bare result without envelope', SMALL, 'no_envelope'],
    ['a JSON array', '[1]', 'no_envelope'],
    ['a JSON string', '"x"', 'no_envelope'],
    ['missing payload', `{"_meta":${JSON.stringify(meta(identity(SMALL)))}}`, 'no_envelope'],
    ['extra envelope member', identity(SMALL).replace('{"_meta"', '{"x":1,"_meta"'), 'no_envelope'],
    ['_meta not an object', `{"_meta":"identity","payload":${SMALL}}`, 'no_envelope'],
    ['unknown encoding', identity(SMALL).replace('"identity"', '"gzip"'), 'unknown_encoding'],
    ['missing encoding', `{"_meta":{"compressed":false,"original_bytes":1},"payload":${SMALL}}`, 'unknown_encoding'],
    ['identity marked compressed', identity(SMALL).replace('false', 'true'), 'bad_meta'],
    ['identity with extra meta', identity(SMALL).replace('"compressed":false', '"compressed":false,"x":1'), 'bad_meta'],
    ['negative original_bytes', identity(SMALL, -1), 'bad_meta'],
    ['fractional original_bytes', identity(SMALL, 1.5), 'bad_meta'],
    ['string original_bytes', identity(SMALL).replace(`:${SMALL_BYTES}}`, `:"${SMALL_BYTES}"}`), 'bad_meta'],
    ['string payload of another length', identity(JSON.stringify(SMALL), SMALL_BYTES + 1), 'size_mismatch'],
    ['null payload', identity('null'), 'schema'],
    ['number payload', identity('42'), 'schema'],
    ['array payload', identity('[]'), 'schema'],
    ['payload failing the schema', identity(SMALL.replace('"unit":"count"', '"unit":"furlongs"')), 'schema'],
    ['string payload that is not JSON', identity('"{x"', 2), 'schema'],
    ['zlib with extra meta', JSON.stringify({ _meta: { ...validMeta, x: 1 }, payload: validPayload }), 'bad_meta'],
    [
      'zlib marked uncompressed',
      JSON.stringify({ _meta: { ...validMeta, compressed: false }, payload: validPayload }),
      'bad_meta',
    ],
    [
      'zlib missing compressed_bytes',
      JSON.stringify({ _meta: { ...validMeta, compressed_bytes: undefined }, payload: validPayload }),
      'bad_meta',
    ],
    ['zlib payload not a string', zlibEnvelope(JSON.parse(SMALL), SMALL_BYTES, 10), 'bad_base64'],
    [
      'base64 with a bad character',
      zlibEnvelope(
        `${validPayload.slice(0, 8)}*${validPayload.slice(9)}`,
        SMALL_BYTES,
        Number(validMeta.compressed_bytes),
      ),
      'bad_base64',
    ],
    ['base64 with a missing pad', zlibEnvelope('eJw', SMALL_BYTES, 2), 'bad_base64'],
    ['base64url alphabet', zlibEnvelope('eJ-_', SMALL_BYTES, 3), 'bad_base64'],
    [
      'compressed_bytes mismatch',
      zlibEnvelope(validPayload, SMALL_BYTES, Number(validMeta.compressed_bytes) + 1),
      'size_mismatch',
    ],
    [
      'raw deflate without zlib header',
      zlibEnvelope(rawDeflate.toString('base64'), SMALL_BYTES, rawDeflate.length),
      'bad_zlib',
    ],
    ['gzip instead of zlib', zlibEnvelope(gzip.toString('base64'), SMALL_BYTES, gzip.length), 'bad_zlib'],
    ['truncated zlib stream', zlibEnvelope(truncated.toString('base64'), SMALL_BYTES, truncated.length), 'bad_zlib'],
    [
      'inflates past original_bytes',
      zlibEnvelope(validPayload, SMALL_BYTES - 1, Number(validMeta.compressed_bytes)),
      'bad_zlib',
    ],
    [
      'inflates short of original_bytes',
      zlibEnvelope(validPayload, SMALL_BYTES + 1, Number(validMeta.compressed_bytes)),
      'size_mismatch',
    ],
    ['inflated bytes not UTF-8', zlibEnvelope(notUtf8.toString('base64'), 4, notUtf8.length), 'bad_zlib'],
    ['inflated JSON not a result', zlibEnvelope(notResult.toString('base64'), 7, notResult.length), 'schema'],
  ];
  for (const [name, text, reason] of cases) {
    it(`rejects: ${name}`, () => {
      expect(decodeFailure(text)).toBe(reason);
    });
  }

  it('decodes the valid zlib envelope these cases start from', () => {
    expect(decodeEnvelope(valid)).toEqual(storedResult());
  });
});
