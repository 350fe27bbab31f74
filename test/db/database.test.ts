import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  maskDatabaseUrl,
  normalizeDatabaseUrl,
  openEmbedded,
  openPostgres,
  type Database,
} from '../../src/db/database.js';
import { DbError } from '../../src/db/errors.js';
import { BACKENDS, createScratch, tempDir, type Scratch } from './support.js';

const CLOSED_PORT_URL = 'postgresql://qnwis:hunter2-secret@127.0.0.1:1/qnwis';

describe('normalizeDatabaseUrl', () => {
  it('strips the driver suffixes and keeps query parameters', () => {
    expect(normalizeDatabaseUrl('postgresql+psycopg://u:p@db:5432/q?sslmode=require')).toBe(
      'postgresql://u:p@db:5432/q?sslmode=require',
    );
    expect(normalizeDatabaseUrl('postgresql+psycopg2://u@db/q')).toBe('postgresql://u@db/q');
    expect(normalizeDatabaseUrl('postgresql+asyncpg://u@db/q?sslmode=verify-full&application_name=x')).toBe(
      'postgresql://u@db/q?sslmode=verify-full&application_name=x',
    );
    expect(normalizeDatabaseUrl('postgres://u@db/q')).toBe('postgres://u@db/q');
    expect(normalizeDatabaseUrl('POSTGRESQL://u@db/q')).toBe('postgresql://u@db/q');
  });

  it('rejects other schemes without echoing the URL', () => {
    let error: unknown;
    try {
      normalizeDatabaseUrl('mysql://root:topsecret@db/q');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('invalid_database_url');
    expect((error as DbError).message).toBe('unsupported database URL scheme "mysql://"');
    expect(() => normalizeDatabaseUrl('postgresql+pg8000://u@db/q')).toThrow('unsupported database URL scheme');
    expect(() => normalizeDatabaseUrl('db.example:5432')).toThrow('must start with postgres://');
  });
});

describe('maskDatabaseUrl', () => {
  it('masks the password of every URL in a text and password query parameters', () => {
    expect(maskDatabaseUrl('postgresql://qnwis:s3cr%40t@db:5432/q')).toBe('postgresql://qnwis:***@db:5432/q');
    expect(maskDatabaseUrl('a postgresql+asyncpg://u:pw@h/q and postgres://v:x@h2/r')).toBe(
      'a postgresql+asyncpg://u:***@h/q and postgres://v:***@h2/r',
    );
    expect(maskDatabaseUrl('postgresql://u@h/q?sslmode=require&password=abc')).toBe(
      'postgresql://u@h/q?sslmode=require&password=***',
    );
    expect(maskDatabaseUrl('postgresql://u@h/q')).toBe('postgresql://u@h/q');
  });
});

describe('openPostgres', () => {
  it('fails on a closed port with `unavailable` and never shows the password', async () => {
    let error: unknown;
    try {
      await openPostgres(CLOSED_PORT_URL, {
        min: 1,
        max: 2,
        acquireTimeoutS: 2,
        statementTimeoutMs: 1000,
        applicationName: 'qnwis-test',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('unavailable');
    expect((error as DbError).message).toContain('ECONNREFUSED');
    expect(`${(error as DbError).message} ${(error as DbError).stack}`).not.toContain('hunter2');
  });

  it('opens lazily with min 0 and reports the failure on first use', async () => {
    const db = await openPostgres(CLOSED_PORT_URL, {
      min: 0,
      max: 1,
      acquireTimeoutS: 2,
      statementTimeoutMs: 1000,
      applicationName: 'qnwis-test',
    });
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ name: 'DbError', code: 'unavailable' });
    await db.close();
  });
});

describe('postgres pool', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch('postgres');
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  it('pre-opens PERF_POOL_MIN connections with the application name and statement timeout', async () => {
    const url = scratch.url as string;
    const timings: string[] = [];
    const db = await openPostgres(url.replace('postgresql://', 'postgresql+psycopg://'), {
      min: 3,
      max: 5,
      acquireTimeoutS: 5,
      statementTimeoutMs: 1234,
      applicationName: 'qnwis-pool-check',
      onQuery: (operation) => timings.push(operation),
    });
    try {
      const observer = await openPostgres(url, {
        min: 0,
        max: 1,
        acquireTimeoutS: 5,
        statementTimeoutMs: 1000,
        applicationName: 'qnwis-observer',
      });
      const { rows } = await observer.query<{ n: number }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
        ['qnwis-pool-check'],
      );
      await observer.close();
      expect(rows).toEqual([{ n: 3 }]);
      const settings = await db.query<{ timeout: string; app: string }>(
        "SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app",
      );
      expect(settings.rows).toEqual([{ timeout: '1234ms', app: 'qnwis-pool-check' }]);
      expect(timings).toEqual(['select']);
    } finally {
      await db.close();
    }
  });

  it('times every statement, including those inside transactions', async () => {
    const seen: [string, number][] = [];
    const db = await openPostgres(scratch.url as string, {
      min: 0,
      max: 1,
      acquireTimeoutS: 5,
      statementTimeoutMs: 5000,
      applicationName: 'qnwis-test',
      onQuery: (operation, seconds) => seen.push([operation, seconds]),
    });
    await db.query('SELECT pg_sleep(0.05)', [], { operation: 'sleep' });
    await db.transaction(async (tx) => {
      await tx.query('SELECT 1');
    });
    await db.close();
    expect(seen.map(([op]) => op)).toEqual(['sleep', 'begin', 'select', 'commit']);
    expect(seen[0]?.[1]).toBeGreaterThanOrEqual(0.05);
    expect(seen[0]?.[1]).toBeLessThan(5);
  });

  it('fails with `unavailable` when no connection comes free within the acquisition timeout', async () => {
    const db = await openPostgres(scratch.url as string, {
      min: 0,
      max: 1,
      acquireTimeoutS: 0.3,
      statementTimeoutMs: 5000,
      applicationName: 'qnwis-test',
    });
    const holder = db.query('SELECT pg_sleep(1)');
    await expect(db.query('SELECT 1')).rejects.toMatchObject({
      code: 'unavailable',
      message: 'timed out waiting for a database connection',
    });
    await holder;
    await db.close();
  });

  it('maps a statement timeout to `statement_timeout` with its SQLSTATE', async () => {
    const db = await openPostgres(scratch.url as string, {
      min: 0,
      max: 1,
      acquireTimeoutS: 5,
      statementTimeoutMs: 100,
      applicationName: 'qnwis-test',
    });
    await expect(db.query('SELECT pg_sleep(2)')).rejects.toMatchObject({
      code: 'statement_timeout',
      sqlstate: '57014',
    });
    await db.close();
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  let scratch: Scratch;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratch(backend);
    db = scratch.db;
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  it('reports its kind', () => {
    expect(db.kind).toBe(backend === 'postgres' ? 'postgres' : 'embedded');
  });

  it('maps values identically on both backends', async () => {
    const { rows, fields } = await db.query(
      `SELECT 7::int2 AS small, 42::int4 AS i, 9007199254740991::int8 AS safe, 9007199254740993::int8 AS big,
              12.50::numeric AS dec, 1.5::float8 AS f, true AS b, date '2024-02-29' AS d,
              timestamptz '2024-01-02 03:04:05.678+03' AS tz, timestamp '2024-01-01 10:00:00' AS ts,
              '{"a":[1,2]}'::jsonb AS j, ARRAY['x','y'] AS arr, NULL::text AS n, 'text' AS t`,
    );
    expect(rows).toEqual([
      {
        small: 7,
        i: 42,
        safe: 9007199254740991,
        big: '9007199254740993',
        dec: '12.50',
        f: 1.5,
        b: true,
        d: '2024-02-29',
        tz: new Date('2024-01-02T00:04:05.678Z'),
        ts: new Date('2024-01-01T10:00:00.000Z'),
        j: { a: [1, 2] },
        arr: ['x', 'y'],
        n: null,
        t: 'text',
      },
    ]);
    expect(fields.map((f) => f.dataTypeID)).toEqual([
      21, 23, 20, 20, 1700, 701, 16, 1082, 1184, 1114, 3802, 1009, 25, 25,
    ]);
  });

  it('returns text-form values capped at maxRows', async () => {
    const result = await db.queryText(
      "SELECT g, g::numeric / 4 AS q, g % 2 = 0 AS even, date '2024-01-31' + g AS d FROM generate_series(1, $1::int) g",
      [50],
      { maxRows: 3 },
    );
    expect(result.rows).toEqual([
      ['1', '0.25000000000000000000', 'f', '2024-02-01'],
      ['2', '0.50000000000000000000', 't', '2024-02-02'],
      ['3', '0.75000000000000000000', 'f', '2024-02-03'],
    ]);
    expect(result.fields).toEqual([
      { name: 'g', dataTypeID: 23 },
      { name: 'q', dataTypeID: 1700 },
      { name: 'even', dataTypeID: 16 },
      { name: 'd', dataTypeID: 1082 },
    ]);
  });

  it('commits, rolls back on error and honours rollback-only transactions', async () => {
    await db.exec('CREATE TABLE tx_probe (i int PRIMARY KEY); INSERT INTO tx_probe VALUES (1)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES ($1)', [2]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES ($1)', [3]);
        await tx.query('INSERT INTO tx_probe VALUES ($1)', [1]);
      }),
    ).rejects.toMatchObject({ code: 'query_failed', sqlstate: '23505', constraint: 'tx_probe_pkey' });
    await db.transaction(
      async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES ($1)', [4]);
      },
      { rollback: true },
    );
    await expect(db.transaction(() => Promise.reject(new RangeError('not a database error')))).rejects.toBeInstanceOf(
      RangeError,
    );
    const { rows } = await db.query<{ i: number }>('SELECT i FROM tx_probe ORDER BY i');
    expect(rows).toEqual([{ i: 1 }, { i: 2 }]);
  });

  it('refuses writes in a read-only transaction', async () => {
    await expect(
      db.transaction((tx) => tx.exec('CREATE TABLE never_created (i int)'), { readOnly: true }),
    ).rejects.toMatchObject({ code: 'query_failed', sqlstate: '25006' });
    const { rows } = await db.query("SELECT to_regclass('never_created') AS t");
    expect(rows).toEqual([{ t: null }]);
  });

  it('loads CSV bytes with copyFrom and counts the rows', async () => {
    await db.exec('CREATE TABLE copy_probe (id int, label text, share double precision)');
    const copied = await db.transaction((tx) =>
      tx.copyFrom(
        "COPY copy_probe (id, label, share) FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)",
        Buffer.from('id;label;share\r\n1;"a ""b""";0.5\r\n2;"x;y";100.0\r\n'),
      ),
    );
    expect(copied).toBe(2);
    const { rows } = await db.query('SELECT id, label, share FROM copy_probe ORDER BY id');
    expect(rows).toEqual([
      { id: 1, label: 'a "b"', share: 0.5 },
      { id: 2, label: 'x;y', share: 100 },
    ]);
  });

  it('turns server errors into DbError without SQL text or values', async () => {
    let error: unknown;
    try {
      await db.query('SELECT $1::int AS v', ['secret-value-7']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DbError);
    expect(error).toMatchObject({ code: 'query_failed', sqlstate: '22P02' });
    expect(Object.keys(error as object).sort()).toEqual(['code', 'constraint', 'name', 'sqlstate']);
    expect((error as Error).message).not.toContain('SELECT');
  });
});

describe('openEmbedded', () => {
  it('persists data in its directory across reopen', async () => {
    const { dir, remove } = tempDir('qnwis-pglite-persist-');
    try {
      const first = await openEmbedded(dir);
      await first.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
      await first.close();
      expect(fs.existsSync(`${dir}/PG_VERSION`)).toBe(true);
      const second = await openEmbedded(dir);
      const { rows } = await second.query('SELECT v FROM kept');
      await second.close();
      expect(rows).toEqual([{ v: 'still here' }]);
    } finally {
      remove();
    }
  });
});
