import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gccBenchmark,
  gccCountryOf,
  riskBand,
  talentCompetition,
  vision2030,
  GCC_BENCHMARK_DEFAULTS,
  TALENT_COMPETITION_DEFAULTS,
  VISION2030_DEFAULTS,
} from '../../../src/analysis/agents/national-strategy.js';
import { AnalysisError, type AgentResult, type DataClient, type QueryResult } from '../../../src/analysis/model.js';
import type { Scalar, Unit } from '../../../src/data/model.js';
import { cite, formatValue } from '../../../src/analysis/format.js';
import { parseNarrative } from '../../../src/analysis/verify/narrative.js';
import { checkCitations, locateNumbers } from '../../../src/analysis/verify/citations.js';
import { checkNumbers } from '../../../src/analysis/verify/numbers.js';
import { defaultVerificationConfig } from '../../../src/analysis/verify/verification-config.js';
import type { Citable } from '../../../src/analysis/verify/types.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';

// ---- fixtures ---------------------------------------------------------------------------------------------------

function result(id: string, unit: Unit, fields: string[], rows: Scalar[][]): QueryResult {
  return {
    query_id: id,
    unit,
    rows: rows.map((r) => new Map(fields.map((f, i) => [f, r[i] ?? null]))),
    row_count: rows.length,
    provenance: { source: 'csv', dataset_id: id, locator: `fixture:${id}`, fields, license: 'MIT-SYNTHETIC' },
    freshness: { asof_date: '2024-12-31', updated_at: null },
    warnings: [],
    registry_version: 'test',
    timings: { total_ms: 0, source_ms: null, postprocess_ms: null, cache: 'bypass' },
  };
}

function clientOf(...results: QueryResult[]): DataClient & { reads: string[] } {
  const byId = new Map(results.map((r) => [r.query_id, r]));
  const reads: string[] = [];
  return {
    reads,
    has: (id) => byId.has(id),
    run(id) {
      reads.push(id);
      const r = byId.get(id);
      return r ? Promise.resolve(r) : Promise.reject(new Error(`unknown query ${id}`));
    },
  };
}

/** L1 and L2 issues of every finding summary plus its metrics table, against the result's citations. */
async function verificationIssues(r: AgentResult, client: DataClient): Promise<string[]> {
  const config = defaultVerificationConfig();
  const citables = new Map<string, Citable>();
  for (const id of r.sources) citables.set(id, await client.run(id));
  for (const d of r.derived) citables.set(d.id, d);
  const out: string[] = [];
  for (const f of r.findings) {
    for (const id of f.citations) if (!citables.has(id)) out.push(`finding cites unknown ${id}`);
    const table = f.metrics.map((m) => `| ${m.label} | ${formatValue(m.value, m.unit)} | ${cite(m.citation)} |`);
    const text = `${f.summary}\n\n| Metric | Value | Source |\n|---|---|---|\n${table.join('\n')}\n`;
    const parsed = parseNarrative(text, []);
    const numbers = locateNumbers(parsed, config);
    const l1 = checkCitations(parsed, numbers, new Set(citables.keys()), { enforce: true, config });
    const l2 = checkNumbers(parsed, numbers, citables, config);
    for (const i of [...l1.issues, ...l2.issues]) out.push(`${i.code}: ${i.message}`);
  }
  return out;
}

const metricValue = (r: AgentResult, key: string) => r.findings[0]?.metrics.find((m) => m.key === key)?.value;
const codes = (r: AgentResult) => r.warnings.map((w) => w.code);
const noNaN = (r: AgentResult) => expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);

const GCC_FIELDS = ['country', 'year', 'value'];
const gcc = (rows: Scalar[][], id = 'syn_unemployment_rate_gcc_latest') => result(id, 'percent', GCC_FIELDS, rows);

// ---- gccBenchmark -----------------------------------------------------------------------------------------------

