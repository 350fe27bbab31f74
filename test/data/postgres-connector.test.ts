import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import type { PostgresParams, Row } from '../../src/data/model.js';
import { openPostgres, type Database } from '../../src/db/database.js';
import { ingestPack } from '../../src/db/ingest.js';
import { materializeViews } from '../../src/db/materialize.js';
import { migrate } from '../../src/db/migrate.js';
import { asOfDate, createPostgresRunner, runPostgresQuery, typedValue } from '../../src/data/connectors/postgres.js';
import { BACKENDS, createScratch, tempDir, timelinePackFiles, writeFiles, type Scratch } from '../db/support.js';

/** The `ts_retention_monthly` spec of data-layer §2.1. */
const RETENTION_SPEC: PostgresParams = {
  dataset: 'lmis.mv_sector_retention_monthly',
  sql: `SELECT period, month, sector, CASE WHEN base_employees < 15 THEN NULL ELSE retention_percent END AS value,
       base_employees AS base, base_employees < 15 AS suppressed, retained, exited, retention_percent
FROM lmis.mv_sector_retention_monthly
WHERE sector = $1::text AND month BETWEEN $2::date AND $3::date
ORDER BY month`,
  args: [
    { name: 'sector', type: 'text', default: 'ALL' },
    { name: 'start', type: 'date', default: '1900-01-01' },
    { name: 'end', type: 'date', default: '2999-12-31' },
  ],
  max_rows: 10000,
  timeout_s: 30,
};

const plain = (rows: Row[]): Record<string, unknown>[] => rows.map((r) => Object.fromEntries(r));

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DataError) return err;
    throw err;
  }
  throw new Error('expected a DataError');
}

describe('typedValue and asOfDate', () => {
  it('maps PostgreSQL text forms by type', () => {
    expect(typedValue('9007199254740993', 20)).toBe('9007199254740993');
    expect(typedValue('-42', 20)).toBe(-42);
    expect(typedValue('NaN', 1700)).toBeNull();
    expect(typedValue('-Infinity', 701)).toBeNull();
    expect(Object.is(typedValue('-0', 701), 0)).toBe(true);
    expect(typedValue('2024-06-30 23:59:59.9999+05:30', 1184)).toBe('2024-06-30T18:29:59.999Z');
    expect(typedValue('0099-01-01 00:00:00', 1114)).toBe('0099-01-01T00:00:00.000Z');
    expect(typedValue('infinity', 1184)).toBe('infinity');
    expect(typedValue('f', 16)).toBe(false);
    expect(typedValue(null, 23)).toBeNull();
  });

  it('applies the as-of rules in order', () => {
    const rows = (...entries: [string, string | number | null][][]): Row[] => entries.map((e) => new Map(e));
    expect(
      asOfDate(
        ['date', 'year'],
        rows(
          [
            ['date', '2024-03-05'],
            ['year', 2030],
          ],
          [
            ['date', '2024-11-30'],
            ['year', 2031],
          ],
        ),
      ),
    ).toBe('2024-11-30');
    expect(
      asOfDate(
        ['date', 'month'],
        rows([
          ['date', null],
          ['month', '2024-02-01'],
        ]),
      ),
    ).toBe('2024-02-29');
    expect(asOfDate(['period'], rows([['period', '2023-12']], [['period', '2024-02']]))).toBe('2024-02-29');
    expect(asOfDate(['period'], rows([['period', '2023']], [['period', '2024']]))).toBe('2024-12-31');
    expect(asOfDate(['year'], rows([['year', 2022]], [['year', 2024]], [['year', 'x']]))).toBe('2024-12-31');
    expect(asOfDate(['year'], rows([['year', 20245]]))).toBeNull();
    expect(asOfDate(['value'], rows([['value', 1]]))).toBeNull();
    expect(asOfDate(['date'], [])).toBeNull();
  });
});

