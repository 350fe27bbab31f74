/**
 * L5 — sanity and freshness (analysis spec §5.5), on every cited result. Query results are judged by field names
 * (the result's unit applies to its "value" field); derived results by their declared fields. Freshness is judged
 * on the cited query results, against the injected clock date.
 */
import { finite, rowEntries } from './citable-values.js';
import { citableId, isCitedQuery, type Citable, type FreshnessReport, type VerificationIssue } from './types.js';
import type { VerificationConfig } from './verification-config.js';

type FieldRole = { numeric: boolean; nonNegative: boolean; rate: boolean; change: boolean };

const NONE: FieldRole = { numeric: false, nonNegative: false, rate: false, change: false };
const EXAMPLES = 3;

function endsWithAny(name: string, suffixes: readonly string[]): boolean {
  return suffixes.some((s) => name.endsWith(s));
}

function queryFieldRole(name: string, unit: string, config: VerificationConfig): FieldRole {
  const s = config.sanity;
  const change = s.change_fields.includes(name) || endsWithAny(name, s.change_suffixes);
  const count = s.count_fields.includes(name) || endsWithAny(name, s.count_suffixes);
  const currency = endsWithAny(name, s.currency_suffixes);
  const isValue = name === 'value';
  const nonNegative = count || currency || (isValue && (unit === 'count' || unit === 'qar'));
  const rate = !change && (endsWithAny(name, s.rate_suffixes) || (isValue && unit === 'percent'));
  return { numeric: change || nonNegative || rate || isValue, nonNegative, rate, change };
}

interface Finding {
  field: string;
  rows: number;
  examples: { row: number; value: unknown }[];
}

function collect(map: Map<string, Finding>, field: string, row: number, value: unknown): void {
  const f = map.get(field) ?? { field, rows: 0, examples: [] };
  f.rows += 1;
  if (f.examples.length < EXAMPLES) f.examples.push({ row, value: describe(value) });
  map.set(field, f);
}

/** JSON-safe rendering of an offending value (NaN and infinities as strings). */
function describe(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** NON_NUMERIC_VALUE, NEGATIVE_VALUE, RATE_OUT_OF_RANGE and CHANGE_OUT_OF_RANGE for one cited result. */
export function sanityIssues(c: Citable, config: VerificationConfig): VerificationIssue[] {
  const id = citableId(c);
  const [rateLo, rateHi] = config.sanity.rate_range;
  const [chLo, chHi] = config.sanity.change_range;
  const rows = rowEntries(c);

  // Field roles: declared for derived results, by name for query results. A query field that holds a number in
  // any row is numeric in every row.
  const roles = new Map<string, FieldRole>();
  if (isCitedQuery(c)) {
    const unit = String(c.unit);
    for (const row of rows) {
      for (const [field, v] of row) {
        const known = roles.get(field) ?? queryFieldRole(field, unit, config);
        roles.set(field, typeof v === 'number' && !known.numeric ? { ...known, numeric: true } : known);
      }
    }
  } else {
    for (const f of Array.isArray(c.fields) ? c.fields : []) {
      if (f.unit === 'text') {
        roles.set(f.name, NONE);
        continue;
      }
      const level = f.kind !== 'change';
      roles.set(f.name, {
        numeric: true,
        nonNegative: level && (f.unit === 'count' || f.unit === 'qar'),
        rate: level && f.unit === 'percent',
        change: !level && f.unit === 'percent',
      });
    }
  }

  const nonNumeric = new Map<string, Finding>();
  const negative = new Map<string, Finding>();
  const rate = new Map<string, Finding>();
  const change = new Map<string, Finding>();
  rows.forEach((row, i) => {
    for (const [field, v] of row) {
      const role = roles.get(field);
      if (!role || !role.numeric || v === null || v === undefined) continue;
      if (!finite(v)) {
        collect(nonNumeric, field, i, v);
        continue;
      }
      if (role.nonNegative && v < 0) collect(negative, field, i, v);
      if (role.rate && (v < rateLo || v > rateHi)) collect(rate, field, i, v);
      if (role.change && (v < chLo || v > chHi)) collect(change, field, i, v);
    }
  });

  const issues: VerificationIssue[] = [];
  const emit = (
    map: Map<string, Finding>,
    code: VerificationIssue['code'],
    severity: VerificationIssue['severity'],
    what: string,
  ): void => {
    for (const f of map.values()) {
      issues.push({
        layer: 'L5',
        code,
        severity,
        message: `${id}.${f.field}: ${f.rows} row(s) ${what}`,
        details: { id, field: f.field, rows: f.rows, examples: f.examples },
      });
    }
  };
  emit(nonNumeric, 'NON_NUMERIC_VALUE', 'error', 'hold a non-number in a numeric field');
  emit(negative, 'NEGATIVE_VALUE', 'error', 'below 0 in a count or currency field');
  emit(rate, 'RATE_OUT_OF_RANGE', 'error', `outside [${rateLo}, ${rateHi}] for a percent level`);
  emit(change, 'CHANGE_OUT_OF_RANGE', 'warning', `outside [${chLo}, ${chHi}] for a percent change`);
  return issues;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Whole UTC days since the epoch of a real `YYYY-MM-DD` date, or null. */
export function isoDay(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return Math.round(t.getTime() / DAY_MS);
}

/** SLA hours of a cited query: freshness_sla_days · 24 when valid, else the configured default (72 h). */
export function slaHours(c: Citable, config: VerificationConfig): number {
  const days = isCitedQuery(c) ? c.freshness_sla_days : undefined;
  return typeof days === 'number' && Number.isFinite(days) && days >= 0
    ? days * 24
    : config.freshness.default_sla_hours;
}

/** STALE_DATA and FRESHNESS_UNKNOWN over the cited query results, with the worst overrun. */
export function freshnessIssues(
  citables: readonly Citable[],
  clockDate: string,
  config: VerificationConfig,
): { issues: VerificationIssue[]; report: FreshnessReport } {
  const issues: VerificationIssue[] = [];
  const report: FreshnessReport = { checked: 0, worst_overrun_hours: null, stale: [], unknown: [] };
  const today = isoDay(clockDate);
  for (const c of citables) {
    if (!isCitedQuery(c)) continue;
    const id = c.query_id;
    const asof = (c.freshness as { asof_date?: unknown } | null | undefined)?.asof_date ?? null;
    const asofDay = isoDay(asof);
    if (asofDay === null || today === null) {
      report.unknown.push(id);
      issues.push({
        layer: 'L5',
        code: 'FRESHNESS_UNKNOWN',
        severity: 'warning',
        message:
          today === null
            ? `${id}: the clock date ${JSON.stringify(clockDate)} is not a YYYY-MM-DD date`
            : `${id}: as-of date missing or unparseable`,
        details: { id, asof_date: describe(asof), clock_date: clockDate },
      });
      continue;
    }
    report.checked += 1;
    const ageHours = (today - asofDay) * 24;
    const sla = slaHours(c, config);
    const overrun = ageHours - sla;
    if (report.worst_overrun_hours === null || overrun > report.worst_overrun_hours) {
      report.worst_overrun_hours = overrun;
    }
    if (overrun <= 0) continue;
    report.stale.push(id);
    issues.push({
      layer: 'L5',
      code: 'STALE_DATA',
      severity: 'warning',
      message: `${id}: data as of ${String(asof)} is ${ageHours} h old on ${clockDate}, SLA ${sla} h`,
      details: {
        id,
        asof_date: asof,
        clock_date: clockDate,
        age_hours: ageHours,
        sla_hours: sla,
        overrun_hours: overrun,
      },
    });
  }
  return { issues, report };
}
