/**
 * Loads the synthetic LMIS pack into schema `lmis` (data-layer spec §9.6): every file is checked (exact header, types,
 * value sets, key uniqueness, company references) before anything is written, then one transaction truncates and
 * reloads all tables with COPY (`;`, header: the validated file bytes go to the server unchanged) and records the file
 * hashes in `lmis.ingest_log`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Database, Executor } from './database.js';
import { IngestError } from './errors.js';

type ColumnType = 'int' | 'float' | 'text';

interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Closed value set (text columns). */
  values?: readonly string[];
}

interface PackFileSpec {
  /** Path relative to the pack directory. */
  file: string;
  table: string;
  columns: readonly ColumnSpec[];
  key: readonly string[];
}

const int = (name: string): ColumnSpec => ({ name, type: 'int' });
const float = (name: string): ColumnSpec => ({ name, type: 'float' });
const text = (name: string, values?: readonly string[]): ColumnSpec =>
  values === undefined ? { name, type: 'text' } : { name, type: 'text', values };

const COMPANIES: PackFileSpec = {
  file: 'companies.csv',
  table: 'companies',
  columns: [int('company_id'), text('company_name'), text('sector'), text('size_band'), int('founded_year')],
  key: ['company_id'],
};

const EMPLOYMENT_HISTORY: PackFileSpec = {
  file: 'employment_history.csv',
  table: 'employment_history',
  columns: [
    int('person_id'),
    int('year'),
    int('company_id'),
    text('gender', ['Male', 'Female']),
    text('nationality', ['Qatari', 'Non-Qatari']),
    text('education_level'),
    int('monthly_salary'),
    text('status', ['employed', 'exited']),
  ],
  key: ['person_id', 'year'],
};

const AGGREGATES: readonly PackFileSpec[] = [
  {
    file: 'aggregates/employment_share_by_gender.csv',
    table: 'employment_share_by_gender',
    columns: [int('year'), float('male_percent'), float('female_percent'), float('total_percent')],
    key: ['year'],
  },
  {
    file: 'aggregates/unemployment_gcc_latest.csv',
    table: 'unemployment_gcc_latest',
    columns: [text('country'), int('year'), float('value')],
    key: ['country', 'year'],
  },
  {
    file: 'aggregates/qatarization_by_sector.csv',
    table: 'qatarization_by_sector',
    columns: [int('year'), text('sector'), int('qataris'), int('non_qataris'), float('qatarization_percent')],
    key: ['year', 'sector'],
  },
  {
    file: 'aggregates/avg_salary_by_sector.csv',
    table: 'avg_salary_by_sector',
    columns: [int('year'), text('sector'), int('avg_salary_qr')],
    key: ['year', 'sector'],
  },
  {
    file: 'aggregates/attrition_by_sector.csv',
    table: 'attrition_by_sector',
    columns: [int('year'), text('sector'), float('attrition_percent')],
    key: ['year', 'sector'],
  },
  {
    file: 'aggregates/company_size_distribution.csv',
    table: 'company_size_distribution',
    columns: [int('year'), text('size_band'), int('companies')],
    key: ['year', 'size_band'],
  },
  {
    file: 'aggregates/sector_employment_by_year.csv',
    table: 'sector_employment_by_year',
    columns: [int('year'), text('sector'), int('employees')],
    key: ['year', 'sector'],
  },
  {
    file: 'aggregates/ewi_employment_drop.csv',
    table: 'ewi_employment_drop',
    columns: [int('year'), text('sector'), float('drop_percent')],
    key: ['year', 'sector'],
  },
];

/** The ten pack files in load order (companies before the history that references them). */
export const PACK_FILES: readonly PackFileSpec[] = [COMPANIES, EMPLOYMENT_HISTORY, ...AGGREGATES];

export interface IngestOptions {
  /** Reload even when every file hash equals the last logged one. */
  force?: boolean;
}

export interface IngestedFile {
  /** Target table, `lmis.<table>`. */
  dataset: string;
  /** Pack-relative file name. */
  file: string;
  sha256: string;
  rows: number;
}

export interface IngestResult {
  status: 'unchanged' | 'loaded';
  files: IngestedFile[];
}

interface PackFileBytes {
  spec: PackFileSpec;
  bytes: Buffer;
  sha256: string;
}

