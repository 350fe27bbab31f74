/**
 * The cross-source checks of the minister briefing (analysis spec §7.2), in their fixed order. Each check is a pure
 * function of the query results it reads and is recorded as a derived result (one row per subject it evaluated;
 * BOUNDS lists only the values out of range), so the red flag it raises can cite the worst case. The runner reads the
 * inputs through the briefing's one DataClient; a check whose input cannot be read is skipped, never fatal.
 */
import { derive } from './derived.js';
import { formatCount, formatParam, formatPercent, formatPp } from './format.js';
import { GCC_COUNTRY_NAMES, gccCountryOf } from './agents/national-strategy.js';
import { pctChange } from './math/stats.js';
import { GCC_COUNTRIES, type DataClient, type DerivedResult, type GccCountry, type QueryResult } from './model.js';
import type { Scalar } from './model.js';
import { relativeGapPct } from './verify/cross-checks.js';
import { isoDay, slaHours } from './verify/sanity.js';
import { defaultVerificationConfig, type VerificationConfig } from './verify/verification-config.js';

export const BRIEFING_CHECK_CODES = [
  'GENDER_SHARE_SUM',
  'QATARIZATION_FORMULA',
  'EWI_VS_GROWTH',
  'XSRC_QATARIZATION',
  'XSRC_ATTRITION',
  'XSRC_GCC_UNEMPLOYMENT',
  'BOUNDS',
  'STALE',
] as const;
export type BriefingCheckCode = (typeof BRIEFING_CHECK_CODES)[number];
export type CheckSeverity = 'error' | 'warning';

export const CHECK_SEVERITY: Readonly<Record<BriefingCheckCode, CheckSeverity>> = {
  GENDER_SHARE_SUM: 'warning',
  QATARIZATION_FORMULA: 'warning',
  EWI_VS_GROWTH: 'warning',
  XSRC_QATARIZATION: 'warning',
  XSRC_ATTRITION: 'warning',
  XSRC_GCC_UNEMPLOYMENT: 'warning',
  BOUNDS: 'error',
  STALE: 'warning',
};

/** Thresholds of §7.2. */
export const CHECK_DEFAULTS = {
  gender_tolerance_pp: 0.5,
  formula_tolerance_pp: 0.5,
  ewi_drop_threshold_percent: 3.0,
  xsrc_qatarization_tolerance_percent: 3,
  xsrc_attrition_tolerance_percent: 2,
  xsrc_gcc_tolerance_pp: 0.5,
} as const;

export const QUERY_IDS = {
  gender: 'syn_employment_share_by_gender_latest',
  qatarization: 'syn_qatarization_by_sector_latest',
  ewi: 'syn_ewi_employment_drop_latest',
  employmentAllYears: 'syn_sector_employment_all_years',
  tsQatarization: 'ts_qatarization_annual',
  attrition: 'syn_attrition_by_sector_latest',
  tsAttrition: 'ts_attrition_annual',
  gccSynthetic: 'syn_unemployment_rate_gcc_latest',
  gccWorldBank: 'wb_gcc_unemployment',
} as const;

/** A check that ran: its record, how many subjects it evaluated and flagged, and the red flag wording. */
export interface BriefingCheck {
  code: BriefingCheckCode;
  severity: CheckSeverity;
  record: DerivedResult;
  checked: number;
  flagged: number;
  /** The red flag's sentence without its citation marker (numbers it shows are in `record` or the red-flag record). */
  text: string | null;
}

const num = (v: Scalar | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: Scalar | undefined): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
const level = (name: string, unit: DerivedResult['fields'][number]['unit']) => ({ name, unit, kind: 'level' as const });
const change = (name: string, unit: DerivedResult['fields'][number]['unit']) => ({
  name,
  unit,
  kind: 'change' as const,
});
const operationOf = (code: BriefingCheckCode): string => `briefing_check_${code.toLowerCase()}`;

/** The first item with the largest score (ties keep the earlier item). */
function worstOf<T>(items: readonly T[], score: (t: T) => number): T | null {
  let best: T | null = null;
  let bestScore = -Infinity;
  for (const item of items) {
    const s = score(item);
    if (s > bestScore) {
      best = item;
      bestScore = s;
    }
  }
  return best;
}

