import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isSecretKey, maskUrl, scrubText } from '../../src/http/observability/logger.js';

// Poisoned values: none of them may appear anywhere in the output.
const API_KEY = 'qnwis_0123456789ab_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
const API_KEY_SECRET = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbmFseXN0In0.c2lnbmF0dXJlLXNlY3JldA';
const OPAQUE_BEARER = 'opaque-token-AAAA1111';
const JWT_SECRET = 'jwt-secret-value-0123456789abcdefXYZ';
const PEPPER = 'pepper-value-9876543210fedcbaQWERTY';
// Contains a quote and a backslash, so it appears JSON-escaped in the output line.
const SESSION_SECRET = 'sess"ion\\secret-value-000000000000';
const DB_PASSWORD = 'db-pa55word-#only-in-secrets';
const URL_PASSWORD = 'redis-pw-only-in-url';
const SESSION_COOKIE_VALUE = 'sidpartXXXXXXXXXXXX.sigpartYYYYYYYYYYYY';
const CSRF_TOKEN = 'csrf-token-value-ZZZZ';
const FIELD_SECRETS = [
  'field-password-1',
  'field-api-key-2',
  'field-client-secret-3',
  'field-db-password-4',
  'field-refresh-token-5',
  'field-x-api-key-6',
  'array-secret-7',
  'format-arg-password-8',
  'format-arg-token-9',
  'child-api-key-10',
  'depth8-password-11',
  'depth9-value-12',
  'custom-error-pepper-13',
  'bindings-token-14',
];

const SECRET_VALUES = [JWT_SECRET, PEPPER, SESSION_SECRET, DB_PASSWORD];
const POISON = [
  API_KEY_SECRET,
  JWT,
  'c2lnbmF0dXJlLXNlY3JldA',
  OPAQUE_BEARER,
  JWT_SECRET,
  PEPPER,
  SESSION_SECRET,
  'ion\\secret-value',
  DB_PASSWORD,
  URL_PASSWORD,
  SESSION_COOKIE_VALUE,
  CSRF_TOKEN,
  'kw-dsn-pass',
  ...FIELD_SECRETS,
];

function capture(secretValues: readonly string[] = SECRET_VALUES, level = 'trace') {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level, worker: 3, version: '1.4.2', secretValues, destination });
  const output = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    output()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, output, lines };
}

