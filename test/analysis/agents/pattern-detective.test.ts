import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anomalies,
  bestPractices,
  correlations,
  defaultDrivers,
  rootCauses,
  ANOMALIES_DEFAULTS,
  BEST_PRACTICES_DEFAULTS,
  CORRELATION_DEFAULTS,
  ROOT_CAUSES_DEFAULTS,
} from '../../../src/analysis/agents/pattern-detective.js';
import { talentCompetition, vision2030 } from '../../../src/analysis/agents/national-strategy.js';
import {
  AnalysisError,
  SECTORS,
  type AgentResult,
  type DataClient,
  type QueryResult,
} from '../../../src/analysis/model.js';
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

/** One row per canonical sector (values in canonical order; undefined = no row). */
function sectorRows(values: readonly (number | null | undefined)[], year = 2024): Scalar[][] {
  return SECTORS.flatMap((s, i) => (values[i] === undefined ? [] : [[year, s, values[i]!]]));
}
const attrition = (values: readonly (number | null | undefined)[]) =>
  result('syn_attrition_by_sector_latest', 'percent', ['year', 'sector', 'attrition_percent'], sectorRows(values));
const qatarization = (values: readonly (number | null | undefined)[]) =>
  result(
    'syn_qatarization_by_sector_latest',
    'percent',
    ['year', 'sector', 'qatarization_percent'],
    sectorRows(values),
  );
const employment = (values: readonly (number | null | undefined)[]) =>
  result('syn_sector_employment_latest', 'count', ['year', 'sector', 'employees'], sectorRows(values));

// ---- anomalies --------------------------------------------------------------------------------------------------

