/**
 * Pinned answers (issue 5 acceptance, analysis spec §2.4, §3, §4.2, §5.6): questions through POST /api/v1/ask on the
 * seed-42 pack. For each, the intent, the extracted entities and params_used are pinned, and the executive summary is
 * pinned as a template whose every number is recomputed here, independently of src/analysis, from the rows of the
 * cited queries (run through the app's queries API) with test/analysis/support/reference-analytics.ts. A derived
 * result's number is also compared, at full precision, with the matching field of the citation's params where the
 * answer records it there.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import canonicalizeModule from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnalysisApp, type AnalysisApp } from '../support/analysis-app.js';
import {
  averageRanks,
  count,
  cusumBreaks,
  ewmaLast,
  mad,
  mean,
  median,
  pct,
  pctChange,
  pp,
  qar,
  r3,
  referenceForecast,
  relation,
  relationText,
  sdSample,
  slopeLast,
  spearman,
  standardise,
  sum,
  winsorise,
  type Relation,
} from './support/reference-analytics.js';
import { createRouter } from '../../src/analysis/router/router.js';
import { INTENTS } from '../../src/analysis/model.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

type Row = Record<string, unknown>;

interface Citation {
  id: string;
  kind: 'query' | 'derived';
  operation?: string;
  inputs?: string[];
  params?: Record<string, unknown>;
}

interface Envelope {
  status: string;
  intent: string | null;
  router: {
    entities: Record<string, unknown>;
    entities_ignored: unknown[];
    params_used: Record<string, unknown>;
    defaults_applied: string[];
  } | null;
  sections: { id: string; title: string; body_md: string }[];
  narrative: string;
  citations: Citation[];
  verification: { passed: boolean; issues: { layer: string; code: string; severity: string }[] };
  confidence: { score: number; band: string } | null;
  warnings: { code: string; source: string }[];
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
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

let t: AnalysisApp;
const rowCache = new Map<string, Promise<Row[]>>();

beforeAll(async () => {
  t = await buildAnalysisApp();
});

afterAll(async () => {
  await t?.close();
});

/** What the pinned answers covered (checked by the last test of the pinned block). */
const covered = { intents: new Set<string>(), sectors: new Set<string>(), metrics: new Set<string>() };

async function ask(question: string): Promise<Envelope> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/ask', payload: { question } });
  expect(res.statusCode, res.body).toBe(200);
  const b = res.json() as Envelope;
  if (b.intent) covered.intents.add(b.intent);
  for (const s of (b.router?.entities.sectors ?? []) as string[]) covered.sectors.add(s);
  for (const m of (b.router?.entities.metrics ?? []) as string[]) covered.metrics.add(m);
  return b;
}

/** All rows of a registered query, through POST /api/v1/queries/{id}/run (one page). */
function rows(id: string, overrides: Record<string, unknown> = {}): Promise<Row[]> {
  const key = `${id} ${JSON.stringify(overrides)}`;
  let pending = rowCache.get(key);
  if (!pending) {
    pending = t.app
      .inject({ method: 'POST', url: `/api/v1/queries/${id}/run`, payload: { override_params: overrides } })
      .then((res) => {
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json() as { rows: Row[]; row_count: number };
        expect(body.rows.length).toBe(body.row_count);
        return body.rows;
      });
    rowCache.set(key, pending);
  }
  return pending;
}

interface Point {
  period: string;
  value: number;
}

/** A monthly ts_* series of one sector, nulls dropped, oldest first. */
async function monthly(metric: string, sector: string): Promise<Point[]> {
  const all = await rows(`ts_${metric}_monthly`, { sector });
  return all
    .filter((r) => r.sector === sector && typeof r.value === 'number')
    .map((r) => ({ period: String(r.period), value: r.value as number }));
}

/** The default window of a monthly series: the last 36 months (§1.4). */
const last36 = (s: Point[]): Point[] => s.slice(-36);
const values = (s: Point[]): number[] => s.map((p) => p.value);

async function bySector(id: string, field: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const r of await rows(id)) out.set(String(r.sector), r[field] as number);
  return out;
}

const section = (b: Envelope, id: string): string => b.sections.find((s) => s.id === id)?.body_md ?? '';
const summary = (b: Envelope): string => section(b, 'executive_summary');
const keyFindings = (b: Envelope): string => section(b, 'key_findings');
const derivedParams = (b: Envelope, id: string): Record<string, unknown> => {
  const c = b.citations.find((x) => x.id === id);
  expect(c, `citation ${id}`).toBeDefined();
  return c!.params ?? {};
};
/** "A, B and C" */
const listing = (items: readonly string[]): string =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** §5.6: verification passed with no L1/L2 issue, band GREEN or AMBER, markers resolve, §1.5 derived ids. */
function expectSoundAnswer(b: Envelope): void {
  expect(b.status).toBe('answered');
  expect(b.verification.passed).toBe(true);
  expect(b.verification.issues.filter((i) => i.layer === 'L1' || i.layer === 'L2')).toEqual([]);
  expect(['GREEN', 'AMBER']).toContain(b.confidence?.band);
  const ids = new Set(b.citations.map((c) => c.id));
  for (const m of b.narrative.matchAll(/\[cite:([^\]]+)\]/g)) {
    for (const id of m[1]!.split(',')) expect(ids.has(id), `marker ${id}`).toBe(true);
  }
  for (const c of b.citations.filter((x) => x.kind === 'derived')) {
    const h8 = createHash('sha256')
      .update(canonicalize({ operation: c.operation, inputs: [...c.inputs!].sort(), params: c.params }) ?? '')
      .digest('hex')
      .slice(0, 8);
    expect(c.id).toBe(`derived_${c.operation}_${h8}`);
  }
}

const noEntities = { sectors: [], metrics: [], countries: [], time: [], numbers: [], changes: [], top_n: null };

