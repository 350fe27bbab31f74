/**
 * config/confidence.yaml (analysis spec §5.7): component weights (checked to sum to 1 ± 1e-6 at load), penalty
 * caps, the small-sample guard, the insufficient-evidence score and the bands.
 */
import { AnalysisConfigError, Checker, readYamlFile, repositoryConfigPath } from './config-file.js';

export const CONFIDENCE_COMPONENTS = ['citation', 'numbers', 'cross_check', 'privacy', 'freshness'] as const;
export type ConfidenceComponent = (typeof CONFIDENCE_COMPONENTS)[number];

export interface ConfidenceConfig {
  weights: Readonly<Record<ConfidenceComponent, number>>;
  max_penalty_fraction: number;
  guard_min_n: number;
  penalties: Readonly<{
    citation_l1_error: number;
    numbers_math_failed: number;
    cross_check_per_warning: number;
    privacy_per_redaction: number;
    freshness_points: number;
    freshness_per_hours: number;
  }>;
  insufficient_evidence_score: number;
  bands: Readonly<{ green: number; amber: number }>;
  max_reasons: number;
}

export const WEIGHT_SUM_TOLERANCE = 1e-6;

const PENALTY_KEYS = [
  'citation_l1_error',
  'numbers_math_failed',
  'cross_check_per_warning',
  'privacy_per_redaction',
  'freshness_points',
  'freshness_per_hours',
] as const;

/** Validates a parsed confidence.yaml; throws AnalysisConfigError listing every problem. */
export function parseConfidenceConfig(raw: unknown, file = 'config/confidence.yaml'): ConfidenceConfig {
  const c = new Checker();
  const top = c.obj(raw, '$');
  c.unknownKeys(
    top,
    [
      'weights',
      'max_penalty_fraction',
      'guard_min_n',
      'penalties',
      'insufficient_evidence_score',
      'bands',
      'max_reasons',
    ],
    '$',
  );

  const w = c.obj(top.weights, '$.weights');
  c.unknownKeys(w, CONFIDENCE_COMPONENTS, '$.weights');
  const weights = {} as Record<ConfidenceComponent, number>;
  for (const k of CONFIDENCE_COMPONENTS) weights[k] = c.num(w[k], `$.weights.${k}`, 0, 1);
  const sum = CONFIDENCE_COMPONENTS.reduce((s, k) => s + weights[k], 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    c.issues.push(`$.weights must sum to 1 ± ${WEIGHT_SUM_TOLERANCE} (got ${Math.round(sum * 1e9) / 1e9})`);
  }
  if (weights.numbers >= 1) c.issues.push('$.weights.numbers must leave weight for the other components');

  const p = c.obj(top.penalties, '$.penalties');
  c.unknownKeys(p, PENALTY_KEYS, '$.penalties');
  const penalties = {
    citation_l1_error: c.num(p.citation_l1_error, '$.penalties.citation_l1_error', 0),
    numbers_math_failed: c.num(p.numbers_math_failed, '$.penalties.numbers_math_failed', 0),
    cross_check_per_warning: c.num(p.cross_check_per_warning, '$.penalties.cross_check_per_warning', 0),
    privacy_per_redaction: c.num(p.privacy_per_redaction, '$.penalties.privacy_per_redaction', 0),
    freshness_points: c.num(p.freshness_points, '$.penalties.freshness_points', 0),
    freshness_per_hours: c.num(p.freshness_per_hours, '$.penalties.freshness_per_hours', 1e-9),
  };

  const b = c.obj(top.bands, '$.bands');
  c.unknownKeys(b, ['green', 'amber'], '$.bands');
  const bands = { green: c.num(b.green, '$.bands.green', 0, 100), amber: c.num(b.amber, '$.bands.amber', 0, 100) };
  if (bands.amber > bands.green) c.issues.push('$.bands.amber must be ≤ $.bands.green');

  const config: ConfidenceConfig = {
    weights: Object.freeze(weights),
    max_penalty_fraction: c.num(top.max_penalty_fraction, '$.max_penalty_fraction', 0, 1),
    guard_min_n: c.int(top.guard_min_n, '$.guard_min_n', 1, 1000),
    penalties: Object.freeze(penalties),
    insufficient_evidence_score: c.num(top.insufficient_evidence_score, '$.insufficient_evidence_score', 0, 100),
    bands: Object.freeze(bands),
    max_reasons: c.int(top.max_reasons, '$.max_reasons', 2, 1000),
  };
  if (c.issues.length > 0) throw new AnalysisConfigError(file, c.issues);
  return Object.freeze(config);
}

/** Reads and validates a confidence config file (default: the repository's config/confidence.yaml). */
export function loadConfidenceConfig(file = repositoryConfigPath('confidence.yaml')): ConfidenceConfig {
  return parseConfidenceConfig(readYamlFile(file), file);
}

let shared: ConfidenceConfig | undefined;

/** The repository's confidence config, loaded on first use and then reused. */
export function defaultConfidenceConfig(): ConfidenceConfig {
  shared ??= loadConfidenceConfig();
  return shared;
}
