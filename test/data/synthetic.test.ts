import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { formatPyFloat } from '../../src/data/synthetic/float-format.js';
import {
  DERIVED_GENDER_SHARE_FILE,
  generatePack,
  resolvePackOptions,
  writePack,
  type PackOptions,
} from '../../src/data/synthetic/pack.js';
import { bitLength, PyRandom } from '../../src/data/synthetic/py-random.js';
import { round2 } from '../../src/data/synthetic/round2.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('PyRandom (CPython random.Random)', () => {
  it('reproduces random.Random(42).random() for the first three calls', () => {
    const rng = new PyRandom(42);
    expect(rng.random()).toBe(0.6394267984578837);
    expect(rng.random()).toBe(0.025010755222666936);
    expect(rng.random()).toBe(0.27502931836911926);
  });

  it('gives the 11th value after the pack set-up discards 10 values', () => {
    const rng = new PyRandom(42);
    for (let i = 0; i < 10; i++) rng.random();
    expect(rng.random()).toBe(0.21863797480360336);
    expect(rng.getrandbits(32)).toBe(2170484433);
  });

  it('seeds 0 as key [0] and multi-word seeds with little-endian 32-bit words', () => {
    expect(new PyRandom(0).random()).toBe(0.8444218515250481);
    expect(new PyRandom(2 ** 32 + 5).random()).toBe(0.15727238718789782);
    const big = new PyRandom(2 ** 53 - 1);
    expect(big.random()).toBe(0.09425040007102303);
    expect(big.getrandbits(53)).toBe(6778670531104395);
    expect(big.randbelow(2 ** 40)).toBe(254036359660);
  });

  it('matches CPython randint, getrandbits, choice, uniform and gauss (with its cached partner value)', () => {
    const rng = new PyRandom(42);
    expect(rng.randint(1, 10)).toBe(2);
    expect(rng.randint(1, 100)).toBe(4);
    expect(rng.getrandbits(32)).toBe(3184935163);
    expect(rng.choice(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('c');
    expect(rng.uniform(-2, 2)).toBe(-1.020432584786095);
    expect(rng.gauss(0, 1)).toBe(0.2974745204017183);
    expect(rng.gauss(0, 1)).toBe(0.3574667502041649);
    expect(rng.gauss(0, 1)).toBe(-0.07358145350888119);
  });

  it('uses the bit length of n itself for randbelow', () => {
    expect(bitLength(1)).toBe(1);
    expect(bitLength(8)).toBe(4);
    expect(bitLength(10)).toBe(4);
    expect(bitLength(2 ** 32 - 1)).toBe(32);
    expect(bitLength(2 ** 32)).toBe(33);
  });

  it('rejects arguments CPython rejects', () => {
    expect(() => new PyRandom(1.5)).toThrow(RangeError);
    expect(() => new PyRandom(42).randint(5, 4)).toThrow(RangeError);
    expect(() => new PyRandom(42).choice([])).toThrow(RangeError);
    expect(() => new PyRandom(42).randbelow(0)).toThrow(RangeError);
  });
});

describe('round2 (CPython round(x, 2))', () => {
  it.each([
    [0.125, 0.12],
    [0.375, 0.38],
    [2.675, 2.67],
    [-0.125, -0.12],
    [1.005, 1],
    [0.625, 0.62],
    [0.875, 0.88],
    [-2.675, -2.67],
    [12.345, 12.35],
    [1.015, 1.01],
    [2.5, 2.5],
    [69.18, 69.18],
    [1e300, 1e300],
  ])('round2(%d) = %d', (input, expected) => {
    expect(round2(input)).toBe(expected);
  });

  it('keeps the sign of a negative value that rounds to zero', () => {
    expect(Object.is(round2(-0.001), -0)).toBe(true);
  });
});