describe.each(BACKENDS)('postgres runner on %s', (backend) => {
  let scratch: Scratch;
  let db: Database;
  let removePack: () => void;

  beforeAll(async () => {
    scratch = await createScratch(backend);
    db = scratch.db;
    await migrate(db, { appVersion: 'test' });
    const pack = tempDir('qnwis-runner-');
    removePack = pack.remove;
    writeFiles(pack.dir, timelinePackFiles());
    await ingestPack(db, pack.dir);
    await materializeViews(db);
  });

  afterAll(async () => {
    removePack();
    await scratch.cleanup();
  });

  it('runs the §2.1 retention spec with bound values, typed rows, provenance and freshness', async () => {
    const runner = createPostgresRunner(db);
    const result = await runner.run(RETENTION_SPEC, ['Energy', '2018-05-01', '2018-06-30']);
    expect(result.rows.every((r) => r instanceof Map)).toBe(true);
    expect(plain(result.rows)).toEqual([
      {
        period: '2018-05',
        month: '2018-05-01',
        sector: 'Energy',
        value: null,
        base: 2,
        suppressed: true,
        retained: 2,
        exited: 0,
        retention_percent: 100,
      },
      {
        period: '2018-06',
        month: '2018-06-01',
        sector: 'Energy',
        value: null,
        base: 2,
        suppressed: true,
        retained: 1,
        exited: 0,
        retention_percent: 50,
      },
    ]);
    expect(result.provenance).toEqual({
      source: 'postgres',
      dataset_id: 'lmis.mv_sector_retention_monthly',
      locator: 'postgres:lmis.mv_sector_retention_monthly',
      fields: ['period', 'month', 'sector', 'value', 'base', 'suppressed', 'retained', 'exited', 'retention_percent'],
      license: null,
    });
    const logged = await db.query<{ at: Date }>(
      "SELECT max(refreshed_at) AS at FROM lmis.refresh_log WHERE view = 'lmis.mv_sector_retention_monthly'",
    );
    expect(result.freshness).toEqual({ asof_date: '2018-06-30', updated_at: logged.rows[0]?.at.toISOString() });
    expect(result.warnings).toEqual([]);
    const all = await runner.run(RETENTION_SPEC, ['ALL', '1900-01-01', '2999-12-31']);
    expect(all.rows).toHaveLength(12);
    expect(all.freshness.asof_date).toBe('2018-12-31');
  });

  it('maps every result type of step 4 from the text protocol', async () => {
    const result = await runPostgresQuery(
      db,
      {
        dataset: 'lmis.types',
        sql: `SELECT 7::int2 AS small, 42::int4 AS i, 9007199254740991::int8 AS safe, 9007199254740993::int8 AS big,
                     12.50::numeric AS dec, 'NaN'::numeric AS nan, 'Infinity'::float8 AS inf, 1.25::float4 AS f4,
                     true AS b, false AS nb, date '2024-02-29' AS d, date '2024-01-01 BC' AS bc,
                     timestamptz '2024-01-02 03:04:05.678912+03' AS tz, timestamp '2024-01-01 10:00:00' AS ts,
                     'x'::text AS t, '{"a":1}'::jsonb AS j, ARRAY[1,2] AS arr, interval '1 day 02:00' AS iv,
                     NULL::int AS n`,
      },
      [],
    );
    expect([...(result.rows[0] as Row).entries()]).toEqual([
      ['small', 7],
      ['i', 42],
      ['safe', 9007199254740991],
      ['big', '9007199254740993'],
      ['dec', 12.5],
      ['nan', null],
      ['inf', null],
      ['f4', 1.25],
      ['b', true],
      ['nb', false],
      ['d', '2024-02-29'],
      ['bc', '2024-01-01 BC'],
      ['tz', '2024-01-02T00:04:05.678Z'],
      ['ts', '2024-01-01T10:00:00.000Z'],
      ['t', 'x'],
      ['j', '{"a": 1}'],
      ['arr', '{1,2}'],
      ['iv', '1 day 02:00:00'],
      ['n', null],
    ]);
    expect(result.freshness).toEqual({ asof_date: null, updated_at: null });
  });

  it('keeps max_rows rows and warns when more exist', async () => {
    const spec: PostgresParams = {
      dataset: 'lmis.series',
      sql: 'SELECT g AS year FROM generate_series(2001, $1::int) g ORDER BY g',
      max_rows: 5,
    };
    const over = await runPostgresQuery(db, spec, [2012]);
    expect(plain(over.rows).map((r) => r.year)).toEqual([2001, 2002, 2003, 2004, 2005]);
    expect(over.warnings).toEqual(['row_limit_reached:5']);
    expect(over.freshness.asof_date).toBe('2005-12-31');
    const exact = await runPostgresQuery(db, spec, [2005]);
    expect(exact.rows).toHaveLength(5);
    expect(exact.warnings).toEqual([]);
    const empty = await runPostgresQuery(db, spec, [2000]);
    expect(empty.rows).toEqual([]);
    expect(empty.provenance.fields).toEqual(['year']);
  });

  it('binds a hostile text value as data and uses search_path lmis', async () => {
    const spec: PostgresParams = {
      dataset: 'lmis.companies',
      sql: 'SELECT company_id, company_name FROM companies WHERE company_name = $1::text ORDER BY company_id',
    };
    expect((await runPostgresQuery(db, spec, ["' OR 1=1 --"])).rows).toEqual([]);
    expect(plain((await runPostgresQuery(db, spec, ['Company 00002'])).rows)).toEqual([
      { company_id: 2, company_name: 'Company 00002' },
    ]);
  });

  it('refuses writes even when the SQL validator is bypassed', async () => {
    const create = await dataError(
      runPostgresQuery(db, { dataset: 'lmis.companies', sql: 'CREATE TABLE x(i int)' }, []),
    );
    expect(create.code).toBe('source_error');
    expect(create.message).toBe('postgres query for lmis.companies failed (read_only_sql_transaction, SQLSTATE 25006)');
    const insert = await dataError(
      runPostgresQuery(
        db,
        { dataset: 'lmis.companies', sql: "INSERT INTO companies VALUES (99, 'X', 'ICT', 'XL', 2000)" },
        [],
      ),
    );
    expect(insert.details).toEqual(['sqlstate:25006']);
    const check = await db.query(
      "SELECT to_regclass('x') AS x, to_regclass('lmis.x') AS lx, count(*) AS n FROM lmis.companies",
    );
    expect(check.rows).toEqual([{ x: null, lx: null, n: 3 }]);
  });

  it('reports server errors without SQL text and duplicate columns as source_error', async () => {
    const missing = await dataError(
      runPostgresQuery(db, { dataset: 'lmis.companies', sql: 'SELECT secret_column_name FROM companies' }, []),
    );
    expect(missing.code).toBe('source_error');
    expect(missing.message).toBe('postgres query for lmis.companies failed (undefined_column, SQLSTATE 42703)');
    const duplicate = await dataError(runPostgresQuery(db, { dataset: 'lmis.dup', sql: 'SELECT 1 AS a, 2 AS a' }, []));
    expect(duplicate.code).toBe('source_error');
    expect(duplicate.message).toBe('the result of lmis.dup has the column "a" twice');
  });

  it('leaves no session setting behind', async () => {
    const single =
      scratch.url === null
        ? db
        : await openPostgres(scratch.url, {
            min: 1,
            max: 1,
            acquireTimeoutS: 5,
            statementTimeoutMs: 4321,
            applicationName: 'qnwis-runner-test',
          });
    try {
      const settings = "SELECT current_setting('search_path') AS path, current_setting('transaction_read_only') AS ro";
      const before = await single.query<{ path: string; ro: string }>(settings);
      await runPostgresQuery(single, { dataset: 'lmis.one', sql: 'SELECT 1 AS one', timeout_s: 7 }, []);
      const after = await single.query<{ path: string; ro: string }>(settings);
      expect(after.rows).toEqual(before.rows);
      expect(after.rows[0]).toEqual({ path: backend === 'postgres' ? '"$user", public' : 'public', ro: 'off' });
      if (single !== db) {
        const timeout = await single.query("SELECT current_setting('statement_timeout') AS t");
        expect(timeout.rows).toEqual([{ t: '4321ms' }]);
      }
    } finally {
      if (single !== db) await single.close();
    }
  });
});