interface CheckedFile {
  spec: PackFileSpec;
  bytes: Buffer;
  sha256: string;
  rows: number;
}

const INT_PATTERN = /^-?\d{1,10}$/;
const FLOAT_PATTERN = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function datasetOf(spec: PackFileSpec): string {
  return `lmis.${spec.table}`;
}

function readPackFiles(fromDir: string): PackFileBytes[] {
  const aggregatesDir = path.join(fromDir, 'aggregates');
  if (fs.existsSync(aggregatesDir)) {
    const known = new Set(AGGREGATES.map((a) => path.basename(a.file)));
    const unknown = fs
      .readdirSync(aggregatesDir)
      .filter((n) => n.endsWith('.csv') && !known.has(n))
      .sort()[0];
    if (unknown !== undefined) {
      throw new IngestError(
        'unknown_file',
        `aggregates/${unknown}`,
        null,
        'no table is defined for this aggregate file',
      );
    }
  }
  return PACK_FILES.map((spec) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(fromDir, spec.file));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new IngestError(
        missing ? 'missing_file' : 'unreadable',
        spec.file,
        null,
        missing ? 'file is missing from the pack' : 'file cannot be read',
      );
    }
    return { spec, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
}

interface ParsedRecords {
  records: string[][];
  /** Physical line on which each record ends (1-based). */
  lines: number[];
}

function parseRecords(file: PackFileBytes): ParsedRecords {
  const lines: number[] = [];
  try {
    const records = parse(file.bytes, {
      delimiter: ';',
      bom: true,
      relax_column_count: true,
      // Cheaper than `info: true`, which allocates an object per record.
      on_record: (record: string[], context: { lines: number }) => {
        lines.push(context.lines);
        return record;
      },
    }) as string[][];
    return { records, lines };
  } catch (err) {
    const line = (err as { lines?: unknown }).lines;
    const reason = err instanceof Error ? err.message.replace(/\s*at line \d+.*$/s, '') : 'unreadable CSV';
    throw new IngestError('unreadable', file.spec.file, typeof line === 'number' ? line : null, reason);
  }
}

/**
 * Parses and checks one file; throws IngestError naming the file and the line of the first problem. Returns the
 * company ids when the file is companies.csv.
 */
function validateFile(file: PackFileBytes, companyIds: Set<number> | null): CheckedFile {
  const { spec } = file;
  const { records, lines } = parseRecords(file);
  const header = records[0];
  const expected = spec.columns.map((c) => c.name);
  if (header === undefined || header.join(';') !== expected.join(';')) {
    const got = header === undefined ? 'nothing' : `"${header.join(';')}"`;
    throw new IngestError('bad_header', spec.file, 1, `header must be "${expected.join(';')}", got ${got}`);
  }
  const keyIndexes = spec.key.map((k) => expected.indexOf(k));
  const companyIndex = expected.indexOf('company_id');
  const collectCompanies = spec === COMPANIES;
  const seenKeys = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const record = records[r] as string[];
    const line = lines[r] as number;
    if (record.length !== spec.columns.length) {
      throw new IngestError(
        'bad_column_count',
        spec.file,
        line,
        `expected ${spec.columns.length} fields, found ${record.length}`,
      );
    }
    for (let c = 0; c < spec.columns.length; c++) {
      checkCell(record[c] as string, spec.columns[c] as ColumnSpec, spec.file, line);
    }
    // Integer key parts compare as numbers (`01` and `1` are the same key to PostgreSQL).
    const key = keyIndexes
      .map((i) => (spec.columns[i]?.type === 'int' ? String(Number(record[i])) : record[i]))
      .join('\u0000');
    const firstLine = seenKeys.get(key);
    if (firstLine !== undefined) {
      const described = spec.key.map((k, i) => `${k}=${record[keyIndexes[i] as number]}`).join(', ');
      throw new IngestError(
        'duplicate_key',
        spec.file,
        line,
        `duplicate key (${described}), first seen on line ${firstLine}`,
      );
    }
    seenKeys.set(key, line);
    if (companyIds !== null) {
      const companyId = Number(record[companyIndex]);
      if (collectCompanies) companyIds.add(companyId);
      else if (!companyIds.has(companyId)) {
        throw new IngestError('unknown_company', spec.file, line, `company_id ${companyId} is not in companies.csv`);
      }
    }
  }
  return { spec, bytes: file.bytes, sha256: file.sha256, rows: records.length - 1 };
}