function outOf(flagged: number, checked: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(flagged)} of ${formatCount(checked)} ${checked === 1 ? noun : plural}`;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * GENDER_SHARE_SUM: per row, |male + female − total| > tolerance (pp). The total share is compared with the sum of
 * the two others, never added to them.
 */
export function genderShareSum(
  gender: QueryResult,
  tolerancePp: number = CHECK_DEFAULTS.gender_tolerance_pp,
): BriefingCheck {
  const rows = [];
  for (const r of gender.rows) {
    const male = num(r.get('male_percent'));
    const female = num(r.get('female_percent'));
    const total = num(r.get('total_percent'));
    if (male === null || female === null || total === null) continue;
    const deviation = Math.abs(male + female - total);
    rows.push({
      year: text(r.get('year')),
      male_percent: male,
      female_percent: female,
      total_percent: total,
      deviation_pp: deviation,
      flagged: deviation > tolerancePp,
    });
  }
  const flagged = rows.filter((r) => r.flagged);
  const record = derive({
    operation: operationOf('GENDER_SHARE_SUM'),
    inputs: [gender],
    params: { check: 'GENDER_SHARE_SUM', tolerance_pp: tolerancePp },
    fields: [
      level('year', 'text'),
      level('male_percent', 'percent'),
      level('female_percent', 'percent'),
      level('total_percent', 'percent'),
      change('deviation_pp', 'pp'),
      level('flagged', 'text'),
    ],
    rows,
  });
  const worst = worstOf(flagged, (r) => r.deviation_pp);
  return {
    code: 'GENDER_SHARE_SUM',
    severity: CHECK_SEVERITY.GENDER_SHARE_SUM,
    record,
    checked: rows.length,
    flagged: flagged.length,
    text:
      worst === null
        ? null
        : `Gender shares: in ${outOf(flagged.length, rows.length, 'row')}, male plus female differs from the total ` +
          `by more than ${formatPp(tolerancePp)}; worst ${worst.year ?? 'row'}: male ${formatPercent(worst.male_percent)} ` +
          `plus female ${formatPercent(worst.female_percent)} against a total of ${formatPercent(worst.total_percent)}, ` +
          `${formatPp(worst.deviation_pp)} apart`,
  };
}

/** QATARIZATION_FORMULA: per sector, |100·q/(q + nq) − qatarization_percent| > tolerance (pp). */
export function qatarizationFormula(
  qatarization: QueryResult,
  tolerancePp: number = CHECK_DEFAULTS.formula_tolerance_pp,
): BriefingCheck {
  const rows = [];
  for (const r of qatarization.rows) {
    const sector = text(r.get('sector'));
    const q = num(r.get('qataris'));
    const nq = num(r.get('non_qataris'));
    const reported = num(r.get('qatarization_percent'));
    if (sector === null || q === null || nq === null || reported === null || q + nq <= 0) continue;
    const computed = (100 * q) / (q + nq);
    const deviation = Math.abs(computed - reported);
    rows.push({
      sector,
      qataris: q,
      non_qataris: nq,
      qatarization_percent: reported,
      computed_percent: computed,
      deviation_pp: deviation,
      flagged: deviation > tolerancePp,
    });
  }
  const flagged = rows.filter((r) => r.flagged);
  const record = derive({
    operation: operationOf('QATARIZATION_FORMULA'),
    inputs: [qatarization],
    params: { check: 'QATARIZATION_FORMULA', tolerance_pp: tolerancePp },
    fields: [
      level('sector', 'text'),
      level('qataris', 'count'),
      level('non_qataris', 'count'),
      level('qatarization_percent', 'percent'),
      level('computed_percent', 'percent'),
      change('deviation_pp', 'pp'),
      level('flagged', 'text'),
    ],
    rows,
  });
  const worst = worstOf(flagged, (r) => r.deviation_pp);
  return {
    code: 'QATARIZATION_FORMULA',
    severity: CHECK_SEVERITY.QATARIZATION_FORMULA,
    record,
    checked: rows.length,
    flagged: flagged.length,
    text:
      worst === null
        ? null
        : `Qatarization formula: ${outOf(flagged.length, rows.length, 'sector')} report a share that differs from ` +
          `Qataris over the whole workforce by more than ${formatPp(tolerancePp)}; worst ${worst.sector}: reported ` +
          `${formatPercent(worst.qatarization_percent)}, computed ${formatPercent(worst.computed_percent)}, ` +
          `${formatPp(worst.deviation_pp)} apart`,
  };
}

/** Latest and previous year of a year column, or null when there are not two years. */
function lastTwoYears(result: QueryResult): { latest: number; previous: number } | null {
  const years = [...new Set(result.rows.map((r) => num(r.get('year'))).filter((y): y is number => y !== null))];
  years.sort((a, b) => a - b);
  if (years.length < 2) return null;
  return { latest: years[years.length - 1]!, previous: years[years.length - 2]! };
}

function employeesOf(result: QueryResult, sector: string, year: number): number | null {
  for (const r of result.rows) {
    if (r.get('sector') === sector && num(r.get('year')) === year) return num(r.get('employees'));
  }
  return null;
}

/**
 * EWI_VS_GROWTH: per sector, drop_percent > threshold while employment grew from the year before the latest year to
 * the latest year (syn_sector_employment_all_years).
 */
export function ewiVsGrowth(
  ewi: QueryResult,
  employment: QueryResult,
  dropThresholdPercent: number = CHECK_DEFAULTS.ewi_drop_threshold_percent,
): BriefingCheck {
  const years = lastTwoYears(employment);
  const rows = [];
  if (years !== null) {
    for (const r of ewi.rows) {
      const sector = text(r.get('sector'));
      const drop = num(r.get('drop_percent'));
      if (sector === null || drop === null) continue;
      const previous = employeesOf(employment, sector, years.previous);
      const latest = employeesOf(employment, sector, years.latest);
      const yoy = pctChange(latest, previous);
      if (previous === null || latest === null || yoy === null) continue;
      rows.push({
        sector,
        drop_percent: drop,
        employees_previous: previous,
        employees_latest: latest,
        employment_yoy_percent: yoy,
        flagged: drop > dropThresholdPercent && yoy > 0,
      });
    }
  }
  const flagged = rows.filter((r) => r.flagged);
  const record = derive({
    operation: operationOf('EWI_VS_GROWTH'),
    inputs: [ewi, employment],
    params: {
      check: 'EWI_VS_GROWTH',
      drop_threshold_percent: dropThresholdPercent,
      latest_year: years?.latest ?? null,
      previous_year: years?.previous ?? null,
    },
    fields: [
      level('sector', 'text'),
      level('drop_percent', 'percent'),
      level('employees_previous', 'count'),
      level('employees_latest', 'count'),
      change('employment_yoy_percent', 'percent'),
      level('flagged', 'text'),
    ],
    rows,
  });
  const worst = worstOf(flagged, (r) => r.drop_percent);
  return {
    code: 'EWI_VS_GROWTH',
    severity: CHECK_SEVERITY.EWI_VS_GROWTH,
    record,
    checked: rows.length,
    flagged: flagged.length,
    text:
      worst === null || years === null
        ? null
        : `Early-warning drops: ${outOf(flagged.length, rows.length, 'sector')} show an employment drop above ` +
          `${formatPercent(dropThresholdPercent)} while employment grew from ${years.previous} to ${years.latest}; ` +
          `worst ${worst.sector}: drop ${formatPercent(worst.drop_percent)}, employment ` +
          `${formatPercent(worst.employment_yoy_percent)} year over year`,
  };
}

/** The value of a ts_* annual row for a sector and period ("2024"), or null. */
function seriesValue(series: QueryResult, sector: string, period: string): number | null {
  for (const r of series.rows) {
    if (r.get('sector') === sector && text(r.get('period')) === period) return num(r.get('value'));
  }
  return null;
}

interface SourceComparison {
  subject: string;
  year: string;
  aggregate_percent: number;
  lmis_percent: number;
  relative_gap: number;
  flagged: boolean;
}

function sourceComparisonCheck(
  code: 'XSRC_QATARIZATION' | 'XSRC_ATTRITION',
  topic: string,
  aggregate: QueryResult,
  series: QueryResult,
  comparisons: SourceComparison[],
  tolerancePercent: number,
): BriefingCheck {
  const flagged = comparisons.filter((c) => c.flagged);
  const record = derive({
    operation: operationOf(code),
    inputs: [aggregate, series],
    params: { check: code, tolerance_percent: tolerancePercent },
    fields: [
      level('subject', 'text'),
      level('year', 'text'),
      level('aggregate_percent', 'percent'),
      level('lmis_percent', 'percent'),
      change('relative_gap', 'ratio'),
      level('flagged', 'text'),
    ],
    rows: comparisons.map((c) => ({ ...c })),
  });
  const worst = worstOf(flagged, (c) => c.relative_gap);
  const who = (s: string) => (s === 'ALL' ? 'national' : s);
  return {
    code,
    severity: CHECK_SEVERITY[code],
    record,
    checked: comparisons.length,
    flagged: flagged.length,
    text:
      worst === null
        ? null
        : `${topic} across sources: ${outOf(flagged.length, comparisons.length, 'comparison')} of the aggregates ` +
          `with the LMIS series differ by more than ${formatParam(tolerancePercent)}% (relative); largest gap ` +
          `${who(worst.subject)}: ${formatPercent(worst.aggregate_percent)} in the aggregates vs ` +
          `${formatPercent(worst.lmis_percent)} in the LMIS series`,
  };
}

function compareWithSeries(
  aggregate: QueryResult,
  field: string,
  series: QueryResult,
  tolerancePercent: number,
): SourceComparison[] {
  const out: SourceComparison[] = [];
  for (const r of aggregate.rows) {
    const sector = text(r.get('sector'));
    const year = text(r.get('year'));
    const p = num(r.get(field));
    if (sector === null || year === null || p === null) continue;
    const ref = seriesValue(series, sector, year);
    if (ref === null) continue;
    const gap = relativeGapPct(p, ref);
    out.push({
      subject: sector,
      year,
      aggregate_percent: p,
      lmis_percent: ref,
      relative_gap: gap / 100,
      flagged: gap > tolerancePercent,
    });
  }
  return out;
}

/**
 * XSRC_QATARIZATION: the aggregate qatarization_percent of each sector, and the national share Σ qataris /
 * Σ workforce, against ts_qatarization_annual in the same year; relative gap above the tolerance (%).
 */
export function xsrcQatarization(
  aggregate: QueryResult,
  series: QueryResult,
  tolerancePercent: number = CHECK_DEFAULTS.xsrc_qatarization_tolerance_percent,
): BriefingCheck {
  const comparisons = compareWithSeries(aggregate, 'qatarization_percent', series, tolerancePercent);
  let qSum = 0;
  let totalSum = 0;
  const years = new Set<string>();
  for (const r of aggregate.rows) {
    const q = num(r.get('qataris'));
    const nq = num(r.get('non_qataris'));
    const year = text(r.get('year'));
    if (q === null || nq === null || year === null || text(r.get('sector')) === null) continue;
    qSum += q;
    totalSum += q + nq;
    years.add(year);
  }
  if (totalSum > 0 && years.size === 1) {
    const year = [...years][0]!;
    const national = (100 * qSum) / totalSum;
    const ref = seriesValue(series, 'ALL', year);
    if (ref !== null) {
      const gap = relativeGapPct(national, ref);
      comparisons.push({
        subject: 'ALL',
        year,
        aggregate_percent: national,
        lmis_percent: ref,
        relative_gap: gap / 100,
        flagged: gap > tolerancePercent,
      });
    }
  }
  return sourceComparisonCheck('XSRC_QATARIZATION', 'Qatarization', aggregate, series, comparisons, tolerancePercent);
}

/** XSRC_ATTRITION: the aggregate attrition_percent of each sector against ts_attrition_annual in the same year. */
export function xsrcAttrition(
  aggregate: QueryResult,
  series: QueryResult,
  tolerancePercent: number = CHECK_DEFAULTS.xsrc_attrition_tolerance_percent,
): BriefingCheck {
  const comparisons = compareWithSeries(aggregate, 'attrition_percent', series, tolerancePercent);
  return sourceComparisonCheck('XSRC_ATTRITION', 'Attrition', aggregate, series, comparisons, tolerancePercent);
}

/** Each GCC country's latest non-null value (first row within a year), keyed by ISO3. */
function latestByCountry(result: QueryResult): Map<GccCountry, { year: number; value: number }> {
  const out = new Map<GccCountry, { year: number; value: number }>();
  for (const r of result.rows) {
    const country = gccCountryOf(r.get('country'));
    const year = num(r.get('year'));
    const value = num(r.get('value'));
    if (country === null || year === null || value === null) continue;
    const prev = out.get(country);
    if (!prev || year > prev.year) out.set(country, { year, value });
  }
  return out;
}

/**
 * XSRC_GCC_UNEMPLOYMENT: per GCC country, the synthetic aggregate against the World Bank snapshot (each side's
 * latest year): |difference| above the tolerance (pp).
 */
export function xsrcGccUnemployment(
  synthetic: QueryResult,
  worldBank: QueryResult,
  tolerancePp: number = CHECK_DEFAULTS.xsrc_gcc_tolerance_pp,
): BriefingCheck {
  const syn = latestByCountry(synthetic);
  const wb = latestByCountry(worldBank);
  const rows = [];
  for (const country of GCC_COUNTRIES) {
    const s = syn.get(country);
    const w = wb.get(country);
    if (!s || !w) continue;
    const difference = s.value - w.value;
    rows.push({
      country,
      country_name: GCC_COUNTRY_NAMES[country],
      synthetic_year: String(s.year),
      synthetic_percent: s.value,
      world_bank_year: String(w.year),
      world_bank_percent: w.value,
      difference_pp: difference,
      flagged: Math.abs(difference) > tolerancePp,
    });
  }
  const flagged = rows.filter((r) => r.flagged);
  const record = derive({
    operation: operationOf('XSRC_GCC_UNEMPLOYMENT'),
    inputs: [synthetic, worldBank],
    params: { check: 'XSRC_GCC_UNEMPLOYMENT', tolerance_pp: tolerancePp },
    fields: [
      level('country', 'text'),
      level('country_name', 'text'),
      level('synthetic_year', 'text'),
      level('synthetic_percent', 'percent'),
      level('world_bank_year', 'text'),
      level('world_bank_percent', 'percent'),
      change('difference_pp', 'pp'),
      level('flagged', 'text'),
    ],
    rows,
  });
  const worst = worstOf(flagged, (r) => Math.abs(r.difference_pp));
  return {
    code: 'XSRC_GCC_UNEMPLOYMENT',
    severity: CHECK_SEVERITY.XSRC_GCC_UNEMPLOYMENT,
    record,
    checked: rows.length,
    flagged: flagged.length,
    text:
      worst === null
        ? null
        : `GCC unemployment across sources: ${outOf(flagged.length, rows.length, 'country', 'countries')} differ by ` +
          `more than ${formatPp(tolerancePp)} between the synthetic aggregates and the World Bank snapshot; largest ` +
          `gap ${worst.country_name}: ${formatPercent(worst.synthetic_percent)} vs ` +
          `${formatPercent(worst.world_bank_percent)}, ${formatPp(worst.difference_pp)}`,
  };
}

type BoundRole = 'percent_level' | 'count';

/** Percent levels and counts, named as the sanity layer names them (§5.5). */
function boundRole(field: string, unit: string, config: VerificationConfig): BoundRole | null {
  const s = config.sanity;
  const isChange = s.change_fields.includes(field) || s.change_suffixes.some((x) => field.endsWith(x));
  if (isChange) return null;
  if (s.rate_suffixes.some((x) => field.endsWith(x)) || (field === 'value' && unit === 'percent')) {
    return 'percent_level';
  }
  if (
    s.count_fields.includes(field) ||
    s.count_suffixes.some((x) => field.endsWith(x)) ||
    (field === 'value' && unit === 'count')
  ) {
    return 'count';
  }
  return null;
}

/** BOUNDS (error): a percent level outside the rate range, or a negative count, in the given results. */
export function bounds(
  results: readonly QueryResult[],
  config: VerificationConfig = defaultVerificationConfig(),
): BriefingCheck {
  const [lo, hi] = config.sanity.rate_range;
  let checked = 0;
  const rows: { query_id: string; row: number; field: string; value: number; rule: string; excess: number }[] = [];
  for (const result of results) {
    result.rows.forEach((r, i) => {
      for (const [field, v] of r) {
        const value = num(v);
        if (value === null) continue;
        const role = boundRole(field, String(result.unit), config);
        if (role === null) continue;
        checked += 1;
        const excess = role === 'count' ? -value : value < lo ? lo - value : value - hi;
        if (excess > 0) {
          rows.push({ query_id: result.query_id, row: i + 1, field, value, rule: role, excess });
        }
      }
    });
  }
  const record = derive({
    operation: operationOf('BOUNDS'),
    inputs: results,
    params: { check: 'BOUNDS', rate_min: lo, rate_max: hi, count_min: 0 },
    fields: [
      level('query_id', 'text'),
      level('row', 'count'),
      level('field', 'text'),
      level('value', 'ratio'),
      level('rule', 'text'),
      change('excess', 'ratio'),
    ],
    rows,
  });
  const worst = worstOf(rows, (r) => r.excess);
  return {
    code: 'BOUNDS',
    severity: CHECK_SEVERITY.BOUNDS,
    record,
    checked,
    flagged: rows.length,
    text:
      worst === null
        ? null
        : `Bounds: ${outOf(rows.length, checked, 'checked value')} are out of range (percent levels outside ` +
          `[${formatParam(lo)}, ${formatParam(hi)}] or negative counts); worst ${worst.query_id} row ` +
          `${formatCount(worst.row)}, ${worst.field}: ${formatParam(worst.value)}`,
  };
}

/** A cited query result with its spec's freshness SLA (days), as AnswerService.citables gives it. */
export type SourceWithSla = QueryResult & { freshness_sla_days?: number | null };

/** STALE: a cited source older than its SLA on the clock date (SLA from the query spec, else the default). */
export function stale(
  sources: readonly SourceWithSla[],
  clockDate: string,
  config: VerificationConfig = defaultVerificationConfig(),
): BriefingCheck {
  const today = isoDay(clockDate);
  const rows = [];
  for (const s of sources) {
    const asofDay = isoDay(s.freshness.asof_date);
    if (today === null || asofDay === null) continue;
    const ageHours = (today - asofDay) * 24;
    const sla = slaHours(s, config);
    rows.push({
      query_id: s.query_id,
      asof_date: s.freshness.asof_date,
      age_days: ageHours / 24,
      sla_days: sla / 24,
      overrun_hours: ageHours - sla,
      flagged: ageHours - sla > 0,
    });
  }
  const flagged = rows.filter((r) => r.flagged);
  const record = derive({
    operation: operationOf('STALE'),
    inputs: sources,
    params: { check: 'STALE', clock_date: clockDate, default_sla_hours: config.freshness.default_sla_hours },
    fields: [
      level('query_id', 'text'),
      level('asof_date', 'text'),
      change('age_days', 'count'),
      level('sla_days', 'count'),
      change('overrun_hours', 'count'),
      level('flagged', 'text'),
    ],
    rows,
  });
  const worst = worstOf(flagged, (r) => r.overrun_hours);
  return {
    code: 'STALE',
    severity: CHECK_SEVERITY.STALE,
    record,
    checked: rows.length,
    flagged: flagged.length,
    text:
      worst === null
        ? null
        : `Stale sources: ${outOf(flagged.length, rows.length, 'cited query result')} are past their freshness SLA ` +
          `on ${clockDate}; worst ${worst.query_id}: as of ${worst.asof_date ?? 'unknown'}, ` +
          `${formatCount(worst.age_days)} days old against an SLA of ${formatParam(worst.sla_days)} days`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Runner

export type CheckStatus = 'passed' | 'flagged' | 'skipped';

export interface CheckRun {
  code: BriefingCheckCode;
  severity: CheckSeverity;
  status: CheckStatus;
  /** Null when skipped. */
  check: BriefingCheck | null;
  /** Why the check was skipped. */
  reason: string | null;
}

/** An input of a check that cannot be read or lacks a field the check needs. */
export class CheckInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckInputError';
  }
}

const REQUIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [QUERY_IDS.gender]: ['male_percent', 'female_percent', 'total_percent'],
  [QUERY_IDS.qatarization]: ['year', 'sector', 'qataris', 'non_qataris', 'qatarization_percent'],
  [QUERY_IDS.ewi]: ['sector', 'drop_percent'],
  [QUERY_IDS.employmentAllYears]: ['year', 'sector', 'employees'],
  [QUERY_IDS.tsQatarization]: ['period', 'sector', 'value'],
  [QUERY_IDS.attrition]: ['year', 'sector', 'attrition_percent'],
  [QUERY_IDS.tsAttrition]: ['period', 'sector', 'value'],
  [QUERY_IDS.gccSynthetic]: ['country', 'year', 'value'],
  [QUERY_IDS.gccWorldBank]: ['country', 'year', 'value'],
};

export interface BriefingCheckInput {
  client: DataClient;
  clockDate: string;
  /** The council's cited query results: with the checks' own inputs, the sources STALE judges. */
  councilQueries: readonly QueryResult[];
  /** A query result with its spec's freshness SLA (AnswerService.citables). */
  withSla: (q: QueryResult) => SourceWithSla;
  config?: VerificationConfig;
}

/**
 * Runs the eight checks in order. Inputs are read once each through the client; BOUNDS covers every input the
 * first six checks read, STALE every council source and check input.
 */
export async function runBriefingChecks(
  input: BriefingCheckInput,
): Promise<{ runs: CheckRun[]; inputs: QueryResult[] }> {
  const config = input.config ?? defaultVerificationConfig();
  const loaded = new Map<string, QueryResult>();
  const load = async (id: string): Promise<QueryResult> => {
    const seen = loaded.get(id);
    if (seen) return seen;
    if (!input.client.has(id)) throw new CheckInputError(`${id} is not registered`);
    let result: QueryResult;
    try {
      result = await input.client.run(id);
    } catch (err) {
      const why = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      throw new CheckInputError(`${id} could not be read: ${why.slice(0, 200)}`);
    }
    const needed = REQUIRED_FIELDS[id] ?? [];
    const missing = result.rows.length === 0 ? [] : needed.filter((f) => result.rows.every((r) => !r.has(f)));
    if (missing.length > 0) throw new CheckInputError(`${id} rows lack the field(s) ${missing.join(', ')}`);
    loaded.set(id, result);
    return result;
  };

  const steps: [BriefingCheckCode, () => Promise<BriefingCheck>][] = [
    ['GENDER_SHARE_SUM', async () => genderShareSum(await load(QUERY_IDS.gender))],
    ['QATARIZATION_FORMULA', async () => qatarizationFormula(await load(QUERY_IDS.qatarization))],
    ['EWI_VS_GROWTH', async () => ewiVsGrowth(await load(QUERY_IDS.ewi), await load(QUERY_IDS.employmentAllYears))],
    [
      'XSRC_QATARIZATION',
      async () => xsrcQatarization(await load(QUERY_IDS.qatarization), await load(QUERY_IDS.tsQatarization)),
    ],
    ['XSRC_ATTRITION', async () => xsrcAttrition(await load(QUERY_IDS.attrition), await load(QUERY_IDS.tsAttrition))],
    [
      'XSRC_GCC_UNEMPLOYMENT',
      async () => xsrcGccUnemployment(await load(QUERY_IDS.gccSynthetic), await load(QUERY_IDS.gccWorldBank)),
    ],
    ['BOUNDS', async () => bounds([...loaded.values()], config)],
    [
      'STALE',
      async () => {
        const sources = new Map<string, QueryResult>();
        for (const q of [...input.councilQueries, ...loaded.values()]) {
          if (!sources.has(q.query_id)) sources.set(q.query_id, q);
        }
        const sorted = [...sources.values()].sort((a, b) =>
          a.query_id < b.query_id ? -1 : a.query_id > b.query_id ? 1 : 0,
        );
        return stale(sorted.map(input.withSla), input.clockDate, config);
      },
    ],
  ];

  const runs: CheckRun[] = [];
  for (const [code, step] of steps) {
    try {
      const check = await step();
      runs.push({
        code,
        severity: CHECK_SEVERITY[code],
        status: check.flagged > 0 ? 'flagged' : 'passed',
        check,
        reason: null,
      });
    } catch (err) {
      if (!(err instanceof CheckInputError)) throw err;
      runs.push({ code, severity: CHECK_SEVERITY[code], status: 'skipped', check: null, reason: err.message });
    }
  }
  return { runs, inputs: [...loaded.values()] };
}