describe('pinned answers to /api/v1/ask on the seed-42 pack', () => {
  it('Q1 strategy.vision2030: national gap to the 2030 target (§3.6, golden values §3.7)', async () => {
    const b = await ask('How far are we from the Vision 2030 nationalization goal?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('strategy.vision2030');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['qatarization'] });
    expect(b.router!.params_used).toEqual({ target_percent: 30, target_year: 2030, focus_sector: null });
    expect(b.router!.defaults_applied).toEqual(['target_percent', 'target_year']);

    const q = await rows('syn_qatarization_by_sector_latest');
    const qataris = sum(q.map((r) => r.qataris as number));
    const workforce = sum(q.map((r) => (r.qataris as number) + (r.non_qataris as number)));
    const national = (100 * qataris) / workforce;
    const gap = 30 - national;
    const years = 2030 - Math.max(...q.map((r) => r.year as number));
    expect([national.toFixed(2), gap.toFixed(2), years, (gap / years).toFixed(2)]).toEqual([
      '9.34',
      '20.66',
      6,
      '3.44',
    ]);
    const d = 'derived_ns_vision2030_ac55f41e';
    expect(summary(b)).toBe(
      `National Qatarization in 2024 is ${pct(national)}: ${count(qataris)} Qataris among ${count(workforce)} employees of the 10 sectors [cite:syn_qatarization_by_sector_latest,${d}]. ` +
        `Against the target of ${pct(30)} by 2030, the gap is ${pp(gap)}, ${pct((gap / 30) * 100)} of the target [cite:${d}]. ` +
        `With ${years} years remaining, the required gain is ${pp(gap / years)} a year [cite:${d}].`,
    );
    const meanSector = mean(q.map((r) => r.qatarization_percent as number));
    const atTarget = q.filter((r) => (r.qatarization_percent as number) >= 30).length;
    expect(keyFindings(b)).toContain(
      `Risk band: high. The unweighted mean of sector Qatarization is ${pct(meanSector)}; ${atTarget} of 10 sectors are at or above the target [cite:${d}].`,
    );
  });

  it('Q2 strategy.vision2030 with a named sector: the focus sector gap (§2.4 entity → focus_sector)', async () => {
    const b = await ask('Is Finance on track for the 30% Qatarization target?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('strategy.vision2030');
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['Finance'],
      metrics: ['qatarization'],
      numbers: [{ value: 30, unit: 'percent', span: [28, 31] }],
    });
    expect(b.router!.params_used).toEqual({ target_percent: 30, target_year: 2030, focus_sector: 'Finance' });
    const finance = (await bySector('syn_qatarization_by_sector_latest', 'qatarization_percent')).get('Finance')!;
    const d = 'derived_ns_vision2030_5529f675';
    expect(summary(b)).toContain(`the gap is 20.66 pp, 68.9% of the target [cite:${d}]`);
    expect(keyFindings(b)).toContain(
      `Finance: ${pct(finance)}, a gap of ${pp(30 - finance)} to the target, ${pp((30 - finance) / 6)} a year needed [cite:syn_qatarization_by_sector_latest,${d}].`,
    );
    expect(keyFindings(b)).toContain(
      `| Finance Qatarization | ${pct(finance)} | percent | [cite:syn_qatarization_by_sector_latest] |`,
    );
  });

  it('Q3 time.trend: employment in Transport over the default 36-month window (§3.1)', async () => {
    const b = await ask('Is employment in Transport rising or falling?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('time.trend');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Transport'], metrics: ['employment'] });
    expect(b.router!.params_used).toEqual({
      metric: 'employment',
      sector: 'Transport',
      start: null,
      end: null,
      base_period: null,
      frequency: 'auto',
      alpha: 0.25,
    });
    const w = last36(await monthly('employment', 'Transport'));
    const y = values(w);
    const n = y.length;
    const last = y[n - 1]!;
    const yoy = pctChange(last, y[n - 13]!)!;
    const qoq = pctChange(last, y[n - 4]!)!;
    const change = pctChange(last, y[0]!)!;
    const eps = 0.001 * Math.abs(mean(y.slice(-3)));
    const s3 = slopeLast(y, 3)!;
    const direction = s3 > eps ? 'up' : s3 < -eps ? 'down' : 'flat';
    const d = 'derived_tm_trend_c78bf7ea';
    expect(summary(b)).toBe(
      `**Employment, Transport, monthly ${w[0]!.period} to ${w[n - 1]!.period}: direction ${direction}.** The latest value is ${count(last)} in ${w[n - 1]!.period} [cite:ts_employment_monthly]. ` +
        `Year over year: ${pct(yoy)}; change over the window: ${pct(change)} [cite:${d}]. ` +
        `Quarter over quarter (three months): ${pct(qoq)} [cite:${d}].`,
    );
    expect(w[0]!.period).toBe('2022-01');
    const p = derivedParams(b, d);
    expect(p.yoy_percent as number).toBeCloseTo(yoy, 9);
    expect(p.ewma_latest as number).toBeCloseTo(ewmaLast(y, 0.25), 9);
    expect(p.slope_6 as number).toBeCloseTo(slopeLast(y, 6)!, 9);
    expect(p.slope_12 as number).toBeCloseTo(slopeLast(y, 12)!, 9);
    expect(keyFindings(b)).toContain(
      `EWMA (alpha 0.25): ${count(ewmaLast(y, 0.25))} [cite:${d}]. OLS slopes per period, last three points: ${r3(s3)}; last six: ${r3(slopeLast(y, 6)!)}; last twelve: ${r3(slopeLast(y, 12)!)} [cite:${d}].`,
    );
  });

  it('Q4 time.trend with a backward time entity: Qatarization in Energy since 2019 (§2.5)', async () => {
    const b = await ask('Show the momentum of Qatarization in Energy since 2019');
    expectSoundAnswer(b);
    expect(b.intent).toBe('time.trend');
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['Energy'],
      metrics: ['qatarization'],
      time: [{ kind: 'since', start: '2019', end: '2024', months: 72 }],
    });
    expect(b.router!.params_used).toEqual({
      metric: 'qatarization',
      sector: 'Energy',
      start: '2019',
      end: '2024',
      base_period: null,
      frequency: 'auto',
      alpha: 0.25,
    });
    const w = (await monthly('qatarization', 'Energy')).filter((p) => p.period >= '2019-01' && p.period <= '2024-12');
    const y = values(w);
    const n = y.length;
    expect(n).toBe(72);
    const last = y[n - 1]!;
    const eps = 0.001 * Math.abs(mean(y.slice(-3)));
    const s3 = slopeLast(y, 3)!;
    const direction = s3 > eps ? 'up' : s3 < -eps ? 'down' : 'flat';
    const d = 'derived_tm_trend_f4ab3d8f';
    expect(summary(b)).toBe(
      `**Qatarization, Energy, monthly 2019-01 to 2024-12: direction ${direction}.** The latest value is ${pct(last)} in 2024-12 [cite:ts_qatarization_monthly]. ` +
        `Year over year: ${pct(pctChange(last, y[n - 13]!)!)}; change over the window: ${pct(pctChange(last, y[0]!)!)} [cite:${d}]. ` +
        `Quarter over quarter (three months): ${pct(pctChange(last, y[n - 4]!)!)} [cite:${d}].`,
    );
    expect(derivedParams(b, d).window_change_percent as number).toBeCloseTo(pctChange(last, y[0]!)!, 9);
  });

  it('Q5 pattern.correlation: Spearman of Qatarization and attrition across sectors (golden −0.669)', async () => {
    const b = await ask('Is Qatarization linked to attrition across sectors?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.correlation');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['ALL'], metrics: ['qatarization', 'attrition'] });
    expect(b.router!.params_used).toEqual({
      x_metric: 'qatarization',
      y_metric: 'attrition',
      method: 'spearman',
      min_correlation: 0.5,
      min_sample_size: 5,
      focus_sector: null,
    });
    const qat = await bySector('syn_qatarization_by_sector_latest', 'qatarization_percent');
    const att = await bySector('syn_attrition_by_sector_latest', 'attrition_percent');
    const r = spearman(
      SECTORS.map((s) => qat.get(s)!),
      SECTORS.map((s) => att.get(s)!),
    )!;
    expect(r3(r)).toBe('-0.669');
    const d = 'derived_pd_correlation_cabcce0b';
    expect(summary(b)).toBe(
      `Spearman correlation between qatarization and attrition across 10 sectors: ${r3(r)} [cite:${d}]. ` +
        `The association is ${r < 0 ? 'negative' : 'positive'} and ${Math.abs(r) >= 0.5 ? 'meets' : 'does not meet'} the threshold of 0.5 in absolute value [cite:${d}]. ` +
        'Association is not causation: the sectors differ in many ways at once.',
    );
  });

  it('Q6 pattern.root_causes: worst vs best attrition groups, drivers and the focus sector (§3.2)', async () => {
    const b = await ask('Why is attrition so high in Hospitality?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.root_causes');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Hospitality'], metrics: ['attrition'] });
    expect(b.router!.params_used).toEqual({
      outcome: 'attrition',
      drivers: ['employment', 'qatarization', 'avg_salary'],
      top_n: 3,
      focus_sector: 'Hospitality',
    });
    const att = await bySector('syn_attrition_by_sector_latest', 'attrition_percent');
    // Worst to best: attrition is lower-is-better, so the highest first; ties keep canonical order (stable sort).
    const order = [...SECTORS].sort((a, c) => att.get(c)! - att.get(a)!);
    const worst = order.slice(0, 3);
    const best = order.slice(-3);
    const drivers = {
      avg_salary: await bySector('syn_avg_salary_by_sector_latest', 'avg_salary_qr'),
      qatarization: await bySector('syn_qatarization_by_sector_latest', 'qatarization_percent'),
      employment: await bySector('syn_sector_employment_latest', 'employees'),
    };
    const stats = Object.fromEntries(
      Object.entries(drivers).map(([k, m]) => {
        const wm = mean(worst.map((s) => m.get(s)!));
        const bm = mean(best.map((s) => m.get(s)!));
        return [k, { wm, bm, diff: wm - bm, std: (wm - bm) / sdSample(SECTORS.map((s) => m.get(s)!)) }];
      }),
    ) as Record<keyof typeof drivers, { wm: number; bm: number; diff: number; std: number }>;
    const ranked = (Object.keys(stats) as (keyof typeof drivers)[]).sort(
      (a, c) => Math.abs(stats[c].std) - Math.abs(stats[a].std),
    );
    expect(ranked).toEqual(['avg_salary', 'qatarization', 'employment']);
    const { avg_salary: s, qatarization: q, employment: e } = stats;
    expect([q.wm.toFixed(2), q.bm.toFixed(2), q.diff.toFixed(2)]).toEqual(['8.23', '11.51', '-3.29']);
    expect(summary(b)).toBe(
      `Attrition over 10 sectors: the 3 worst (${listing(worst)}) are compared with the 3 best (${listing([...best].reverse())}) [cite:derived_pd_root_cause_groups_e04e7544]. ` +
        `Average salary: worst-group mean ${qar(s.wm)} vs best-group mean ${qar(s.bm)}, difference ${qar(s.diff)}, standardised ${r3(s.std)} [cite:derived_pd_root_cause_driver_10614c24]. ` +
        `Qatarization: worst-group mean ${pct(q.wm)} vs best-group mean ${pct(q.bm)}, difference ${pp(q.diff)}, standardised ${r3(q.std)} [cite:derived_pd_root_cause_driver_fb206ed5].`,
    );
    // Competition ranking, 1 = best (lowest attrition); Hospitality ties with Healthcare.
    const rank = 1 + SECTORS.filter((x) => att.get(x)! < att.get('Hospitality')!).length;
    expect(keyFindings(b)).toContain(
      `Employment: worst-group mean ${count(e.wm)} vs best-group mean ${count(e.bm)}, difference ${count(e.diff)}, standardised ${r3(e.std)} [cite:derived_pd_root_cause_driver_a7171927].`,
    );
    expect(keyFindings(b)).toContain(
      `Hospitality ranks ${rank} of 10 on attrition, rank 1 being the best [cite:derived_pd_root_cause_groups_e04e7544].`,
    );
    const hs = drivers.avg_salary.get('Hospitality')!;
    expect(keyFindings(b)).toContain(
      `Hospitality: average salary ${qar(hs)} (${qar(hs - s.bm)} against the best-group mean) [cite:derived_pd_root_cause_driver_10614c24]`,
    );
  });

  it('Q7 pattern.best_practices: top-5 Qatarization sectors and their margin (golden 12.6 / 10.3)', async () => {
    const b = await ask('Which sectors are the top performers on Qatarization?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.best_practices');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['qatarization'] });
    expect(b.router!.params_used).toEqual({ metric: 'qatarization', top_n: 5, focus_sector: null });
    const qat = await bySector('syn_qatarization_by_sector_latest', 'qatarization_percent');
    const top = [...SECTORS].sort((a, c) => qat.get(c)! - qat.get(a)!).slice(0, 5);
    const topAvg = mean(top.map((s) => qat.get(s)!));
    const overall = mean(SECTORS.map((s) => qat.get(s)!));
    const d = 'derived_pd_best_practices_3a822721';
    expect(summary(b)).toBe(
      `The 5 sectors with the highest qatarization average ${pct(topAvg)}, against an unweighted average of ${pct(overall)} over all 10 sectors [cite:${d}]. ` +
        `The performance gap is ${pp(topAvg - overall)}, positive meaning better than average [cite:${d}]. ` +
        `Leading sectors: ${top.map((s) => `${s} ${pct(qat.get(s)!)}`).join(', ')} [cite:syn_qatarization_by_sector_latest,derived_pd_best_practice_ranking_1af55021].`,
    );
    expect([pct(topAvg), pct(overall)]).toEqual(['12.6%', '10.3%']);
  });

  it('Q8 strategy.gcc_benchmark: Qatar unemployment against the GCC, synthetic source (golden 0.27, rank 1)', async () => {
    const b = await ask("How does Qatar's unemployment compare with the rest of the GCC?");
    expectSoundAnswer(b);
    expect(b.intent).toBe('strategy.gcc_benchmark');
    const gcc = ['QAT', 'ARE', 'SAU', 'KWT', 'BHR', 'OMN'];
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['unemployment'], countries: gcc });
    expect(b.router!.params_used).toEqual({
      metric: 'unemployment',
      source: 'synthetic',
      countries: gcc,
      min_countries: 3,
    });
    const u = new Map((await rows('syn_unemployment_rate_gcc_latest')).map((r) => [r.country, r.value as number]));
    const qatar = u.get('QAT')!;
    const avg = mean([...u.values()]);
    const rank = 1 + [...u.values()].filter((v) => v < qatar).length;
    const d = 'derived_ns_gcc_benchmark_c2d47636';
    expect(summary(b)).toBe(
      `Unemployment rate (synthetic data, 2024): Qatar ${pct(qatar)}, rank ${rank} of 6 GCC countries, rank 1 being the lowest [cite:syn_unemployment_rate_gcc_latest,${d}]. ` +
        `The GCC average is ${pct(avg)}, so Qatar is ${pp(qatar - avg)} from the average [cite:${d}]. ` +
        `Qatar has the best value in the group [cite:${d}].`,
    );
    expect([qatar, avg.toFixed(2), (qatar - avg).toFixed(2)]).toEqual([0.27, '2.64', '-2.37']);
    const names: Record<string, string> = {
      QAT: 'Qatar',
      ARE: 'United Arab Emirates',
      SAU: 'Saudi Arabia',
      KWT: 'Kuwait',
      BHR: 'Bahrain',
      OMN: 'Oman',
    };
    const ranking = [...u.entries()].sort((a, c) => a[1] - c[1]).map(([k, v]) => `${names[k as string]} ${pct(v)}`);
    expect(keyFindings(b)).toContain(
      `Ranking: ${ranking.join(', ')} [cite:syn_unemployment_rate_gcc_latest,derived_ns_gcc_ranking_7b61ec6b].`,
    );
  });

  it('Q9 strategy.gcc_benchmark: female participation, World Bank snapshot, three named countries', async () => {
    const b = await ask('Qatar vs Oman and Bahrain on female participation');
    expectSoundAnswer(b);
    expect(b.intent).toBe('strategy.gcc_benchmark');
    expect(b.router!.entities).toEqual({
      ...noEntities,
      metrics: ['female_labour_force_participation'],
      countries: ['QAT', 'OMN', 'BHR'],
    });
    expect(b.router!.params_used).toEqual({
      metric: 'female_labour_force_participation',
      source: 'world_bank',
      countries: ['QAT', 'BHR', 'OMN'],
      min_countries: 3,
    });
    // Latest non-null year per country.
    const latest = new Map<string, { year: number; value: number }>();
    for (const r of await rows('wb_gcc_female_labour_force_participation')) {
      if (typeof r.value !== 'number') continue;
      const prev = latest.get(r.country as string);
      if (!prev || (r.year as number) > prev.year)
        latest.set(r.country as string, { year: r.year as number, value: r.value });
    }
    const kept = ['QAT', 'BHR', 'OMN'].map((c) => latest.get(c)!);
    expect(new Set(kept.map((k) => k.year))).toEqual(new Set([2024]));
    const qatar = kept[0]!.value;
    const avg = mean(kept.map((k) => k.value));
    const rank = 1 + kept.filter((k) => k.value > qatar).length;
    const d = 'derived_ns_gcc_benchmark_60ebdd3c';
    expect(summary(b)).toBe(
      `Female labour force participation (World Bank data, 2024): Qatar ${pct(qatar)}, rank ${rank} of 3 GCC countries, rank 1 being the highest [cite:wb_gcc_female_labour_force_participation,${d}]. ` +
        `The GCC average is ${pct(avg)}, so Qatar is ${pp(qatar - avg)} from the average [cite:${d}]. ` +
        `Qatar has the best value in the group [cite:${d}].`,
    );
  });

  it('Q10 strategy.talent_competition: pressure levels and the focus sector salary premium (golden 8.12)', async () => {
    const b = await ask('Is a salary premium drawing workers into Energy?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('strategy.talent_competition');
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['Energy'],
      metrics: ['avg_salary', 'employment'],
    });
    expect(b.router!.params_used).toEqual({ high_multiplier: 1.5, focus_sector: 'Energy' });
    expect(b.router!.entities_ignored).toEqual([
      { entity: 'metrics', value: 'employment', reason: 'not used by strategy.talent_competition' },
    ]);
    const att = await bySector('syn_attrition_by_sector_latest', 'attrition_percent');
    const sal = await bySector('syn_avg_salary_by_sector_latest', 'avg_salary_qr');
    const avg = mean(SECTORS.map((s) => att.get(s)!));
    const high = SECTORS.filter((s) => att.get(s)! > 1.5 * avg).length;
    const moderate = SECTORS.filter((s) => att.get(s)! > avg && att.get(s)! <= 1.5 * avg).length;
    const d = 'derived_ns_talent_competition_cc34db55';
    expect(summary(b)).toBe(
      `Mean sector attrition is ${pct(avg)} across 10 sectors [cite:syn_attrition_by_sector_latest,${d}]. ` +
        `High pressure means attrition above 1.5 times the mean (${pct(1.5 * avg)}), moderate means above the mean [cite:${d}]. ` +
        `${high} sectors are under high pressure and ${moderate} under moderate pressure [cite:${d}].`,
    );
    const meanSalary = mean(SECTORS.map((s) => sal.get(s)!));
    const premium = pctChange(sal.get('Energy')!, meanSalary)!;
    expect(keyFindings(b)).toContain(
      `Salary premiums are measured against the mean sector salary of ${qar(meanSalary)} [cite:${d}]. ` +
        `Energy: attrition ${pct(att.get('Energy')!)}, low pressure, salary premium ${pct(premium)} [cite:derived_ns_talent_pressure_cad21391].`,
    );
  });

  it('Q11 pattern.anomalies: sector salaries, z-scores on the winsorised mean and sample SD (§3.2)', async () => {
    const b = await ask('Flag outlier sectors for average salary');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.anomalies');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['avg_salary'] });
    expect(b.router!.params_used).toEqual({
      metric: 'avg_salary',
      level: 'sector',
      sector: null,
      z_threshold: 2.5,
      min_sample_size: 5,
      winsor_p: 0.05,
    });
    const sal = await bySector('syn_avg_salary_by_sector_latest', 'avg_salary_qr');
    const x = SECTORS.map((s) => sal.get(s)!);
    const w = winsorise(x, 0.05);
    const m = mean(w);
    const sd = sdSample(w);
    const z = x.map((v) => (v - m) / sd);
    const top = z.map((v, i) => ({ v, i })).sort((a, c) => Math.abs(c.v) - Math.abs(a.v))[0]!;
    const flagged = z.filter((v) => Math.abs(v) >= 2.5).length;
    const d = 'derived_pd_anomalies_c1c85653';
    expect(summary(b)).toBe(
      `Average salary across 10 sectors: ${flagged} sectors are flagged at an absolute z-score of at least 2.5 [cite:syn_avg_salary_by_sector_latest,${d}]. ` +
        `The mean is ${qar(mean(x))}; z-scores use the mean (${qar(m)}) and sample standard deviation (${qar(sd)}) of the values winsorised with p = 0.05 [cite:${d}]. ` +
        `The largest absolute z-score is ${r3(Math.abs(top.v))} (${SECTORS[top.i]}, ${qar(x[top.i]!)}) [cite:syn_avg_salary_by_sector_latest,${d},derived_pd_anomaly_scores_7cf036ad].`,
    );
  });

  it('Q12 pattern.anomalies at company level: Construction employers with low retention (§2.4 level rule)', async () => {
    const b = await ask('Which Construction employers have unusually low retention?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.anomalies');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Construction'], metrics: ['retention'] });
    expect(b.router!.params_used).toEqual({
      metric: 'retention',
      level: 'company',
      sector: 'Construction',
      z_threshold: 2.5,
      min_sample_size: 5,
      winsor_p: 0.05,
    });
    const companies = (await rows('lmis_company_retention_latest')).filter(
      (r) => r.sector === 'Construction' && (r.base as number) >= 15 && typeof r.value === 'number',
    );
    const x = companies.map((r) => r.value as number);
    const w = winsorise(x, 0.05);
    const m = mean(w);
    const sd = sdSample(w);
    const scored = companies
      .map((r) => ({ name: r.company_name as string, value: r.value as number, z: ((r.value as number) - m) / sd }))
      .filter((c) => Math.abs(c.z) >= 2.5)
      .sort((a, c) => Math.abs(c.z) - Math.abs(a.z));
    const d = 'derived_pd_anomalies_7899d8c3';
    expect(summary(b)).toBe(
      `Retention across ${companies.length} companies in Construction with a base of at least 15: ${scored.length} companies are flagged at an absolute z-score of at least 2.5 [cite:lmis_company_retention_latest,${d}]. ` +
        `The mean is ${pct(mean(x))}; z-scores use the mean (${pct(m)}) and sample standard deviation (${pp(sd)}) of the values winsorised with p = 0.05 [cite:${d}]. ` +
        `Flagged: ${scored.map((c) => `${c.name} ${c.z < 0 ? 'low' : 'high'} at ${pct(c.value)} (z ${r3(c.z)})`).join('; ')} [cite:lmis_company_retention_latest,derived_pd_anomaly_scores_0891c336].`,
    );
    expect(scored.map((c) => c.name)).toEqual(['Company 00060', 'Company 00250']);
  });

  it('Q13 time.baseline: ICT attrition against its seasonal baseline and MAD band (§3.1)', async () => {
    const b = await ask('Is current ICT attrition above its historical baseline?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('time.baseline');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['ICT'], metrics: ['attrition'] });
    expect(b.router!.params_used).toEqual({
      metric: 'attrition',
      sector: 'ICT',
      start: null,
      end: null,
      base_period: null,
      frequency: 'auto',
    });
    const w = last36(await monthly('attrition', 'ICT'));
    const y = values(w);
    const phase = (p: Point) => Number(p.period.slice(5, 7));
    const phaseMean = new Map<number, number>();
    for (let mth = 1; mth <= 12; mth++) phaseMean.set(mth, mean(w.filter((p) => phase(p) === mth).map((p) => p.value)));
    const base = w.map((p) => phaseMean.get(phase(p))!);
    const band = 1.5 * mad(y.map((v, i) => v - base[i]!));
    const lower = base.map((v) => Math.max(0, v - band));
    const upper = base.map((v) => Math.min(100, v + band));
    const n = y.length;
    const latest = y[n - 1]!;
    const position = latest > upper[n - 1]! ? 'above' : latest < lower[n - 1]! ? 'below' : 'within';
    const outside = y.filter((v, i) => v > upper[i]! || v < lower[i]!).length;
    const d = 'derived_tm_baseline_25a29be2';
    expect(summary(b)).toBe(
      `**Attrition, ICT, monthly ${w[0]!.period} to ${w[n - 1]!.period}.** The latest value, ${pct(latest)} in ${w[n - 1]!.period} [cite:ts_attrition_monthly], is ${position} the normal band around its seasonal baseline of ${pct(base[n - 1]!)} [cite:${d}]. ` +
        `The band runs from ${pct(lower[n - 1]!)} to ${pct(upper[n - 1]!)}: the baseline plus or minus 1.5 times the median absolute deviation of the residuals [cite:${d}]. ` +
        `Gap to the baseline: ${pct(pctChange(latest, base[n - 1]!)!)} [cite:${d}]; index against ${w[0]!.period}: ${((100 * latest) / y[0]!).toFixed(1)} [cite:${d}].`,
    );
    const si = [...phaseMean.entries()].map(([mth, v]) => ({ mth, si: (100 * v) / mean(y) }));
    const hi = [...si].sort((a, c) => c.si - a.si)[0]!;
    const lo = [...si].sort((a, c) => a.si - c.si)[0]!;
    expect(keyFindings(b)).toContain(
      `${outside} of ${n} periods fall outside the band [cite:${d}]. Seasonal index: highest in ${MONTHS[hi.mth - 1]} at ${hi.si.toFixed(1)}, lowest in ${MONTHS[lo.mth - 1]} at ${lo.si.toFixed(1)} [cite:${d}].`,
    );
  });

  it('Q14 time.breaks: CUSUM and z-score outliers on Construction employment (§3.1)', async () => {
    const b = await ask('Was there a structural break in Construction employment?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('time.breaks');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Construction'], metrics: ['employment'] });
    expect(b.router!.params_used).toEqual({
      metric: 'employment',
      sector: 'Construction',
      start: null,
      end: null,
      base_period: null,
      frequency: 'auto',
      z_threshold: 2.5,
      cusum_k: 1,
      cusum_h: 5,
    });
    const y = values(last36(await monthly('employment', 'Construction')));
    const z = standardise(y);
    const breaks = cusumBreaks(z, 1, 5).length;
    const outliers = z.filter((v) => Math.abs(v) >= 2.5).length;
    const d = 'derived_tm_breaks_a8ddc1dc';
    expect(summary(b)).toBe(
      `**Employment, Construction, monthly 2022-01 to 2024-12.** CUSUM on the standardised series (k 1, h 5) finds ${breaks} structural break(s) over ${y.length} periods [cite:${d}]. ` +
        `Outliers with an absolute z-score of at least 2.5: ${outliers} [cite:${d}].`,
    );
    const p = derivedParams(b, d);
    expect(p.window_mean as number).toBeCloseTo(mean(y), 9);
    expect(p.window_sd as number).toBeCloseTo(sdSample(y), 9);
    expect(p.break_count).toBe(breaks);
  });

  it('Q15 predict.forecast: ICT employment 12 months ahead, method chosen by backtest (§3.4)', async () => {
    const b = await ask('Forecast ICT employment for the next 12 months');
    expectSoundAnswer(b);
    expect(b.intent).toBe('predict.forecast');
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['ICT'],
      metrics: ['employment'],
      time: [{ kind: 'forward', forward_months: 12 }],
    });
    expect(b.router!.params_used).toEqual({
      metric: 'employment',
      sector: 'ICT',
      horizon_months: 12,
      end: null,
      frequency: 'auto',
    });
    const y = values(last36(await monthly('employment', 'ICT')));
    const f = referenceForecast(y, 12, { monthly: true, percent: false });
    const chosen = f.backtests.find((x) => x.method === f.method)!;
    expect(f.trainStart).toBe(0);
    expect(summary(b)).toBe(
      `**Forecast: Employment, ICT, monthly 2022-01 to 2024-12.** The backtest chose ${f.method}, with a mean absolute error of ${count(chosen.mae)} over ${chosen.errors.length} one-step folds [cite:derived_forecast_backtest_d40411e6]. ` +
        `Forecast for 2025-01: ${count(f.yhat[0]!)}, interval ${count(f.lo[0]!)} to ${count(f.hi[0]!)} [cite:derived_forecast_baseline_3f508947]. ` +
        `Forecast for 2025-12, 12 steps ahead: ${count(f.yhat[11]!)}, interval ${count(f.lo[11]!)} to ${count(f.hi[11]!)} [cite:derived_forecast_baseline_3f508947].`,
    );
    const p = derivedParams(b, 'derived_forecast_baseline_3f508947');
    expect(p.hw1 as number).toBeCloseTo(f.hw1, 9);
    expect(p.lo_final as number).toBeCloseTo(f.lo[11]!, 9);
    expect(p.hi_final as number).toBeCloseTo(f.hi[11]!, 9);
  });

  it('Q16 predict.early_warning: Healthcare retention flags and risk score (§3.4)', async () => {
    const b = await ask('Any early warning signs for Healthcare retention?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('predict.early_warning');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Healthcare'], metrics: ['retention'] });
    expect(b.router!.params_used).toEqual({ metric: 'retention', sector: 'Healthcare', end: null, frequency: 'auto' });
    const y = values(last36(await monthly('retention', 'Healthcare')));
    const n = y.length;
    const a = y[n - 1]!;
    const f = referenceForecast(y.slice(0, -1), 1, { monthly: true, percent: true });
    const breach = Math.abs(a - f.yhat[0]!) > f.hw1;
    const slopePrev = (y[n - 4]! - y[n - 6]!) / 2;
    const slopeLastV = (y[n - 1]! - y[n - 3]!) / 2;
    const tiny = 1e-9 * Math.max(1, Math.abs(mean(y)));
    const reversal =
      Math.abs(slopePrev) > tiny && Math.abs(slopeLastV) > tiny && Math.sign(slopePrev) !== Math.sign(slopeLastV);
    const d = y.slice(1).map((v, i) => Math.abs(v - y[i]!));
    const dLast = d[d.length - 1]!;
    const B = d.slice(-7, -1);
    const spike = dLast > mean(B) + 2.5 * sdSample(B);
    const score = 100 * (0.5 * Number(breach) + 0.3 * Number(reversal) + 0.2 * Number(spike));
    const level = score >= 80 ? 'critical' : score >= 50 ? 'high' : score >= 30 ? 'moderate' : 'low';
    expect([breach, reversal, spike]).toEqual([false, true, false]);
    const id = 'derived_early_warning_a974c13d';
    expect(summary(b)).toBe(
      `**Early warning: Retention, Healthcare, monthly 2022-01 to 2024-12.** Risk score ${count(score)}, level ${level} [cite:${id}]. ` +
        'Recommended: Re-examine plans that assume the earlier direction: the series has recently turned the other way.',
    );
    const kf = keyFindings(b);
    expect(kf).toContain(
      `Band breach: no; the latest value ${pct(a)} against a one-step forecast of ${pct(f.yhat[0]!)} plus or minus ${pp(f.hw1)} [cite:${id}]`,
    );
    expect(kf).toContain(
      `Slope reversal: yes; slope before ${r3(slopePrev)}, latest slope ${r3(slopeLastV)} [cite:${id}]`,
    );
    expect(kf).toContain(
      `Volatility spike: no; latest absolute change ${pp(dLast)} against a recent mean of ${pp(mean(B))} [cite:${id}]`,
    );
  });

  it('Q17 predict.scenario_compare: four forecast methods on Education employment (§3.4 compareMethods)', async () => {
    const b = await ask('Compare forecasting methods for Education employment');
    expectSoundAnswer(b);
    expect(b.intent).toBe('predict.scenario_compare');
    expect(b.router!.entities).toEqual({ ...noEntities, sectors: ['Education'], metrics: ['employment'] });
    expect(b.router!.params_used).toEqual({
      metric: 'employment',
      sector: 'Education',
      horizon_months: 6,
      methods: ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'],
      end: null,
      frequency: 'auto',
    });
    const y = values(last36(await monthly('employment', 'Education')));
    const finals = (['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'] as const).map((m) => {
      const f = referenceForecast(y, 6, { monthly: true, percent: false, methods: [m] });
      return { m, at6: f.yhat[5]!, bt: f.backtests[0]! };
    });
    const winner = [...finals].sort((a, c) => a.bt.mae - c.bt.mae || a.bt.rmse - c.bt.rmse)[0]!.m;
    const spread = Math.max(...finals.map((f) => f.at6)) - Math.min(...finals.map((f) => f.at6));
    expect(summary(b)).toBe(
      `**Forecast methods compared: Employment, Education, monthly 2022-01 to 2024-12.** Lowest backtest error: ${winner} [cite:derived_forecast_backtest_18e09f7e]. ` +
        `At 2025-06 the methods' forecasts differ by up to ${count(spread)} [cite:derived_forecast_compare_af205f55].`,
    );
    for (const f of finals) {
      expect(keyFindings(b)).toContain(
        `${f.m}: MAE ${count(f.bt.mae)}, RMSE ${count(f.bt.rmse)}, MAPE ${pct(f.bt.mape!)} over ${f.bt.errors.length} folds; forecast for 2025-06: ${count(f.at6)} [cite:derived_forecast_backtest_18e09f7e,derived_forecast_compare_af205f55]`,
      );
    }
    expect(derivedParams(b, 'derived_forecast_compare_af205f55').max_delta_final as number).toBeCloseTo(spread, 9);
  });

  it('Q18 scenario.apply: +2 pp Qatarization in Finance on the baseline forecast (§2.5, §3.5)', async () => {
    const b = await ask('What if Qatarization in Finance rose by 2 percentage points?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('scenario.apply');
    const text = 'Qatarization in Finance rose by 2 percentage points';
    const change = { metric: 'qatarization', direction: 1, magnitude: 2, unit: 'pp', mode: 'by', text };
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['Finance'],
      metrics: ['qatarization'],
      numbers: [{ value: 2, unit: 'pp', span: [40, 59] }],
      changes: [change],
    });
    expect(b.router!.params_used).toEqual({
      changes: [{ ...change, label: text, transform: { type: 'additive', value: 2 } }],
      metric: 'qatarization',
      sector: 'Finance',
      horizon_months: 12,
    });
    const y = values(last36(await monthly('qatarization', 'Finance')));
    const f = referenceForecast(y, 12, { monthly: true, percent: true });
    const adjusted = f.yhat.map((v) => Math.min(100, v + 2));
    const deltaPct = adjusted.map((v, i) => ((v - f.yhat[i]!) / f.yhat[i]!) * 100);
    expect(summary(b)).toBe(
      `**Scenario "Scenario from the question": Qatarization, Finance, monthly baseline.** The baseline forecast (${f.method}) for 2025-12 is ${pct(f.yhat[11]!)} [cite:derived_forecast_baseline_be424576]. ` +
        `Under the scenario it is ${pct(adjusted[11]!)}, a change of ${pp(adjusted[11]! - f.yhat[11]!)} or ${pct(deltaPct[11]!)} [cite:derived_scenario_apply_517d8e4d]. ` +
        `Over 12 months from 2025-01 to 2025-12 the mean change is ${pct(mean(deltaPct))} [cite:derived_scenario_apply_517d8e4d].`,
    );
    expect(derivedParams(b, 'derived_scenario_apply_517d8e4d').end_delta_pct as number).toBeCloseTo(deltaPct[11]!, 9);
  });

  it('Q19 pattern.seasonal_effects: calendar-month lifts of national attrition (§3.3)', async () => {
    const b = await ask('Is there a seasonal cycle in attrition?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.seasonal_effects');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['attrition'] });
    expect(b.router!.params_used).toEqual({
      outcome: 'attrition',
      sector: 'ALL',
      min_support: 24,
      min_lift_percent: 15,
    });
    const s = await monthly('attrition', 'ALL');
    const m = mean(values(s));
    const lifts = Array.from({ length: 12 }, (_, i) => {
      const mm = mean(s.filter((p) => Number(p.period.slice(5, 7)) === i + 1).map((p) => p.value));
      return { month: MONTHS[i]!, lift: ((mm - m) / Math.abs(m)) * 100 };
    });
    const peak = [...lifts].sort((a, c) => c.lift - a.lift)[0]!;
    const trough = [...lifts].sort((a, c) => a.lift - c.lift)[0]!;
    expect(lifts.filter((l) => Math.abs(l.lift) >= 15)).toEqual([]);
    const d = 'derived_pm_seasonal_effects_2ae0850c';
    expect(summary(b)).toBe(
      `Monthly attrition for ALL, ${s[0]!.period} to ${s[s.length - 1]!.period}: ${s.length} points with a mean of ${pct(m)} [cite:ts_attrition_monthly,${d}]. ` +
        `The peak month is ${peak.month} (lift ${pct(peak.lift)}) and the trough is ${trough.month} (lift ${pct(trough.lift)}) [cite:${d}]. ` +
        `No month reaches an absolute lift of ${pct(15)} [cite:${d}].`,
    );
  });

  it('Q20 pattern.stable_relations: drivers of national retention over the last 24 months (§3.3)', async () => {
    const b = await ask('Which factors have a persistent effect on retention?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.stable_relations');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['retention'] });
    expect(b.router!.params_used).toEqual({
      outcome: 'retention',
      drivers: ['employment', 'qatarization', 'avg_salary'],
      sector: 'ALL',
      window: null,
      min_support: null,
      method: 'spearman',
      frequency: 'auto',
    });
    const outcome = new Map((await monthly('retention', 'ALL')).map((p) => [p.period, p.value]));
    const labels: Record<string, string> = {
      employment: 'Employment',
      qatarization: 'Qatarization',
      avg_salary: 'Average salary',
    };
    const rels: (Relation & { driver: string; from: string; to: string })[] = [];
    for (const driver of ['employment', 'qatarization', 'avg_salary']) {
      const aligned = (await monthly(driver, 'ALL')).filter((p) => outcome.has(p.period)).slice(-24);
      const r = relation(
        aligned.map((p) => p.value),
        aligned.map((p) => outcome.get(p.period)!),
        12,
      );
      rels.push({ ...r, driver, from: aligned[0]!.period, to: aligned[aligned.length - 1]!.period });
    }
    const ranked = rels
      .filter((r) => !r.flat)
      .sort((a, c) => c.composite - a.composite || a.driver.localeCompare(c.driver));
    const d = 'derived_pm_stable_relations_1ed0b6ca';
    const sentence = (r: (typeof ranked)[number]) =>
      `${labels[r.driver]}: ${relationText(r)}, ${r.from} to ${r.to} [cite:${d}].`;
    expect(summary(b)).toBe(
      `Relations of employment, qatarization and average salary with retention (ALL, monthly series, the last 24 points, Spearman) [cite:${d}]. ` +
        `${sentence(ranked[0]!)} ${sentence(ranked[1]!)}`,
    );
    expect(ranked.map((r) => r.driver)).toEqual(['qatarization', 'avg_salary', 'employment']);
    expect(keyFindings(b)).toContain(sentence(ranked[2]!));
  });

  it('Q21 pattern.driver_screen: salary vs retention per sector and window (§3.3)', async () => {
    const b = await ask('Which sector shows the strongest link between salary and retention?');
    expectSoundAnswer(b);
    expect(b.intent).toBe('pattern.driver_screen');
    expect(b.router!.entities).toEqual({ ...noEntities, metrics: ['avg_salary', 'retention'] });
    expect(b.router!.params_used).toEqual({
      driver: 'avg_salary',
      outcome: 'retention',
      cohorts: [...SECTORS],
      windows: null,
      min_support: null,
    });
    const cells: (Relation & { sector: string; w: number; order: number })[] = [];
    for (const [si, sector] of SECTORS.entries()) {
      const outcome = new Map((await monthly('retention', sector)).map((p) => [p.period, p.value]));
      const aligned = (await monthly('avg_salary', sector)).filter((p) => outcome.has(p.period));
      for (const w of [12, 24]) {
        const tail = aligned.slice(-w);
        const r = relation(
          tail.map((p) => p.value),
          tail.map((p) => outcome.get(p.period)!),
          12,
        );
        cells.push({ ...r, sector, w, order: si });
      }
    }
    const flat = cells.filter((c) => c.flat).length;
    const top = cells
      .filter((c) => !c.flat)
      .sort((a, c) => c.composite - a.composite || a.order - c.order || a.w - c.w)
      .slice(0, 8);
    expect(summary(b)).toBe(
      'Average salary screened as a driver of retention over 10 cohorts and windows of 12 points and 24 points (monthly series) [cite:derived_pm_driver_screen_bc97053f]. ' +
        `${cells.length} cells were computed, 0 skipped for having fewer than 4 aligned points, and ${flat} are flat (absolute effect below 0.15) [cite:derived_pm_driver_screen_bc97053f]. ` +
        `Top cells by composite score: ${top.map((c) => `${c.sector} (last ${c.w}): ${relationText(c)}`).join('; ')} [cite:derived_pm_driver_screen_cells_5f988c0d].`,
    );
  });

  it('Q22 scenario.batch: a 2% salary rise in every sector, rolled up with employment weights (§3.5)', async () => {
    const b = await ask('Apply a 2% salary rise across all sectors and show the total impact');
    expectSoundAnswer(b);
    expect(b.intent).toBe('scenario.batch');
    const change = {
      metric: 'avg_salary',
      direction: 1,
      magnitude: 2,
      unit: 'percent',
      mode: 'by',
      text: '2% salary rise',
    };
    expect(b.router!.entities).toEqual({
      ...noEntities,
      sectors: ['ALL'],
      metrics: ['avg_salary'],
      numbers: [{ value: 2, unit: 'percent', span: [8, 10] }],
      changes: [change],
    });
    expect(b.router!.params_used).toEqual({
      changes: [{ ...change, label: '2% salary rise', transform: { type: 'multiplicative', value: 0.02 } }],
      sectors: [...SECTORS],
      weights: null,
      metric: 'avg_salary',
      horizon_months: 12,
    });
    const perSector: { sector: string; base: number; end: number }[] = [];
    for (const sector of SECTORS) {
      const f = referenceForecast(values(last36(await monthly('avg_salary', sector))), 12, {
        monthly: true,
        percent: false,
      });
      const emp = await monthly('employment', sector);
      perSector.push({ sector, base: emp[emp.length - 1]!.value, end: f.yhat[11]! });
    }
    const total = sum(perSector.map((s) => s.base));
    const national = sum(perSector.map((s) => (s.base / total) * s.end));
    const scenario = sum(perSector.map((s) => (s.base / total) * s.end * 1.02));
    expect(summary(b)).toBe(
      `**Scenario batch: Average salary by sector, monthly baseline.** National figure for 2025-12: baseline ${qar(national)} and scenario ${qar(scenario)}, a change of ${qar(scenario - national)} or ${pct(((scenario - national) / national) * 100)} [cite:derived_scenario_batch_national_49b13c02]. ` +
        "It is the average weighted by each sector's employment in the last observed period over 10 sectors [cite:derived_scenario_batch_national_49b13c02].",
    );
    for (const s of perSector) {
      const adj = s.end * 1.02;
      expect(keyFindings(b)).toContain(
        `${s.sector}: weight ${r3(s.base / total)}; 2025-12 baseline ${qar(s.end)}, scenario ${qar(adj)}, change ${qar(adj - s.end)} [cite:derived_scenario_batch_sectors_34988857]`,
      );
    }
  });

  it('the pinned questions cover 18 intents, 9 sectors and 7 metrics; the reference helpers hold on hand values', () => {
    expect(covered.intents.size).toBe(18);
    expect([...covered.sectors].sort()).toEqual(
      ['ALL', 'Construction', 'Education', 'Energy', 'Finance', 'Healthcare', 'Hospitality', 'ICT', 'Transport'].sort(),
    );
    expect(covered.metrics.size).toBe(7);
    expect(averageRanks([3, 1, 3])).toEqual([2.5, 1, 2.5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect([pct(9.349), pp(-2.365), qar(-4200.4), count(47547), r3(-0.6691)]).toEqual([
      '9.3%',
      '-2.37 pp',
      '-4,200 QAR',
      '47,547',
      '-0.669',
    ]);
  });

  it('test/fixtures/ask/questions.jsonl (the bench:ask input) covers every intent and each question routes to its own', () => {
    const router = createRouter({ latestDataYear: 2024 });
    const lines = fs
      .readFileSync('test/fixtures/ask/questions.jsonl', 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { id: string; question: string; intent: string });
    expect(new Set(lines.map((l) => l.intent))).toEqual(new Set(INTENTS));
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    for (const l of lines) {
      const r = router.route(l.question);
      expect(r.kind === 'route' ? r.intent : 'clarification', l.question).toBe(l.intent);
    }
  });

  // Spec §2.4: optimistic/pessimistic without a number → three default specs; a single change is compared with
  // additive 0 (the router sends "no change" as direction 0, magnitude 0).
  it('scenario.compare: "Compare optimistic and pessimistic scenarios for retention" answers with three default scenarios', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: 'Compare optimistic and pessimistic scenarios for retention' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json() as Envelope;
    expectSoundAnswer(b);
    expect(b.intent).toBe('scenario.compare');
    expect(b.router!.params_used).toMatchObject({ metric: 'retention', sector: 'ALL', horizon_months: 12 });
    expect((b.router!.params_used.changes as unknown[]).length).toBe(3);
    expect(b.warnings.map((w) => w.code)).toContain('DEFAULT_SCENARIOS_USED');
  });

  it('scenario.compare: a single change is compared with "no change" (additive 0)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: 'Scenario comparison for attrition if it falls by 10%' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json() as Envelope;
    expectSoundAnswer(b);
    expect(b.intent).toBe('scenario.compare');
    expect((b.router!.params_used.changes as unknown[]).length).toBe(2);
  });
});
