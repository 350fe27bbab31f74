/**
 * Synthetic LMIS pack generator (data-layer spec §9.1–§9.5). The ten pack files must be byte-identical to the
 * reference generator, so every draw below follows §9.3 in order and every float is computed in the written order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { formatPyFloat } from './float-format.js';
import { PyRandom } from './py-random.js';
import { round2 } from './round2.js';

export interface PackOptions {
  seed: number;
  startYear: number;
  endYear: number;
  companies: number;
  employees: number;
}

export interface RawPackOptions {
  seed?: number;
  startYear?: number;
  endYear?: number;
  companies?: number;
  employees?: number;
  small?: boolean;
}

export interface PackFile {
  /** Relative to the pack root, POSIX separators, e.g. `aggregates/attrition_by_sector.csv`. */
  path: string;
  content: Buffer;
  /** Data rows, header excluded. */
  rows: number;
}

export const PACK_DEFAULTS: Readonly<PackOptions> = Object.freeze({
  seed: 42,
  startYear: 2017,
  endYear: 2024,
  companies: 800,
  employees: 20000,
});

export const SMALL_PACK_SIZES = Object.freeze({ companies: 200, employees: 3000 });

/** File name of the gender-share file derived from the micro data (§4 row #1). */
export const DERIVED_GENDER_SHARE_FILE = 'employed-persons-15-years-and-above-synthetic.csv';

const MIN_YEAR = 1900;
const MAX_YEAR = 2100;
const MAX_ENTITIES = 1_000_000;

function checkYear(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < MIN_YEAR || value > MAX_YEAR) {
    throw new RangeError(`${flag} must be an integer in ${MIN_YEAR}..${MAX_YEAR} (got ${value})`);
  }
}

function checkCount(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_ENTITIES) {
    throw new RangeError(`${flag} must be an integer in 1..${MAX_ENTITIES} (got ${value})`);
  }
}

/** Applies the §9.1 defaults (`small` shrinks only the sizes not given) and validates; errors name the CLI flag. */
export function resolvePackOptions(raw: RawPackOptions): PackOptions {
  const opts: PackOptions = {
    seed: raw.seed ?? PACK_DEFAULTS.seed,
    startYear: raw.startYear ?? PACK_DEFAULTS.startYear,
    endYear: raw.endYear ?? PACK_DEFAULTS.endYear,
    companies: raw.companies ?? (raw.small ? SMALL_PACK_SIZES.companies : PACK_DEFAULTS.companies),
    employees: raw.employees ?? (raw.small ? SMALL_PACK_SIZES.employees : PACK_DEFAULTS.employees),
  };
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) {
    throw new RangeError(`--seed must be a non-negative safe integer (got ${opts.seed})`);
  }
  checkYear('--start-year', opts.startYear);
  checkYear('--end-year', opts.endYear);
  if (opts.startYear > opts.endYear) {
    throw new RangeError(`--start-year must be ≤ --end-year (got ${opts.startYear} > ${opts.endYear})`);
  }
  checkCount('--companies', opts.companies);
  checkCount('--employees', opts.employees);
  return opts;
}

const SECTORS = [
  'Energy',
  'Construction',
  'Finance',
  'Hospitality',
  'Education',
  'Healthcare',
  'Public',
  'Manufacturing',
  'Transport',
  'ICT',
] as const;
const EDUCATION = ['Secondary', 'Diploma', 'Bachelor', 'Master', 'Doctorate'] as const;
const SIZE_BANDS = ['Micro', 'Small', 'Medium', 'Large', 'XL'] as const;
const GCC_COUNTRIES: readonly (readonly [country: string, base: number, variation: number])[] = [
  ['QAT', 0.2, 0.15],
  ['ARE', 2.5, 0.6],
  ['KWT', 2.2, 0.5],
  ['OMN', 3.0, 0.7],
  ['BHR', 2.8, 0.6],
  ['SAU', 5.0, 0.9],
];
const SALARY_BASE: Readonly<Record<string, number>> = { Energy: 18000, Finance: 15500, ICT: 15000 };
const DEFAULT_SALARY_BASE = 11000;

/** A `weighted()` table of §9.2; the total is the left-to-right sum from 0, exactly as the reference computes it. */
class WeightedTable<T> {
  private readonly values: readonly T[];
  private readonly weights: readonly number[];
  private readonly total: number;

  constructor(pairs: readonly (readonly [T, number])[]) {
    this.values = pairs.map(([value]) => value);
    this.weights = pairs.map(([, weight]) => weight);
    let total = 0;
    for (const weight of this.weights) total += weight;
    this.total = total;
  }

  draw(rng: PyRandom): T {
    const pick = rng.random() * this.total;
    let upto = 0.0;
    const last = this.values.length - 1;
    for (let i = 0; i <= last; i++) {
      const weight = this.weights[i]!;
      if (upto + weight >= pick) return this.values[i]!;
      upto += weight;
    }
    return this.values[last]!;
  }
}

