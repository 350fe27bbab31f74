import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataClient, QueryResult } from '../../../src/analysis/model.js';
import { relativeGapPct } from '../../../src/analysis/verify/cross-checks.js';
import type { CitedQuery } from '../../../src/analysis/verify/types.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';
import { CLOCK, OPTIONS, query } from './build.js';

describe('relative gap (§5.3)', () => {
  it('is |p − r| / max(1e-9, |p|) · 100', () => {
    expect(relativeGapPct(5.81, 10.2)).toBeCloseTo((4.39 / 5.81) * 100, 9);
    expect(relativeGapPct(-2, -1)).toBe(50);
    expect(relativeGapPct(0, 1e-9)).toBeCloseTo(100, 9);
  });
});

describe('L3 cross-checks without the pack', () => {
  const primary = query('syn_attrition_by_sector_latest', [
    { year: 2024, sector: 'Energy', attrition_percent: 10 },
    { year: 2024, sector: 'ICT', attrition_percent: 8 },
    { year: 2024, sector: 'Public', attrition_percent: null },
  ]);
  const reference = query('ts_attrition_annual', [
    { period: '2023', sector: 'Energy', value: 50 },
    { period: '2024', sector: 'Energy', value: 10.2 },
    { period: '2024', sector: 'ICT', value: 8.2 },
    { period: '2024', sector: 'Public', value: 9 },
  ]);

  it('compares the same year per key when both sides are cited; 2% is the attrition tolerance', async () => {
    const v = await verifyAnswer({
      narrative: '',
      citations: [primary, reference],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    // Energy: 0.2 / 10 = 2% (not above); ICT: 0.2 / 8 = 2.5%; Public: primary null, skipped.
    expect(v.issues.filter((i) => i.layer === 'L3')).toEqual([
      {
        layer: 'L3',
        code: 'XCHK_TOLERANCE_EXCEEDED',
        severity: 'warning',
        message:
          'attrition cross-check for ICT: 8 (syn_attrition_by_sector_latest) vs 8.2 (ts_attrition_annual) differ by 2.5%, above 2%',
        details: {
          check: 'attrition',
          key: 'ICT',
          primary: 8,
          reference: 8.2,
          pct: 2.5,
          tolerance_pct: 2,
          year: '2024',
          reference_year: '2024',
          ids: ['syn_attrition_by_sector_latest', 'ts_attrition_annual'],
        },
      },
    ]);
    expect(v.reports.cross_checks).toEqual({ checks_run: ['attrition'], comparisons: 2, exceeded: 1 });
    expect(v.passed).toBe(true);
  });

  it('without a data client the missing side skips the check (info)', async () => {
    const v = await verifyAnswer({ narrative: '', citations: [primary], options: OPTIONS, clockDate: CLOCK });
    expect(v.issues.map((i) => [i.code, i.severity, i.details.missing])).toEqual([
      ['XCHK_SKIPPED', 'info', 'ts_attrition_annual'],
    ]);
  });

  it('a failing data client skips the check with the reason', async () => {
    const broken: DataClient = {
      has: () => true,
      run: () => Promise.reject(new Error('source_unavailable')),
    };
    const v = await verifyAnswer({
      narrative: '',
      citations: [primary],
      options: OPTIONS,
      clockDate: CLOCK,
      data: broken,
    });
    expect(v.issues.map((i) => [i.code, i.details.reason])).toEqual([
      ['XCHK_SKIPPED', 'fetch failed: source_unavailable'],
    ]);
  });
});

describe('L3 cross-checks on the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  /** A query result as an agent would cite it, with its registry SLA. */
  const cite = (result: QueryResult): CitedQuery => ({
    ...result,
    freshness_sla_days: pack.data.queryService.registry.snapshot().byId.get(result.query_id)?.constraints
      .freshness_sla_days,
  });

  it('gcc_unemployment: the cited synthetic rates against the World Bank snapshot, latest year, 10%', async () => {
    const client = pack.client();
    const syn = cite(await client.run('syn_unemployment_rate_gcc_latest'));
    const v = await verifyAnswer({
      narrative: 'Qatar unemployment was 0.27% [cite:syn_unemployment_rate_gcc_latest].',
      citations: [syn],
      options: OPTIONS,
      clockDate: CLOCK,
      data: client,
    });
    // Pack: QAT 0.27 / ARE 2.4 / KWT 2.61 / OMN 3.59 / BHR 2.46 / SAU 4.49 against the 2024 snapshot values
    // 0.125 / 2.176 / 2.143 / 1.961 / 1.313 / 4.387: ARE (9.33%) and SAU (2.29%) are within 10%.
    const l3 = v.issues.filter((i) => i.layer === 'L3');
    expect(l3.map((i) => [i.details.key, i.details.primary, i.details.reference, i.details.reference_year])).toEqual([
      ['QAT', 0.27, 0.125, '2024'],
      ['KWT', 2.61, 2.143, '2024'],
      ['OMN', 3.59, 1.961, '2024'],
      ['BHR', 2.46, 1.313, '2024'],
    ]);
    expect(l3.map((i) => i.details.pct)).toEqual([53.704, 17.893, 45.376, 46.626]);
    expect(v.reports.cross_checks).toEqual({ checks_run: ['gcc_unemployment'], comparisons: 6, exceeded: 4 });
    // The counterpart is in the details only, never among the citations.
    expect(v.sources.map((s) => s.id)).toEqual(['syn_unemployment_rate_gcc_latest']);
    expect(v.passed).toBe(true);
    expect(v.issues.filter((i) => i.layer !== 'L3')).toEqual([]);
  });

  it('attrition and qatarization: a cited sector series fetches the aggregate and compares the same year', async () => {
    const client = pack.client();
    const energyAttrition = cite(
      await pack.data.queryService.run('ts_attrition_annual', { overrides: { sector: 'Energy' } }),
    );
    const energyQatarization = cite(
      await pack.data.queryService.run('ts_qatarization_annual', { overrides: { sector: 'Energy' } }),
    );
    const v = await verifyAnswer({
      narrative: '',
      citations: [energyAttrition, energyQatarization],
      options: OPTIONS,
      clockDate: CLOCK,
      data: client,
    });
    // 2024 Energy: aggregate attrition 5.81 vs micro 10.2; aggregate qatarization 13.18 vs micro 14.16.
    expect(
      v.issues.map((i) => [
        i.code,
        i.details.check,
        i.details.key,
        i.details.year,
        i.details.primary,
        i.details.reference,
      ]),
    ).toEqual([
      ['XCHK_TOLERANCE_EXCEEDED', 'qatarization', 'Energy', '2024', 13.18, 14.16],
      ['XCHK_TOLERANCE_EXCEEDED', 'attrition', 'Energy', '2024', 5.81, 10.2],
    ]);
    expect(v.issues.map((i) => i.details.pct)).toEqual([7.436, 75.559]);
  });

  it('the aggregate cited alone is compared per sector with the series fetched through the DataClient', async () => {
    const client = pack.client();
    const v = await verifyAnswer({
      narrative: '',
      citations: [cite(await client.run('syn_qatarization_by_sector_latest'))],
      options: OPTIONS,
      clockDate: CLOCK,
      data: client,
    });
    // Ten sectors meet their 2024 micro-data value (the series' ALL row has no aggregate counterpart).
    expect(v.reports.cross_checks.checks_run).toEqual(['qatarization']);
    expect(v.reports.cross_checks.comparisons).toBe(10);
    expect(v.issues.every((i) => i.code === 'XCHK_TOLERANCE_EXCEEDED')).toBe(true);
    expect(v.issues.find((i) => i.details.key === 'Energy')?.details).toMatchObject({
      primary: 13.18,
      reference: 14.16,
      pct: 7.436,
      year: '2024',
    });
    for (const i of v.issues) {
      const { primary, reference, pct } = i.details as { primary: number; reference: number; pct: number };
      expect(pct).toBeGreaterThan(3);
      expect(pct).toBeCloseTo((Math.abs(primary - reference) / primary) * 100, 3);
    }
    expect(v.reports.cross_checks.exceeded).toBe(v.issues.length);
  });

  it('a narrative written from the pack passes every layer; company rows of the pack are not small cells', async () => {
    const client = pack.client();
    const q = cite(await client.run('syn_qatarization_by_sector_latest'));
    const companies = cite(await client.run('lmis_company_retention_latest'));
    const narrative = [
      '## Executive Summary',
      '',
      'Energy qatarization was 13.2% [cite:syn_qatarization_by_sector_latest] in 2024, with 256 Qatari employees [cite:syn_qatarization_by_sector_latest].',
      '',
      '## Key Findings',
      '',
      '- ICT is lowest at 5.8% [cite:syn_qatarization_by_sector_latest].',
      '- Company retention covers 455 rows [cite:lmis_company_retention_latest].',
      '',
      '| Metric | Value | Unit | Source |',
      '|---|---|---|---|',
      '| Energy qatarization | 13.2 | percent | [cite:syn_qatarization_by_sector_latest] |',
      '| Finance non-Qataris | 6,718 | count | [cite:syn_qatarization_by_sector_latest] |',
      '',
      '## Evidence',
      '',
      '| Id | Kind | Dataset | As of | Licence |',
      '|---|---|---|---|---|',
      '| syn_qatarization_by_sector_latest | query | aggregates/qatarization_by_sector.csv | 2024-12-31 | MIT-SYNTHETIC |',
    ].join('\n');
    const v = await verifyAnswer({
      narrative,
      citations: [q, companies],
      options: OPTIONS,
      clockDate: CLOCK,
      data: client,
    });
    // Only the cross-check of the aggregate against the micro data speaks (warnings).
    expect(v.issues.filter((i) => i.layer !== 'L3')).toEqual([]);
    expect(v.passed).toBe(true);
    expect(v.narrative).toBe(narrative);
    expect(v.reports.citations).toEqual({ total_numbers: 6, cited_numbers: 6, uncited: [] });
    expect(v.reports.numbers).toEqual({ claims_total: 6, claims_matched: 6, issues: 0, math_checks: [] });
  });
});