describe('postgres runner, PostgreSQL only', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch('postgres');
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  it('maps a statement timeout to `timeout`', async () => {
    const started = performance.now();
    const err = await dataError(
      runPostgresQuery(scratch.db, { dataset: 'lmis.sleepy', sql: 'SELECT pg_sleep(5)', timeout_s: 0.2 }, []),
    );
    expect(err.code).toBe('timeout');
    expect(err.message).toBe('postgres query for lmis.sleepy exceeded its 0.2 s limit');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('stops reading at max_rows + 1: later rows are never computed', async () => {
    // Row 8 would divide by zero; with max_rows 5 the portal is suspended after row 6.
    const result = await runPostgresQuery(
      scratch.db,
      { dataset: 'lmis.lazy', sql: 'SELECT (g - 8) / (g - 8) AS x FROM generate_series(1, 10) g', max_rows: 5 },
      [],
    );
    expect(plain(result.rows).map((r) => r.x)).toEqual([1, 1, 1, 1, 1]);
    expect(result.warnings).toEqual(['row_limit_reached:5']);
  });

  it('maps an unreachable server to source_unavailable', async () => {
    const db = await openPostgres('postgresql://qnwis:pw-not-shown@127.0.0.1:1/qnwis', {
      min: 0,
      max: 1,
      acquireTimeoutS: 2,
      statementTimeoutMs: 1000,
      applicationName: 'qnwis-test',
    });
    try {
      const err = await dataError(runPostgresQuery(db, { dataset: 'lmis.companies', sql: 'SELECT 1' }, []));
      expect(err.code).toBe('source_unavailable');
      expect(err.message).toBe('the database is unavailable for lmis.companies');
    } finally {
      await db.close();
    }
  });
});
