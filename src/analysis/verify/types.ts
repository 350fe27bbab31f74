/**
 * Shapes shared by the verification layers (analysis spec §5): what can be cited, the issues the layers raise and
 * the per-layer reports.
 */
import type { DerivedResult, QueryResult } from '../model.js';

export type Layer = 'L1' | 'L2' | 'L3' | 'L4' | 'L5';
export type Severity = 'error' | 'warning' | 'info';

export type IssueCode =
  | 'UNCITED_NUMBER'
  | 'CITATION_UNKNOWN_ID'
  | 'ROUNDING_MISMATCH'
  | 'NUMBER_NOT_FOUND'
  | 'MATH_INCONSISTENT'
  | 'XCHK_TOLERANCE_EXCEEDED'
  | 'XCHK_SKIPPED'
  | 'PII_EMAIL'
  | 'PII_ID'
  | 'PII_PHONE'
  | 'PII_NAME'
  | 'SMALL_CELL'
  | 'NON_NUMERIC_VALUE'
  | 'NEGATIVE_VALUE'
  | 'RATE_OUT_OF_RANGE'
  | 'CHANGE_OUT_OF_RANGE'
  | 'STALE_DATA'
  | 'FRESHNESS_UNKNOWN';

export interface VerificationIssue {
  layer: Layer;
  code: IssueCode;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
}

/**
 * A cited query result: the data layer's QueryResult (or the parts verification reads), plus the spec constraint
 * `freshness_sla_days` of its registry entry when the caller knows it (§5.5; without it the SLA is 72 h).
 */
export type CitedQuery = Pick<QueryResult, 'query_id' | 'rows' | 'unit' | 'freshness'> &
  Partial<Pick<QueryResult, 'row_count' | 'provenance'>> & { freshness_sla_days?: number | null };

/** Anything a `[cite:ID]` marker may name: a query result (id = query_id) or a derived result (§1.5). */
export type Citable = CitedQuery | DerivedResult;

export function isCitedQuery(c: Citable): c is CitedQuery {
  return typeof (c as CitedQuery).query_id === 'string';
}

export function citableId(c: Citable): string {
  return isCitedQuery(c) ? c.query_id : c.id;
}

export interface VerifyOptions {
  /** false lowers every L1 issue to a warning (§4.4). */
  enforce_citations: boolean;
  /** false skips L2 (§4.4). */
  verify_numbers: boolean;
}

export interface UncitedNumber {
  token: string;
  line: number;
  context: string;
}

/** L1 report (§5.1). */
export interface CitationReport {
  total_numbers: number;
  cited_numbers: number;
  uncited: UncitedNumber[];
}

export interface MathCheck {
  line: number;
  column: string;
  sum: number;
  total: number;
  ok: boolean;
}

/** L2 report (§5.2); null when verify_numbers is off. */
export interface NumberReport {
  claims_total: number;
  claims_matched: number;
  issues: number;
  math_checks: MathCheck[];
}

/** L3 report. */
export interface CrossCheckReport {
  checks_run: string[];
  comparisons: number;
  exceeded: number;
}

/** L5 freshness over the cited queries; overrun = age_hours − SLA_hours (negative while fresh). */
export interface FreshnessReport {
  checked: number;
  worst_overrun_hours: number | null;
  stale: string[];
  unknown: string[];
}

export interface VerificationReports {
  citations: CitationReport;
  numbers: NumberReport | null;
  cross_checks: CrossCheckReport;
  /** Number of redactions applied to the narrative (L4). */
  redactions: number;
  freshness: FreshnessReport;
}

/** What a cited result contributes to a derived record over the verification (confidence, §5.7). */
export interface CitedSource {
  id: string;
  kind: 'query' | 'derived';
  asof_date: string | null;
  license: string | null;
}

export interface VerificationResult {
  /** No issue has severity error. */
  passed: boolean;
  issues: VerificationIssue[];
  /** The narrative with L4 redactions applied. */
  narrative: string;
  reports: VerificationReports;
  options: VerifyOptions;
  /** The citations handed in, de-duplicated by id, in input order. */
  sources: CitedSource[];
}