describe('scrubText and maskUrl (service spec §3.10)', () => {
  it('replaces each secret shape with its marker', () => {
    expect(scrubText(`key ${API_KEY} used`, [])).toBe('key qnwis_0123456789ab_[REDACTED] used');
    expect(scrubText(`Authorization: Bearer ${OPAQUE_BEARER}, next`, [])).toBe(
      'Authorization: Bearer [REDACTED], next',
    );
    expect(scrubText(`authorization: bearer ${JWT}`, [])).toBe('authorization: bearer [REDACTED]');
    expect(scrubText(`token=${JWT}&x=1`, [])).toBe('token=[REDACTED_JWT]&x=1');
    expect(scrubText(`postgres://qnwis:s3cr@t@db:5432/qnwis?sslmode=require`, [])).toBe(
      'postgres://qnwis:***@db:5432/qnwis?sslmode=require',
    );
    expect(scrubText(`redis://:${URL_PASSWORD}@cache:6379/0`, [])).toBe('redis://:***@cache:6379/0');
    expect(scrubText(`cookie: __Host-qnwis_session=${SESSION_COOKIE_VALUE}; x=1`, [])).toBe(
      'cookie: __Host-qnwis_session=[REDACTED]; x=1',
    );
    expect(scrubText('host=db password=kw-dsn-pass user=q', [])).toBe('host=db password=*** user=q');
    expect(scrubText(`a ${JWT_SECRET} b ${JWT_SECRET}`, [JWT_SECRET])).toBe('a [REDACTED] b [REDACTED]');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    expect(scrubText('x abcdef123456789 y', ['abcdef', 'abcdef123456789'])).toBe('x [REDACTED] y');
  });

  it('leaves ordinary text alone and is idempotent', () => {
    const plain = 'GET https://api.example.com:8443/api/v1/queries/q_a/run?year=2024 key_id=0123456789ab v1.2.3';
    expect(scrubText(plain, [])).toBe(plain);
    expect(scrubText('http://host:8080/path@x', [])).toBe('http://host:8080/path@x');
    expect(scrubText('', [''])).toBe('');
    const once = scrubText(`Bearer ${JWT} ${API_KEY} ${JWT} postgres://u:p@h/d`, []);
    expect(once).toBe('Bearer [REDACTED] qnwis_0123456789ab_[REDACTED] [REDACTED_JWT] postgres://u:***@h/d');
    expect(scrubText(once, [])).toBe(once);
  });

  it('maskUrl masks only the password of a URL', () => {
    expect(maskUrl('postgresql://qnwis:pw@db:5432/qnwis')).toBe('postgresql://qnwis:***@db:5432/qnwis');
    expect(maskUrl('redis://:pw@127.0.0.1:6379/2')).toBe('redis://:***@127.0.0.1:6379/2');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrl('https://user@host/x')).toBe('https://user@host/x');
  });

  it('recognises secret field names case-insensitively', () => {
    const secret = [
      'password',
      'Password',
      'SECRET',
      'token',
      'api_key',
      'ApiKey',
      'authorization',
      'Cookie',
      'pepper',
      'client_secret',
      'SIGNING_KEY',
      'x-api-key',
      'set-cookie',
      'x-csrf-token',
      'refresh_token',
      'db_password',
    ];
    const plain = ['key_id', 'principal_hash', 'route', 'status', 'tokens', 'secretary', 'keys', 'cookie_count'];
    expect(secret.filter((key) => !isSecretKey(key))).toEqual([]);
    expect(plain.filter((key) => isSecretKey(key))).toEqual([]);
  });
});

