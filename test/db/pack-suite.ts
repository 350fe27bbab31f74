/**
 * The default pack end to end on one backend: ingest, unchanged re-ingest, materialize, the expected values of
 * data-layer spec §9.7 and its December property test. Shared by pack-postgres.test.ts and pack-embedded.test.ts so
 * the two backends run as parallel test files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { ingestPack, type IngestResult } from '../../src/db/ingest.js';
import {
  definitionSha256,
  materializeViews,
  VIEW_DEFINITIONS,
  type MaterializedView,
} from '../../src/db/materialize.js';
import { migrate } from '../../src/db/migrate.js';
import { GOLDEN_DEFAULT, TEST_PACK_DIR } from '../support/pack.js';
import { createScratch, type Backend, type Scratch } from './support.js';

interface WorkforceRow {
  sector: string;
  period: string;
  employees: number;
  qataris: number;
  qatarization_percent: string | null;
  avg_salary_qr: string | null;
}

interface RetentionRow {
  sector: string;
  period: string;
  base_employees: number;
  retained: number;
  exited: number;
  retention_percent: string | null;
}

async function workforce(db: Database, sector: string, period: string): Promise<WorkforceRow | undefined> {
  const { rows } = await db.query<WorkforceRow>(
    `SELECT sector, period, employees, qataris, qatarization_percent, avg_salary_qr
     FROM lmis.mv_sector_workforce_monthly WHERE sector = $1 AND period = $2`,
    [sector, period],
  );
  return rows[0];
}

async function retention(db: Database, sector: string, period: string): Promise<RetentionRow | undefined> {
  const { rows } = await db.query<RetentionRow>(
    `SELECT sector, period, base_employees, retained, exited, retention_percent
     FROM lmis.mv_sector_retention_monthly WHERE sector = $1 AND period = $2`,
    [sector, period],
  );
  return rows[0];
}

export function definePackSuite(backend: Backend): void {
  describe(`default pack on ${backend}`, () => {
    let scratch: Scratch;
    let db: Database;
    let ingest: IngestResult;
    let views: MaterializedView[];
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      scratch = await createScratch(backend);
      db = scratch.db;
      await migrate(db, { appVersion: 'test' });
      let started = performance.now();
      ingest = await ingestPack(db, TEST_PACK_DIR);
      timings.ingest_ms = Math.round(performance.now() - started);
      started = performance.now();
      views = await materializeViews(db);
      timings.materialize_ms = Math.round(performance.now() - started);
    });

    afterAll(async () => {
      console.log(`[${backend}] timings ${JSON.stringify(timings)}`);
      await scratch.cleanup();
    });

    it('ingests all ten files with their golden hashes and row counts', () => {
      expect(ingest.status).toBe('loaded');
      expect(ingest.files.map((f) => [f.file, f.rows, f.sha256])).toEqual([
        ['companies.csv', 800, GOLDEN_DEFAULT['companies.csv']],
        ['employment_history.csv', 160000, GOLDEN_DEFAULT['employment_history.csv']],
        ['aggregates/employment_share_by_gender.csv', 8, GOLDEN_DEFAULT['aggregates/employment_share_by_gender.csv']],
        ['aggregates/unemployment_gcc_latest.csv', 6, GOLDEN_DEFAULT['aggregates/unemployment_gcc_latest.csv']],
        ['aggregates/qatarization_by_sector.csv', 80, GOLDEN_DEFAULT['aggregates/qatarization_by_sector.csv']],
        ['aggregates/avg_salary_by_sector.csv', 80, GOLDEN_DEFAULT['aggregates/avg_salary_by_sector.csv']],
        ['aggregates/attrition_by_sector.csv', 80, GOLDEN_DEFAULT['aggregates/attrition_by_sector.csv']],
        ['aggregates/company_size_distribution.csv', 40, GOLDEN_DEFAULT['aggregates/company_size_distribution.csv']],
        ['aggregates/sector_employment_by_year.csv', 80, GOLDEN_DEFAULT['aggregates/sector_employment_by_year.csv']],
        ['aggregates/ewi_employment_drop.csv', 80, GOLDEN_DEFAULT['aggregates/ewi_employment_drop.csv']],
      ]);
    });

    it('loads the first rows exactly as written in the pack', async () => {
      const company = await db.query('SELECT * FROM lmis.companies WHERE company_id = 1');
      expect(company.rows).toEqual([
        { company_id: 1, company_name: 'Company 00001', sector: 'Hospitality', size_band: 'Small', founded_year: 2018 },
      ]);
      const person = await db.query('SELECT * FROM lmis.employment_history WHERE person_id = 1 AND year = 2017');
      expect(person.rows).toEqual([
        {
          person_id: 1,
          year: 2017,
          company_id: 567,
          gender: 'Female',
          nationality: 'Non-Qatari',
          education_level: 'Secondary',
          monthly_salary: 42440,
          status: 'employed',
        },
      ]);
      const gender = await db.query('SELECT * FROM lmis.employment_share_by_gender WHERE year = 2017');
      expect(gender.rows).toEqual([{ year: 2017, male_percent: 69.18, female_percent: 30.82, total_percent: 100 }]);
      const q = await db.query("SELECT * FROM lmis.qatarization_by_sector WHERE year = 2017 AND sector = 'Energy'");
      expect(q.rows).toEqual([
        { year: 2017, sector: 'Energy', qataris: 910, non_qataris: 6249, qatarization_percent: 12.71 },
      ]);
    });

    it('reports unchanged on a second ingest of the same files', async () => {
      const again = await ingestPack(db, TEST_PACK_DIR);
      expect(again.status).toBe('unchanged');
      expect(again.files.map((f) => f.rows)).toEqual([800, 160000, 8, 6, 80, 80, 80, 40, 80, 80]);
    });

    it('materializes the three views plainly on first refresh and logs each refresh', async () => {
      expect(views.map((v) => [v.view, v.rows, v.mode])).toEqual([
        ['lmis.mv_person_month', 1_920_000, 'plain'],
        ['lmis.mv_sector_workforce_monthly', 1056, 'plain'],
        ['lmis.mv_sector_retention_monthly', 924, 'plain'],
      ]);
      for (const v of views) expect(v.refreshed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const log = await db.query<{ view: string; row_count: number; definition_sha256: string }>(
        'SELECT view, row_count, definition_sha256 FROM lmis.refresh_log ORDER BY refreshed_at',
      );
      expect(log.rows).toEqual(
        VIEW_DEFINITIONS.map((def, i) => ({
          view: def.name,
          row_count: views[i]?.rows,
          definition_sha256: definitionSha256(def),
        })),
      );
    });

    it('meets every expected value of data-layer §9.7', async () => {
      expect(await workforce(db, 'Energy', '2017-01')).toEqual({
        sector: 'Energy',
        period: '2017-01',
        employees: 1451,
        qataris: 194,
        qatarization_percent: '13.37',
        avg_salary_qr: '23203.05',
      });
      expect(await workforce(db, 'Energy', '2018-01')).toMatchObject({
        employees: 1444,
        qataris: 192,
        qatarization_percent: '13.30',
        avg_salary_qr: '23280.12',
      });
      expect(await retention(db, 'Energy', '2018-01')).toMatchObject({
        base_employees: 1451,
        retained: 1442,
        retention_percent: '99.38',
      });
      expect(await workforce(db, 'ALL', '2024-12')).toMatchObject({
        employees: 11647,
        qataris: 1688,
        qatarization_percent: '14.49',
        avg_salary_qr: '27712.02',
      });
      expect(await retention(db, 'ALL', '2024-12')).toMatchObject({
        base_employees: 12153,
        retained: 10896,
        retention_percent: '89.66',
      });
      // Exact ties: 26531.075 and 90.625 round half away from zero.
      expect(await workforce(db, 'Finance', '2022-07')).toMatchObject({
        employees: 1240,
        qataris: 179,
        qatarization_percent: '14.44',
        avg_salary_qr: '26531.08',
      });
      expect(await retention(db, 'Hospitality', '2024-11')).toMatchObject({
        base_employees: 1120,
        retained: 1015,
        retention_percent: '90.63',
      });
      expect(await workforce(db, 'ICT', '2024-12')).toMatchObject({
        employees: 1076,
        qataris: 160,
        qatarization_percent: '14.87',
        avg_salary_qr: '27897.09',
      });
    });

    it('has December employees equal to the employed annual rows of every sector and year', async () => {
      const { rows } = await db.query<{ sector: string; year: number; annual: number; december: number }>(
        `WITH annual AS (
           SELECT CASE WHEN grouping(c.sector) = 1 THEN 'ALL' ELSE c.sector END AS sector, h.year, count(*) AS annual
           FROM lmis.employment_history h JOIN lmis.companies c USING (company_id)
           WHERE h.status = 'employed'
           GROUP BY GROUPING SETS ((c.sector, h.year), (h.year))
         )
         SELECT a.sector, a.year, a.annual, w.employees AS december
         FROM annual a
         LEFT JOIN lmis.mv_sector_workforce_monthly w
           ON w.sector = a.sector AND w.month = make_date(a.year, 12, 1)
         ORDER BY a.sector, a.year`,
      );
      expect(rows).toHaveLength(11 * 8);
      expect(rows.filter((r) => r.annual !== r.december)).toEqual([]);
      expect(rows.find((r) => r.sector === 'ALL' && r.year === 2024)).toEqual({
        sector: 'ALL',
        year: 2024,
        annual: 11647,
        december: 11647,
      });
    });

    it('keeps the first pack year flat and retained + exited within the base', async () => {
      const flat = await db.query<{ n: number }>(
        `SELECT count(DISTINCT employees) AS n FROM lmis.mv_sector_workforce_monthly
         WHERE sector = 'Energy' AND month < DATE '2018-01-01'`,
      );
      expect(flat.rows).toEqual([{ n: 1 }]);
      const check = await db.query<{ bad: number; first: string; last: string; nulls: number }>(
        `SELECT count(*) FILTER (WHERE retained + exited > base_employees) AS bad,
                min(period) AS first, max(period) AS last,
                count(*) FILTER (WHERE retention_percent IS NULL) AS nulls
         FROM lmis.mv_sector_retention_monthly`,
      );
      expect(check.rows).toEqual([{ bad: 0, first: '2018-01', last: '2024-12', nulls: 0 }]);
      const all = await retention(db, 'ALL', '2024-12');
      expect(all?.exited).toBe(1257);
    });

    it('refreshes concurrently once populated, touching only the requested view', async () => {
      const again = await materializeViews(db, { view: 'mv_sector_workforce_monthly' });
      expect(again.map((v) => [v.view, v.rows, v.mode])).toEqual([
        ['lmis.mv_sector_workforce_monthly', 1056, 'concurrent'],
      ]);
      expect(await workforce(db, 'ICT', '2024-12')).toMatchObject({ employees: 1076, avg_salary_qr: '27897.09' });
    });

    it('drops and recreates a view whose stored definition hash differs', async () => {
      await db.exec(`COMMENT ON MATERIALIZED VIEW lmis.mv_sector_retention_monthly IS 'qnwis definition sha256:0000'`);
      const result = await materializeViews(db, { view: 'lmis.mv_sector_retention_monthly' });
      expect(result.map((v) => [v.view, v.rows, v.mode])).toEqual([['lmis.mv_sector_retention_monthly', 924, 'plain']]);
      const comment = await db.query<{ c: string }>(
        "SELECT obj_description('lmis.mv_sector_retention_monthly'::regclass, 'pg_class') AS c",
      );
      expect(comment.rows).toEqual([
        { c: `qnwis definition sha256:${definitionSha256(VIEW_DEFINITIONS[2] as (typeof VIEW_DEFINITIONS)[number])}` },
      ]);
      expect(await retention(db, 'Hospitality', '2024-11')).toMatchObject({
        retained: 1015,
        retention_percent: '90.63',
      });
    });
  });
}
