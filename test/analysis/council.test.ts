/** The council (analysis spec §7.1) on the seed-42 pack, offline, and its consensus rule on hand-built reports. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAnalysisServices, type AnalysisServices } from '../../src/analysis/analysis-services.js';
import { AnswerService } from '../../src/analysis/answer-service.js';
import {
  COUNCIL_METHODS,
  METHOD_FAILED,
  runCouncil,
  type CouncilRun,
  type CouncilResponse,
} from '../../src/analysis/council.js';
import { agreementOf, buildConsensus, type MetricReport } from '../../src/analysis/consensus.js';
import { verifyAuditRecord } from '../../src/analysis/audit/verify-record.js';
import { answerDigest } from '../../src/analysis/audit/digest.js';
import { markerIds } from '../../src/analysis/render/citations.js';
import type { DataClient, FindingMetric } from '../../src/analysis/model.js';
import { openPackData, type PackData } from '../support/analysis-data.js';

const HMAC_KEY = 'test-audit-hmac-key-0123456789abcdefghijkl';
const CLOCK = '2025-01-15';

const RUN_ORDER = [
  'NationalStrategy.gccBenchmark',
  'NationalStrategy.talentCompetition',
  'NationalStrategy.vision2030',
  'PatternDetective.anomalies',
  'PatternDetective.correlations',
  'PatternDetective.rootCauses',
  'PatternDetective.bestPractices',
  'TimeMachine.trend',
  'TimeMachine.trend',
];

/** The body without request_id, audit_id and timings_ms at any depth (analysis spec §8). */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'request_id' || k === 'audit_id' || k === 'timings_ms') continue;
      out[k] = stable(v);
    }
    return out;
  }
  return value;
}

/** A client that fails for one query id and reads the pack for every other. */
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
let run: CouncilRun;
let body: CouncilResponse;

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
  run = await runCouncil(services.answers, { requestId: 'council-test-1' });
  body = run.response;
});

afterAll(async () => {
  await pack?.close();
  vi.unstubAllGlobals();
});

