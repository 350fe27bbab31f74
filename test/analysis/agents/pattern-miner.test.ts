import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  driverScreen,
  pairStats,
  seasonalEffects,
  segmentSizes,
  seriesDrivers,
  stableRelations,
  strengthOf,
  DRIVER_SCREEN_DEFAULTS,
  SEASONAL_EFFECTS_DEFAULTS,
  STABLE_RELATIONS_DEFAULTS,
} from '../../../src/analysis/agents/pattern-miner.js';
import {
  SECTORS,
  type AgentResult,
  type DataClient,
  type QueryResult,
  type SectorOrAll,
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
    provenance: { source: 'postgres', dataset_id: id, locator: `fixture:${id}`, fields, license: 'MIT-SYNTHETIC' },
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

const TS_FIELDS = ['period', 'sector', 'value', 'base', 'suppressed'];
/** A ts_* result: rows by canonical sector (ALL last), then period; `suppressed` periods get value null. */
function ts(
  id: string,
  bySector: Partial<Record<SectorOrAll, readonly (number | null)[]>>,
  periods: readonly string[],
  suppressed: readonly string[] = [],
): QueryResult {
  const unit: Unit = id.includes('employment') ? 'count' : id.includes('salary') ? 'qar' : 'percent';
  const rows: Scalar[][] = [];
  for (const s of [...SECTORS, 'ALL'] as SectorOrAll[]) {
    const vals = bySector[s];
    if (!vals) continue;
    periods.forEach((p, i) => {
      const sup = suppressed.includes(p);
      rows.push([p, s, sup ? null : (vals[i] ?? null), 100, sup]);
    });
  }
  return result(id, unit, TS_FIELDS, rows);
}
const years = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
function months(year: number, month: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const t = year * 12 + month - 1 + i;
    return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
  });
}
const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
/** 1 − 6Σd² / (n(n² − 1)) */
const rho = (sumD2: number, n: number) => 1 - (6 * sumD2) / (n * (n * n - 1));
const sdPop = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

// ---- pair statistics --------------------------------------------------------------------------------------------

describe('PatternMiner pair statistics', () => {
  const y12 = [1, 2, 3, 4, 8, 7, 6, 5, 9, 10, 11, 12];

  it('splits into three contiguous segments, the first (n mod 3) one point longer', () => {
    expect(segmentSizes(10)).toEqual([4, 3, 3]);
    expect(segmentSizes(12)).toEqual([4, 4, 4]);
    expect(segmentSizes(14)).toEqual([5, 5, 4]);
  });

  it('a perfect monotone pair: effect 1, stability 1, composite 1, strong', () => {
    const s = pairStats(range(1, 12), range(1, 12), 'spearman', 12);
    expect(s).toMatchObject({ n: 12, effect: 1, support: 1, stability: 1, composite: 1, strength: 'strong' });
    expect(s.stabilityFallback).toBe(false);
  });

  it('stability = max(0, 1 − sd_p(segment effects)) × (segments with the full sign) / 3', () => {
    // Σd² = 9 + 1 + 1 + 9 = 20; segments +1, −1, +1.
    const s = pairStats(range(1, 12), y12, 'spearman', 12);
    expect(s.effect).toBeCloseTo(rho(20, 12), 12);
    expect(s.segmentEffects).toEqual([1, -1, 1]);
    expect(s.stability).toBeCloseTo((1 - Math.sqrt(8 / 9)) * (2 / 3), 12);
    expect(s.composite).toBeCloseTo(rho(20, 12) * (1 - Math.sqrt(8 / 9)) * (2 / 3), 12);
  });

  it('short series use the stability fallback; support is n / min_support capped at 1', () => {
    const s = pairStats(range(1, 6), [1, 2, 3, 4, 6, 5], 'spearman', 12);
    expect(s.stabilityFallback).toBe(true);
    expect(s.stability).toBe(0.5);
    expect(s.segmentEffects).toBeNull();
    expect(s.support).toBe(0.5);
    expect(s.effect).toBeCloseTo(rho(2, 6), 12);
  });

  it('zero variance counts as effect 0 (flat), never NaN; strength bands are strict', () => {
    const s = pairStats(range(1, 12), Array(12).fill(3), 'pearson', 12);
    expect(s).toMatchObject({ effect: 0, undefinedEffect: true, strength: 'flat', composite: 0 });
    expect(strengthOf(0.71)).toBe('strong');
    expect(strengthOf(-0.7)).toBe('moderate');
    expect(strengthOf(0.4)).toBe('weak');
    expect(strengthOf(0.15)).toBe('weak');
    expect(strengthOf(-0.149)).toBe('flat');
  });
});