const SIZE_BAND_WEIGHTS = new WeightedTable<string>([
  ['Micro', 0.15],
  ['Small', 0.35],
  ['Medium', 0.3],
  ['Large', 0.15],
  ['XL', 0.05],
]);
const GENDER_WEIGHTS = new WeightedTable<string>([
  ['Male', 0.71],
  ['Female', 0.29],
]);
const NATIONALITY_WEIGHTS = new WeightedTable<string>([
  ['Qatari', 0.14],
  ['Non-Qatari', 0.86],
]);
const EDUCATION_WEIGHTS = new WeightedTable<string>(EDUCATION.map((level, i) => [level, 1.0 / (i + 1)] as const));

const CRLF = '\r\n';
/** Flush the pending text into the part list at about this size, so no single string grows to megabytes. */
const CHUNK_CHARS = 1 << 16;

/** Accumulates CSV lines (already `;`-joined; no field needs quoting) into one Buffer. */
class CsvBuilder {
  private readonly parts: Buffer[] = [];
  private pending: string;
  rows = 0;

  constructor(header: readonly string[]) {
    this.pending = header.join(';') + CRLF;
  }

  line(text: string): void {
    this.pending += text + CRLF;
    this.rows++;
    if (this.pending.length >= CHUNK_CHARS) {
      this.parts.push(Buffer.from(this.pending, 'latin1'));
      this.pending = '';
    }
  }

  toFile(path: string): PackFile {
    // Every field is ASCII, so latin1 encoding equals UTF-8 here and is cheaper.
    this.parts.push(Buffer.from(this.pending, 'latin1'));
    return { path, content: Buffer.concat(this.parts), rows: this.rows };
  }
}

function clampPercent(value: number): number {
  return Math.min(100.0, Math.max(0.0, value));
}

/**
 * Generates the pack in memory: the ten §9.4 files in table order, then the derived gender-share file of §4 #1
 * (computed from the history after all draws, so it cannot perturb the golden files).
 */
