import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { ingestPack } from '../../src/db/ingest.js';
import { materializeViews, VIEW_NAMES } from '../../src/db/materialize.js';
import { migrate } from '../../src/db/migrate.js';
import { BACKENDS, createScratch, tempDir, timelinePackFiles, writeFiles, type Scratch } from './support.js';

const months = (year: number, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${year}-${String(from + i).padStart(2, '0')}`);

function modes(result: { view: string; mode: string }[]): [string, string][] {
  return result.map((r) => [r.view, r.mode]);
}

describe.each(BACKENDS)('materializeViews on %s (hand-computed timeline)', (backend) => {
  let scratch: Scratch;
  let db: Database;
  let removePack: () => void;

  beforeAll(async () => {
    scratch = await createScratch(backend);
    db = scratch.db;
    await migrate(db, { appVersion: 'test' });
    const pack = tempDir('qnwis-timeline-');
    removePack = pack.remove;
    writeFiles(pack.dir, timelinePackFiles());
    await ingestPack(db, pack.dir);
  });

  afterAll(async () => {
    removePack();
    await scratch.cleanup();
  });

  it('rejects an unknown view name', async () => {
    await expect(materializeViews(db, { view: 'mv_nope' })).rejects.toMatchObject({
      name: 'DbError',
      code: 'unknown_view',
      message:
        'unknown view "mv_nope"; expected one of lmis.mv_person_month, lmis.mv_sector_workforce_monthly, ' +
        'lmis.mv_sector_retention_monthly',
    });
  });

  it('creates a requested view with its prerequisite only, both refreshed plainly', async () => {
    const result = await materializeViews(db, { view: 'mv_sector_retention_monthly' });
    expect(result.map((r) => [r.view, r.rows, r.mode])).toEqual([
      ['lmis.mv_person_month', 3 * 24, 'plain'],
      ['lmis.mv_sector_retention_monthly', 3 * 12, 'plain'],
    ]);
    const workforce = await db.query("SELECT to_regclass('lmis.mv_sector_workforce_monthly') AS v");
    expect(workforce.rows).toEqual([{ v: null }]);
  });

  it('creates the missing view and refreshes the populated ones concurrently', async () => {
    const result = await materializeViews(db);
    expect(result.map((r) => [r.view, r.rows, r.mode])).toEqual([
      ['lmis.mv_person_month', 72, 'concurrent'],
      ['lmis.mv_sector_workforce_monthly', 3 * 24, 'plain'],
      ['lmis.mv_sector_retention_monthly', 36, 'concurrent'],
    ]);
  });

  it('applies the staggered-anniversary rule person by person', async () => {
    const { rows } = await db.query<{
      person_id: number;
      period: string;
      company_id: number;
      status: string;
      monthly_salary: number;
    }>(
      `SELECT person_id, to_char(month, 'YYYY-MM') AS period, company_id, status, monthly_salary
       FROM lmis.mv_person_month WHERE month IN (DATE '2017-12-01', DATE '2018-03-01', DATE '2018-04-01',
         DATE '2018-05-01', DATE '2018-06-01') ORDER BY person_id, month`,
    );
    expect(rows.map((r) => [r.person_id, r.period, r.company_id, r.status, r.monthly_salary])).toEqual([
      [1, '2017-12', 1, 'employed', 20000],
      [1, '2018-03', 1, 'employed', 20000],
      [1, '2018-04', 1, 'employed', 21000],
      [1, '2018-05', 1, 'employed', 21000],
      [1, '2018-06', 1, 'employed', 21000],
      [2, '2017-12', 2, 'employed', 9000],
      [2, '2018-03', 2, 'employed', 9000],
      [2, '2018-04', 2, 'employed', 9000],
      [2, '2018-05', 1, 'exited', 9100],
      [2, '2018-06', 1, 'exited', 9100],
      [3, '2017-12', 1, 'employed', 15000],
      [3, '2018-03', 1, 'employed', 15000],
      [3, '2018-04', 1, 'employed', 15000],
      [3, '2018-05', 1, 'employed', 15000],
      [3, '2018-06', 3, 'employed', 15500],
    ]);
  });

  it('computes workforce counts and numeric-rounded rates per sector and month', async () => {
    const { rows } = await db.query<{
      sector: string;
      period: string;
      employees: number;
      qataris: number;
      qatarization_percent: string | null;
      avg_salary_qr: string | null;
    }>(
      `SELECT sector, period, employees, qataris, qatarization_percent, avg_salary_qr
       FROM lmis.mv_sector_workforce_monthly WHERE period IN ('2017-01', '2018-04', '2018-05', '2018-06', '2018-12')
       ORDER BY period, sector`,
    );
    expect(
      rows.map((r) => [r.period, r.sector, r.employees, r.qataris, r.qatarization_percent, r.avg_salary_qr]),
    ).toEqual([
      ['2017-01', 'ALL', 3, 1, '33.33', '14666.67'],
      ['2017-01', 'Energy', 2, 1, '50.00', '17500.00'],
      ['2017-01', 'Finance', 1, 0, '0.00', '9000.00'],
      ['2018-04', 'ALL', 3, 1, '33.33', '15000.00'],
      ['2018-04', 'Energy', 2, 1, '50.00', '18000.00'],
      ['2018-04', 'Finance', 1, 0, '0.00', '9000.00'],
      ['2018-05', 'ALL', 2, 1, '50.00', '18000.00'],
      ['2018-05', 'Energy', 2, 1, '50.00', '18000.00'],
      ['2018-05', 'Finance', 0, 0, null, null],
      ['2018-06', 'ALL', 2, 1, '50.00', '18250.00'],
      ['2018-06', 'Energy', 2, 1, '50.00', '18250.00'],
      ['2018-06', 'Finance', 0, 0, null, null],
      ['2018-12', 'ALL', 2, 1, '50.00', '18250.00'],
      ['2018-12', 'Energy', 2, 1, '50.00', '18250.00'],
      ['2018-12', 'Finance', 0, 0, null, null],
    ]);
    const all = await db.query<{ period: string }>(
      "SELECT period FROM lmis.mv_sector_workforce_monthly WHERE sector = 'ALL' ORDER BY month",
    );
    expect(all.rows.map((r) => r.period)).toEqual([...months(2017, 1, 12), ...months(2018, 1, 12)]);
  });

  it('computes twelve-month retention (same company) and exits (no active state)', async () => {
    const { rows } = await db.query<{
      sector: string;
      period: string;
      base_employees: number;
      retained: number;
      exited: number;
      retention_percent: string | null;
      attrition_percent: string | null;
    }>(
      `SELECT sector, period, base_employees, retained, exited, retention_percent, attrition_percent
       FROM lmis.mv_sector_retention_monthly ORDER BY sector, month`,
    );
    const expected: [string, string, number, number, number, string, string][] = [];
    for (const period of months(2018, 1, 12)) {
      const m = Number(period.slice(5));
      if (m <= 4) expected.push(['ALL', period, 3, 3, 0, '100.00', '0.00']);
      else if (m === 5) expected.push(['ALL', period, 3, 2, 1, '66.67', '33.33']);
      else expected.push(['ALL', period, 3, 1, 1, '33.33', '33.33']);
    }
    for (const period of months(2018, 1, 12)) {
      // The mover (person 3) leaves company 1 in June: neither retained nor exited.
      if (Number(period.slice(5)) <= 5) expected.push(['Energy', period, 2, 2, 0, '100.00', '0.00']);
      else expected.push(['Energy', period, 2, 1, 0, '50.00', '0.00']);
    }
    for (const period of months(2018, 1, 12)) {
      if (Number(period.slice(5)) <= 4) expected.push(['Finance', period, 1, 1, 0, '100.00', '0.00']);
      else expected.push(['Finance', period, 1, 0, 1, '0.00', '100.00']);
    }
    expect(
      rows.map((r) => [
        r.sector,
        r.period,
        r.base_employees,
        r.retained,
        r.exited,
        r.retention_percent,
        r.attrition_percent,
      ]),
    ).toEqual(expected);
  });

  it('picks up new data on a concurrent refresh after a re-ingest', async () => {
    const pack = tempDir('qnwis-timeline2-');
    try {
      const files = timelinePackFiles();
      files['employment_history.csv'] = (files['employment_history.csv'] as string).replace(
        '3;2018;3;Male;Non-Qatari;Bachelor;15500;employed',
        '3;2018;1;Male;Non-Qatari;Bachelor;15500;employed',
      );
      writeFiles(pack.dir, files);
      expect((await ingestPack(db, pack.dir)).status).toBe('loaded');
      const result = await materializeViews(db);
      expect(modes(result)).toEqual(VIEW_NAMES.map((v) => [v, 'concurrent']));
      const { rows } = await db.query(
        "SELECT retained, retention_percent FROM lmis.mv_sector_retention_monthly WHERE sector = 'Energy' AND period = '2018-12'",
      );
      expect(rows).toEqual([{ retained: 2, retention_percent: '100.00' }]);
    } finally {
      pack.remove();
    }
  });

  it('recreates a view and its dependants when its definition hash differs', async () => {
    await db.exec("COMMENT ON MATERIALIZED VIEW lmis.mv_person_month IS 'qnwis definition sha256:stale'");
    const result = await materializeViews(db, { view: 'mv_sector_workforce_monthly' });
    expect(modes(result)).toEqual(VIEW_NAMES.map((v) => [v, 'plain']));
    const populated = await db.query<{ relname: string; relispopulated: boolean }>(
      "SELECT relname, relispopulated FROM pg_class WHERE relkind = 'm' ORDER BY relname",
    );
    expect(populated.rows).toEqual([
      { relname: 'mv_person_month', relispopulated: true },
      { relname: 'mv_sector_retention_monthly', relispopulated: true },
      { relname: 'mv_sector_workforce_monthly', relispopulated: true },
    ]);
  });

  it('recreates everything on request, then logs one refresh per view and run', async () => {
    const before = await db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.refresh_log');
    const result = await materializeViews(db, { recreate: true });
    expect(modes(result)).toEqual(VIEW_NAMES.map((v) => [v, 'plain']));
    const after = await db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.refresh_log');
    expect(after.rows[0]?.n).toBe((before.rows[0]?.n ?? 0) + 3);
    const indexes = await db.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'lmis' AND indexname LIKE 'mv_%' ORDER BY indexname",
    );
    expect(indexes.rows.map((r) => r.indexdef)).toEqual([
      'CREATE UNIQUE INDEX mv_person_month_grain ON lmis.mv_person_month USING btree (person_id, month)',
      'CREATE UNIQUE INDEX mv_sector_retention_monthly_grain ON lmis.mv_sector_retention_monthly USING btree (sector, month)',
      'CREATE UNIQUE INDEX mv_sector_workforce_monthly_grain ON lmis.mv_sector_workforce_monthly USING btree (sector, month)',
    ]);
  });
});

describe('materializeViews from two PostgreSQL pools at once', () => {
  let scratch: Scratch;
  let removePack: () => void;
  beforeAll(async () => {
    scratch = await createScratch('postgres');
    await migrate(scratch.db, { appVersion: 'test' });
    const pack = tempDir('qnwis-timeline-');
    removePack = pack.remove;
    writeFiles(pack.dir, timelinePackFiles());
    await ingestPack(scratch.db, pack.dir);
  });
  afterAll(async () => {
    removePack();
    await scratch.cleanup();
  });

  it('queues the second run behind the first instead of racing on CREATE', async () => {
    const other = await scratch.openAnother();
    const runs = await Promise.all([materializeViews(scratch.db), materializeViews(other)]);
    const byMode = runs.map((r) => r.map((v) => v.mode).join(',')).sort();
    expect(byMode).toEqual(['concurrent,concurrent,concurrent', 'plain,plain,plain']);
    const log = await scratch.db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.refresh_log');
    expect(log.rows).toEqual([{ n: 6 }]);
  });
});
