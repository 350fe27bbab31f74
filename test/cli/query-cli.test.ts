import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { qnwis } from '../support/cli.js';
import { TEST_PACK_DIR } from '../support/pack.js';
import { sharedPackDatabase } from '../support/shared-postgres.js';

/** The 44 query ids of the reference catalogue (data-layer spec §4). */
const REFERENCE_IDS = [
  'q_employment_share_by_gender_2023',
  'syn_attrition_by_sector_latest',
  'syn_attrition_hotspots_latest',
  'syn_attrition_rate_by_sector',
  'syn_attrition_rolling3_healthcare',
  'syn_avg_salary_by_sector',
  'syn_avg_salary_by_sector_2019',
  'syn_avg_salary_by_sector_latest',
  'syn_company_size_distribution',
  'syn_company_size_distribution_latest',
  'syn_company_sizes_latest_top5',
  'syn_employment_female_share',
  'syn_employment_latest_total',
  'syn_employment_male_share',
  'syn_employment_share_bounds_check',
  'syn_employment_share_by_gender_2017_2024',
  'syn_employment_share_by_gender_latest',
  'syn_employment_share_latest_renamed',
  'syn_ewi_employment_drop',
  'syn_ewi_employment_drop_latest',
  'syn_ewi_hotlist_latest',
  'syn_gcc_unemployment_rank',
  'syn_qatarization_by_sector_latest',
  'syn_qatarization_components',
  'syn_qatarization_energy_share_of_total',
  'syn_qatarization_energy_time_series',
  'syn_qatarization_gap_latest',
  'syn_qatarization_rate_by_sector',
  'syn_qatarization_sorted_latest',
  'syn_salary_2019_vs_2024_ict',
  'syn_salary_latest_top5',
  'syn_salary_yoy_ict',
  'syn_sector_employment_2019',
  'syn_sector_employment_2019_vs_2024',
  'syn_sector_employment_by_year',
  'syn_sector_employment_energy_yoy',
  'syn_sector_employment_finance_yoy',
  'syn_sector_employment_latest',
  'syn_sector_employment_latest_top5',
  'syn_sector_employment_rolling3_energy',
  'syn_sector_employment_rolling3_finance',
  'syn_unemployment_gcc_latest',
  'syn_unemployment_rate_gcc_latest',
  'q_unemployment_rate_gcc_latest',
];

const exec = promisify(execFile);