describe('formatPyFloat (Python repr)', () => {
  it.each([
    [100, '100.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [2.4, '2.4'],
    [69.18, '69.18'],
    [-12.5, '-12.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [123456789.125, '123456789.125'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1e22, '1e+22'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Number.NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('formats %d as %s', (input, expected) => {
    expect(formatPyFloat(input)).toBe(expected);
  });
});

describe('resolvePackOptions', () => {
  it('applies the defaults', () => {
    expect(resolvePackOptions({})).toEqual({
      seed: 42,
      startYear: 2017,
      endYear: 2024,
      companies: 800,
      employees: 20000,
    });
  });

  it('shrinks only the sizes not given when small', () => {
    expect(resolvePackOptions({ small: true })).toEqual({
      seed: 42,
      startYear: 2017,
      endYear: 2024,
      companies: 200,
      employees: 3000,
    });
    expect(resolvePackOptions({ small: true, companies: 50 })).toEqual({
      seed: 42,
      startYear: 2017,
      endYear: 2024,
      companies: 50,
      employees: 3000,
    });
  });

  it.each([
    [{ startYear: 2025 }, '--start-year must be ≤ --end-year (got 2025 > 2024)'],
    [{ startYear: 1899 }, '--start-year must be an integer in 1900..2100 (got 1899)'],
    [{ endYear: 2101 }, '--end-year must be an integer in 1900..2100 (got 2101)'],
    [{ endYear: 2020.5 }, '--end-year must be an integer in 1900..2100 (got 2020.5)'],
    [{ companies: 0 }, '--companies must be an integer in 1..1000000 (got 0)'],
    [{ companies: 1_000_001 }, '--companies must be an integer in 1..1000000 (got 1000001)'],
    [{ employees: Number.NaN }, '--employees must be an integer in 1..1000000 (got NaN)'],
    [{ seed: -1 }, '--seed must be a non-negative safe integer (got -1)'],
    [{ seed: 2 ** 53 }, '--seed must be a non-negative safe integer (got 9007199254740992)'],
  ])('rejects %o', (raw, message) => {
    expect(() => resolvePackOptions(raw)).toThrow(new RangeError(message));
  });
});

const TEN_FILES = [
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
];

// Data-layer spec §9.5 (normative).
const GOLDEN_DEFAULT: Record<string, string> = {
  'companies.csv': 'e8adbe446c2360298808c8fc390bd751187593d45a9f7cb022d86de3515269c2',
  'employment_history.csv': 'b3c4da39256d0978a33a1f0ade8651d37ae7d7d4de4e5d06a7a2096e8fc986b5',
  'aggregates/employment_share_by_gender.csv': 'e0b48944f23df8ceed3451df92d833a2ac77922d025c649a51a9ddccfddaa9a6',
  'aggregates/unemployment_gcc_latest.csv': '7acfd3f044a6a7a806d218c354a9e09d1d3e545ed52d9a493f427fe5d121e9fd',
  'aggregates/qatarization_by_sector.csv': '8fd10e1435d1ac41bdd6f3699cce8d3e4e8b1206f6440b52fe197828088a1316',
  'aggregates/avg_salary_by_sector.csv': '9dd971abf4ac69dd5d2606d9d108dd10109f71626aadb021d826d067428c2867',
  'aggregates/attrition_by_sector.csv': '53f5c831d6a22c8a1da8c1fbb4cfd4bdf76e8a715e37da4a5b5a44c0bb4ece5f',
  'aggregates/company_size_distribution.csv': 'da660c597f9cf9c11aceb118d059202c3aca870139aa946a5bb413a3497907ab',
  'aggregates/sector_employment_by_year.csv': '33b8e53fd36ea26abf9bec8e99e2b934483c66b0d62eb7cb730a770bfab426bd',
  'aggregates/ewi_employment_drop.csv': '102b8b34c07343d611b8ef8a4325c4889b7b72ad00f007878d5e43a25a14c77a',
};

const GOLDEN_SMALL: Record<string, string> = {
  'companies.csv': '066ae89a9eab1a1df45b41299a1240bf56ed9f4d5a57058535cc4140a40dad32',
  'employment_history.csv': '18c515aff168d68b80aea2506e7ed79c37ec6e57ebc197fad57c7276939e8a3f',
  'aggregates/employment_share_by_gender.csv': 'a7ca2596068fa56cddc9b3f99ee896fee9e7bcc61f365e7949a8beb1c53a9801',
  'aggregates/unemployment_gcc_latest.csv': 'a2bae44589d1259004fbfc110297855f435278a2be452c87ae233ecb1da2e0a7',
  'aggregates/qatarization_by_sector.csv': 'aa4e0424d67cb74eb0d619b09e179dba7f9eef0c5b1b68f312e860640d000f6a',
  'aggregates/avg_salary_by_sector.csv': 'a6ef89b2cf105c527dc440ed138d238d828e2322f60564db11647091a615dfd0',
  'aggregates/attrition_by_sector.csv': '1d18f21ae213017ee8126bc67fb1f9d3bae029cac16f0d7f219c2f2852d98ba7',
  'aggregates/company_size_distribution.csv': '5dd131c8c663051f5aae7d793fb80293b991857b878a2ae8add61f4246bea2e7',
  'aggregates/sector_employment_by_year.csv': '4db9a53ab166c9a3656141c4a233280ca94b0110cfb9538b849b823ca26a5ab4',
  'aggregates/ewi_employment_drop.csv': '897c4a3fcd7d280c346a52b5e3c61e301a9c5d6797a116f158e60ca608b9b854',
};

const DEFAULT_ROWS: Record<string, number> = {
  'companies.csv': 800,
  'employment_history.csv': 160000,
  'aggregates/employment_share_by_gender.csv': 8,
  'aggregates/unemployment_gcc_latest.csv': 6,
  'aggregates/qatarization_by_sector.csv': 80,
  'aggregates/avg_salary_by_sector.csv': 80,
  'aggregates/attrition_by_sector.csv': 80,
  'aggregates/company_size_distribution.csv': 40,
  'aggregates/sector_employment_by_year.csv': 80,
  'aggregates/ewi_employment_drop.csv': 80,
  [DERIVED_GENDER_SHARE_FILE]: 8,
};

const SMALL_ROWS: Record<string, number> = {
  ...DEFAULT_ROWS,
  'companies.csv': 200,
  'employment_history.csv': 24000,
};

let tempRoot = '';

beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'qnwis-synthetic-'));
});

afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

/** Recounts the employed records per year and gender from the history CSV text. */
function recountEmployed(history: string): Map<number, { male: number; female: number }> {
  const counts = new Map<number, { male: number; female: number }>();
  const lines = history.split('\r\n');
  expect(lines[0]).toBe('person_id;year;company_id;gender;nationality;education_level;monthly_salary;status');
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const fields = line.split(';');
    if (fields[7] !== 'employed') continue;
    const year = Number(fields[1]);
    const entry = counts.get(year) ?? { male: 0, female: 0 };
    if (fields[3] === 'Male') entry.male++;
    else if (fields[3] === 'Female') entry.female++;
    else throw new Error(`unexpected gender ${fields[3]}`);
    counts.set(year, entry);
  }
  return counts;
}

describe.each([
  ['default', {}, GOLDEN_DEFAULT, DEFAULT_ROWS],
  ['--small', { small: true }, GOLDEN_SMALL, SMALL_ROWS],
] as const)('pack with %s parameters', (label, raw, golden, rowCounts) => {
  let dir = '';
  let result: Awaited<ReturnType<typeof writePack>>;
  const read = (path: string): Promise<Buffer> => readFile(join(dir, ...path.split('/')));

  beforeAll(async () => {
    dir = join(tempRoot, label.replace(/\W/g, '') || 'default');
    result = await writePack(dir, resolvePackOptions(raw));
  });

  it('writes the ten files in §9.4 order, then the derived gender-share file', () => {
    expect(result.files.map((file) => file.path)).toEqual([...TEN_FILES, DERIVED_GENDER_SHARE_FILE]);
  });

  it('reports the §9.4 row counts', () => {
    expect(Object.fromEntries(result.files.map((file) => [file.path, file.rows]))).toEqual(rowCounts);
  });

  it.each(TEN_FILES)('%s has the golden SHA-256 on disk and in the report', async (path) => {
    const content = await read(path);
    expect(sha256(content)).toBe(golden[path]);
    expect(result.files.find((file) => file.path === path)?.sha256).toBe(golden[path]);
  });

  it('leaves no temporary files behind', async () => {
    expect((await readdir(dir)).sort()).toEqual(
      ['aggregates', 'companies.csv', DERIVED_GENDER_SHARE_FILE, 'employment_history.csv'].sort(),
    );
    expect((await readdir(join(dir, 'aggregates'))).sort()).toEqual(
      TEN_FILES.filter((path) => path.startsWith('aggregates/'))
        .map((path) => path.slice('aggregates/'.length))
        .sort(),
    );
  });

  it('derives the gender-share file from the employed history records', async () => {
    const counts = recountEmployed((await read('employment_history.csv')).toString('utf8'));
    const derived = (await read(DERIVED_GENDER_SHARE_FILE)).toString('utf8');
    const expected = ['year;male_percent;female_percent;total_percent'];
    for (let year = 2017; year <= 2024; year++) {
      const entry = counts.get(year)!;
      const total = entry.male + entry.female;
      expected.push(
        `${year};${formatPyFloat(round2((100 * entry.male) / total))};` +
          `${formatPyFloat(round2((100 * entry.female) / total))};100.0`,
      );
    }
    expect(derived).toBe(expected.join('\r\n') + '\r\n');
    for (const line of derived.split('\r\n').slice(1, -1)) {
      const [, male, female, totalPercent] = line.split(';').map(Number);
      expect(Math.abs(male! + female! - 100)).toBeLessThanOrEqual(0.5);
      expect(totalPercent).toBe(100);
    }
  });
});

