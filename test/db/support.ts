/** Scratch databases for test/db: a uniquely named PostgreSQL database per caller, or PGlite in a temp directory. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openEmbedded, openPostgres, type Database, type QueryTimer } from '../../src/db/database.js';
import { TEST_DATABASE_URL } from '../support/services.js';

export type Backend = 'postgres' | 'embedded';
export const BACKENDS: readonly Backend[] = ['postgres', 'embedded'];

export interface Scratch {
  db: Database;
  /** Connection URL of the scratch database (postgres only). */
  url: string | null;
  /** Opens one more independent handle on the same database (postgres only: PGlite is single-process). */
  openAnother(): Promise<Database>;
  cleanup(): Promise<void>;
}

function urlWithDatabase(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withMaintenanceClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlWithDatabase('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function openTestPool(url: string, onQuery?: QueryTimer): Promise<Database> {
  return openPostgres(url, {
    min: 1,
    max: 4,
    acquireTimeoutS: 10,
    statementTimeoutMs: 60_000,
    applicationName: 'qnwis-test',
    ...(onQuery === undefined ? {} : { onQuery }),
  });
}

export async function createScratch(backend: Backend): Promise<Scratch> {
  if (backend === 'embedded') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-pglite-'));
    const db = await openEmbedded(dir);
    return {
      db,
      url: null,
      openAnother: () => Promise.reject(new Error('PGlite is single-process')),
      async cleanup() {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  // Identifiers cannot be bound; the name is made here from hex digits only.
  const name = `qnwis_test_${randomBytes(6).toString('hex')}`;
  await withMaintenanceClient((c) => c.query(`CREATE DATABASE ${name}`));
  const url = urlWithDatabase(name);
  const handles: Database[] = [];
  const open = async (): Promise<Database> => {
    const db = await openTestPool(url);
    handles.push(db);
    return db;
  };
  const db = await open();
  return {
    db,
    url,
    openAnother: open,
    async cleanup() {
      for (const h of handles) await h.close().catch(() => undefined);
      await withMaintenanceClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Files of a minimal valid pack: 2 companies, 2 persons over 2017–2018, one or two rows per aggregate. */
export function miniPackFiles(): Record<string, string> {
  const lines = (...rows: string[]): string => rows.map((r) => `${r}\r\n`).join('');
  return {
    'companies.csv': lines(
      'company_id;company_name;sector;size_band;founded_year',
      '1;Company 00001;Energy;Small;2001',
      '2;Company 00002;Finance;Large;1999',
    ),
    'employment_history.csv': lines(
      'person_id;year;company_id;gender;nationality;education_level;monthly_salary;status',
      '1;2017;1;Female;Qatari;Master;20000;employed',
      '1;2018;1;Female;Qatari;Master;21000;employed',
      '2;2017;2;Male;Non-Qatari;Diploma;9000;employed',
      '2;2018;1;Male;Non-Qatari;Diploma;9100;exited',
    ),
    'aggregates/employment_share_by_gender.csv': lines(
      'year;male_percent;female_percent;total_percent',
      '2017;69.18;30.82;100.0',
    ),
    'aggregates/unemployment_gcc_latest.csv': lines('country;year;value', 'QAT;2018;0.27', 'ARE;2018;2.4'),
    'aggregates/qatarization_by_sector.csv': lines(
      'year;sector;qataris;non_qataris;qatarization_percent',
      '2017;Energy;910;6249;12.71',
    ),
    'aggregates/avg_salary_by_sector.csv': lines('year;sector;avg_salary_qr', '2017;Energy;18230'),
    'aggregates/attrition_by_sector.csv': lines('year;sector;attrition_percent', '2017;Energy;8.63'),
    'aggregates/company_size_distribution.csv': lines('year;size_band;companies', '2017;Micro;2792'),
    'aggregates/sector_employment_by_year.csv': lines('year;sector;employees', '2017;Energy;51767'),
    'aggregates/ewi_employment_drop.csv': lines('year;sector;drop_percent', '2017;Energy;0.0'),
  };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

/**
 * The mini pack with three people whose months are worked out by hand in materialize.test.ts. Anniversary months in
 * 2018 (1 + (p + 2018) mod 12): person 1 → April, person 2 → May, person 3 → June.
 *   p1 Energy company 1, Qatari, 20000 → 21000, employed both years
 *   p2 Finance company 2, Non-Qatari, 9000, exited in 2018 (its 2018 company is ignored)
 *   p3 Energy company 1 → Energy company 3 (a mover), Non-Qatari, 15000 → 15500
 */
export function timelinePackFiles(): Record<string, string> {
  const lines = (...rows: string[]): string => rows.map((r) => `${r}\r\n`).join('');
  return {
    ...miniPackFiles(),
    'companies.csv': lines(
      'company_id;company_name;sector;size_band;founded_year',
      '1;Company 00001;Energy;Small;2001',
      '2;Company 00002;Finance;Large;1999',
      '3;Company 00003;Energy;Micro;2010',
    ),
    'employment_history.csv': lines(
      'person_id;year;company_id;gender;nationality;education_level;monthly_salary;status',
      '1;2017;1;Female;Qatari;Master;20000;employed',
      '1;2018;1;Female;Qatari;Master;21000;employed',
      '2;2017;2;Male;Non-Qatari;Diploma;9000;employed',
      '2;2018;1;Male;Non-Qatari;Diploma;9100;exited',
      '3;2017;1;Male;Non-Qatari;Bachelor;15000;employed',
      '3;2018;3;Male;Non-Qatari;Bachelor;15500;employed',
    ),
  };
}