describe('council on the seed-42 pack', () => {
  it('runs the nine methods of §7.1 in the fixed order, each with its own confidence', () => {
    expect(COUNCIL_METHODS.map((m) => `${m.agent}.${m.method}`)).toEqual(RUN_ORDER);
    expect(body.agents.map((a) => `${a.agent}.${a.method}`)).toEqual(RUN_ORDER);
    for (const a of body.agents) {
      expect(a.status).toBe('ok');
      expect(a.confidence).not.toBeNull();
      expect(['GREEN', 'AMBER']).toContain(a.confidence!.band);
    }
    // Each method's score is its own answer's §5.7 score, recorded as a derived result the narrative cites.
    for (const m of run.methods) {
      expect(m.confidence!.derived.rows[0]!.score).toBe(m.outcome!.envelope.confidence!.score);
      expect(body.citations.map((c) => c.id)).toContain(m.confidence!.derived.id);
    }
    expect(body.min_confidence).toBe(Math.min(...body.agents.map((a) => a.confidence!.score)));
  });

  it('merges the findings in run order, tagged with agent and method', () => {
    expect(body.findings.map((f) => `${f.agent}.${f.method}`)).toEqual(RUN_ORDER);
    expect(body.findings.map((f) => f.id)).toEqual([
      'gcc_benchmark',
      'talent_competition',
      'vision2030',
      'anomalies',
      'correlation',
      'root_causes',
      'best_practices',
      'trend',
      'trend',
    ]);
  });

  it('keeps the golden values of §3.7 in the merged findings', () => {
    const metric = (i: number, key: string) => body.findings[i]!.metrics.find((m) => m.key === key)?.value;
    expect(metric(0, 'qatar_value')).toBeCloseTo(0.27, 10);
    expect(metric(0, 'qatar_rank')).toBe(1);
    expect(metric(0, 'country_count')).toBe(6);
    expect(metric(0, 'gcc_average') as number).toBeCloseTo(2.64, 2);
    expect(metric(0, 'gap_to_average') as number).toBeCloseTo(-2.37, 2);
    expect(metric(1, 'mean_sector_attrition_percent') as number).toBeCloseTo(8.12, 10);
    expect(metric(1, 'highest_attrition_sector')).toBe('Public');
    expect(metric(1, 'high_pressure_count')).toBe(0);
    expect(metric(2, 'national_qatarization_percent') as number).toBeCloseTo(9.34, 2);
    expect(metric(2, 'gap_pp') as number).toBeCloseTo(20.66, 2);
    expect(metric(2, 'required_annual_gain_pp') as number).toBeCloseTo(3.44, 2);
    expect(metric(4, 'correlation') as number).toBeCloseTo(-0.669, 3);
  });

  it('holds the three shared keys in its consensus, each agent contributing its first value', async () => {
    const keys = body.consensus.map((c) => c.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'national_qatarization_percent',
        'mean_sector_attrition_percent',
        'mean_sector_qatarization_percent',
      ]),
    );
    const client = pack.client();
    // National Qatarization: Σ qataris / Σ workforce of the aggregates vs the latest national micro-data value.
    const agg = await client.run('syn_qatarization_by_sector_latest');
    const q = agg.rows.reduce((s, r) => s + (r.get('qataris') as number), 0);
    const all = agg.rows.reduce((s, r) => s + (r.get('qataris') as number) + (r.get('non_qataris') as number), 0);
    const series = await client.run('ts_qatarization_monthly');
    const national = series.rows.filter((r) => r.get('sector') === 'ALL' && r.get('value') !== null);
    const latest = national[national.length - 1]!.get('value') as number;
    const nat = body.consensus.find((c) => c.key === 'national_qatarization_percent')!;
    expect(nat.agents).toEqual(['NationalStrategy', 'TimeMachine']);
    expect(nat.unit).toBe('percent');
    expect(nat.values[0]).toBeCloseTo((100 * q) / all, 10);
    expect(nat.values[1]).toBe(latest);
    expect(nat.spread).toBeCloseTo(Math.abs(latest - (100 * q) / all), 10);
    expect(nat.mean).toBeCloseTo((latest + (100 * q) / all) / 2, 10);
    expect(nat.agreement).toBe(nat.spread <= 0.5 ? 'agree' : 'diverge');

    // Mean sector attrition: talentCompetition (first in run order) and anomalies, both the plain sector mean.
    const att = await client.run('syn_attrition_by_sector_latest');
    const meanAtt = att.rows.reduce((s, r) => s + (r.get('attrition_percent') as number), 0) / att.rows.length;
    const attrition = body.consensus.find((c) => c.key === 'mean_sector_attrition_percent')!;
    expect(attrition.agents).toEqual(['NationalStrategy', 'PatternDetective']);
    expect(attrition.values).toHaveLength(2);
    for (const v of attrition.values) expect(v).toBeCloseTo(meanAtt, 10);
    expect(attrition).toMatchObject({ spread: 0, agreement: 'agree' });

    const meanQat = agg.rows.reduce((s, r) => s + (r.get('qatarization_percent') as number), 0) / agg.rows.length;
    const qat = body.consensus.find((c) => c.key === 'mean_sector_qatarization_percent')!;
    expect(qat.agents).toEqual(['NationalStrategy', 'PatternDetective']);
    for (const v of qat.values) expect(v).toBeCloseTo(meanQat, 10);
    expect(qat.agreement).toBe('agree');
  });

  it('verifies the merged narrative: passed, with no citation or number issue', () => {
    expect(body.verification.passed).toBe(true);
    expect(body.verification.issues.filter((i) => i.layer === 'L1' || i.layer === 'L2')).toEqual([]);
    const report = run.verification.reports.citations;
    expect(report.total_numbers).toBeGreaterThan(50);
    expect(report.cited_numbers).toBe(report.total_numbers);
    expect(run.narrative).toContain('## Council Findings');
    expect(run.narrative).toContain('## Consensus');
    const ids = new Set(body.citations.map((c) => c.id));
    for (const id of markerIds(run.narrative)) expect(ids.has(id)).toBe(true);
    const sorted = [...body.citations.map((c) => c.id)].sort();
    expect(body.citations.map((c) => c.id)).toEqual(sorted);
    expect(body.freshness.clock_date).toBe(CLOCK);
  });

  it('stores a manifest under the endpoint "council" that verifies', async () => {
    expect(body.audit_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const record = await services.audit.get(body.audit_id!);
    expect(record).not.toBeNull();
    expect(record!.endpoint).toBe('council');
    expect(record!.manifest.verification.passed).toBe(true);
    expect(record!.manifest.clock_date).toBe(CLOCK);
    expect(record!.manifest.confidence).toEqual({ score: body.min_confidence, band: expect.any(String) });
    expect(record!.query_ids).toEqual(body.citations.filter((c) => c.kind === 'query').map((c) => c.id));
    const checks = verifyAuditRecord(record!, HMAC_KEY);
    expect(checks).toMatchObject({ answer_digest_ok: true, manifest_digest_ok: true, hmac_ok: true });
  });

  it('replays with audit off to the stored answer digest (for audit verify --replay)', async () => {
    const record = await services.audit.get(body.audit_id!);
    const replayer = new AnswerService({
      queries: pack.data.queryService,
      clockDate: () => record!.manifest.clock_date,
      codeVersion: record!.manifest.code_version,
      hmacKey: undefined,
      audit: null,
    });
    const replayed = await runCouncil(replayer, { requestId: 'replay', audit: false });
    expect(answerDigest(replayed.response)).toBe(record!.manifest.answer_digest_sha256);
  });

  it('gives the same body twice (request_id, audit_id and timings_ms aside)', async () => {
    const again = await runCouncil(services.answers, { requestId: 'council-test-2' });
    expect(JSON.stringify(stable(again.response))).toBe(JSON.stringify(stable(body)));
    expect(again.response.audit_id).not.toBe(body.audit_id);
  });

  it('records a failing method as failed with a warning, and the other eight still run', async () => {
    const client = failingFor(pack.client(), 'syn_unemployment_rate_gcc_latest');
    const failed = await runCouncil(services.answers, { requestId: 'council-test-3', client });
    const r = failed.response;
    expect(r.agents[0]).toEqual({
      agent: 'NationalStrategy',
      method: 'gccBenchmark',
      status: 'failed',
      confidence: null,
    });
    expect(r.agents.slice(1).map((a) => a.status)).toEqual(Array(8).fill('ok'));
    expect(r.findings.map((f) => `${f.agent}.${f.method}`)).toEqual(RUN_ORDER.slice(1));
    const warning = r.warnings.find((w) => w.code === METHOD_FAILED);
    expect(warning).toEqual({
      code: METHOD_FAILED,
      message: 'NationalStrategy.gccBenchmark failed: source down: syn_unemployment_rate_gcc_latest',
      source: 'agent',
    });
    expect(r.min_confidence).toBe(Math.min(...r.agents.slice(1).map((a) => a.confidence!.score)));
    expect(r.verification.passed).toBe(true);
    expect(failed.narrative).toContain('**NationalStrategy gccBenchmark**: the method failed');
    expect(r.consensus.map((c) => c.key)).toContain('national_qatarization_percent');
  });

  it('still answers when the manifest cannot be stored: audit_id null and AUDIT_WRITE_FAILED', async () => {
    const errors: unknown[] = [];
    const answers = new AnswerService({
      queries: pack.data.queryService,
      clockDate: () => CLOCK,
      codeVersion: '0.0.0-test',
      hmacKey: undefined,
      audit: { put: () => Promise.reject(new Error('store down')), get: () => Promise.resolve(null) },
      onAuditError: (err) => errors.push(err),
    });
    const r = (await runCouncil(answers, { requestId: 'council-test-4' })).response;
    expect(r.audit_id).toBeNull();
    expect(r.warnings.at(-1)).toEqual({
      code: 'AUDIT_WRITE_FAILED',
      message: 'the audit manifest could not be stored',
      source: 'agent',
    });
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(stable({ ...r, warnings: r.warnings.slice(0, -1) }))).toBe(JSON.stringify(stable(body)));
  });

  it('reads nothing from the network', () => {
    expect(fetchStub).not.toHaveBeenCalled();
  });
});