describe('default pack samples (§9.4)', () => {
  let files = new Map<string, Buffer>();
  beforeAll(() => {
    files = new Map(generatePack(resolvePackOptions({})).map((file) => [file.path, file.content]));
  });
  const firstLines = (path: string): string[] => files.get(path)!.toString('utf8').split('\r\n').slice(0, 2);

  it('has the documented byte sizes', () => {
    expect(files.get('companies.csv')!.length).toBe(31882);
    expect(files.get('employment_history.csv')!.length).toBe(8747833);
  });

  it('has the documented headers and first data lines', () => {
    expect(firstLines('companies.csv')).toEqual([
      'company_id;company_name;sector;size_band;founded_year',
      '1;Company 00001;Hospitality;Small;2018',
    ]);
    expect(firstLines('employment_history.csv')).toEqual([
      'person_id;year;company_id;gender;nationality;education_level;monthly_salary;status',
      '1;2017;567;Female;Non-Qatari;Secondary;42440;employed',
    ]);
    expect(firstLines('aggregates/employment_share_by_gender.csv')).toEqual([
      'year;male_percent;female_percent;total_percent',
      '2017;69.18;30.82;100.0',
    ]);
    expect(firstLines('aggregates/unemployment_gcc_latest.csv')).toEqual(['country;year;value', 'QAT;2024;0.27']);
    expect(firstLines('aggregates/qatarization_by_sector.csv')).toEqual([
      'year;sector;qataris;non_qataris;qatarization_percent',
      '2017;Energy;910;6249;12.71',
    ]);
    expect(firstLines('aggregates/avg_salary_by_sector.csv')[0]).toBe('year;sector;avg_salary_qr');
    expect(firstLines('aggregates/attrition_by_sector.csv')[0]).toBe('year;sector;attrition_percent');
    expect(firstLines('aggregates/company_size_distribution.csv')[0]).toBe('year;size_band;companies');
    expect(firstLines('aggregates/sector_employment_by_year.csv')[0]).toBe('year;sector;employees');
    expect(firstLines('aggregates/ewi_employment_drop.csv')[0]).toBe('year;sector;drop_percent');
  });

  it('ends every line, the last included, with CRLF and never a bare LF', () => {
    for (const [path, content] of files) {
      const text = content.toString('utf8');
      expect(text.endsWith('\r\n'), path).toBe(true);
      expect(text.replace(/\r\n/g, '').includes('\n'), path).toBe(false);
    }
  });
});

describe('parameter sensitivity (§9.1)', () => {
  it('changes every one of the ten files when only the seed changes', () => {
    const small: PackOptions = resolvePackOptions({ small: true, seed: 43 });
    const hashes = generatePack(small)
      .slice(0, 10)
      .map((file) => sha256(file.content));
    TEN_FILES.forEach((path, i) => expect(hashes[i]).not.toBe(GOLDEN_SMALL[path]));
  });
});