async function runJson(id: string, params: string[] = []): Promise<Record<string, unknown>> {
  const res = await qnwis(['query', 'run', id, '--format', 'json', ...params.flatMap((p) => ['--param', p])]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as Record<string, unknown>;
}

/** Rows as CSV text: exact values, exact column order. */
async function runCsv(id: string): Promise<string> {
  const res = await qnwis(['query', 'run', id, '--format', 'csv']);
  expect(res.code).toBe(0);
  return res.stdout;
}

describe('qnwis query run: every registered id on the default pack', async () => {
  const list = await qnwis(['query', 'list', '--format', 'json']);
  const ids = (JSON.parse(list.stdout) as { queries: { id: string }[] }).queries.map((q) => q.id);
  // postgres specs read the ingested pack from a shared, read-only test database
  const databaseUrl = await sharedPackDatabase();

  it('lists the 44 reference ids in reference order', () => {
    expect(REFERENCE_IDS).toHaveLength(44);
    expect(ids.filter((id) => REFERENCE_IDS.includes(id))).toEqual(REFERENCE_IDS);
  });

  it.each(ids)('%s returns rows with provenance and an as-of date', async (id) => {
    const res = await qnwis(['query', 'run', id, '--format', 'json'], { DATABASE_URL: databaseUrl });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const result = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(result.query_id).toBe(id);
    expect((result.rows as unknown[]).length).toBeGreaterThan(0);
    expect(result.row_count).toBe((result.rows as unknown[]).length);
    expect((result.freshness as { asof_date: string }).asof_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((result.provenance as { locator: string }).locator).not.toMatch(/^\/|\.\./);
    const license = (result.provenance as { license: string }).license;
    expect(license).toBe('MIT-SYNTHETIC');
  });
});

describe('pinned results on the default pack', () => {
  it('syn_sector_employment_latest (plain select, year filter)', async () => {
    expect(await runCsv('syn_sector_employment_latest')).toBe(
      [
        'year,sector,employees',
        '2024,Energy,38280',
        '2024,Construction,33129',
        '2024,Finance,6263',
        '2024,Hospitality,26685',
        '2024,Education,16587',
        '2024,Healthcare,9131',
        '2024,Public,52743',
        '2024,Manufacturing,9769',
        '2024,Transport,9995',
        '2024,ICT,13711',
        '',
      ].join('\n'),
    );
  });

  it('syn_employment_share_bounds_check (share_of_total, select, share sum_to_one)', async () => {
    const r = await runJson('syn_employment_share_bounds_check');
    expect(r.rows).toEqual([
      { sector: 'Energy', share_percent: 17.69821492142603 },
      { sector: 'Construction', share_percent: 15.316723148691821 },
      { sector: 'Finance', share_percent: 2.895609196783992 },
      { sector: 'Hospitality', share_percent: 12.33743116975584 },
      { sector: 'Education', share_percent: 7.6687641301382845 },
      { sector: 'Healthcare', share_percent: 4.221588308451961 },
      { sector: 'Public', share_percent: 24.384977784764185 },
      { sector: 'Manufacturing', share_percent: 4.516558557142395 },
      { sector: 'Transport', share_percent: 4.621046450879131 },
      { sector: 'ICT', share_percent: 6.33908633196636 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('syn_employment_share_by_gender_latest (gender sum_to_one, row mode)', async () => {
    const r = await runJson('syn_employment_share_by_gender_latest');
    expect(r.rows).toEqual([{ year: 2024, male_percent: 69.76, female_percent: 30.24, total_percent: 100 }]);
    expect(r.warnings).toEqual([]);
    expect(r.provenance).toEqual({
      source: 'csv',
      dataset_id: 'aggregates/employment_share_by_gender.csv',
      locator: 'aggregates/employment_share_by_gender.csv',
      fields: ['year', 'male_percent', 'female_percent', 'total_percent'],
      license: 'MIT-SYNTHETIC',
    });
    expect(r.freshness).toEqual({ asof_date: '2024-12-31', updated_at: null });
  });

  it('q_employment_share_by_gender_2023 reads the seed-derived file with the synthetic licence', async () => {
    const r = await runJson('q_employment_share_by_gender_2023');
    expect(r.rows).toEqual([{ year: 2023, male_percent: 71, female_percent: 29, total_percent: 100 }]);
    expect(r.warnings).toEqual([]);
    expect((r.provenance as { locator: string }).locator).toBe('employed-persons-15-years-and-above-synthetic.csv');
    expect((r.provenance as { license: string }).license).toBe('MIT-SYNTHETIC');
  });

  it('syn_gcc_unemployment_rank (top_n ascending)', async () => {
    expect(await runCsv('syn_gcc_unemployment_rank')).toBe(
      'country,year,value\nQAT,2024,0.27\nARE,2024,2.4\nBHR,2024,2.46\nKWT,2024,2.61\nOMN,2024,3.59\nSAU,2024,4.49\n',
    );
  });

  it('syn_sector_employment_2019_vs_2024 (filter_equals on an integer year, then top_n)', async () => {
    expect(await runCsv('syn_sector_employment_2019_vs_2024')).toBe(
      'year,sector,employees\n2024,Public,52743\n2024,Energy,38280\n2024,Construction,33129\n2024,Hospitality,26685\n2024,Education,16587\n',
    );
  });

  it('syn_salary_yoy_ict (yoy)', async () => {
    const r = await runJson('syn_salary_yoy_ict');
    expect(r.rows).toEqual([
      { year: 2017, sector: 'ICT', avg_salary_qr: 15176, yoy_percent: null },
      { year: 2018, sector: 'ICT', avg_salary_qr: 15513, yoy_percent: 2.22 },
      { year: 2019, sector: 'ICT', avg_salary_qr: 15493, yoy_percent: -0.13 },
      { year: 2020, sector: 'ICT', avg_salary_qr: 15933, yoy_percent: 2.84 },
      { year: 2021, sector: 'ICT', avg_salary_qr: 15985, yoy_percent: 0.33 },
      { year: 2022, sector: 'ICT', avg_salary_qr: 16528, yoy_percent: 3.4 },
      { year: 2023, sector: 'ICT', avg_salary_qr: 17167, yoy_percent: 3.87 },
      { year: 2024, sector: 'ICT', avg_salary_qr: 16961, yoy_percent: -1.2 },
    ]);
  });

  it('syn_attrition_rolling3_healthcare (rolling_avg over floats)', async () => {
    expect(await runCsv('syn_attrition_rolling3_healthcare')).toBe(
      [
        'year,sector,attrition_percent,rolling_avg',
        '2017,Healthcare,8.82,',
        '2018,Healthcare,7.23,',
        '2019,Healthcare,9.3,8.45',
        '2020,Healthcare,9,8.51',
        '2021,Healthcare,5.02,7.77',
        '2022,Healthcare,8.56,7.53',
        '2023,Healthcare,5.62,6.4',
        '2024,Healthcare,7.75,7.31',
        '',
      ].join('\n'),
    );
  });

  it('syn_sector_employment_rolling3_energy (rolling_avg over integers)', async () => {
    expect(await runCsv('syn_sector_employment_rolling3_energy')).toBe(
      [
        'year,sector,employees,rolling_avg',
        '2017,Energy,51767,',
        '2018,Energy,35917,',
        '2019,Energy,40182,42622',
        '2020,Energy,7607,27902',
        '2021,Energy,51958,33249',
        '2022,Energy,52919,37494.67',
        '2023,Energy,13106,39327.67',
        '2024,Energy,38280,34768.33',
        '',
      ].join('\n'),
    );
  });

  it('syn_qatarization_energy_share_of_total (share_of_total then filter)', async () => {
    const r = await runJson('syn_qatarization_energy_share_of_total');
    expect(r.rows).toEqual([{ year: 2024, sector: 'Energy', qataris: 256, share_percent: 5.763169743358848 }]);
  });

  it('syn_attrition_hotspots_latest (top_n descending)', async () => {
    expect(await runCsv('syn_attrition_hotspots_latest')).toBe(
      'year,sector,attrition_percent\n2024,Public,9.86\n2024,Transport,9.54\n2024,Manufacturing,9.53\n2024,ICT,8.75\n2024,Construction,8.12\n',
    );
  });

  it('syn_employment_share_latest_renamed (share_of_total then rename_columns)', async () => {
    const csv = await runCsv('syn_employment_share_latest_renamed');
    expect(csv.split('\n').slice(0, 3)).toEqual([
      'year,sector,total_employees,employment_share_pct',
      '2024,Energy,38280,17.69821492142603',
      '2024,Construction,33129,15.316723148691821',
    ]);
  });

  it('syn_company_sizes_latest_top5 and syn_qatarization_gap_latest', async () => {
    expect(await runCsv('syn_company_sizes_latest_top5')).toBe(
      'year,size_band,companies\n2024,Small,4689\n2024,Large,4324\n2024,Micro,3723\n2024,Medium,2459\n2024,XL,887\n',
    );
    expect(await runCsv('syn_qatarization_gap_latest')).toBe(
      'year,sector,qatarization_percent\n2024,ICT,5.77\n2024,Transport,7.21\n2024,Public,8.55\n2024,Manufacturing,8.92\n2024,Healthcare,9.33\n',
    );
  });

  it('q_unemployment_rate_gcc_latest reads the World Bank fixture snapshot and says so', async () => {
    const r = await runJson('q_unemployment_rate_gcc_latest');
    expect(r.warnings).toEqual(['world_bank_fixture_data']);
    expect(r.provenance).toMatchObject({
      source: 'world_bank',
      locator: 'fixture:indicator=SL.UEM.TOTL.ZS',
      license: 'MIT-SYNTHETIC',
    });
    const rows = r.rows as { country: string }[];
    expect([...new Set(rows.map((x) => x.country))]).toEqual(['QAT', 'SAU', 'ARE', 'KWT', 'BHR', 'OMN']);
  });
});

describe('qnwis query run: overrides and output formats', () => {
  it('applies a typed year override', async () => {
    const r = await runJson('syn_sector_employment_latest', ['year=2019']);
    expect((r.rows as { year: number }[]).every((x) => x.year === 2019)).toBe(true);
  });

  it('writes RFC 4180 CSV that a standard parser reads back', async () => {
    const csv = await runCsv('syn_qatarization_by_sector_latest');
    const records = parse(csv, { columns: true, cast: true }) as Record<string, unknown>[];
    expect(records).toHaveLength(10);
    expect(Object.keys(records[0]!)).toEqual(['year', 'sector', 'qatarization_percent', 'qataris', 'non_qataris']);
  });

  it('prints an aligned table with provenance, freshness, warnings and version', async () => {
    const res = await qnwis(['query', 'run', 'syn_employment_female_share']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^year {2}female_percent\n-{4} {2}-{14}\n2024 {11}30\.24\n/);
    expect(res.stdout).toContain('license: MIT-SYNTHETIC');
    expect(res.stdout).toContain('as of: 2024-12-31');
    expect(res.stdout).toMatch(/registry version: [0-9a-f]{12}\n$/);
  });

  it('shows a spec as YAML and JSON', async () => {
    const yaml = await qnwis(['query', 'show', 'syn_attrition_hotspots_latest']);
    expect(yaml.stdout).toContain('id: syn_attrition_hotspots_latest\n');
    const json = JSON.parse(
      (await qnwis(['query', 'show', 'syn_attrition_hotspots_latest', '--format', 'json'])).stdout,
    );
    expect(json.postprocess).toEqual([
      { name: 'top_n', params: { sort_key: 'attrition_percent', n: 5, descending: true } },
    ]);
  });
});

describe('qnwis CLI errors: one line on stderr, exit code 2', () => {
  it.each([
    [['query', 'run', 'no_such_query'], /^qnwis: unknown_query: unknown query id "no_such_query"\n$/],
    [['query', 'run', 'syn_sector_employment_latest', '--param', 'year=20x4'], /^qnwis: invalid_override: .*year.*\n$/],
    [
      ['query', 'run', 'syn_sector_employment_latest', '--param', 'pattern=../x.csv'],
      /^qnwis: invalid_override: .*pattern: not overridable\n$/,
    ],
    [
      ['query', 'run', 'syn_sector_employment_latest', '--param', 'colour=red'],
      /^qnwis: invalid_override: .*colour: unknown parameter.*\n$/,
    ],
    [
      ['query', 'run', 'syn_sector_employment_latest', '--param', 'year=2023', '--param', 'year=2024'],
      /^qnwis: --param year given twice\n$/,
    ],
    [
      ['query', 'run', 'syn_sector_employment_latest', '--format', 'xml'],
      /^qnwis: --format must be one of table, json, csv/,
    ],
    [['query', 'frobnicate'], /^qnwis: unknown subcommand "frobnicate"/],
  ])('%j', async (argv, pattern) => {
    const res = await qnwis(argv);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(pattern);
  });

  it('reports a missing data file without naming the data root', async () => {
    const res = await qnwis(['query', 'run', 'syn_sector_employment_latest'], {
      QNWIS_DATA_DIR: '/tmp/qnwis-no-such-root',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      "qnwis: source_not_found: no CSV file matches pattern 'aggregates/sector_employment_by_year.csv'\n",
    );
  });

  it('exits 3 with every error line when the registry is invalid', async () => {
    const res = await qnwis(['registry', 'validate', '--dir', 'test/fixtures/bad-registry']);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('bad.yaml: bogus: unknown_key:');
  });

  it('runs as `npm run qnwis` straight from the sources with the documented exit codes', async () => {
    const env = { ...process.env, QNWIS_DATA_DIR: TEST_PACK_DIR };
    const ok = await exec('npm', ['run', '-s', 'qnwis', '--', 'registry', 'checksum'], { env });
    expect(ok.stdout).toMatch(/^[0-9a-f]{12}\n$/);
    const bad = await exec('npm', ['run', '-s', 'qnwis', '--', 'query', 'run', 'nope'], { env }).catch(
      (e: unknown) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toBe('qnwis: unknown_query: unknown query id "nope"\n');
  });
});

describe('qnwis seed argument errors', () => {
  it.each([
    [['seed', '--start-year', '2025', '--end-year', '2024'], /--start-year must be ≤ --end-year/],
    [['seed', '--companies', '0'], /--companies/],
    [['seed', '--employees', 'many'], /--employees must be a whole number/],
    [['seed', '--start-year', '1800'], /--start-year/],
    [['seed', '--colour', 'red'], /Unknown option '--colour'/],
    [['seed', '--start-year', '2018', '--start_year', '2019'], /give --start-year or --start_year, not both/],
  ])('%j exits 2 with a clear message', async (argv, pattern) => {
    const res = await qnwis(argv, { QNWIS_DATA_DIR: '/tmp/qnwis-seed-should-not-be-written' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(pattern);
    expect(res.stderr.split('\n')[0]).toMatch(/^qnwis: /);
  });
});