// ---- consensus rule on hand-built reports ----------------------------------------------------------------------

function report(agent: string, key: string, value: number | string | null, unit: FindingMetric['unit']): MetricReport {
  return { agent, metric: { key, label: key, value, unit, citation: `src_${agent}` }, source: null };
}

describe('consensus', () => {
  it('takes keys reported by two or more distinct agents, first value per agent in run order', () => {
    const items = buildConsensus([
      report('A', 'k', 10, 'percent'),
      report('A', 'k', 50, 'percent'), // a later value of the same agent is ignored
      report('B', 'k', 10.4, 'percent'),
      report('A', 'only_a', 1, 'count'),
      report('A', 'only_a', 2, 'count'), // one agent twice is not consensus
      report('C', 'text_key', 'x', 'text'),
      report('D', 'text_key', 'x', 'text'),
    ]);
    expect(items.map((i) => i.entry)).toEqual([
      {
        key: 'k',
        unit: 'percent',
        agents: ['A', 'B'],
        values: [10, 10.4],
        mean: 10.2,
        min: 10,
        max: 10.4,
        spread: expect.closeTo(0.4, 12),
        agreement: 'agree',
      },
    ]);
    expect(items[0]!.citations).toEqual(['src_A', 'src_B']);
    expect(items[0]!.record.id).toMatch(/^derived_council_consensus_[0-9a-f]{8}$/);
    expect(items[0]!.record.rows[0]).toMatchObject({ key: 'k', agents: 'A, B', agent_count: 2, agreement: 'agree' });
  });

  it('skips null values and values in another unit than the first report', () => {
    const items = buildConsensus([
      report('A', 'k', null, 'percent'),
      report('A', 'k', 12, 'percent'),
      report('B', 'k', 12, 'pp'),
      report('C', 'k', 12.2, 'percent'),
    ]);
    expect(items[0]!.entry.agents).toEqual(['A', 'C']);
    expect(items[0]!.entry.values).toEqual([12, 12.2]);
  });

  it('agrees within the §5.2 tolerance of the unit (absolute, or 1% relative) and diverges beyond it', () => {
    expect(agreementOf([10, 10.5], 'percent')).toBe('agree');
    expect(agreementOf([10, 10.6], 'percent')).toBe('diverge');
    expect(agreementOf([-2.0, -2.5], 'pp')).toBe('agree');
    expect(agreementOf([-2.0, -2.6], 'pp')).toBe('diverge');
    expect(agreementOf([14000, 14050], 'qar')).toBe('agree');
    expect(agreementOf([1000, 1009], 'count')).toBe('agree'); // 0.9% of 1009
    expect(agreementOf([1000, 1011], 'count')).toBe('diverge');
    expect(agreementOf([0.5, 0.5004], 'ratio')).toBe('agree');
    expect(agreementOf([0.5, 0.51], 'ratio')).toBe('diverge');
  });
});
