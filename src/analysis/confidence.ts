/**
 * Answer confidence (analysis spec §5.7): five components from the verification result, weighted into a 0–100
 * score (half-even rounding), a band, and sorted reasons; recorded as a derived result so that a briefing can
 * cite the score. Depends only on the verification being scored: no state, no clock.
 */
import { derivedId, jsonSafe } from './derived.js';
import type { DerivedResult, Scalar } from './model.js';
import {
  CONFIDENCE_COMPONENTS,
  defaultConfidenceConfig,
  type ConfidenceComponent,
  type ConfidenceConfig,
} from './verify/confidence-config.js';
import type { IssueCode, VerificationResult } from './verify/types.js';

export type Band = 'GREEN' | 'AMBER' | 'RED';

export interface ConfidenceComponents {
  citation: number;
  /** null when verify_numbers is off. */
  numbers: number | null;
  cross_check: number;
  privacy: number;
  freshness: number;
}

/** The envelope's `confidence` (§4.2). */
export interface Confidence {
  score: number;
  band: Band;
  components: ConfidenceComponents;
  reasons: string[];
}

export interface ScoredConfidence {
  confidence: Confidence;
  /** `derived_confidence_score_<h8>`: params hold the weights and the counts scored, the row the result. */
  derived: DerivedResult;
}

export const CONFIDENCE_OPERATION = 'confidence_score';
export const REASON_NUMBERS_OFF = 'numbers not verified (option off)';
export const REASON_INSUFFICIENT = 'insufficient evidence';

/** cap(c, p) = c − min(p, f·c): a single penalty removes at most the fraction f (one half) of the component. */
export function cap(c: number, penalty: number, maxFraction = 0.5): number {
  return c - Math.min(penalty, maxFraction * c);
}

/** guard(c, n) = c·(n/m) + 100·(1 − n/m) when 0 < n < m (m = 3), else c: few observations pull towards 100. */
export function guard(c: number, n: number, minN = 3): number {
  if (n > 0 && n < minN) return c * (n / minN) + 100 * (1 - n / minN);
  return c;
}

/** Rounds to the nearest integer, ties (within floating-point noise) to the even neighbour. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return 0;
  const floor = Math.floor(x);
  const frac = x - floor;
  const eps = 1e-9 * Math.max(1, Math.abs(x));
  if (Math.abs(frac - 0.5) <= eps) return floor % 2 === 0 ? floor : floor + 1;
  return frac < 0.5 ? floor : floor + 1;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function bandOf(score: number, config: ConfidenceConfig): Band {
  if (score >= config.bands.green) return 'GREEN';
  if (score >= config.bands.amber) return 'AMBER';
  return 'RED';
}

/** Reasons de-duplicated and sorted; above the maximum, the first max−1 plus "… N additional factor(s)". */
export function finishReasons(reasons: readonly string[], max: number): string[] {
  const sorted = [...new Set(reasons)].sort();
  if (sorted.length <= max) return sorted;
  const keep = sorted.slice(0, max - 1);
  return [...keep, `… ${sorted.length - keep.length} additional factor(s)`];
}

const REASON_BY_CODE: Partial<Record<IssueCode, (n: number) => string>> = {
  UNCITED_NUMBER: (n) => `${n} uncited number(s)`,
  CITATION_UNKNOWN_ID: (n) => `${n} unknown citation id(s)`,
  NUMBER_NOT_FOUND: (n) => `${n} number(s) not found in the cited data`,
  ROUNDING_MISMATCH: (n) => `${n} rounding mismatch(es)`,
  MATH_INCONSISTENT: (n) => `${n} table total(s) inconsistent`,
  XCHK_TOLERANCE_EXCEEDED: (n) => `${n} cross-check(s) outside tolerance`,
  XCHK_SKIPPED: (n) => `${n} cross-check(s) skipped`,
  SMALL_CELL: (n) => `${n} cited result(s) with small cells`,
  NON_NUMERIC_VALUE: () => 'non-numeric values in cited data',
  NEGATIVE_VALUE: () => 'negative counts or amounts in cited data',
  RATE_OUT_OF_RANGE: () => 'percent levels out of range in cited data',
  CHANGE_OUT_OF_RANGE: () => 'percent changes out of range in cited data',
  STALE_DATA: (n) => `${n} cited source(s) beyond their freshness SLA`,
  FRESHNESS_UNKNOWN: (n) => `${n} cited source(s) with unknown freshness`,
};