describe('PatternDetective.anomalies on fixtures', () => {
  it('winsorises, then z-scores the raw values with the sample SD of the winsorised values', async () => {
    // 1..9 and 30; p = 0.1 → k = 1 → clip to [2, 9]: w = 2,2,3,4,5,6,7,8,9,9; mean 5.5; Σ(w − 5.5)² = 66.5.
    const c = clientOf(attrition([1, 2, 3, 4, 5, 6, 7, 8, 9, 30]));
    const r = await anomalies(c, { ...ANOMALIES_DEFAULTS, winsor_p: 0.1, sector: 'Energy' });
    const sd = Math.sqrt(66.5 / 9);
    expect(metricValue(r, 'anomaly_count')).toBe(1);
    expect(metricValue(r, 'total_sectors')).toBe(10);
    expect(metricValue(r, 'max_abs_z')).toBeCloseTo(24.5 / sd, 12);
    expect(metricValue(r, 'anomaly_ICT_z')).toBeCloseTo(24.5 / sd, 12);
    expect(metricValue(r, 'focus_sector_z')).toBeCloseTo(-4.5 / sd, 12);
    expect(metricValue(r, 'mean_sector_attrition_percent')).toBe(7.5);
    const scores = r.derived.find((d) => d.operation === 'pd_anomaly_scores')!;
    expect(scores.rows.filter((x) => x.flagged).map((x) => [x.sector, x.type])).toEqual([['ICT', 'high']]);
    expect(r.findings[0]!.summary).toContain('ICT high at 30.0% (z 9.013)');
    expect(r.frequency).toBe('cross_section');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('flags both tails and sorts flagged rows by |z| then canonical order', async () => {
    // mean 50, values ±d: 8 at 50, Finance 0, ICT 100 → symmetric z; |z| ties → Finance (canonical) first.
    const c = clientOf(employment([50, 50, 0, 50, 50, 50, 50, 50, 50, 100]));
    const r = await anomalies(c, { metric: 'employment', z_threshold: 2, winsor_p: 0 });
    // sd_s = sqrt((2500 + 2500) / 9)
    const z = 50 / Math.sqrt(5000 / 9);
    expect(z).toBeGreaterThan(2);
    const scores = r.derived.find((d) => d.operation === 'pd_anomaly_scores')!;
    expect(scores.rows.find((x) => x.sector === 'ICT')!.z).toBeCloseTo(z, 12);
    expect(r.findings[0]!.metrics.filter((m) => m.key.startsWith('anomaly_')).map((m) => m.key)).toEqual([
      'anomaly_count',
      'anomaly_Finance_z',
      'anomaly_ICT_z',
    ]);
    expect(metricValue(r, 'mean_employment')).toBe(50);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('zero variance after winsorising: ZERO_VARIANCE, no anomalies, no NaN', async () => {
    // nine 5s and one 20 with p = 0.1: clipped to [5, 5], SD 0.
    const c = clientOf(attrition([5, 5, 5, 5, 5, 5, 5, 5, 5, 20]));
    const r = await anomalies(c, { winsor_p: 0.1 });
    expect(codes(r)).toEqual(['ZERO_VARIANCE']);
    expect(metricValue(r, 'anomaly_count')).toBe(0);
    expect(metricValue(r, 'max_abs_z')).toBeNull();
    noNaN(r);
    expect(await verificationIssues(r, c)).toEqual([]);
    // Without winsorising the 20 stands out: z = 13.5 / sqrt(22.5).
    const raw = await anomalies(c, { winsor_p: 0 });
    expect(metricValue(raw, 'max_abs_z')).toBeCloseTo(13.5 / Math.sqrt(22.5), 12);
    expect(metricValue(raw, 'anomaly_count')).toBe(1);
  });

  it('nulls are dropped with MISSING_VALUES; too few points give INSUFFICIENT_DATA and no finding', async () => {
    const c = clientOf(attrition([1, null, 2, null, 3, undefined, 4, null, null, null]));
    const r = await anomalies(c, {});
    expect(r.findings).toEqual([]);
    expect(codes(r)).toEqual(['MISSING_VALUES', 'INSUFFICIENT_DATA']);
    expect(r.warnings[0]!.details).toMatchObject({ count: 6 });
    expect(r.warnings[1]!.details).toEqual({ have: 4, need: 5 });
  });

  it('retention is 100 minus attrition_percent', async () => {
    const c = clientOf(attrition([1, 2, 3, 4, 5, 6, 7, 8, 9, 30]));
    const r = await anomalies(c, { metric: 'retention', winsor_p: 0.1 });
    const scores = r.derived.find((d) => d.operation === 'pd_anomaly_scores')!;
    expect(scores.rows.map((x) => x.value)).toEqual([99, 98, 97, 96, 95, 94, 93, 92, 91, 70]);
    expect(scores.rows[9]).toMatchObject({ sector: 'ICT', type: 'low' });
    expect(metricValue(r, 'mean_sector_retention_percent')).toBeCloseTo(92.5, 12);
  });

  it('a missing value field is DATA_SCHEMA_MISMATCH, not an empty cross-section', async () => {
    const c = clientOf(
      result('syn_attrition_by_sector_latest', 'percent', ['year', 'sector', 'attrition_rate'], sectorRows([1, 2, 3])),
    );
    const r = await anomalies(c, {});
    expect(r.findings).toEqual([]);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        code: 'DATA_SCHEMA_MISMATCH',
        details: {
          query_id: 'syn_attrition_by_sector_latest',
          expected: ['sector', 'attrition_percent'],
          available: ['year', 'sector', 'attrition_rate'],
          missing: ['attrition_percent'],
        },
      }),
    ]);
    expect(r.sources).toEqual(['syn_attrition_by_sector_latest']);
  });

  it('company level scores the named sector’s companies with a base of at least 15', async () => {
    const fields = ['period', 'company_id', 'company_name', 'sector', 'base', 'retained', 'value'];
    const rows: Scalar[][] = [
      ['2024', 1, 'Company 00001', 'Energy', 20, 18, 90],
      ['2024', 2, 'Company 00002', 'Energy', 20, 18, 90],
      ['2024', 3, 'Company 00003', 'Finance', 20, 2, 10],
      ['2024', 4, 'Company 00004', 'Energy', 20, 18, 90],
      ['2024', 5, 'Company 00005', 'Energy', 10, 1, 10],
      ['2024', 6, 'Company 00006', 'Energy', 20, 18, 90],
      ['2024', 7, 'Company 00007', 'Energy', 20, 18, 90],
      ['2024', 8, 'Company 00008', 'Energy', 20, 8, 40],
    ];
    const c = clientOf(result('lmis_company_retention_latest', 'percent', fields, rows));
    const r = await anomalies(c, { level: 'company', metric: 'retention', sector: 'Energy', z_threshold: 2 });
    // Six companies (the base-10 one and Finance excluded): mean 490/6; sd_s over (90 − m)²·5 + (40 − m)².
    const m = 490 / 6;
    const sd = Math.sqrt((5 * (90 - m) ** 2 + (40 - m) ** 2) / 5);
    expect(metricValue(r, 'total_companies')).toBe(6);
    expect(metricValue(r, 'anomaly_count')).toBe(1);
    expect(metricValue(r, 'anomaly_8_z')).toBeCloseTo((40 - m) / sd, 12);
    expect(r.findings[0]!.summary).toContain('Company 00008 low at 40.0%');
    expect(await verificationIssues(r, c)).toEqual([]);
    await expect(anomalies(c, { level: 'company', metric: 'attrition' })).rejects.toMatchObject({
      code: 'invalid_param',
    });
  });

  it('rejects invalid parameters with typed errors', async () => {
    const c = clientOf(attrition([1, 2, 3, 4, 5]));
    await expect(anomalies(c, { z_threshold: 0 })).rejects.toBeInstanceOf(AnalysisError);
    await expect(anomalies(c, { winsor_p: 0.3 })).rejects.toMatchObject({ code: 'invalid_param' });
    await expect(anomalies(c, { sector: 'Mining' as 'ICT' })).rejects.toMatchObject({ code: 'unknown_sector' });
  });
});