export function generatePack(opts: PackOptions): PackFile[] {
  const { seed, startYear, endYear, companies: companyCount, employees: employeeCount } = opts;
  const rng = new PyRandom(seed);
  for (let i = 0; i < 10; i++) rng.random();

  const years: number[] = [];
  for (let year = startYear; year <= endYear; year++) years.push(year);

  // 1. companies
  const companies = new CsvBuilder(['company_id', 'company_name', 'sector', 'size_band', 'founded_year']);
  for (let id = 1; id <= companyCount; id++) {
    const sector = rng.choice(SECTORS);
    const sizeBand = SIZE_BAND_WEIGHTS.draw(rng);
    const founded = rng.randint(1980, 2020);
    companies.line(`${id};Company ${String(id).padStart(5, '0')};${sector};${sizeBand};${founded}`);
  }

  // 2. employment history; employed records are tallied per year and gender for the derived file.
  const history = new CsvBuilder([
    'person_id',
    'year',
    'company_id',
    'gender',
    'nationality',
    'education_level',
    'monthly_salary',
    'status',
  ]);
  const employedMale = new Array<number>(years.length).fill(0);
  const employedFemale = new Array<number>(years.length).fill(0);
  for (let person = 1; person <= employeeCount; person++) {
    const gender = GENDER_WEIGHTS.draw(rng);
    const nationality = NATIONALITY_WEIGHTS.draw(rng);
    const education = EDUCATION_WEIGHTS.draw(rng);
    const anchor = rng.randint(1, companyCount);
    let salary = rng.randint(3500, 42000);
    let employed = true;
    const fixedFields = `;${gender};${nationality};${education};`;
    for (let y = 0; y < years.length; y++) {
      if (rng.random() < 0.1) employed = !employed;
      const company = employed ? anchor : rng.randint(1, companyCount);
      const drift = 1.0 + rng.uniform(-0.03, 0.08);
      salary = Math.max(2500, Math.trunc(salary * drift));
      history.line(`${person};${years[y]};${company}${fixedFields}${salary};${employed ? 'employed' : 'exited'}`);
      if (employed) {
        if (gender === 'Male') employedMale[y]!++;
        else employedFemale[y]!++;
      }
    }
  }

  // 3. employment_share_by_gender
  const genderShare = new CsvBuilder(['year', 'male_percent', 'female_percent', 'total_percent']);
  for (const year of years) {
    const male = 71.0 + rng.uniform(-2, 2);
    const female = 100.0 - male;
    genderShare.line(`${year};${formatPyFloat(round2(male))};${formatPyFloat(round2(female))};100.0`);
  }

  // 4. unemployment_gcc_latest
  const gcc = new CsvBuilder(['country', 'year', 'value']);
  for (const [country, base, variation] of GCC_COUNTRIES) {
    const value = Math.max(0.1, round2(base + rng.uniform(-variation, variation)));
    gcc.line(`${country};${endYear};${formatPyFloat(value)}`);
  }

  // 5. qatarization_by_sector
  const qatarization = new CsvBuilder(['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent']);
  for (const year of years) {
    for (const sector of SECTORS) {
      const nonQataris = rng.randint(1200, 8000);
      const qataris = Math.max(50, Math.trunc(nonQataris * rng.uniform(0.05, 0.2)));
      const percent = round2((100.0 * qataris) / (qataris + nonQataris));
      qatarization.line(`${year};${sector};${qataris};${nonQataris};${formatPyFloat(percent)}`);
    }
  }

  // 6. avg_salary_by_sector
  const avgSalary = new CsvBuilder(['year', 'sector', 'avg_salary_qr']);
  for (const year of years) {
    for (const sector of SECTORS) {
      const base = SALARY_BASE[sector] ?? DEFAULT_SALARY_BASE;
      const drift = 1.0 + 0.02 * (year - startYear) + rng.uniform(-0.03, 0.03);
      avgSalary.line(`${year};${sector};${Math.max(2500, Math.trunc(base * drift))}`);
    }
  }

  // 7. attrition_by_sector
  const attrition = new CsvBuilder(['year', 'sector', 'attrition_percent']);
  for (const year of years) {
    for (const sector of SECTORS) {
      const percent = clampPercent(round2(Math.max(1.0, rng.gauss(7.5, 2.0))));
      attrition.line(`${year};${sector};${formatPyFloat(percent)}`);
    }
  }

  // 8. company_size_distribution
  const sizeDistribution = new CsvBuilder(['year', 'size_band', 'companies']);
  for (const year of years) {
    for (const band of SIZE_BANDS) sizeDistribution.line(`${year};${band};${rng.randint(100, 5000)}`);
  }

  // 9. sector_employment_by_year
  const sectorEmployment = new CsvBuilder(['year', 'sector', 'employees']);
  for (const year of years) {
    for (const sector of SECTORS) sectorEmployment.line(`${year};${sector};${rng.randint(2500, 55000)}`);
  }

  // 10. ewi_employment_drop
  const employmentDrop = new CsvBuilder(['year', 'sector', 'drop_percent']);
  for (const year of years) {
    for (const sector of SECTORS) {
      const percent = clampPercent(Math.max(0.0, round2(rng.uniform(-1.0, 6.0))));
      employmentDrop.line(`${year};${sector};${formatPyFloat(percent)}`);
    }
  }

  // Derived (§4 #1): share of employed records by gender; a year without employed records has no share and no row.
  const derived = new CsvBuilder(['year', 'male_percent', 'female_percent', 'total_percent']);
  years.forEach((year, y) => {
    const male = employedMale[y]!;
    const female = employedFemale[y]!;
    const total = male + female;
    if (total === 0) return;
    const malePercent = round2((100 * male) / total);
    const femalePercent = round2((100 * female) / total);
    derived.line(`${year};${formatPyFloat(malePercent)};${formatPyFloat(femalePercent)};100.0`);
  });

  return [
    companies.toFile('companies.csv'),
    history.toFile('employment_history.csv'),
    genderShare.toFile('aggregates/employment_share_by_gender.csv'),
    gcc.toFile('aggregates/unemployment_gcc_latest.csv'),
    qatarization.toFile('aggregates/qatarization_by_sector.csv'),
    avgSalary.toFile('aggregates/avg_salary_by_sector.csv'),
    attrition.toFile('aggregates/attrition_by_sector.csv'),
    sizeDistribution.toFile('aggregates/company_size_distribution.csv'),
    sectorEmployment.toFile('aggregates/sector_employment_by_year.csv'),
    employmentDrop.toFile('aggregates/ewi_employment_drop.csv'),
    derived.toFile(DERIVED_GENDER_SHARE_FILE),
  ];
}

/** Writes `content` via a temporary file in the same directory and a rename, so readers never see a partial file. */
async function writeFileAtomic(target: string, content: Buffer): Promise<void> {
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Generates the pack and writes it below `outDir`; returns each file's relative path, row count and SHA-256. */
export async function writePack(
  outDir: string,
  opts: PackOptions,
): Promise<{ files: { path: string; rows: number; sha256: string }[] }> {
  const generated = generatePack(opts);
  const files: { path: string; rows: number; sha256: string }[] = [];
  for (const file of generated) {
    const target = join(outDir, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFileAtomic(target, file.content);
    files.push({ path: file.path, rows: file.rows, sha256: createHash('sha256').update(file.content).digest('hex') });
  }
  return { files };
}