/** Scores a verification result (§5.7) and records the computation as a derived result. */
export function scoreConfidence(
  verification: VerificationResult,
  config: ConfidenceConfig = defaultConfidenceConfig(),
): ScoredConfidence {
  const { reports, issues } = verification;
  const f = config.max_penalty_fraction;
  const p = config.penalties;
  const count = (pred: (i: (typeof issues)[number]) => boolean): number => issues.filter(pred).length;

  const total = reports.citations.total_numbers;
  const cited = reports.citations.cited_numbers;
  const l1Errors = count((i) => i.layer === 'L1' && i.severity === 'error');
  let citation = total === 0 ? 100 : guard((100 * cited) / total, total, config.guard_min_n);
  if (l1Errors > 0) citation = cap(citation, p.citation_l1_error, f);

  const numbersOn = verification.options.verify_numbers && reports.numbers !== null;
  const claims = reports.numbers?.claims_total ?? 0;
  const matched = reports.numbers?.claims_matched ?? 0;
  const mathFailed = reports.numbers?.math_checks.filter((m) => !m.ok).length ?? 0;
  let numbers: number | null = null;
  if (numbersOn) {
    numbers = claims === 0 ? 100 : guard((100 * matched) / claims, claims, config.guard_min_n);
    if (mathFailed > 0) numbers = cap(numbers, p.numbers_math_failed, f);
  }

  const xchk = count((i) => i.code === 'XCHK_TOLERANCE_EXCEEDED' && i.severity === 'warning');
  const crossCheck = cap(100, p.cross_check_per_warning * xchk, f);
  const redactions = reports.redactions;
  const privacy = cap(100, p.privacy_per_redaction * redactions, f);
  const overrun = reports.freshness.worst_overrun_hours;
  const freshness =
    overrun === null || overrun <= 0 ? 100 : cap(100, (p.freshness_points * overrun) / p.freshness_per_hours, f);

  const components: ConfidenceComponents = {
    citation: round3(citation),
    numbers: numbers === null ? null : round3(numbers),
    cross_check: round3(crossCheck),
    privacy: round3(privacy),
    freshness: round3(freshness),
  };
  const raw: Record<ConfidenceComponent, number | null> = {
    citation,
    numbers,
    cross_check: crossCheck,
    privacy,
    freshness,
  };
  const active = CONFIDENCE_COMPONENTS.filter((k) => raw[k] !== null);
  const weightSum = active.reduce((s, k) => s + config.weights[k], 0);
  const weights = {} as Record<ConfidenceComponent, number>;
  for (const k of CONFIDENCE_COMPONENTS)
    weights[k] = raw[k] === null || weightSum === 0 ? 0 : config.weights[k] / weightSum;
  const weighted = active.reduce((s, k) => s + weights[k] * (raw[k] ?? 0), 0);

  const reasons: string[] = [];
  const insufficient = total === 0 && claims === 0;
  let score = roundHalfEven(clamp(weighted, 0, 100));
  if (insufficient) {
    score = roundHalfEven(config.insufficient_evidence_score);
    reasons.push(REASON_INSUFFICIENT);
  }
  let band = bandOf(score, config);
  if (!numbersOn) {
    if (band === 'GREEN') band = 'AMBER';
    reasons.push(REASON_NUMBERS_OFF);
  }
  if (!verification.passed) {
    band = 'RED';
    reasons.push('verification failed');
  }
  const byCode = new Map<IssueCode, number>();
  for (const i of issues) byCode.set(i.code, (byCode.get(i.code) ?? 0) + 1);
  for (const [code, n] of byCode) {
    const reason = REASON_BY_CODE[code];
    if (reason) reasons.push(reason(n));
  }
  if (redactions > 0) reasons.push(`${redactions} redaction(s) applied`);
  if ((total > 0 && total < config.guard_min_n) || (numbersOn && claims > 0 && claims < config.guard_min_n)) {
    reasons.push('small-sample guard applied');
  }

  const confidence: Confidence = {
    score,
    band,
    components,
    reasons: finishReasons(reasons, config.max_reasons),
  };
  return {
    confidence,
    derived: confidenceRecord(verification, confidence, weights, config, {
      total_numbers: total,
      cited_numbers: cited,
      l1_errors: l1Errors,
      claims_total: numbersOn ? claims : null,
      claims_matched: numbersOn ? matched : null,
      math_checks_failed: numbersOn ? mathFailed : null,
      xchk_warnings: xchk,
      redactions,
      worst_overrun_hours: overrun,
      passed: verification.passed,
      verify_numbers: numbersOn,
    }),
  };
}

function confidenceRecord(
  verification: VerificationResult,
  confidence: Confidence,
  weights: Record<ConfidenceComponent, number>,
  config: ConfidenceConfig,
  counts: Record<string, unknown>,
): DerivedResult {
  const inputs = [...new Set(verification.sources.map((s) => s.id))].sort();
  const params = jsonSafe({
    weights,
    max_penalty_fraction: config.max_penalty_fraction,
    guard_min_n: config.guard_min_n,
    penalties: config.penalties,
    insufficient_evidence_score: config.insufficient_evidence_score,
    bands: config.bands,
    ...counts,
  }) as Record<string, unknown>;
  const asofs = verification.sources
    .map((s) => s.asof_date)
    .filter((d): d is string => typeof d === 'string' && d !== '');
  const licenses = [...new Set(verification.sources.flatMap((s) => (s.license ? s.license.split('; ') : [])))].sort();
  const row: Record<string, Scalar> = {
    score: confidence.score,
    band: confidence.band,
    ...confidence.components,
  };
  return {
    id: derivedId(CONFIDENCE_OPERATION, inputs, params),
    operation: CONFIDENCE_OPERATION,
    inputs,
    params,
    fields: [
      { name: 'score', unit: 'score', kind: 'level' },
      { name: 'band', unit: 'text', kind: 'level' },
      ...CONFIDENCE_COMPONENTS.map((name) => ({ name, unit: 'score' as const, kind: 'level' as const })),
    ],
    rows: [row],
    asof_date: asofs.length === 0 ? null : asofs.reduce((a, b) => (b < a ? b : a)),
    license: licenses.join('; '),
  };
}