function checkCell(raw: string, column: ColumnSpec, file: string, line: number): void {
  const bad = (why: string): IngestError =>
    new IngestError('bad_value', file, line, `column ${column.name}: ${why} (got ${JSON.stringify(raw)})`);
  if (column.type === 'int') {
    if (!INT_PATTERN.test(raw)) throw bad('expected an integer');
    const value = Number(raw);
    if (value < INT_MIN || value > INT_MAX) throw bad('integer out of range');
    return;
  }
  if (column.type === 'float') {
    if (!FLOAT_PATTERN.test(raw) || !Number.isFinite(Number(raw))) throw bad('expected a decimal number');
    return;
  }
  if (raw === '') throw bad('value is empty');
  if (column.values !== undefined && !column.values.includes(raw)) {
    throw bad(`expected one of ${column.values.join(', ')}`);
  }
}

async function lastLogged(db: Database): Promise<Map<string, { sha256: string; rows: number }>> {
  const { rows } = await db.query<{ dataset: string; file_sha256: string; row_count: number }>(
    'SELECT DISTINCT ON (dataset) dataset, file_sha256, row_count FROM lmis.ingest_log ORDER BY dataset, id DESC',
  );
  return new Map(rows.map((r) => [r.dataset, { sha256: r.file_sha256, rows: r.row_count }]));
}

function copyStatement(spec: PackFileSpec): string {
  const names = spec.columns.map((c) => c.name).join(', ');
  return `COPY lmis.${spec.table} (${names}) FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)`;
}

async function loadTable(tx: Executor, file: CheckedFile): Promise<void> {
  const copied = await tx.copyFrom(copyStatement(file.spec), file.bytes, { operation: 'ingest' });
  if (copied !== file.rows) {
    throw new IngestError(
      'unreadable',
      file.spec.file,
      null,
      `COPY loaded ${copied} rows where ${file.rows} were checked`,
    );
  }
}

const TRUNCATE_ALL = `TRUNCATE ${PACK_FILES.map((s) => `lmis.${s.table}`).join(', ')}`;

/**
 * Validates and loads the pack in `fromDir` (companies.csv, employment_history.csv, aggregates/*.csv). Returns
 * `unchanged` without touching the tables when every file hash equals the last logged one, unless `force`.
 */
export async function ingestPack(db: Database, fromDir: string, options: IngestOptions = {}): Promise<IngestResult> {
  const files = readPackFiles(fromDir);
  if (!options.force) {
    const logged = await lastLogged(db);
    const same = files.every((f) => logged.get(datasetOf(f.spec))?.sha256 === f.sha256);
    if (same) {
      return {
        status: 'unchanged',
        files: files.map((f) => ({
          dataset: datasetOf(f.spec),
          file: f.spec.file,
          sha256: f.sha256,
          rows: logged.get(datasetOf(f.spec))?.rows ?? 0,
        })),
      };
    }
  }
  const companyIds = new Set<number>();
  const tables = files.map((f) =>
    validateFile(f, f.spec === COMPANIES || f.spec === EMPLOYMENT_HISTORY ? companyIds : null),
  );
  await db.transaction(async (tx) => {
    // A slow disk must not turn a long load into a statement timeout of the pool's default.
    await tx.query("SELECT set_config('statement_timeout', '0', true)");
    await tx.exec(TRUNCATE_ALL);
    for (const table of tables) await loadTable(tx, table);
    // Planner statistics now, so the view refresh that follows does not plan against an empty-looking table.
    await tx.exec('ANALYZE lmis.companies, lmis.employment_history');
    await tx.query(
      'INSERT INTO lmis.ingest_log (dataset, file_sha256, row_count, ingested_at) ' +
        'SELECT dataset, sha, row_count, now() FROM unnest($1::text[], $2::text[], $3::int[]) AS f(dataset, sha, row_count)',
      [tables.map((t) => datasetOf(t.spec)), tables.map((t) => t.sha256), tables.map((t) => t.rows)],
    );
  });
  return {
    status: 'loaded',
    files: tables.map((t) => ({ dataset: datasetOf(t.spec), file: t.spec.file, sha256: t.sha256, rows: t.rows })),
  };
}