// ---- correlations -----------------------------------------------------------------------------------------------

describe('PatternDetective.correlations on fixtures', () => {
  // Five sectors with both values: x = 1..5, y = 2,1,4,3,10 (ranks 2,1,4,3,5).
  const x = qatarization([1, 2, 3, 4, 5, null, null, null, null, 7]);
  const y = attrition([2, 1, 4, 3, 10, 5, 6, 7, 8]);

  it('spearman over the inner join, threshold, direction and the causation note', async () => {
    const c = clientOf(x, y);
    const r = await correlations(c, { ...CORRELATION_DEFAULTS, focus_sector: 'Finance' });
    // Energy..Education have both values (ICT has no attrition row): Σd² = 4 → ρ = 1 − 6·4/(5·24) = 0.8.
    expect(metricValue(r, 'sample_size')).toBe(5);
    expect(metricValue(r, 'correlation')).toBeCloseTo(0.8, 12);
    expect(metricValue(r, 'method_used')).toBe('spearman');
    expect(metricValue(r, 'meets_threshold')).toBe('yes');
    expect(metricValue(r, 'direction')).toBe('positive');
    // Finance: qatarization 3 ranks 3 of 5 (higher better), attrition 4 ranks 4 of 5 (lower better).
    expect(metricValue(r, 'focus_x_rank')).toBe(3);
    expect(metricValue(r, 'focus_y_rank')).toBe(4);
    expect(r.findings[0]!.summary).toContain('Association is not causation');
    expect(codes(r)).toEqual(['MISSING_VALUES', 'MISSING_VALUES']);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('pearson on request', async () => {
    const r = await correlations(clientOf(x, y), { method: 'pearson' });
    // Σdxdy = 18, Σdx² = 10, Σdy² = 50.
    expect(metricValue(r, 'correlation')).toBeCloseTo(18 / Math.sqrt(500), 12);
    expect(metricValue(r, 'method_used')).toBe('pearson');
  });

  it('pearson with zero variance falls back to spearman, which is null too: ZERO_VARIANCE, no NaN', async () => {
    const c = clientOf(qatarization([4, 4, 4, 4, 4]), attrition([1, 2, 3, 4, 5]));
    const r = await correlations(c, { method: 'pearson' });
    expect(metricValue(r, 'correlation')).toBeNull();
    expect(metricValue(r, 'method_used')).toBe('spearman');
    expect(metricValue(r, 'meets_threshold')).toBe('no');
    const summary = r.derived.find((d) => d.operation === 'pd_correlation')!;
    expect(summary.rows[0]).toMatchObject({ fallback_reason: 'zero_variance', correlation: null });
    expect(codes(r)).toContain('ZERO_VARIANCE');
    expect(r.findings[0]!.summary).toContain('Association is not causation');
    noNaN(r);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('fewer joined sectors than min_sample_size: INSUFFICIENT_DATA', async () => {
    const r = await correlations(clientOf(qatarization([1, 2, 3]), attrition([1, 2, 3, 4, 5])), {});
    expect(r.findings).toEqual([]);
    expect(r.warnings.at(-1)).toMatchObject({ code: 'INSUFFICIENT_DATA', details: { have: 3, need: 5 } });
  });
});

// ---- rootCauses -------------------------------------------------------------------------------------------------

describe('PatternDetective.rootCauses on fixtures', () => {
  // Six sectors. Attrition (lower better) worst→best: Healthcare 12, Energy 10, Construction 8, Finance 6,
  // Hospitality 4, Education 2.
  const att = attrition([10, 8, 6, 4, 2, 12]);
  const qat = qatarization([5, 10, 15, 20, 25, 0]);
  const emp = employment([100, 100, 100, 100, 100, 100]);
  const badSalary = result(
    'syn_avg_salary_by_sector_latest',
    'qar',
    ['year', 'sector', 'salary'],
    sectorRows([1, 2, 3, 4, 5, 6]),
  );

  it('group means, differences and standardised differences; ranked by |std_diff|', async () => {
    const c = clientOf(att, qat, emp, badSalary);
    const r = await rootCauses(c, { ...ROOT_CAUSES_DEFAULTS, top_n: 2, focus_sector: 'Energy' });
    // W = Healthcare, Energy: qatarization (0 + 5)/2 = 2.5; B = Education, Hospitality: (25 + 20)/2 = 22.5.
    // sd_s of 5,10,15,20,25,0 = sqrt(437.5 / 5).
    expect(metricValue(r, 'qatarization_worst_group_mean')).toBe(2.5);
    expect(metricValue(r, 'qatarization_best_group_mean')).toBe(22.5);
    expect(metricValue(r, 'qatarization_diff')).toBe(-20);
    expect(metricValue(r, 'qatarization_std_diff')).toBeCloseTo(-20 / Math.sqrt(87.5), 12);
    // Employment has zero variance: std_diff null, ranked last.
    expect(metricValue(r, 'employment_diff')).toBe(0);
    expect(metricValue(r, 'employment_std_diff')).toBeNull();
    expect(metricValue(r, 'top_driver')).toBe('qatarization');
    expect(r.derived.filter((d) => d.operation === 'pd_root_cause_driver').map((d) => d.params.driver)).toEqual([
      'qatarization',
      'employment',
    ]);
    const groups = r.derived.find((d) => d.operation === 'pd_root_cause_groups')!;
    expect(groups.rows.map((g) => [g.sector, g.group, g.rank])).toEqual([
      ['Healthcare', 'worst', 6],
      ['Energy', 'worst', 5],
      ['Construction', 'middle', 4],
      ['Finance', 'middle', 3],
      ['Hospitality', 'best', 2],
      ['Education', 'best', 1],
    ]);
    expect(metricValue(r, 'focus_outcome_rank')).toBe(5);
    // avg_salary could not be read (schema), attrition's mirror is not a default driver.
    expect(r.params.drivers).toEqual(['employment', 'qatarization', 'avg_salary']);
    expect(codes(r)).toEqual(['MISSING_VALUES', 'MISSING_VALUES', 'MISSING_VALUES', 'DATA_SCHEMA_MISMATCH']);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('reduces top_n when n < 2·top_n, and needs at least two sectors', async () => {
    const c = clientOf(att, qat, emp);
    const r = await rootCauses(c, { top_n: 4, drivers: ['qatarization'] });
    expect(r.warnings.find((w) => w.code === 'TOP_N_REDUCED')!.details).toEqual({ requested: 4, used: 3, n: 6 });
    expect(metricValue(r, 'qatarization_worst_group_mean')).toBe(5); // (0 + 5 + 10) / 3
    expect(metricValue(r, 'qatarization_best_group_mean')).toBe(20); // (25 + 20 + 15) / 3
    const one = await rootCauses(clientOf(attrition([3]), qat), {});
    expect(one.findings).toEqual([]);
    expect(one.warnings.at(-1)).toMatchObject({ code: 'INSUFFICIENT_DATA', details: { have: 1, need: 2 } });
  });

  it('never uses the outcome or its mirror as a driver', async () => {
    expect(defaultDrivers('retention')).toEqual(['employment', 'qatarization', 'avg_salary']);
    expect(defaultDrivers('qatarization')).toEqual(['employment', 'retention', 'attrition', 'avg_salary']);
    const c = clientOf(att, qat);
    const r = await rootCauses(c, { outcome: 'retention', drivers: ['attrition', 'qatarization'], top_n: 2 });
    expect(r.params.drivers).toEqual(['qatarization']);
    expect(r.derived.filter((d) => d.operation === 'pd_root_cause_driver')).toHaveLength(1);
    expect(r.findings[0]!.summary).toContain('Not used as drivers of retention: attrition');
    // Retention = 100 − attrition, higher better: worst are Healthcare (88) and Energy (90) again.
    expect(metricValue(r, 'qatarization_worst_group_mean')).toBe(2.5);
  });
});

// ---- bestPractices ----------------------------------------------------------------------------------------------

describe('PatternDetective.bestPractices on fixtures', () => {
  it('top_n average against the unweighted overall average, gap positive = better', async () => {
    const c = clientOf(qatarization([5, 10, 15, 20, 25, 0]));
    const r = await bestPractices(c, { ...BEST_PRACTICES_DEFAULTS, top_n: 2, focus_sector: 'Finance' });
    expect(metricValue(r, 'top_n_average')).toBe(22.5);
    expect(metricValue(r, 'overall_average')).toBe(12.5);
    expect(metricValue(r, 'mean_sector_qatarization_percent')).toBe(12.5);
    expect(metricValue(r, 'performance_gap')).toBe(10);
    expect(metricValue(r, 'top_sector')).toBe('Education');
    expect(metricValue(r, 'focus_rank')).toBe(3); // 25, 20, then Finance's 15
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('lower-is-better metrics flip the gap sign; ties share the minimum rank', async () => {
    const c = clientOf(attrition([10, 8, 6, 4, 2, 12, 4]));
    const r = await bestPractices(c, { metric: 'attrition', top_n: 2 });
    // Best: Education 2, then Hospitality 4 and Public 4 (rank 2 both; Hospitality first in canonical order).
    expect(metricValue(r, 'top_n_average')).toBe(3);
    expect(metricValue(r, 'overall_average')).toBe(46 / 7);
    expect(metricValue(r, 'performance_gap')).toBeCloseTo(46 / 7 - 3, 12);
    const table = r.derived.find((d) => d.operation === 'pd_best_practice_ranking')!;
    expect(table.rows.slice(0, 3).map((x) => [x.sector, x.rank, x.top])).toEqual([
      ['Education', 1, true],
      ['Hospitality', 2, true],
      ['Public', 2, false],
    ]);
  });

  it('top_n ≥ n is reduced to ⌊n/2⌋ with TOP_N_REDUCED', async () => {
    const r = await bestPractices(clientOf(qatarization([5, 10, 15, 20, 25, 0])), { top_n: 6 });
    expect(r.warnings.find((w) => w.code === 'TOP_N_REDUCED')!.details).toEqual({ requested: 6, used: 3, n: 6 });
    expect(metricValue(r, 'top_n_average')).toBe(20);
  });
});

// ---- golden values on the seed-42 pack (§3.7) -------------------------------------------------------------------

describe('PatternDetective on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  it('correlations: spearman(qatarization, attrition) = -0.669, n = 10, meets the threshold', async () => {
    const c = pack.client();
    const r = await correlations(c, {});
    expect(Number(metricValue(r, 'correlation')).toFixed(3)).toBe('-0.669');
    expect(metricValue(r, 'sample_size')).toBe(10);
    expect(metricValue(r, 'meets_threshold')).toBe('yes');
    expect(r.warnings).toEqual([]);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('rootCauses (attrition, top 3): qatarization worst 8.23, best 11.51, diff -3.29', async () => {
    const c = pack.client();
    const r = await rootCauses(c, {});
    expect(Number(metricValue(r, 'qatarization_worst_group_mean')).toFixed(2)).toBe('8.23');
    expect(Number(metricValue(r, 'qatarization_best_group_mean')).toFixed(2)).toBe('11.51');
    expect(Number(metricValue(r, 'qatarization_diff')).toFixed(2)).toBe('-3.29');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('bestPractices (qatarization, top 5): top-5 average 12.6, overall 10.3', async () => {
    const c = pack.client();
    const r = await bestPractices(c, {});
    expect(Number(metricValue(r, 'top_n_average')).toFixed(1)).toBe('12.6');
    expect(Number(metricValue(r, 'overall_average')).toFixed(1)).toBe('10.3');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('anomalies (defaults) and the company level verify; council keys agree with NationalStrategy', async () => {
    const c = pack.client();
    const a = await anomalies(c, {});
    expect(metricValue(a, 'anomaly_count')).toBe(0);
    expect(await verificationIssues(a, c)).toEqual([]);
    const company = await anomalies(c, { level: 'company', metric: 'retention', sector: 'Energy' });
    expect(company.findings).toHaveLength(1);
    expect(await verificationIssues(company, c)).toEqual([]);
    const talent = await talentCompetition(c, {});
    expect(metricValue(a, 'mean_sector_attrition_percent')).toBe(metricValue(talent, 'mean_sector_attrition_percent'));
    const best = await bestPractices(c, {});
    const vision = await vision2030(c, {});
    expect(metricValue(best, 'mean_sector_qatarization_percent')).toBe(
      metricValue(vision, 'mean_sector_qatarization_percent'),
    );
  });

  it('is deterministic across clients', async () => {
    const a = await rootCauses(pack.client(), { focus_sector: 'Public' });
    const b = await rootCauses(pack.client(), { focus_sector: 'Public' });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
