import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { IngestError } from '../../src/db/errors.js';
import { ingestPack, PACK_FILES } from '../../src/db/ingest.js';
import { migrate } from '../../src/db/migrate.js';
import { BACKENDS, createScratch, miniPackFiles, tempDir, writeFiles, type Scratch } from './support.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Writes the mini pack with `changes` applied (a null value deletes the file) and returns its directory. */
function packWith(root: string, name: string, changes: Record<string, string | null> = {}): string {
  const dir = path.join(root, name);
  const files: Record<string, string> = { ...miniPackFiles() };
  for (const [rel, content] of Object.entries(changes)) {
    if (content === null) delete files[rel];
    else files[rel] = content;
  }
  writeFiles(dir, files);
  return dir;
}

function replaceLine(file: string, lineNo: number, line: string): string {
  const lines = (miniPackFiles()[file] as string).split('\r\n');
  lines[lineNo - 1] = line;
  return lines.join('\r\n');
}

async function ingestError(db: Database, dir: string): Promise<IngestError> {
  try {
    await ingestPack(db, dir, { force: true });
  } catch (err) {
    if (err instanceof IngestError) return err;
    throw err;
  }
  throw new Error('ingest unexpectedly succeeded');
}

describe('PACK_FILES', () => {
  it('covers the ten files of the pack in load order', () => {
    expect(PACK_FILES.map((f) => f.file)).toEqual([
      'companies.csv',
      'employment_history.csv',
      'aggregates/employment_share_by_gender.csv',
      'aggregates/unemployment_gcc_latest.csv',
      'aggregates/qatarization_by_sector.csv',
      'aggregates/avg_salary_by_sector.csv',
      'aggregates/attrition_by_sector.csv',
      'aggregates/company_size_distribution.csv',
      'aggregates/sector_employment_by_year.csv',
      'aggregates/ewi_employment_drop.csv',
    ]);
  });
});