// ---- stableRelations --------------------------------------------------------------------------------------------

describe('PatternMiner.stableRelations on fixtures', () => {
  const P = years(2013, 12);
  const retention = [1, 2, 3, 4, 8, 7, 6, 5, 9, 10, 11, 12].map((v) => 80 + v);
  const fixtures = () => [
    ts('ts_retention_annual', { Energy: [...retention].reverse(), ALL: retention }, P),
    ts('ts_employment_annual', { ALL: range(1000, 12, 10) }, P),
    ts('ts_qatarization_annual', { ALL: [null, null, null, null, null, null, 7, 8, 9, 10, 11, 12] }, P),
    ts('ts_avg_salary_annual', { ALL: Array(12).fill(5000) }, P),
    ts('ts_attrition_annual', { ALL: retention.map((v) => 100 - v) }, P),
  ];

  it('ranks drivers by composite; flat pairs dropped; the mirror is never read', async () => {
    const c = clientOf(...fixtures());
    const r = await stableRelations(c, { ...STABLE_RELATIONS_DEFAULTS });
    expect(r.frequency).toBe('annual');
    expect(r.params).toEqual({
      outcome: 'retention',
      drivers: ['employment', 'qatarization', 'avg_salary'],
      sector: 'ALL',
      window: 'all',
      min_support: 6,
      method: 'spearman',
      frequency: 'annual',
    });
    expect(r.sources).toEqual([
      'ts_retention_annual',
      'ts_employment_annual',
      'ts_qatarization_annual',
      'ts_avg_salary_annual',
    ]);
    const rows = r.derived[0]!.rows;
    // qatarization: the last 6 aligned points, Σd² = 2 → ρ = 1 − 12/210, stability fallback 0.5, support 1.
    // employment: ρ = 1 − 120/1716 over 12 points, stability (1 − √(8/9)) · 2/3.
    expect(rows.map((x) => x.driver)).toEqual(['qatarization', 'employment']);
    expect(rows[0]!.effect).toBeCloseTo(rho(2, 6), 12);
    expect(rows[0]!.composite).toBeCloseTo(rho(2, 6) * 0.5, 12);
    expect(rows[0]).toMatchObject({ n: 6, support: 1, stability: 0.5, start: '2019', end: '2024' });
    expect(rows[1]!.composite).toBeCloseTo(rho(20, 12) * (1 - Math.sqrt(8 / 9)) * (2 / 3), 12);
    expect(codes(r)).toEqual(['MISSING_VALUES', 'ZERO_VARIANCE', 'STABILITY_FALLBACK']);
    expect(metricValue(r, 'top_driver')).toBe('qatarization');
    expect(metricValue(r, 'relation_count')).toBe(2);
    expect(r.findings[0]!.summary).toContain('Dropped as flat (absolute effect below 0.15): average salary');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('a window keeps the last points; monthly requested without monthly ids falls back to annual', async () => {
    const c = clientOf(...fixtures());
    const r = await stableRelations(c, { drivers: ['employment'], window: 6, frequency: 'monthly' });
    expect(codes(r)).toEqual(['FREQ_FALLBACK_ANNUAL', 'STABILITY_FALLBACK']);
    expect(r.derived[0]!.rows[0]).toMatchObject({ driver: 'employment', n: 6, stability: 0.5 });
    expect(r.derived[0]!.rows[0]!.effect).toBeCloseTo(rho(2, 6), 12);
  });

  it('filters the sector', async () => {
    const c = clientOf(...fixtures());
    // Energy has a retention series but no driver rows: every driver is skipped.
    const r = await stableRelations(c, { sector: 'Energy' });
    expect(r.findings).toEqual([]);
    expect(r.warnings.at(-1)).toMatchObject({ code: 'INSUFFICIENT_DATA', details: { have: 0, need: 4 } });
  });

  it('degenerate input: mirror-only drivers are rejected, too few points, schema mismatch', async () => {
    await expect(stableRelations(clientOf(...fixtures()), { drivers: ['attrition'] })).rejects.toMatchObject({
      code: 'invalid_param',
    });
    const short = clientOf(ts('ts_retention_annual', { ALL: [90, null, 91, 92] }, years(2021, 4)));
    const r = await stableRelations(short, {});
    expect(r.findings).toEqual([]);
    expect(codes(r)).toEqual(['MISSING_VALUES', 'INSUFFICIENT_DATA']);
    expect(r.warnings[1]!.details).toEqual({ have: 3, need: 4 });
    const bad = clientOf(result('ts_retention_annual', 'percent', ['period', 'sector', 'rate'], [['2024', 'ALL', 1]]));
    const m = await stableRelations(bad, {});
    expect(m.findings).toEqual([]);
    expect(m.warnings[0]).toMatchObject({ code: 'DATA_SCHEMA_MISMATCH', details: { missing: ['value'] } });
  });

  it('default drivers exclude the outcome and its mirror', () => {
    expect(seriesDrivers('retention')).toEqual(['employment', 'qatarization', 'avg_salary']);
    expect(seriesDrivers('employment')).toEqual(['retention', 'attrition', 'qatarization', 'avg_salary']);
  });
});

// ---- seasonalEffects --------------------------------------------------------------------------------------------

describe('PatternMiner.seasonalEffects on fixtures', () => {
  const P = months(2023, 1, 24);
  const values = P.map((p) => (p.endsWith('-01') ? 130 : p.endsWith('-07') ? 70 : 100));

  it('lift per calendar month against the overall mean; peak, trough and notable months', async () => {
    const c = clientOf(ts('ts_employment_monthly', { ALL: values }, P));
    const r = await seasonalEffects(c, { ...SEASONAL_EFFECTS_DEFAULTS });
    expect(r.frequency).toBe('monthly');
    expect(r.warnings).toEqual([]);
    // Mean 100: January +30%, July −30%, the rest 0.
    expect(metricValue(r, 'peak_month')).toBe('January');
    expect(metricValue(r, 'peak_lift_percent')).toBe(30);
    expect(metricValue(r, 'trough_month')).toBe('July');
    expect(metricValue(r, 'trough_lift_percent')).toBe(-30);
    expect(metricValue(r, 'notable_count')).toBe(2);
    const table = r.derived.find((d) => d.operation === 'pm_seasonal_months')!;
    expect(table.rows.map((x) => x.month)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 7]);
    expect(table.rows.every((x) => x.n === 2 && x.support === 1)).toBe(true);
    expect(table.params.min_month_points).toBe(2);
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('annual data only: SEASONALITY_REQUIRES_MONTHLY and no finding', async () => {
    const r = await seasonalEffects(clientOf(ts('ts_employment_annual', { ALL: [1, 2, 3] }, years(2022, 3))), {});
    expect(r.findings).toEqual([]);
    expect(codes(r)).toEqual(['SEASONALITY_REQUIRES_MONTHLY']);
    expect(r.frequency).toBe('annual');
  });

  it('gaps keep the contiguous tail; suppressed cells are missing; short series are INSUFFICIENT_DATA', async () => {
    const early = months(2021, 1, 6);
    const c = clientOf(
      ts(
        'ts_employment_monthly',
        { ALL: [...early.map(() => 500), 1, ...values] },
        [...early, '2022-12', ...P],
        ['2022-12'],
      ),
    );
    const r = await seasonalEffects(c, {});
    expect(codes(r)).toEqual(['MISSING_VALUES', 'SERIES_GAP']);
    expect(r.warnings[1]!.details).toEqual({ dropped: 6, tail_start: '2023-01' });
    expect(metricValue(r, 'peak_lift_percent')).toBe(30);
    const short = await seasonalEffects(
      clientOf(ts('ts_employment_monthly', { ALL: values.slice(4) }, P.slice(4))),
      {},
    );
    expect(short.findings).toEqual([]);
    expect(short.warnings[0]).toMatchObject({ code: 'INSUFFICIENT_DATA', details: { have: 20, need: 24 } });
    // min_support 48 → at least 4 points per month: none has.
    const thin = await seasonalEffects(clientOf(ts('ts_employment_monthly', { ALL: values }, P)), { min_support: 48 });
    expect(thin.findings).toEqual([]);
    expect(thin.warnings[0]).toMatchObject({ code: 'INSUFFICIENT_DATA', details: { have: 0, need: 4 } });
  });

  it('a zero mean gives null lifts (no division by zero, no NaN)', async () => {
    const c = clientOf(ts('ts_employment_monthly', { ALL: P.map(() => 0) }, P));
    const r = await seasonalEffects(c, {});
    expect(metricValue(r, 'peak_month')).toBeNull();
    expect(metricValue(r, 'notable_count')).toBe(0);
    noNaN(r);
    expect(await verificationIssues(r, c)).toEqual([]);
  });
});

// ---- driverScreen -----------------------------------------------------------------------------------------------

describe('PatternMiner.driverScreen on fixtures', () => {
  it('annual: cohorts in canonical order, short windows skipped, missing cohorts SECTOR_SKIPPED', async () => {
    const P = years(2013, 12);
    const c = clientOf(
      ts('ts_avg_salary_annual', { Energy: range(1000, 12, 100), Finance: range(1000, 12, 100) }, P),
      ts('ts_retention_annual', { Energy: range(80, 12), Finance: range(91, 12, -1) }, P),
    );
    const r = await driverScreen(c, {
      ...DRIVER_SCREEN_DEFAULTS,
      cohorts: ['Public', 'Finance', 'Energy'],
      windows: ['all', 3],
    });
    expect(r.params).toMatchObject({
      cohorts: ['Energy', 'Finance', 'Public'],
      windows: [3, 'all'],
      frequency: 'annual',
    });
    expect(codes(r)).toEqual(['SECTOR_SKIPPED']);
    expect(r.warnings[0]!.details).toEqual({ sector: 'Public', metric: 'retention' });
    expect(metricValue(r, 'cells_computed')).toBe(2);
    expect(metricValue(r, 'cells_skipped')).toBe(2);
    const cells = r.derived.find((d) => d.operation === 'pm_driver_screen_cells')!;
    expect(cells.rows.map((x) => [x.cohort, x.window, x.effect, x.composite, x.top_rank])).toEqual([
      ['Energy', 'all', 1, 1, 1],
      ['Finance', 'all', -1, 1, 2],
    ]);
    expect(metricValue(r, 'top_cohort')).toBe('Energy');
    expect(metricValue(r, 'cross_window_consistent_count')).toBeUndefined();
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('monthly: windows 12 and 24, ties by canonical order then window, sign consistency across windows', async () => {
    const P = months(2023, 1, 24);
    const finance = [...range(1, 12), ...range(24, 12, -1)];
    const c = clientOf(
      ts('ts_avg_salary_monthly', { Energy: range(1, 24), Finance: range(1, 24) }, P),
      ts('ts_retention_monthly', { Energy: range(1, 24), Finance: finance }, P),
    );
    const r = await driverScreen(c, { cohorts: ['Energy', 'Finance'] });
    expect(r.frequency).toBe('monthly');
    expect(r.params).toMatchObject({ windows: [12, 24], min_support: 12 });
    const cells = r.derived.find((d) => d.operation === 'pm_driver_screen_cells')!;
    const finance24 = cells.rows.find((x) => x.cohort === 'Finance' && x.window === 24)!;
    // Σd² = 2 · (1 + 9 + 25 + 49 + 81 + 121) = 572.
    expect(finance24.effect).toBeCloseTo(rho(572, 24), 12);
    // Segments of 8: +1, ρ(Σd² = 20, n = 8), −1.
    const seg = [1, rho(20, 8), -1];
    expect(finance24.stability).toBeCloseTo((1 - sdPop(seg)) * (2 / 3), 12);
    expect(cells.rows.find((x) => x.cohort === 'Finance' && x.window === 12)!.effect).toBe(-1);
    expect(cells.rows.map((x) => [x.cohort, x.window, x.top_rank])).toEqual([
      ['Energy', 12, 1],
      ['Energy', 24, 2],
      ['Finance', 12, 3],
      ['Finance', 24, 4],
    ]);
    expect(metricValue(r, 'cross_window_consistent_count')).toBe(1);
    expect(r.findings[0]!.summary).toContain('Cohorts whose effect keeps one sign across windows: Energy.');
    expect(await verificationIssues(r, c)).toEqual([]);
  });

  it('rejects the same metric or the mirror pair; no cohort data is INSUFFICIENT_DATA', async () => {
    const c = clientOf();
    await expect(driverScreen(c, { driver: 'retention', outcome: 'retention' })).rejects.toMatchObject({
      code: 'invalid_param',
    });
    await expect(driverScreen(c, { driver: 'attrition', outcome: 'retention' })).rejects.toMatchObject({
      code: 'invalid_param',
    });
    await expect(driverScreen(c, { cohorts: ['Mining' as 'ICT'] })).rejects.toMatchObject({ code: 'unknown_sector' });
    const P = years(2013, 12);
    const none = clientOf(
      ts('ts_avg_salary_annual', { ALL: range(1, 12) }, P),
      ts('ts_retention_annual', { ALL: range(1, 12) }, P),
    );
    const r = await driverScreen(none, { cohorts: ['Energy', 'ICT'] });
    expect(r.findings).toEqual([]);
    expect(codes(r)).toEqual(['SECTOR_SKIPPED', 'SECTOR_SKIPPED', 'INSUFFICIENT_DATA']);
  });
});

// ---- the seed-42 pack -------------------------------------------------------------------------------------------

describe('PatternMiner on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  it('stableRelations (retention, ALL) uses the monthly series, 24 points, and verifies', async () => {
    const c = pack.client();
    const r = await stableRelations(c, {});
    expect(r.frequency).toBe('monthly');
    expect(r.params).toMatchObject({ window: 24, min_support: 12 });
    expect(r.sources).not.toContain('ts_attrition_monthly');
    expect(r.findings).toHaveLength(1);
    for (const row of r.derived[0]!.rows) expect(row.n).toBe(24);
    expect(await verificationIssues(r, c)).toEqual([]);
    const annual = await stableRelations(c, { frequency: 'annual' });
    expect(annual.frequency).toBe('annual');
    expect(await verificationIssues(annual, c)).toEqual([]);
  });

  it('seasonalEffects (employment, ALL) and driverScreen over ALL verify', async () => {
    const c = pack.client();
    const s = await seasonalEffects(c, {});
    expect(s.findings).toHaveLength(1);
    expect(s.derived.find((d) => d.operation === 'pm_seasonal_effects')!.rows[0]!.n_points).toBe(96);
    expect(await verificationIssues(s, c)).toEqual([]);
    const d = await driverScreen(c, { cohorts: ['ALL'] });
    expect(d.frequency).toBe('monthly');
    expect(metricValue(d, 'cells_computed')).toBe(2);
    expect(await verificationIssues(d, c)).toEqual([]);
  });

  it('is deterministic across clients', async () => {
    const a = await stableRelations(pack.client(), { outcome: 'employment' });
    const b = await stableRelations(pack.client(), { outcome: 'employment' });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
