/** The minister briefing (analysis spec §7.2) on the seed-42 pack, offline, and its checks on hand-built results. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAnalysisServices, type AnalysisServices } from '../../src/analysis/analysis-services.js';
import { runBriefing, MAX_RED_FLAGS, type BriefingRun } from '../../src/analysis/briefing.js';
import {
  BRIEFING_CHECK_CODES,
  bounds,
  ewiVsGrowth,
  genderShareSum,
  qatarizationFormula,
  stale,
  xsrcGccUnemployment,
} from '../../src/analysis/briefing-checks.js';
import { verifyAnswer } from '../../src/analysis/verify/verify-answer.js';
import { verifyAuditRecord } from '../../src/analysis/audit/verify-record.js';
import { answerDigest } from '../../src/analysis/audit/digest.js';
import { AnswerService } from '../../src/analysis/answer-service.js';
import { markerIds } from '../../src/analysis/render/citations.js';
import type { DataClient, QueryResult } from '../../src/analysis/model.js';
import type { Scalar, Unit } from '../../src/data/model.js';
import { openPackData, type PackData } from '../support/analysis-data.js';

const HMAC_KEY = 'test-audit-hmac-key-0123456789abcdefghijkl';
const CLOCK = '2025-01-15';

function result(
  id: string,
  unit: Unit,
  fields: string[],
  rows: Scalar[][],
  asof = '2024-12-31',
  license = 'MIT-SYNTHETIC',
): QueryResult {
  return {
    query_id: id,
    unit,
    rows: rows.map((r) => new Map(fields.map((f, i) => [f, r[i] ?? null]))),
    row_count: rows.length,
    provenance: { source: 'csv', dataset_id: id, locator: `fixture:${id}`, fields, license },
    freshness: { asof_date: asof, updated_at: null },
    warnings: [],
    registry_version: 'test',
    timings: { total_ms: 0, source_ms: null, postprocess_ms: null, cache: 'bypass' },
  };
}

function failingFor(inner: DataClient, failing: string): DataClient {
  return {
    has: (id) => inner.has(id),
    run: (id) => (id === failing ? Promise.reject(new Error(`source down: ${id}`)) : inner.run(id)),
  };
}

const fetchStub = vi.fn(() => {
  throw new Error('outbound network access is disabled in this test');
});

let pack: PackData;
let services: AnalysisServices;
let run: BriefingRun;

beforeAll(async () => {
  vi.stubGlobal('fetch', fetchStub);
  pack = await openPackData();
  services = createAnalysisServices({
    queries: pack.data.queryService,
    db: undefined,
    version: '0.0.0-test',
    clockDate: CLOCK,
    hmacKey: HMAC_KEY,
  });
  run = await runBriefing(services.answers, { requestId: 'briefing-test-1' });
});

afterAll(async () => {
  await pack?.close();
  vi.unstubAllGlobals();
});

describe('minister briefing on the seed-42 pack', () => {
  it('is titled as synthetic, dated by the newest source, and has the exact headings', () => {
    const b = run.response;
    expect(b.title).toBe('Minister Briefing: Qatar Labour Market (Synthetic Data)');
    expect(b.licenses).toContain('MIT-SYNTHETIC');
    const asofs = b.provenance.filter((p) => p.kind === 'query').map((p) => p.asof_date!);
    expect(b.as_of).toBe([...asofs].sort().at(-1));
    const headings = b.markdown.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      `# ${b.title}`,
      '## Headline',
      '## Key Metrics',
      '## Red Flags',
      '## Confidence',
      '## Provenance',
      '## Licences',
    ]);
    expect(b.markdown.split('\n')[2]).toBe(`_As of ${b.as_of}_`);
    expect(b.markdown).toContain('| Metric | Value | Source |');
  });

  it('has exactly five key metrics, with the golden values of §3.7', async () => {
    const metrics = run.response.key_metrics;
    expect(metrics.map((m) => m.key)).toEqual([
      'national_qatarization_percent',
      'gap_pp',
      'mean_sector_attrition_percent',
      'qatar_rank',
      'employment_yoy_percent',
    ]);
    const [national, gap, attrition, rank, yoy] = metrics;
    expect(national!.value!).toBeCloseTo(9.34, 2);
    expect(national!.unit).toBe('percent');
    expect(national!.consensus).toMatchObject({ agents: ['NationalStrategy', 'TimeMachine'] });
    expect(gap!.value!).toBeCloseTo(20.66, 2);
    expect(gap!.unit).toBe('pp');
    expect(attrition!.value!).toBeCloseTo(8.12, 10);
    expect(attrition!.consensus).toMatchObject({ agreement: 'agree' });
    expect(rank).toMatchObject({ value: 1, unit: 'rank' });
    // Employment year over year (national, monthly): the last month against the same month a year earlier.
    const series = await pack.client().run('ts_employment_monthly');
    const all = series.rows.filter((r) => r.get('sector') === 'ALL').map((r) => r.get('value') as number);
    const last = all[all.length - 1]!;
    const yearBefore = all[all.length - 13]!;
    expect(yoy!.value!).toBeCloseTo(((last - yearBefore) / yearBefore) * 100, 10);
    for (const m of metrics) expect(run.response.provenance.map((p) => p.id)).toContain(m.citation);
  });

  it('opens with five cited headline bullets in the fixed order', () => {
    const h = run.response.headline;
    expect(h).toHaveLength(5);
    expect(h[0]).toMatch(
      /^Vision 2030: national Qatarization is 9\.3% against the 30\.0% target for 2030, a gap of 20\.66 pp; closing it needs 3\.44 pp a year \[cite:derived_ns_vision2030_[0-9a-f]{8}\]$/,
    );
    expect(h[1]).toMatch(
      /^Talent competition: 0 sectors are under high attrition pressure; mean sector attrition is 8\.1% \[cite:/,
    );
    expect(h[2]).toMatch(/^GCC unemployment: Qatar ranks 1 of 6, -2\.37 pp from the GCC average \[cite:/);
    expect(h[3]).toMatch(/^Employment: -?\d+\.\d% year over year nationally \[cite:derived_tm_trend_/);
    const lowest = Math.min(...run.council.response.agents.map((a) => a.confidence!.score));
    expect(h[4]).toContain(
      `${run.response.red_flags_total} cross-source flags raised; minimum council confidence ${lowest} [cite:`,
    );
    for (const bullet of h) expect(run.response.markdown).toContain(`- ${bullet}`);
  });

  it('raises one red flag per failed check, errors first, at most eight', async () => {
    const b = run.response;
    expect(run.checks.map((c) => c.code)).toEqual([...BRIEFING_CHECK_CODES]);
    const flagged = run.checks.filter((c) => c.status === 'flagged').map((c) => c.code);
    expect(b.red_flags_total).toBe(flagged.length);
    expect(b.red_flags.length).toBeLessThanOrEqual(MAX_RED_FLAGS);
    expect(b.red_flags.map((f) => f.code)).toEqual(flagged);
    // Hand check of XSRC_GCC_UNEMPLOYMENT: latest synthetic value vs the snapshot's latest year, |Δ| > 0.5 pp.
    const client = pack.client();
    const latest = (q: QueryResult) => {
      const out = new Map<string, { year: number; value: number }>();
      for (const r of q.rows) {
        const c = r.get('country') as string;
        const y = r.get('year') as number;
        const v = r.get('value');
        if (typeof v !== 'number') continue;
        if (!out.has(c) || y > out.get(c)!.year) out.set(c, { year: y, value: v });
      }
      return out;
    };
    const syn = latest(await client.run('syn_unemployment_rate_gcc_latest'));
    const wb = latest(await client.run('wb_gcc_unemployment'));
    const apart = [...syn].filter(([c, s]) => wb.has(c) && Math.abs(s.value - wb.get(c)!.value) > 0.5).length;
    const gcc = run.checks.find((c) => c.code === 'XSRC_GCC_UNEMPLOYMENT')!;
    expect(gcc.check!.flagged).toBe(apart);
    expect(gcc.check!.checked).toBe(6);
    expect(gcc.status).toBe(apart > 0 ? 'flagged' : 'passed');
    // The pack is internally consistent on these three.
    for (const code of ['GENDER_SHARE_SUM', 'QATARIZATION_FORMULA', 'BOUNDS']) {
      expect(run.checks.find((c) => c.code === code)!.status).toBe('passed');
    }
    for (const f of b.red_flags) {
      expect(f.message.endsWith(`[cite:${f.citations.join(',')}]`)).toBe(true);
      expect(b.markdown).toContain(`- **${f.code}** (${f.severity}): ${f.message}`);
    }
  });

  it('records every check as a derived result that the provenance lists', () => {
    const ids = run.response.provenance.map((p) => p.id);
    for (const c of run.checks) {
      expect(c.check).not.toBeNull();
      expect(c.check!.record.id).toMatch(new RegExp(`^derived_briefing_check_${c.code.toLowerCase()}_[0-9a-f]{8}$`));
      expect(ids).toContain(c.check!.record.id);
    }
    expect(ids).toContain(run.redFlagRecord.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('has Markdown that passes verification, every number (confidence scores included) cited', async () => {
    expect(run.verification.passed).toBe(true);
    expect(run.verification.issues.filter((i) => i.layer === 'L1' || i.layer === 'L2')).toEqual([]);
    // Independently: verify the returned Markdown against the results its provenance names.
    const council = run.council.cited;
    const derived = [
      ...council.derived,
      ...run.checks.flatMap((c) => (c.check ? [c.check.record] : [])),
      run.redFlagRecord,
    ];
    const queries = [...council.queries];
    for (const p of run.response.provenance) {
      if (p.kind === 'query' && !queries.some((q) => q.query_id === p.id)) queries.push(await pack.client().run(p.id));
    }
    const again = await verifyAnswer({
      narrative: run.response.markdown,
      citations: services.answers.citables({ queries, derived }),
      options: { enforce_citations: true, verify_numbers: true },
      clockDate: CLOCK,
    });
    expect(again.passed).toBe(true);
    expect(again.reports.citations.cited_numbers).toBe(again.reports.citations.total_numbers);
    expect(again.reports.numbers!.claims_matched).toBe(again.reports.numbers!.claims_total);
    // The confidence section cites the council scores.
    const section = run.response.markdown.split('## Confidence')[1]!.split('## Provenance')[0]!;
    expect(markerIds(section).filter((id) => id.startsWith('derived_confidence_score_'))).toHaveLength(9);
  });

  it('gives the same body twice (request_id, audit_id and timings_ms aside)', async () => {
    const again = await runBriefing(services.answers, { requestId: 'briefing-test-3' });
    const { request_id: _r1, audit_id: _a1, timings_ms: _t1, ...first } = run.response;
    const { request_id: _r2, audit_id: _a2, timings_ms: _t2, ...second } = again.response;
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(again.response.audit_id).not.toBe(run.response.audit_id);
  });

  it("scores itself (§5.7), records the score, and takes the minimum with the council's", () => {
    const b = run.response;
    expect(run.confidenceRecord.id).toMatch(/^derived_confidence_score_[0-9a-f]{8}$/);
    expect(run.confidenceRecord.rows[0]!.score).toBe(b.confidence.score);
    expect(b.provenance.map((p) => p.id)).toContain(run.confidenceRecord.id);
    expect(['GREEN', 'AMBER']).toContain(b.confidence.band);
    expect(b.min_confidence).toBe(Math.min(run.council.response.min_confidence!, b.confidence.score));
  });

  it('stores a manifest under the endpoint "briefing" that verifies', async () => {
    const record = await services.audit.get(run.response.audit_id!);
    expect(record!.endpoint).toBe('briefing');
    expect(record!.manifest.confidence).toEqual({
      score: run.response.confidence.score,
      band: run.response.confidence.band,
    });
    expect(record!.manifest.derived_ids).toContain(run.confidenceRecord.id);
    expect(verifyAuditRecord(record!, HMAC_KEY)).toMatchObject({
      answer_digest_ok: true,
      manifest_digest_ok: true,
      hmac_ok: true,
    });
  });

  it('replays with audit off to the stored answer digest (for audit verify --replay)', async () => {
    const record = await services.audit.get(run.response.audit_id!);
    const replayer = new AnswerService({
      queries: pack.data.queryService,
      clockDate: () => record!.manifest.clock_date,
      codeVersion: record!.manifest.code_version,
      hmacKey: undefined,
      audit: null,
    });
    const replayed = await runBriefing(replayer, { requestId: 'replay', audit: false });
    expect(replayed.response.audit_id).toBeNull();
    expect(answerDigest(replayed.response)).toBe(record!.manifest.answer_digest_sha256);
  });

  it('says "not available" for a topic whose source failed, and still verifies', async () => {
    const client = failingFor(pack.client(), 'syn_unemployment_rate_gcc_latest');
    const failed = await runBriefing(services.answers, { requestId: 'briefing-test-2', client, audit: false });
    const b = failed.response;
    expect(b.headline[2]).toBe('GCC unemployment: not available');
    expect(b.markdown).toContain('- GCC unemployment: not available\n');
    expect(b.key_metrics.find((m) => m.key === 'qatar_rank')).toEqual({
      key: 'qatar_rank',
      label: 'Qatar rank in GCC unemployment',
      value: null,
      unit: 'rank',
      citation: null,
    });
    expect(b.markdown).toContain('| Qatar rank in GCC unemployment | not available | none |');
    expect(failed.checks.find((c) => c.code === 'XSRC_GCC_UNEMPLOYMENT')).toMatchObject({ status: 'skipped' });
    expect(b.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['AGENT_METHOD_FAILED', 'BRIEFING_CHECK_SKIPPED']),
    );
    expect(b.audit_id).toBeNull();
    expect(failed.verification.passed).toBe(true);
  });

  it('reads nothing from the network', () => {
    expect(fetchStub).not.toHaveBeenCalled();
  });
});

// ---- checks on hand-built results --------------------------------------------------------------------------------

const GENDER_FIELDS = ['year', 'male_percent', 'female_percent', 'total_percent'];

describe('briefing checks', () => {
  it('GENDER_SHARE_SUM compares male + female with the total, not the sum of all three', () => {
    const gender = result('syn_employment_share_by_gender_latest', 'percent', GENDER_FIELDS, [
      [2022, 50.3, 49.9, 100], // 100.2 vs 100: within 0.5
      [2023, 60, 40, 100], // consistent (the reference summed all three: 200, always flagged)
      [2024, 70, 40, 100], // 110 vs 100: 10 pp
    ]);
    const check = genderShareSum(gender);
    expect(check).toMatchObject({ code: 'GENDER_SHARE_SUM', severity: 'warning', checked: 3, flagged: 1 });
    expect(check.record.rows.map((r) => r.flagged)).toEqual([false, false, true]);
    expect(check.record.rows[0]!.deviation_pp).toBeCloseTo(0.2, 10);
    expect(check.record.rows[2]!.deviation_pp).toBeCloseTo(10, 10);
    expect(check.text).toBe(
      'Gender shares: in 1 of 3 rows, male plus female differs from the total by more than 0.50 pp; ' +
        'worst 2024: male 70.0% plus female 40.0% against a total of 100.0%, 10.00 pp apart',
    );
    const ok = genderShareSum(result('g', 'percent', GENDER_FIELDS, [[2024, 69.76, 30.24, 100]]));
    expect(ok).toMatchObject({ checked: 1, flagged: 0, text: null });
  });

  it('QATARIZATION_FORMULA recomputes 100·q/(q + nq) per sector', () => {
    const q = result(
      'syn_qatarization_by_sector_latest',
      'percent',
      ['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent'],
      [
        [2024, 'Energy', 25, 75, 25.0],
        [2024, 'Finance', 10, 90, 12.0], // computed 10.0
        [2024, 'ICT', 0, 0, 5.0], // no workforce: not checked
      ],
    );
    const check = qatarizationFormula(q);
    expect(check).toMatchObject({ checked: 2, flagged: 1 });
    expect(check.text).toBe(
      'Qatarization formula: 1 of 2 sectors report a share that differs from Qataris over the whole workforce by ' +
        'more than 0.50 pp; worst Finance: reported 12.0%, computed 10.0%, 2.00 pp apart',
    );
  });

  it('EWI_VS_GROWTH flags a drop above 3% while employment grew from the year before', () => {
    const ewi = result(
      'syn_ewi_employment_drop_latest',
      'percent',
      ['year', 'sector', 'drop_percent'],
      [
        [2024, 'Energy', 4.0], // grew: flagged
        [2024, 'Finance', 5.0], // shrank: not flagged
        [2024, 'ICT', 1.0], // small drop: not flagged
      ],
    );
    const emp = result(
      'syn_sector_employment_all_years',
      'count',
      ['year', 'sector', 'employees'],
      [
        [2023, 'Energy', 100],
        [2023, 'Finance', 200],
        [2023, 'ICT', 50],
        [2024, 'Energy', 110],
        [2024, 'Finance', 190],
        [2024, 'ICT', 60],
      ],
    );
    const check = ewiVsGrowth(ewi, emp);
    expect(check).toMatchObject({ checked: 3, flagged: 1 });
    expect(check.record.rows.map((r) => r.employment_yoy_percent)).toEqual([10, -5, 20]);
    expect(check.text).toBe(
      'Early-warning drops: 1 of 3 sectors show an employment drop above 3.0% while employment grew from 2023 to ' +
        '2024; worst Energy: drop 4.0%, employment 10.0% year over year',
    );
  });

  it('XSRC_GCC_UNEMPLOYMENT compares each country over the two sources in pp', () => {
    const fields = ['country', 'year', 'value'];
    const syn = result('syn_unemployment_rate_gcc_latest', 'percent', fields, [
      ['QAT', 2024, 0.3],
      ['OMN', 2024, 3.6],
    ]);
    const wb = result('wb_gcc_unemployment', 'percent', fields, [
      ['QAT', 2023, 0.1],
      ['QAT', 2024, 0.2],
      ['OMN', 2024, 2.0],
    ]);
    const check = xsrcGccUnemployment(syn, wb);
    expect(check).toMatchObject({ checked: 2, flagged: 1 });
    expect(check.record.rows.map((r) => r.country)).toEqual(['QAT', 'OMN']);
    expect(check.text).toContain('largest gap Oman: 3.6% vs 2.0%, 1.60 pp');
  });

  it('BOUNDS is an error for a percent level outside [0, 100] or a negative count', () => {
    const q = result(
      'syn_qatarization_by_sector_latest',
      'percent',
      ['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent'],
      [[2024, 'Energy', -3, 75, 120]],
    );
    const check = bounds([q]);
    expect(check).toMatchObject({ code: 'BOUNDS', severity: 'error', checked: 3, flagged: 2 });
    expect(check.record.rows.map((r) => [r.field, r.value])).toEqual([
      ['qataris', -3],
      ['qatarization_percent', 120],
    ]);
    expect(check.text).toContain('worst syn_qatarization_by_sector_latest row 1, qatarization_percent: 120');
  });

  it('STALE compares each source age with its SLA on the clock date', () => {
    const fresh = { ...result('a', 'count', ['x'], [[1]], '2025-01-10'), freshness_sla_days: 30 };
    const old = { ...result('b', 'count', ['x'], [[1]], '2024-01-01'), freshness_sla_days: 30 };
    const noSla = result('c', 'count', ['x'], [[1]], '2025-01-10'); // 5 days > the 72 h default
    const check = stale([fresh, old, noSla], CLOCK);
    expect(check).toMatchObject({ checked: 3, flagged: 2 });
    expect(check.record.rows.map((r) => [r.query_id, r.age_days, r.sla_days, r.flagged])).toEqual([
      ['a', 5, 30, false],
      ['b', 380, 30, true],
      ['c', 5, 3, true],
    ]);
    expect(check.text).toContain('worst b: as of 2024-01-01, 380 days old against an SLA of 30 days');
  });
});