describe('createLogger (service spec §6)', () => {
  it('writes one JSON object per line with the base fields', () => {
    const { logger, output, lines } = capture([], 'info');
    logger.info('worker ready');
    logger.debug('not written at info');
    expect(output().endsWith('\n')).toBe(true);
    const [line, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(Object.keys(line ?? {})).toEqual(['level', 'time', 'pid', 'worker', 'version', 'msg']);
    expect(line).toMatchObject({ level: 'info', pid: process.pid, worker: 3, version: '1.4.2', msg: 'worker ready' });
    expect(String(line?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('uses the level label for every level and writes nothing when silent', () => {
    const { logger, lines } = capture([], 'trace');
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(lines().map((l) => l.level)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    const silent = capture([], 'silent');
    silent.logger.fatal('nothing');
    expect(silent.output()).toBe('');
  });

  it('never writes a poisoned value, whatever the path', () => {
    const { logger, output, lines } = capture();

    // 1. message text
    logger.info(`auth header was Bearer ${OPAQUE_BEARER} with key ${API_KEY}; jwt secret ${JWT_SECRET}`);
    // 2. format arguments, strings and objects
    logger.info('connecting to %s with %j', `redis://:${URL_PASSWORD}@cache:6379/0`, {
      password: 'format-arg-password-8',
      nested: { token: 'format-arg-token-9', note: `pepper ${PEPPER}` },
    });
    // 3. merge object: secret names in any case, suffixes, arrays, depth 8 and beyond
    logger.warn(
      {
        Password: 'field-password-1',
        API_KEY: 'field-api-key-2',
        Client_Secret: 'field-client-secret-3',
        db_password: 'field-db-password-4',
        refresh_token: 'field-refresh-token-5',
        'X-Api-Key': 'field-x-api-key-6',
        list: [{ secret: 'array-secret-7' }, `Bearer ${JWT}`],
        dsn: `postgresql://qnwis:${DB_PASSWORD}@db:5432/qnwis`,
        kw: 'host=db password=kw-dsn-pass',
        l1: {
          l2: {
            l3: {
              l4: { l5: { l6: { l7: { password: 'depth8-password-11', keep: 'ok', l8: { x: 'depth9-value-12' } } } } },
            },
          },
        },
        where: new URL(`https://svc:${URL_PASSWORD}@example.org/callback?jwt=${JWT}`),
      },
      'fields',
    );
    // 4. errors with stack, cause, custom properties, at the top and nested
    const cause = new Error(`upstream rejected key ${API_KEY}`);
    const err = new Error(`login failed for ${SESSION_SECRET} via Bearer ${OPAQUE_BEARER}`, { cause });
    Object.assign(err, { config: { pepper: 'custom-error-pepper-13', url: `redis://:${URL_PASSWORD}@r` } });
    logger.error(err);
    logger.error({ err, error_id: 'e-1' }, 'request failed');
    logger.error({ context: { error: new Error(`jwt ${JWT}`) } }, 'nested error');
    // 5. headers objects, also as an http.IncomingMessage-shaped request
    logger.info(
      {
        req: {
          method: 'POST',
          url: `/api/v1/session?api_key=${API_KEY}`,
          headers: {
            authorization: `Bearer ${JWT}`,
            cookie: `__Host-qnwis_session=${SESSION_COOKIE_VALUE}`,
            'x-api-key': API_KEY,
            'x-csrf-token': CSRF_TOKEN,
            'user-agent': 'curl/8',
          },
        },
        res: { headers: { 'set-cookie': `__Host-qnwis_session=${SESSION_COOKIE_VALUE}; Path=/; HttpOnly` } },
      },
      'headers',
    );
    logger.info({
      method: 'GET',
      url: '/x',
      headers: { authorization: `Bearer ${OPAQUE_BEARER}`, cookie: `__Host-qnwis_session=${SESSION_COOKIE_VALUE}` },
      socket: { remoteAddress: '127.0.0.1', remotePort: 5000 },
    });
    // 6. child bindings and message prefix
    const child = logger.child(
      { api_key: 'child-api-key-10', dsn: `redis://:${URL_PASSWORD}@h` },
      { msgPrefix: 'child: ' },
    );
    child.info(`retrying with ${API_KEY}`);
    child.child({ nested: { token: 'bindings-token-14' } }).info('grandchild');
    // 7. merge object carrying its own msg
    logger.info({ msg: `Bearer ${OPAQUE_BEARER}` });
    // 8. a serializer added by a child runs after the formatter; only the final line pass sees its output
    const withSerializer = logger.child({}, { serializers: { conn: () => `redis://:${URL_PASSWORD}@h via ${JWT}` } });
    withSerializer.info({ conn: { id: 1 } }, 'custom serializer');

    const text = output();
    const found = POISON.filter((p) => text.includes(p) || text.includes(JSON.stringify(p).slice(1, -1)));
    expect(found).toEqual([]);

    const [
      message,
      formatted,
      fields,
      errTop,
      errField,
      errNested,
      headers,
      request,
      childLine,
      grandchild,
      ownMsg,
      serialized,
    ] = lines();
    expect(lines()).toHaveLength(12);

    expect(message?.msg).toBe(
      'auth header was Bearer [REDACTED] with key qnwis_0123456789ab_[REDACTED]; jwt secret [REDACTED]',
    );
    expect(formatted?.msg).toBe(
      'connecting to redis://:***@cache:6379/0 with {"password":"[REDACTED]","nested":{"token":"[REDACTED]","note":"pepper [REDACTED]"}}',
    );

    expect(fields).toMatchObject({
      Password: '[REDACTED]',
      API_KEY: '[REDACTED]',
      Client_Secret: '[REDACTED]',
      db_password: '[REDACTED]',
      refresh_token: '[REDACTED]',
      'X-Api-Key': '[REDACTED]',
      list: [{ secret: '[REDACTED]' }, 'Bearer [REDACTED]'],
      dsn: 'postgresql://qnwis:***@db:5432/qnwis',
      kw: 'host=db password=***',
      l1: { l2: { l3: { l4: { l5: { l6: { l7: { password: '[REDACTED]', keep: 'ok', l8: '[Truncated]' } } } } } } },
      where: 'https://svc:***@example.org/callback?jwt=[REDACTED_JWT]',
      msg: 'fields',
    });

    const expectedErr = {
      type: 'Error',
      message: 'login failed for [REDACTED] via Bearer [REDACTED]: upstream rejected key qnwis_0123456789ab_[REDACTED]',
      config: { pepper: '[REDACTED]', url: 'redis://:***@r' },
    };
    expect(errTop).toMatchObject({
      level: 'error',
      err: expectedErr,
      msg: 'login failed for [REDACTED] via Bearer [REDACTED]',
    });
    expect(errField).toMatchObject({ err: expectedErr, error_id: 'e-1', msg: 'request failed' });
    for (const line of [errTop, errField]) {
      const stack = String((line?.err as { stack?: unknown }).stack);
      expect(stack.startsWith('Error: login failed for [REDACTED] via Bearer [REDACTED]\n    at ')).toBe(true);
      expect(stack).toContain('caused by: Error: upstream rejected key qnwis_0123456789ab_[REDACTED]\n');
    }
    expect(errNested).toMatchObject({ context: { error: { type: 'Error', message: 'jwt [REDACTED_JWT]' } } });

    expect(headers).toMatchObject({
      req: {
        method: 'POST',
        url: '/api/v1/session?api_key=qnwis_0123456789ab_[REDACTED]',
        headers: {
          authorization: '[REDACTED]',
          cookie: '[REDACTED]',
          'x-api-key': '[REDACTED]',
          'x-csrf-token': '[REDACTED]',
          'user-agent': 'curl/8',
        },
      },
      res: { headers: { 'set-cookie': '[REDACTED]' } },
    });
    // pino maps a request-shaped first argument through its req serializer; the headers are still redacted.
    expect(request).toMatchObject({
      req: { method: 'GET', url: '/x', headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' } },
    });

    expect(childLine).toMatchObject({
      api_key: '[REDACTED]',
      dsn: 'redis://:***@h',
      msg: 'child: retrying with qnwis_0123456789ab_[REDACTED]',
    });
    expect(grandchild).toMatchObject({
      api_key: '[REDACTED]',
      nested: { token: '[REDACTED]' },
      msg: 'child: grandchild',
    });
    expect(ownMsg?.msg).toBe('Bearer [REDACTED]');
    expect(serialized).toMatchObject({ conn: 'redis://:***@h via [REDACTED_JWT]', msg: 'custom serializer' });
  });

  it('keeps shared references and marks only true cycles', () => {
    const { logger, lines } = capture([]);
    const shared = { route: '/x' };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info({ a: shared, b: shared, cyclic }, 'refs');
    expect(lines()[0]).toMatchObject({
      a: { route: '/x' },
      b: { route: '/x' },
      cyclic: { name: 'loop', self: '[Circular]' },
    });
  });

  it('withholds a line whose redaction would break its JSON instead of writing the secret', () => {
    // In the JSON line the newline is written as `\n`, so the secret `nX` only appears there, next to a backslash.
    const { logger, output, lines } = capture(['nX']);
    logger.info('a\nXb');
    expect(output()).not.toContain('nX');
    expect(lines()).toEqual([
      {
        level: 'error',
        time: expect.stringMatching(/Z$/) as unknown,
        pid: process.pid,
        worker: 3,
        version: '1.4.2',
        msg: 'log line withheld: redaction broke its JSON',
      },
    ]);
  });
});