describe.each(BACKENDS)('ingestPack on %s (hand-made packs)', (backend) => {
  let scratch: Scratch;
  let db: Database;
  let root: string;
  let removeRoot: () => void;
  beforeAll(async () => {
    scratch = await createScratch(backend);
    db = scratch.db;
    await migrate(db, { appVersion: 'test' });
    ({ dir: root, remove: removeRoot } = tempDir('qnwis-ingest-'));
  });
  afterAll(async () => {
    removeRoot();
    await scratch.cleanup();
  });

  it('loads a valid pack, logs every file and reports unchanged on the second run', async () => {
    const dir = packWith(root, 'valid');
    const files = miniPackFiles();
    const first = await ingestPack(db, dir);
    expect(first.status).toBe('loaded');
    expect(first.files.map((f) => [f.dataset, f.rows, f.sha256])).toEqual([
      ['lmis.companies', 2, sha256(files['companies.csv'] as string)],
      ['lmis.employment_history', 4, sha256(files['employment_history.csv'] as string)],
      ['lmis.employment_share_by_gender', 1, sha256(files['aggregates/employment_share_by_gender.csv'] as string)],
      ['lmis.unemployment_gcc_latest', 2, sha256(files['aggregates/unemployment_gcc_latest.csv'] as string)],
      ['lmis.qatarization_by_sector', 1, sha256(files['aggregates/qatarization_by_sector.csv'] as string)],
      ['lmis.avg_salary_by_sector', 1, sha256(files['aggregates/avg_salary_by_sector.csv'] as string)],
      ['lmis.attrition_by_sector', 1, sha256(files['aggregates/attrition_by_sector.csv'] as string)],
      ['lmis.company_size_distribution', 1, sha256(files['aggregates/company_size_distribution.csv'] as string)],
      ['lmis.sector_employment_by_year', 1, sha256(files['aggregates/sector_employment_by_year.csv'] as string)],
      ['lmis.ewi_employment_drop', 1, sha256(files['aggregates/ewi_employment_drop.csv'] as string)],
    ]);
    const history = await db.query('SELECT * FROM lmis.employment_history ORDER BY person_id, year');
    expect(history.rows).toEqual([
      {
        person_id: 1,
        year: 2017,
        company_id: 1,
        gender: 'Female',
        nationality: 'Qatari',
        education_level: 'Master',
        monthly_salary: 20000,
        status: 'employed',
      },
      {
        person_id: 1,
        year: 2018,
        company_id: 1,
        gender: 'Female',
        nationality: 'Qatari',
        education_level: 'Master',
        monthly_salary: 21000,
        status: 'employed',
      },
      {
        person_id: 2,
        year: 2017,
        company_id: 2,
        gender: 'Male',
        nationality: 'Non-Qatari',
        education_level: 'Diploma',
        monthly_salary: 9000,
        status: 'employed',
      },
      {
        person_id: 2,
        year: 2018,
        company_id: 1,
        gender: 'Male',
        nationality: 'Non-Qatari',
        education_level: 'Diploma',
        monthly_salary: 9100,
        status: 'exited',
      },
    ]);
    const gender = await db.query('SELECT * FROM lmis.employment_share_by_gender');
    expect(gender.rows).toEqual([{ year: 2017, male_percent: 69.18, female_percent: 30.82, total_percent: 100 }]);
    const gcc = await db.query('SELECT * FROM lmis.unemployment_gcc_latest ORDER BY country');
    expect(gcc.rows).toEqual([
      { country: 'ARE', year: 2018, value: 2.4 },
      { country: 'QAT', year: 2018, value: 0.27 },
    ]);

    const second = await ingestPack(db, dir);
    expect(second.status).toBe('unchanged');
    expect(second.files.map((f) => f.rows)).toEqual(first.files.map((f) => f.rows));
    const logCount = await db.query<{ n: number; batches: number }>(
      'SELECT count(*) AS n, count(DISTINCT ingested_at) AS batches FROM lmis.ingest_log',
    );
    expect(logCount.rows).toEqual([{ n: 10, batches: 1 }]);

    expect((await ingestPack(db, dir, { force: true })).status).toBe('loaded');
    const forced = await db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.ingest_log');
    expect(forced.rows).toEqual([{ n: 20 }]);
    expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.employment_history')).rows).toEqual([
      { n: 4 },
    ]);
  });

  it('reloads when one file changed, replacing the old rows', async () => {
    const dir = packWith(root, 'changed', {
      'aggregates/avg_salary_by_sector.csv': 'year;sector;avg_salary_qr\r\n2017;Energy;18230\r\n2018;Energy;18500\r\n',
    });
    const result = await ingestPack(db, dir);
    expect(result.status).toBe('loaded');
    const rows = await db.query('SELECT year, avg_salary_qr FROM lmis.avg_salary_by_sector ORDER BY year');
    expect(rows.rows).toEqual([
      { year: 2017, avg_salary_qr: 18230 },
      { year: 2018, avg_salary_qr: 18500 },
    ]);
  });

  it('rejects a bad header, naming file and line, and leaves the tables untouched', async () => {
    const dir = packWith(root, 'bad-header', {
      'companies.csv': replaceLine('companies.csv', 1, 'company_id;name;sector;size_band;founded_year'),
    });
    const err = await ingestError(db, dir);
    expect(err).toMatchObject({ code: 'ingest_invalid', problem: 'bad_header', file: 'companies.csv', line: 1 });
    expect(err.message).toBe(
      'companies.csv:1: header must be "company_id;company_name;sector;size_band;founded_year", ' +
        'got "company_id;name;sector;size_band;founded_year"',
    );
    const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM lmis.avg_salary_by_sector');
    expect(rows.rows).toEqual([{ n: 2 }]);
  });

  it('rejects a history row whose company is unknown', async () => {
    const dir = packWith(root, 'unknown-company', {
      'employment_history.csv': replaceLine(
        'employment_history.csv',
        4,
        '2;2017;9;Male;Non-Qatari;Diploma;9000;employed',
      ),
    });
    const err = await ingestError(db, dir);
    expect(err.message).toBe('employment_history.csv:4: company_id 9 is not in companies.csv');
    expect(err).toMatchObject({ problem: 'unknown_company', file: 'employment_history.csv', line: 4 });
  });

  it('rejects a gender outside Male/Female', async () => {
    const dir = packWith(root, 'bad-gender', {
      'employment_history.csv': replaceLine(
        'employment_history.csv',
        3,
        '1;2018;1;female;Qatari;Master;21000;employed',
      ),
    });
    const err = await ingestError(db, dir);
    expect(err.message).toBe('employment_history.csv:3: column gender: expected one of Male, Female (got "female")');
    expect(err).toMatchObject({ problem: 'bad_value', line: 3 });
  });

  it('rejects bad status, nationality, integers, floats, empty text and column counts', async () => {
    const history = 'employment_history.csv';
    const cases: [string, string, number, string][] = [
      [
        history,
        '1;2018;1;Female;Qatari;Master;21000;retired',
        3,
        'column status: expected one of employed, exited (got "retired")',
      ],
      [
        history,
        '1;2018;1;Female;Qatar;Master;21000;employed',
        3,
        'column nationality: expected one of Qatari, Non-Qatari (got "Qatar")',
      ],
      [
        history,
        '1;2018;1;Female;Qatari;Master;21000.5;employed',
        3,
        'column monthly_salary: expected an integer (got "21000.5")',
      ],
      [
        history,
        '1;2018;1;Female;Qatari;Master;3000000000;employed',
        3,
        'column monthly_salary: integer out of range (got "3000000000")',
      ],
      [history, '1;2018;1;Female;Qatari;;21000;employed', 3, 'column education_level: value is empty (got "")'],
      [history, '1;2018;1;Female;Qatari;Master;21000', 3, 'expected 8 fields, found 7'],
      [
        'aggregates/attrition_by_sector.csv',
        '2017;Energy;8,63',
        2,
        'column attrition_percent: expected a decimal number (got "8,63")',
      ],
    ];
    for (const [index, [file, line, lineNo, message]] of cases.entries()) {
      const dir = packWith(root, `case-${index}`, { [file]: replaceLine(file, lineNo, line) });
      const err = await ingestError(db, dir);
      expect(err.message).toBe(`${file}:${lineNo}: ${message}`);
    }
  });

  it('rejects duplicate keys, naming both lines', async () => {
    const dir = packWith(root, 'duplicate', {
      'aggregates/unemployment_gcc_latest.csv':
        'country;year;value\r\nQAT;2018;0.27\r\nARE;2018;2.4\r\nQAT;2018;0.3\r\n',
    });
    const err = await ingestError(db, dir);
    expect(err.message).toBe(
      'aggregates/unemployment_gcc_latest.csv:4: duplicate key (country=QAT, year=2018), first seen on line 2',
    );
    expect(err.problem).toBe('duplicate_key');
    const padded = await ingestError(
      db,
      packWith(root, 'duplicate-padded', {
        'companies.csv': `${miniPackFiles()['companies.csv']}01;Company 00003;ICT;Micro;2000\r\n`,
      }),
    );
    expect(padded.message).toBe('companies.csv:4: duplicate key (company_id=01), first seen on line 2');
  });

  it('rejects missing and unknown files', async () => {
    const missing = await ingestError(db, packWith(root, 'missing', { 'aggregates/ewi_employment_drop.csv': null }));
    expect(missing.message).toBe('aggregates/ewi_employment_drop.csv: file is missing from the pack');
    expect(missing).toMatchObject({ problem: 'missing_file', line: null });
    const extraDir = packWith(root, 'extra');
    fs.writeFileSync(path.join(extraDir, 'aggregates', 'mystery.csv'), 'a;b\r\n1;2\r\n');
    const unknown = await ingestError(db, extraDir);
    expect(unknown.message).toBe('aggregates/mystery.csv: no table is defined for this aggregate file');
    expect(unknown.problem).toBe('unknown_file');
  });
});
