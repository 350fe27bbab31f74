/**
 * NationalStrategy (analysis spec §3.6): Qatar against the GCC, sector talent-competition pressure, and the
 * Vision 2030 Qatarization gap. Every number in a summary is cited to the query read or to a derived result of
 * this answer whose rows (computed values) or params (targets, multipliers) hold it.
 */
import {
  AnalysisError,
  GCC_COUNTRIES,
  GCC_METRICS,
  type AgentResult,
  type DataClient,
  type DerivedResult,
  type Finding,
  type FindingMetric,
  type GccCountry,
  type GccMetric,
  type Intent,
  type Scalar,
  type Sector,
  type SectorOrAll,
} from '../model.js';
import { derive } from '../derived.js';
import { cite, formatCount, formatParam, formatPercent, formatPp, formatQar } from '../format.js';
import { mean, minimumRanks, pctChange } from '../math/stats.js';
import {
  changeField,
  checkFocus,
  checkMetric,
  defined,
  levelField,
  metricOf,
  newContext,
  numberCell,
  readChecked,
  readSectorTable,
  sectorRank,
  type ReadContext,
} from './pattern-detective.js';

export const NATIONAL_STRATEGY = 'NationalStrategy';

function strategyResult(
  method: string,
  intent: Intent,
  params: Record<string, unknown>,
  findings: Finding[],
  derived: DerivedResult[],
  ctx: ReadContext,
): AgentResult {
  return {
    agent: NATIONAL_STRATEGY,
    method,
    intent,
    params,
    findings,
    derived,
    sources: [...ctx.sources],
    warnings: ctx.w.list(),
    frequency: 'cross_section',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// gccBenchmark
// ---------------------------------------------------------------------------------------------------------------

export type GccSource = 'synthetic' | 'world_bank';

/** Display names (§3.6). */
export const GCC_COUNTRY_NAMES: Readonly<Record<GccCountry, string>> = {
  QAT: 'Qatar',
  ARE: 'United Arab Emirates',
  SAU: 'Saudi Arabia',
  KWT: 'Kuwait',
  BHR: 'Bahrain',
  OMN: 'Oman',
};

/** Query per metric and source (§1.3, §3.6). The participation metrics exist only as World Bank snapshots. */
export const GCC_QUERIES: Readonly<Record<GccMetric, Partial<Record<GccSource, string>>>> = {
  unemployment: { synthetic: 'syn_unemployment_rate_gcc_latest', world_bank: 'wb_gcc_unemployment' },
  labour_force_participation: { world_bank: 'wb_gcc_labour_force_participation' },
  female_labour_force_participation: { world_bank: 'wb_gcc_female_labour_force_participation' },
};

export const GCC_METRIC_BETTER: Readonly<Record<GccMetric, 'higher' | 'lower'>> = {
  unemployment: 'lower',
  labour_force_participation: 'higher',
  female_labour_force_participation: 'higher',
};

export const GCC_METRIC_LABELS: Readonly<Record<GccMetric, string>> = {
  unemployment: 'Unemployment rate',
  labour_force_participation: 'Labour force participation',
  female_labour_force_participation: 'Female labour force participation',
};

/** Fields the GCC rows carry (§3.6): never the reference's `unemployment_rate`. */
export const GCC_FIELDS = ['country', 'year', 'value'] as const;

export interface GccBenchmarkParams {
  metric?: GccMetric;
  /** Default: synthetic for unemployment, world_bank otherwise. */
  source?: GccSource | null;
  countries?: GccCountry[] | null;
  min_countries?: number;
}

export const GCC_BENCHMARK_DEFAULTS = {
  metric: 'unemployment',
  source: null,
  countries: null,
  min_countries: 3,
} as const satisfies GccBenchmarkParams;

const NAME_TO_ISO = new Map<string, GccCountry>(
  GCC_COUNTRIES.flatMap((c) => [
    [c.toLowerCase(), c],
    [GCC_COUNTRY_NAMES[c].toLowerCase(), c],
  ]),
);

/** ISO3 of a country cell: "QAT" (any case) or the display name ignoring case ("qatar"); null otherwise. */
export function gccCountryOf(v: Scalar | undefined): GccCountry | null {
  if (typeof v !== 'string') return null;
  return NAME_TO_ISO.get(v.trim().toLowerCase()) ?? null;
}

interface CountryValue {
  country: GccCountry;
  year: number;
  value: number;
}

/**
 * NationalStrategy.gccBenchmark: Qatar's latest value, rank (minimum rank for ties), the GCC average and the best
 * country, over the rows as the data carries them (country ISO3, year, value).
 */
export async function gccBenchmark(client: DataClient, params: GccBenchmarkParams): Promise<AgentResult> {
  const merged = { ...GCC_BENCHMARK_DEFAULTS, ...defined(params) };
  const metric = checkMetric('strategy.gcc_benchmark', merged.metric, GCC_METRICS);
  const queries = GCC_QUERIES[metric];
  const wanted: GccSource = merged.source ?? (metric === 'unemployment' ? 'synthetic' : 'world_bank');
  if (wanted !== 'synthetic' && wanted !== 'world_bank') {
    throw new AnalysisError('invalid_param', "params.source must be 'synthetic' or 'world_bank'");
  }
  // The participation metrics have no synthetic query: they always read the World Bank snapshot (§3.6).
  const source: GccSource = queries[wanted] !== undefined ? wanted : 'world_bank';
  const queryId = queries[source]!;
  const requested = merged.countries ?? [...GCC_COUNTRIES];
  if (!Array.isArray(requested))
    throw new AnalysisError('invalid_param', 'params.countries must be a list of ISO3 codes');
  const keep = new Set<GccCountry>(['QAT']);
  for (const c of requested) {
    const iso = gccCountryOf(c);
    if (iso === null)
      throw new AnalysisError('invalid_param', `params.countries: '${String(c)}' is not a GCC ISO3 code`);
    keep.add(iso);
  }
  const countries = GCC_COUNTRIES.filter((c) => keep.has(c));
  const minCountries = merged.min_countries;
  if (typeof minCountries !== 'number' || !Number.isInteger(minCountries) || minCountries < 2) {
    throw new AnalysisError('invalid_param', 'params.min_countries must be an integer of at least 2');
  }
  const effective = { metric, source, countries, min_countries: minCountries };
  const ctx = newContext(`${NATIONAL_STRATEGY}.gccBenchmark`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    strategyResult('gccBenchmark', 'strategy.gcc_benchmark', effective, findings, derived, ctx);

  if (!client.has(queryId)) {
    ctx.w.add('INSUFFICIENT_GCC_DATA', `${ctx.what}: query ${queryId} is not registered`, {
      query_id: queryId,
      have: 0,
      need: minCountries,
    });
    return done([], []);
  }
  const result = await readChecked(client, queryId, GCC_FIELDS, ctx);
  if (!result) return done([], []);

  // Latest non-null year per country; the first row wins within a year.
  const latest = new Map<GccCountry, CountryValue>();
  for (const row of result.rows) {
    const country = gccCountryOf(row.get('country'));
    const year = numberCell(row.get('year'));
    const value = numberCell(row.get('value'));
    if (country === null || year === null || value === null || !keep.has(country)) continue;
    const prev = latest.get(country);
    if (!prev || year > prev.year) latest.set(country, { country, year, value });
  }
  const kept = countries.filter((c) => latest.has(c)).map((c) => latest.get(c)!);
  const years = [...new Set(kept.map((k) => k.year))].sort((a, b) => a - b);
  if (years.length > 1) {
    ctx.w.add('MIXED_YEARS', `${ctx.what}: the countries' latest years differ (${years.join(', ')})`, {
      years: Object.fromEntries(kept.map((k) => [k.country, k.year])),
    });
  }
  const qatar = kept.find((k) => k.country === 'QAT');
  if (!qatar || kept.length < minCountries) {
    ctx.w.add(
      'INSUFFICIENT_GCC_DATA',
      !qatar
        ? `${ctx.what}: ${queryId} has no Qatar value`
        : `${ctx.what}: ${kept.length} countries with a value, at least ${minCountries} needed`,
      { query_id: queryId, have: kept.length, need: minCountries, qatar: qatar !== undefined },
    );
    return done([], []);
  }

  const better = GCC_METRIC_BETTER[metric];
  const ranks = minimumRanks(
    kept.map((k) => k.value),
    better === 'higher' ? 'highest' : 'lowest',
  );
  const ordered = kept.map((k, i) => ({ ...k, rank: ranks[i]!, i })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const average = mean(kept.map((k) => k.value))!;
  const qatarRank = ordered.find((k) => k.country === 'QAT')!.rank;
  const best = ordered[0]!;
  const gapAvg = ctx.w.finite(qatar.value - average, 'gap_to_average');
  const gapBest = ctx.w.finite(qatar.value - best.value, 'gap_to_best');

  const table = derive({
    operation: 'ns_gcc_ranking',
    inputs: [result],
    params: { metric, source, countries, direction: better },
    fields: [
      levelField('country', 'text'),
      levelField('country_name', 'text'),
      levelField('year', 'text'),
      levelField('value', 'percent'),
      levelField('rank', 'rank'),
    ],
    rows: ordered.map((k) => ({
      country: k.country,
      country_name: GCC_COUNTRY_NAMES[k.country],
      year: k.year,
      value: k.value,
      rank: k.rank,
    })),
  });
  const summary = derive({
    operation: 'ns_gcc_benchmark',
    inputs: [table],
    params: effective,
    fields: [
      levelField('qatar_value', 'percent'),
      levelField('qatar_rank', 'rank'),
      levelField('country_count', 'count'),
      levelField('gcc_average', 'percent'),
      changeField('gap_to_average', 'pp'),
      levelField('best_country', 'text'),
      levelField('best_value', 'percent'),
      changeField('gap_to_best', 'pp'),
    ],
    rows: [
      {
        qatar_value: qatar.value,
        qatar_rank: qatarRank,
        country_count: kept.length,
        gcc_average: average,
        gap_to_average: gapAvg,
        best_country: GCC_COUNTRY_NAMES[best.country],
        best_value: best.value,
        gap_to_best: gapBest,
      },
    ],
  });
  const S = summary.id;
  const T = table.id;
  const label = GCC_METRIC_LABELS[metric];
  const sourceWords = source === 'synthetic' ? 'synthetic data' : 'World Bank data';
  const yearWords = years.length === 1 ? `${years[0]}` : 'the latest year of each country';
  const lines = [
    `${label} (${sourceWords}, ${yearWords}): Qatar ${formatPercent(qatar.value)}, rank ${formatCount(qatarRank)} of ${formatCount(kept.length)} GCC countries, rank 1 being the ${better === 'lower' ? 'lowest' : 'highest'} ${cite(queryId, S)}.`,
    `The GCC average is ${formatPercent(average)}, so Qatar is ${formatPp(gapAvg)} from the average ${cite(S)}.`,
    best.country === 'QAT' && ordered.filter((k) => k.rank === 1).length === 1
      ? `Qatar has the best value in the group ${cite(S)}.`
      : `The best value is ${GCC_COUNTRY_NAMES[best.country]} at ${formatPercent(best.value)}, a gap of ${formatPp(gapBest)} for Qatar ${cite(S)}.`,
    `Ranking: ${ordered.map((k) => `${GCC_COUNTRY_NAMES[k.country]} ${formatPercent(k.value)}`).join(', ')} ${cite(queryId, T)}.`,
  ];
  const metrics: FindingMetric[] = [
    metricOf('qatar_value', `Qatar ${label.toLowerCase()}`, qatar.value, 'percent', queryId),
    metricOf('qatar_rank', 'Qatar rank in the GCC', qatarRank, 'rank', S),
    metricOf('country_count', 'GCC countries compared', kept.length, 'count', S),
    metricOf('gcc_average', 'GCC average', average, 'percent', S),
    metricOf('gap_to_average', 'Qatar minus the GCC average', gapAvg, 'pp', S),
    metricOf('best_country', 'Best country', GCC_COUNTRY_NAMES[best.country], 'text', S),
    metricOf('best_value', 'Best value', best.value, 'percent', S),
    metricOf('gap_to_best', 'Qatar minus the best value', gapBest, 'pp', S),
  ];
  const finding: Finding = {
    id: 'gcc_benchmark',
    title: `Qatar in the GCC: ${label.toLowerCase()}`,
    summary: lines.join(' '),
    metrics,
    citations: [queryId, S, T],
  };
  return done([finding], [summary, table]);
}

// ---------------------------------------------------------------------------------------------------------------
// talentCompetition
// ---------------------------------------------------------------------------------------------------------------

export const ATTRITION_QUERY = 'syn_attrition_by_sector_latest';
export const SALARY_QUERY = 'syn_avg_salary_by_sector_latest';
export const QATARIZATION_QUERY = 'syn_qatarization_by_sector_latest';

export interface TalentCompetitionParams {
  high_multiplier?: number;
  focus_sector?: SectorOrAll | null;
}

export const TALENT_COMPETITION_DEFAULTS = {
  high_multiplier: 1.5,
  focus_sector: null,
} as const satisfies TalentCompetitionParams;

export type PressureLevel = 'high' | 'moderate' | 'low';

/**
 * NationalStrategy.talentCompetition: each sector's attrition against the mean of sector attrition (high above
 * high_multiplier times the mean, moderate above the mean) and its salary premium over the mean sector salary.
 */
export async function talentCompetition(client: DataClient, params: TalentCompetitionParams): Promise<AgentResult> {
  const merged = { ...TALENT_COMPETITION_DEFAULTS, ...defined(params) };
  const mult = merged.high_multiplier;
  if (typeof mult !== 'number' || !Number.isFinite(mult) || mult <= 1) {
    throw new AnalysisError('invalid_param', 'params.high_multiplier must be a number greater than 1');
  }
  const focus = checkFocus(merged.focus_sector);
  const effective = { high_multiplier: mult, focus_sector: focus };
  const ctx = newContext(`${NATIONAL_STRATEGY}.talentCompetition`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    strategyResult('talentCompetition', 'strategy.talent_competition', effective, findings, derived, ctx);

  const att = await readSectorTable(client, ATTRITION_QUERY, ['attrition_percent'], ctx);
  if (!att) return done([], []);
  const sal = await readSectorTable(client, SALARY_QUERY, ['avg_salary_qr'], ctx);
  const rates = att.rows
    .filter((r) => r.values.attrition_percent !== null)
    .map((r) => ({ sector: r.sector, rate: r.values.attrition_percent! }));
  const nullRates = att.rows.length - rates.length;
  if (nullRates > 0) {
    ctx.w.add('MISSING_VALUES', `${ctx.what}: ${nullRates} sector(s) without an attrition value dropped`, {
      count: nullRates,
    });
  }
  if (rates.length === 0) {
    ctx.w.insufficient(0, 1, `${ctx.what}: sectors with an attrition value`);
    return done([], []);
  }
  const salaryBy = new Map<Sector, number>();
  for (const r of sal?.rows ?? []) if (r.values.avg_salary_qr !== null) salaryBy.set(r.sector, r.values.avg_salary_qr!);
  const salaryMean = mean([...salaryBy.values()]);
  const avg = mean(rates.map((r) => r.rate))!;
  const highLine = mult * avg;
  const levelOf = (rate: number): PressureLevel => (rate > highLine ? 'high' : rate > avg ? 'moderate' : 'low');
  const rows = rates.map((r) => {
    const salary = salaryBy.get(r.sector) ?? null;
    return {
      sector: r.sector,
      attrition_percent: r.rate,
      level: levelOf(r.rate),
      avg_salary_qr: salary,
      salary_premium_percent:
        salary === null ? null : ctx.w.finite(pctChange(salary, salaryMean), 'salary_premium_percent'),
    };
  });
  const highest = rates.reduce((a, b) => (b.rate > a.rate ? b : a));
  const count = (l: PressureLevel) => rows.filter((r) => r.level === l).length;
  const table = derive({
    operation: 'ns_talent_pressure',
    inputs: sal ? [att.result, sal.result] : [att.result],
    params: { high_multiplier: mult },
    fields: [
      levelField('sector', 'text'),
      levelField('attrition_percent', 'percent'),
      levelField('level', 'text'),
      levelField('avg_salary_qr', 'qar'),
      changeField('salary_premium_percent', 'percent'),
    ],
    rows,
  });
  const summary = derive({
    operation: 'ns_talent_competition',
    inputs: [table],
    params: effective,
    fields: [
      levelField('sector_count', 'count'),
      levelField('mean_sector_attrition_percent', 'percent'),
      levelField('high_threshold_percent', 'percent'),
      levelField('high_pressure_count', 'count'),
      levelField('moderate_pressure_count', 'count'),
      levelField('low_pressure_count', 'count'),
      levelField('highest_attrition_sector', 'text'),
      levelField('highest_attrition_percent', 'percent'),
      levelField('mean_sector_salary_qr', 'qar'),
    ],
    rows: [
      {
        sector_count: rates.length,
        mean_sector_attrition_percent: avg,
        high_threshold_percent: highLine,
        high_pressure_count: count('high'),
        moderate_pressure_count: count('moderate'),
        low_pressure_count: count('low'),
        highest_attrition_sector: highest.sector,
        highest_attrition_percent: highest.rate,
        mean_sector_salary_qr: salaryMean,
      },
    ],
  });
  const S = summary.id;
  const T = table.id;
  const premium = (v: number | null) => (v === null ? 'no salary data' : `salary premium ${formatPercent(v)}`);
  const pressured = rows
    .filter((r) => r.level !== 'low')
    .sort((a, b) => b.attrition_percent - a.attrition_percent || sectorRank(a.sector) - sectorRank(b.sector));
  const lines = [
    `Mean sector attrition is ${formatPercent(avg)} across ${formatCount(rates.length)} sectors ${cite(ATTRITION_QUERY, S)}.`,
    `High pressure means attrition above ${formatParam(mult)} times the mean (${formatPercent(highLine)}), moderate means above the mean ${cite(S)}.`,
    `${formatCount(count('high'))} ${count('high') === 1 ? 'sector is' : 'sectors are'} under high pressure and ${formatCount(count('moderate'))} under moderate pressure ${cite(S)}.`,
    `The highest attrition is in ${highest.sector} at ${formatPercent(highest.rate)} ${cite(ATTRITION_QUERY, S)}.`,
  ];
  if (pressured.length > 0) {
    lines.push(
      `Sectors above the mean: ${pressured.map((r) => `${r.sector} ${formatPercent(r.attrition_percent)} (${r.level}, ${premium(r.salary_premium_percent)})`).join('; ')} ${cite(T)}.`,
    );
  }
  if (salaryMean !== null) {
    lines.push(`Salary premiums are measured against the mean sector salary of ${formatQar(salaryMean)} ${cite(S)}.`);
  }
  const metrics: FindingMetric[] = [
    metricOf('mean_sector_attrition_percent', 'Mean sector attrition', avg, 'percent', S),
    metricOf('high_pressure_count', 'High-pressure sectors', count('high'), 'count', S),
    metricOf('moderate_pressure_count', 'Moderate-pressure sectors', count('moderate'), 'count', S),
    metricOf('highest_attrition_sector', 'Highest attrition sector', highest.sector, 'text', S),
    metricOf('highest_attrition_percent', 'Highest sector attrition', highest.rate, 'percent', S),
  ];
  if (focus !== null) {
    const f = rows.find((r) => r.sector === focus);
    if (f) {
      lines.push(
        `${focus}: attrition ${formatPercent(f.attrition_percent)}, ${f.level} pressure, ${premium(f.salary_premium_percent)} ${cite(T)}.`,
      );
      metrics.push(metricOf('focus_attrition_percent', `${focus} attrition`, f.attrition_percent, 'percent', T));
      metrics.push(metricOf('focus_pressure_level', `${focus} pressure`, f.level, 'text', T));
      metrics.push(
        metricOf('focus_salary_premium_percent', `${focus} salary premium`, f.salary_premium_percent, 'percent', T),
      );
    } else {
      lines.push(`${focus} has no attrition value.`);
    }
  }
  const finding: Finding = {
    id: 'talent_competition',
    title: 'Talent competition pressure by sector',
    summary: lines.join(' '),
    metrics,
    citations: [ATTRITION_QUERY, ...(sal ? [SALARY_QUERY] : []), S, T],
  };
  return done([finding], [summary, table]);
}

// ---------------------------------------------------------------------------------------------------------------
// vision2030
// ---------------------------------------------------------------------------------------------------------------

export interface Vision2030Params {
  target_percent?: number;
  target_year?: number;
  focus_sector?: SectorOrAll | null;
}

export const VISION2030_DEFAULTS = {
  target_percent: 30,
  target_year: 2030,
  focus_sector: null,
} as const satisfies Vision2030Params;

export type RiskBand = 'on_track' | 'moderate' | 'high';
/** Below this gap as a percentage of the target the risk is moderate (§3.6). */
export const MODERATE_RISK_GAP_PERCENT = 20;

export function riskBand(gapPp: number, gapPercentOfTarget: number): RiskBand {
  return gapPp <= 0 ? 'on_track' : gapPercentOfTarget < MODERATE_RISK_GAP_PERCENT ? 'moderate' : 'high';
}

/**
 * NationalStrategy.vision2030: national Qatarization (Σ qataris / Σ workforce of the sector rows) against the
 * target, the gap, the gain required each year, and the risk band (§3.6).
 */
export async function vision2030(client: DataClient, params: Vision2030Params): Promise<AgentResult> {
  const merged = { ...VISION2030_DEFAULTS, ...defined(params) };
  const target = merged.target_percent;
  if (typeof target !== 'number' || !Number.isFinite(target) || target <= 0 || target > 100) {
    throw new AnalysisError('invalid_param', 'params.target_percent must be within (0, 100]');
  }
  const targetYear = merged.target_year;
  if (typeof targetYear !== 'number' || !Number.isInteger(targetYear) || targetYear < 1900 || targetYear > 2100) {
    throw new AnalysisError('invalid_param', 'params.target_year must be a year between 1900 and 2100');
  }
  const focus = checkFocus(merged.focus_sector);
  const effective = { target_percent: target, target_year: targetYear, focus_sector: focus };
  const ctx = newContext(`${NATIONAL_STRATEGY}.vision2030`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    strategyResult('vision2030', 'strategy.vision2030', effective, findings, derived, ctx);

  const table = await readSectorTable(
    client,
    QATARIZATION_QUERY,
    ['year', 'qataris', 'non_qataris', 'qatarization_percent'],
    ctx,
  );
  if (!table) return done([], []);
  let qSum = 0;
  let totalSum = 0;
  const incomplete: Sector[] = [];
  for (const r of table.rows) {
    const q = r.values.qataris;
    const nq = r.values.non_qataris;
    if (q === null || nq === null || q === undefined || nq === undefined) {
      incomplete.push(r.sector);
      continue;
    }
    qSum += q;
    totalSum += q + nq;
  }
  if (incomplete.length > 0) {
    ctx.w.add(
      'MISSING_VALUES',
      `${ctx.what}: ${incomplete.length} sector(s) without headcounts left out of the national figure`,
      {
        count: incomplete.length,
        sectors: incomplete,
      },
    );
  }
  const national = totalSum > 0 ? ctx.w.finite((100 * qSum) / totalSum, 'national_qatarization_percent') : null;
  if (national === null) {
    ctx.w.insufficient(0, 1, `${ctx.what}: sectors with a workforce`);
    return done([], []);
  }
  const sectorPct = table.rows
    .filter((r) => r.values.qatarization_percent !== null)
    .map((r) => ({ sector: r.sector, value: r.values.qatarization_percent! }));
  const meanSector = mean(sectorPct.map((s) => s.value));
  const currentYear = table.year;
  const yearsRemaining = currentYear === null ? null : targetYear - currentYear;
  const gap = target - national;
  const gapPctTarget = (gap / target) * 100;
  const required = yearsRemaining === null || yearsRemaining <= 0 ? null : gap / yearsRemaining;
  const status =
    yearsRemaining === null
      ? 'year_unknown'
      : yearsRemaining <= 0
        ? 'deadline_passed'
        : gap <= 0
          ? 'target_met'
          : 'in_progress';
  const risk = riskBand(gap, gapPctTarget);
  const atTarget = sectorPct.filter((s) => s.value >= target).length;
  const f = focus === null ? undefined : sectorPct.find((s) => s.sector === focus);
  const focusGap = f ? target - f.value : null;
  const focusRequired = f && yearsRemaining !== null && yearsRemaining > 0 ? (target - f.value) / yearsRemaining : null;

  const summary = derive({
    operation: 'ns_vision2030',
    inputs: [table.result],
    params: effective,
    fields: [
      levelField('current_year', 'text'),
      levelField('qataris_total', 'count'),
      levelField('workforce_total', 'count'),
      levelField('national_qatarization_percent', 'percent'),
      levelField('mean_sector_qatarization_percent', 'percent'),
      changeField('years_remaining', 'count'),
      changeField('gap_pp', 'pp'),
      changeField('gap_percent_of_target', 'percent'),
      changeField('required_annual_gain_pp', 'pp'),
      levelField('status', 'text'),
      levelField('risk_band', 'text'),
      levelField('sectors_at_or_above_target', 'count'),
      levelField('sector_count', 'count'),
      levelField('focus_qatarization_percent', 'percent'),
      changeField('focus_gap_pp', 'pp'),
      changeField('focus_required_annual_gain_pp', 'pp'),
    ],
    rows: [
      {
        current_year: currentYear,
        qataris_total: qSum,
        workforce_total: totalSum,
        national_qatarization_percent: national,
        mean_sector_qatarization_percent: meanSector,
        years_remaining: yearsRemaining,
        gap_pp: gap,
        gap_percent_of_target: gapPctTarget,
        required_annual_gain_pp: required,
        status,
        risk_band: risk,
        sectors_at_or_above_target: atTarget,
        sector_count: sectorPct.length,
        focus_qatarization_percent: f ? f.value : null,
        focus_gap_pp: focusGap,
        focus_required_annual_gain_pp: focusRequired,
      },
    ],
  });
  const S = summary.id;
  const yearText = currentYear === null ? 'the latest year' : String(currentYear);
  const riskWords = risk === 'on_track' ? 'on track' : risk;
  const lines = [
    `National Qatarization in ${yearText} is ${formatPercent(national)}: ${formatCount(qSum)} Qataris among ${formatCount(totalSum)} employees of the ${formatCount(table.rows.length - incomplete.length)} sectors ${cite(QATARIZATION_QUERY, S)}.`,
    `Against the target of ${formatPercent(target)} by ${targetYear}, the gap is ${formatPp(gap)}, ${formatPercent(gapPctTarget)} of the target ${cite(S)}.`,
  ];
  if (status === 'deadline_passed') {
    lines.push(`The target year is not after ${yearText}, so no annual gain can be required; status: deadline passed.`);
  } else if (yearsRemaining !== null) {
    lines.push(
      `With ${formatCount(yearsRemaining)} ${yearsRemaining === 1 ? 'year' : 'years'} remaining, the required gain is ${formatPp(required)} a year ${cite(S)}.`,
    );
  }
  lines.push(`Risk band: ${riskWords}.`);
  if (meanSector !== null) {
    lines.push(
      `The unweighted mean of sector Qatarization is ${formatPercent(meanSector)}; ${formatCount(atTarget)} of ${formatCount(sectorPct.length)} sectors are at or above the target ${cite(S)}.`,
    );
  }
  if (focus !== null) {
    lines.push(
      f
        ? `${focus}: ${formatPercent(f.value)}, a gap of ${formatPp(focusGap)} to the target${focusRequired === null ? '' : `, ${formatPp(focusRequired)} a year needed`} ${cite(QATARIZATION_QUERY, S)}.`
        : `${focus} has no Qatarization value.`,
    );
  }
  const metrics: FindingMetric[] = [
    metricOf('national_qatarization_percent', 'National Qatarization', national, 'percent', S),
    metricOf('mean_sector_qatarization_percent', 'Mean sector Qatarization', meanSector, 'percent', S),
    metricOf('current_year', 'Current year', currentYear === null ? null : String(currentYear), 'text', S),
    metricOf('target_percent', 'Target', target, 'percent', S),
    metricOf('target_year', 'Target year', String(targetYear), 'text', S),
    metricOf('years_remaining', 'Years remaining', yearsRemaining, 'count', S),
    metricOf('gap_pp', 'Gap to target', gap, 'pp', S),
    metricOf('gap_percent_of_target', 'Gap as share of target', gapPctTarget, 'percent', S),
    metricOf('required_annual_gain_pp', 'Required gain a year', required, 'pp', S),
    metricOf('risk_band', 'Risk band', risk, 'text', S),
    metricOf('sectors_at_or_above_target', 'Sectors at or above target', atTarget, 'count', S),
  ];
  if (status !== 'in_progress') metrics.push(metricOf('status', 'Status', status, 'text', S));
  if (f) {
    metrics.push(
      metricOf('focus_qatarization_percent', `${focus} Qatarization`, f.value, 'percent', QATARIZATION_QUERY),
    );
    metrics.push(metricOf('focus_gap_pp', `${focus} gap to target`, focusGap, 'pp', S));
  }
  const finding: Finding = {
    id: 'vision2030',
    title: 'Vision 2030 Qatarization target',
    summary: lines.join(' '),
    metrics,
    citations: [QATARIZATION_QUERY, S],
  };
  return done([finding], [summary]);
}