describe('NationalStrategy.gccBenchmark on fixtures', () => {
  it('ranks Qatar with minimum ranks for ties, the average over kept countries and the gaps', async () => {
    const c = clientOf(
      gcc([
        ['QAT', 2024, 3],
        ['ARE', 2024, 1],
        ['SAU', 2024, 3],
        ['KWT', 2024, 5],
      ]),
    );
    const r = await gccBenchmark(c, { ...GCC_BENCHMARK_DEFAULTS });
    expect(r.params).toEqual({
      metric: 'unemployment',
      source: 'synthetic',
      countries: ['QAT', 'ARE', 'SAU', 'KWT', 'BHR', 'OMN'],
      min_countries: 3,
    });
    expect(r.warnings).toEqual([]);
    // Lower is better: ARE 1, QAT 2, SAU 2 ("1224"), KWT 4.
    expect(metricValue(r, 'qatar_value')).toBe(3);
    expect(metricValue(r, 'qatar_rank')).toBe(2);
    expect(metricValue(r, 'country_count')).toBe(4);
    expect(metricValue(r, 'gcc_average')).toBe(3);
    expect(metricValue(r, 'gap_to_average')).toBe(0);
    expect(metricValue(r, 'best_country')).toBe('United Arab Emirates');
    expect(metricValue(r, 'best_value')).toBe(1);
    expect(metricValue(r, 'gap_to_best')).toBe(2);
    const ranking = r.derived.find((d) => d.operation === 'ns_gcc_ranking')!;
    expect(ranking.rows.map((x) => [x.country, x.rank])).toEqual([
      ['ARE', 1],
      ['QAT', 2],
      ['SAU', 2],
      ['KWT', 4],
    ]);
    expect(r.findings[0]!.summary).toContain('rank 2 of 4 GCC countries');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('identifies Qatar by name ignoring case and keeps only the requested countries (Qatar always)', async () => {
    const c = clientOf(
      gcc([
        ['qatar', 2024, 0.5],
        ['Saudi Arabia', 2024, 4],
        ['ARE', 2024, 2],
        ['KWT', 2024, 9],
      ]),
    );
    const r = await gccBenchmark(c, { countries: ['ARE', 'SAU'] });
    expect(r.params.countries).toEqual(['QAT', 'ARE', 'SAU']);
    expect(metricValue(r, 'country_count')).toBe(3);
    expect(metricValue(r, 'qatar_rank')).toBe(1);
    expect(metricValue(r, 'gcc_average')).toBeCloseTo(6.5 / 3, 12);
    expect(gccCountryOf('QATAR')).toBe('QAT');
    expect(gccCountryOf('qat')).toBe('QAT');
    expect(gccCountryOf('Yemen')).toBeNull();
  });

  it('reads the World Bank snapshot, takes each country’s latest non-null year and flags MIXED_YEARS', async () => {
    const c = clientOf(
      gcc(
        [
          ['QAT', 2022, 0.3],
          ['QAT', 2023, 0.2],
          ['QAT', 2024, null],
          ['ARE', 2024, 2],
          ['SAU', 2024, 4],
        ],
        'wb_gcc_unemployment',
      ),
    );
    const r = await gccBenchmark(c, { source: 'world_bank' });
    expect(c.reads).toEqual(['wb_gcc_unemployment']);
    expect(codes(r)).toEqual(['MIXED_YEARS']);
    expect(r.warnings[0]!.details).toEqual({ years: { QAT: 2023, ARE: 2024, SAU: 2024 } });
    expect(metricValue(r, 'qatar_value')).toBe(0.2);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('participation metrics read their World Bank query whatever the source, higher is better', async () => {
    const c = clientOf(
      gcc(
        [
          ['QAT', 2024, 60],
          ['ARE', 2024, 70],
          ['OMN', 2024, 40],
        ],
        'wb_gcc_labour_force_participation',
      ),
    );
    const r = await gccBenchmark(c, { metric: 'labour_force_participation', source: 'synthetic' });
    expect(r.params.source).toBe('world_bank');
    expect(r.sources).toEqual(['wb_gcc_labour_force_participation']);
    expect(metricValue(r, 'qatar_rank')).toBe(2);
    expect(metricValue(r, 'best_country')).toBe('United Arab Emirates');
    expect(metricValue(r, 'gap_to_best')).toBe(-10);
  });

  it('a missing field is DATA_SCHEMA_MISMATCH with expected and available fields, never an empty result', async () => {
    const c = clientOf(
      result(
        'syn_unemployment_rate_gcc_latest',
        'percent',
        ['country', 'year', 'unemployment_rate'],
        [['Qatar', 2024, 0.3]],
      ),
    );
    const r = await gccBenchmark(c, {});
    expect(r.findings).toEqual([]);
    expect(codes(r)).toEqual(['DATA_SCHEMA_MISMATCH']);
    expect(r.warnings[0]!.details).toMatchObject({
      expected: ['country', 'year', 'value'],
      available: ['country', 'year', 'unemployment_rate'],
      missing: ['value'],
    });
    expect(r.sources).toEqual(['syn_unemployment_rate_gcc_latest']);
  });

  it('too few countries or no Qatar row gives INSUFFICIENT_GCC_DATA and no finding', async () => {
    const few = await gccBenchmark(
      clientOf(
        gcc([
          ['QAT', 2024, 1],
          ['ARE', 2024, null],
          ['SAU', 2024, 2],
        ]),
      ),
      {},
    );
    expect(few.findings).toEqual([]);
    expect(codes(few)).toEqual(['INSUFFICIENT_GCC_DATA']);
    expect(few.warnings[0]!.details).toMatchObject({ have: 2, need: 3, qatar: true });
    const noQatar = await gccBenchmark(
      clientOf(
        gcc([
          ['ARE', 2024, 1],
          ['SAU', 2024, 2],
          ['KWT', 2024, 3],
        ]),
      ),
      {},
    );
    expect(noQatar.findings).toEqual([]);
    expect(noQatar.warnings[0]).toMatchObject({ code: 'INSUFFICIENT_GCC_DATA', details: { qatar: false } });
    const unregistered = await gccBenchmark(clientOf(), {});
    expect(codes(unregistered)).toEqual(['INSUFFICIENT_GCC_DATA']);
  });

  it('rejects bad parameters with typed errors', async () => {
    await expect(gccBenchmark(clientOf(), { min_countries: 1 })).rejects.toBeInstanceOf(AnalysisError);
    await expect(gccBenchmark(clientOf(), { countries: ['YEM' as 'QAT'] })).rejects.toMatchObject({
      code: 'invalid_param',
    });
    await expect(gccBenchmark(clientOf(), { metric: 'salary' as 'unemployment' })).rejects.toMatchObject({
      code: 'unknown_metric',
    });
  });
});

// ---- talentCompetition ------------------------------------------------------------------------------------------

const attrition = (rows: Scalar[][]) =>
  result('syn_attrition_by_sector_latest', 'percent', ['year', 'sector', 'attrition_percent'], rows);
const salary = (rows: Scalar[][]) =>
  result('syn_avg_salary_by_sector_latest', 'qar', ['year', 'sector', 'avg_salary_qr'], rows);

describe('NationalStrategy.talentCompetition on fixtures', () => {
  const att = attrition([
    [2024, 'Energy', 4],
    [2024, 'Finance', 6],
    [2024, 'Public', 10],
    [2024, 'ICT', 20],
    [2024, 'Transport', null],
  ]);
  const sal = salary([
    [2024, 'Energy', 1000],
    [2024, 'Finance', 2000],
    [2024, 'Public', 3000],
  ]);

  it('levels against the mean (strictly above), premiums against the mean salary, null when missing', async () => {
    const c = clientOf(att, sal);
    const r = await talentCompetition(c, { ...TALENT_COMPETITION_DEFAULTS, focus_sector: 'ICT' });
    // mean = (4 + 6 + 10 + 20) / 4 = 10; high above 1.5 · 10 = 15.
    expect(metricValue(r, 'mean_sector_attrition_percent')).toBe(10);
    expect(metricValue(r, 'high_pressure_count')).toBe(1);
    expect(metricValue(r, 'moderate_pressure_count')).toBe(0);
    expect(metricValue(r, 'highest_attrition_sector')).toBe('ICT');
    expect(metricValue(r, 'highest_attrition_percent')).toBe(20);
    const table = r.derived.find((d) => d.operation === 'ns_talent_pressure')!;
    expect(table.rows.map((x) => [x.sector, x.level, x.salary_premium_percent])).toEqual([
      ['Energy', 'low', -50],
      ['Finance', 'low', 0],
      ['Public', 'low', 50],
      ['ICT', 'high', null],
    ]);
    expect(codes(r)).toEqual(['MISSING_VALUES']);
    expect(r.findings[0]!.summary).toContain('1.5 times the mean');
    expect(r.findings[0]!.summary).toContain('ICT: attrition 20.0%, high pressure, no salary data');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('a zero mean salary gives null premiums, never NaN or Infinity', async () => {
    const c = clientOf(
      att,
      salary([
        [2024, 'Energy', 0],
        [2024, 'Finance', 0],
      ]),
    );
    const r = await talentCompetition(c, {});
    const table = r.derived.find((d) => d.operation === 'ns_talent_pressure')!;
    expect(table.rows.map((x) => x.salary_premium_percent)).toEqual([null, null, null, null]);
    noNaN(r);
  });

  it('a salary schema problem keeps the attrition finding; an attrition schema problem gives none', async () => {
    const badSalary = result(
      'syn_avg_salary_by_sector_latest',
      'qar',
      ['year', 'sector', 'salary'],
      [[2024, 'Energy', 1]],
    );
    const r = await talentCompetition(clientOf(att, badSalary), {});
    expect(r.findings).toHaveLength(1);
    expect(codes(r)).toEqual(['DATA_SCHEMA_MISMATCH', 'MISSING_VALUES']);
    const badAtt = result(
      'syn_attrition_by_sector_latest',
      'percent',
      ['year', 'sector', 'rate'],
      [[2024, 'Energy', 1]],
    );
    const none = await talentCompetition(clientOf(badAtt, sal), {});
    expect(none.findings).toEqual([]);
    expect(codes(none)).toEqual(['DATA_SCHEMA_MISMATCH']);
  });

  it('no attrition value at all is INSUFFICIENT_DATA; a multiplier of 1 is rejected', async () => {
    const r = await talentCompetition(clientOf(attrition([[2024, 'Energy', null]]), sal), {});
    expect(r.findings).toEqual([]);
    expect(codes(r)).toContain('INSUFFICIENT_DATA');
    await expect(talentCompetition(clientOf(att), { high_multiplier: 1 })).rejects.toMatchObject({
      code: 'invalid_param',
    });
  });
});

// ---- vision2030 -------------------------------------------------------------------------------------------------

const qat = (rows: Scalar[][]) =>
  result(
    'syn_qatarization_by_sector_latest',
    'percent',
    ['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent'],
    rows,
  );

describe('NationalStrategy.vision2030 on fixtures', () => {
  const rows: Scalar[][] = [
    [2025, 'Energy', 10, 90, 10],
    [2025, 'Construction', 20, 80, 20],
    [2025, 'Finance', 30, 170, 15],
  ];

  it('national = Σ qataris / Σ workforce; gap, share of target, years, required gain and risk', async () => {
    const c = clientOf(qat(rows));
    const r = await vision2030(c, { ...VISION2030_DEFAULTS, focus_sector: 'Finance' });
    // 60 / 400 = 15%; gap 15 pp = 50% of 30; 5 years → 3 pp a year; 50 ≥ 20 → high.
    expect(metricValue(r, 'national_qatarization_percent')).toBe(15);
    expect(metricValue(r, 'mean_sector_qatarization_percent')).toBe(15);
    expect(metricValue(r, 'current_year')).toBe('2025');
    expect(metricValue(r, 'years_remaining')).toBe(5);
    expect(metricValue(r, 'gap_pp')).toBe(15);
    expect(metricValue(r, 'gap_percent_of_target')).toBe(50);
    expect(metricValue(r, 'required_annual_gain_pp')).toBe(3);
    expect(metricValue(r, 'risk_band')).toBe('high');
    expect(metricValue(r, 'sectors_at_or_above_target')).toBe(0);
    expect(metricValue(r, 'focus_gap_pp')).toBe(15);
    expect(r.warnings).toEqual([]);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('risk bands at the boundaries, sectors at or above the target, and a passed deadline', async () => {
    const c = clientOf(qat(rows));
    const moderate = await vision2030(c, { target_percent: 16 });
    expect(metricValue(moderate, 'gap_percent_of_target')).toBe(6.25);
    expect(metricValue(moderate, 'risk_band')).toBe('moderate');
    expect(metricValue(moderate, 'sectors_at_or_above_target')).toBe(1);
    const met = await vision2030(c, { target_percent: 15 });
    expect(metricValue(met, 'risk_band')).toBe('on_track');
    expect(metricValue(met, 'sectors_at_or_above_target')).toBe(2);
    const passed = await vision2030(c, { target_year: 2024 });
    expect(metricValue(passed, 'years_remaining')).toBe(-1);
    expect(metricValue(passed, 'required_annual_gain_pp')).toBeNull();
    expect(metricValue(passed, 'status')).toBe('deadline_passed');
    expect(await verificationIssues(passed, c)).toEqual([]);
    expect(riskBand(0, 0)).toBe('on_track');
    expect(riskBand(1, 19.99)).toBe('moderate');
    expect(riskBand(1, 20)).toBe('high');
  });

  it('a zero workforce is INSUFFICIENT_DATA (no division by zero); missing headcounts are left out', async () => {
    const zero = await vision2030(
      clientOf(
        qat([
          [2025, 'Energy', 0, 0, null],
          [2025, 'Finance', 0, 0, null],
        ]),
      ),
      {},
    );
    expect(zero.findings).toEqual([]);
    expect(codes(zero)).toEqual(['INSUFFICIENT_DATA']);
    noNaN(zero);
    const partial = await vision2030(clientOf(qat([...rows, [2025, 'ICT', null, 50, 12]])), {});
    expect(codes(partial)).toEqual(['MISSING_VALUES']);
    expect(partial.warnings[0]!.details).toEqual({ count: 1, sectors: ['ICT'] });
    expect(metricValue(partial, 'national_qatarization_percent')).toBe(15);
    expect(metricValue(partial, 'mean_sector_qatarization_percent')).toBe(14.25);
  });

  it('a missing headcount field is DATA_SCHEMA_MISMATCH', async () => {
    const c = clientOf(
      result(
        'syn_qatarization_by_sector_latest',
        'percent',
        ['year', 'sector', 'qataris', 'qatarization_percent'],
        [[2025, 'Energy', 1, 10]],
      ),
    );
    const r = await vision2030(c, {});
    expect(r.findings).toEqual([]);
    expect(r.warnings[0]).toMatchObject({ code: 'DATA_SCHEMA_MISMATCH', details: { missing: ['non_qataris'] } });
  });
});

// ---- golden values on the seed-42 pack (§3.7) -------------------------------------------------------------------

describe('NationalStrategy on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  it('vision2030: national 9.34%, gap 20.66 pp, 68.9% of target, 6 years, 3.44 pp a year, risk high', async () => {
    const c = pack.client();
    const r = await vision2030(c, {});
    expect(Number(metricValue(r, 'national_qatarization_percent')).toFixed(2)).toBe('9.34');
    expect(Number(metricValue(r, 'gap_pp')).toFixed(2)).toBe('20.66');
    expect(Number(metricValue(r, 'gap_percent_of_target')).toFixed(1)).toBe('68.9');
    expect(metricValue(r, 'years_remaining')).toBe(6);
    expect(Number(metricValue(r, 'required_annual_gain_pp')).toFixed(2)).toBe('3.44');
    expect(metricValue(r, 'risk_band')).toBe('high');
    expect(r.warnings).toEqual([]);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('talentCompetition: mean attrition 8.12, highest Public 9.86, 0 high-pressure sectors', async () => {
    const c = pack.client();
    const r = await talentCompetition(c, {});
    expect(Number(metricValue(r, 'mean_sector_attrition_percent')).toFixed(2)).toBe('8.12');
    expect(metricValue(r, 'highest_attrition_sector')).toBe('Public');
    expect(metricValue(r, 'highest_attrition_percent')).toBe(9.86);
    expect(metricValue(r, 'high_pressure_count')).toBe(0);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('gccBenchmark (synthetic unemployment): Qatar 0.27, rank 1 of 6, average 2.64, gap -2.37', async () => {
    const c = pack.client();
    const r = await gccBenchmark(c, {});
    expect(metricValue(r, 'qatar_value')).toBe(0.27);
    expect(metricValue(r, 'qatar_rank')).toBe(1);
    expect(metricValue(r, 'country_count')).toBe(6);
    expect(Number(metricValue(r, 'gcc_average')).toFixed(2)).toBe('2.64');
    expect(Number(metricValue(r, 'gap_to_average')).toFixed(2)).toBe('-2.37');
    expect(r.warnings).toEqual([]);
    expect(await verificationIssues(r, c)).toEqual([]);
    const wb = await gccBenchmark(c, { source: 'world_bank' });
    expect(metricValue(wb, 'country_count')).toBe(6);
    expect(await verificationIssues(wb, c)).toEqual([]);
  });

  it('is deterministic: two runs give identical results', async () => {
    const a = await vision2030(pack.client(), { focus_sector: 'ICT' });
    const b = await vision2030(pack.client(), { focus_sector: 'ICT' });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
