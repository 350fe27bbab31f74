/**
 * The analysis layer's shared contracts (analysis spec §1.1, §1.5, §3.0). Agents, the router, verification,
 * rendering and audit all speak these types; nothing here does I/O.
 */
import type { QueryResult, Scalar } from '../data/model.js';

export type { QueryResult, Scalar };

/** The only door to data an agent gets (§1.1): registered query ids, nothing else. */
export interface DataClient {
  run(queryId: string): Promise<QueryResult>;
  has(queryId: string): boolean;
}

/** Canonical sectors in canonical order (§1.6); "ALL" means national and sorts last. */
export const SECTORS = [
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
export type Sector = (typeof SECTORS)[number];
export type SectorOrAll = Sector | 'ALL';

/** Metric ids (§1.6). The first five have time series (ts_<metric>_<frequency>). */
export const SERIES_METRICS = ['employment', 'retention', 'attrition', 'qatarization', 'avg_salary'] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];
export const GCC_METRICS = ['unemployment', 'labour_force_participation', 'female_labour_force_participation'] as const;
export type GccMetric = (typeof GCC_METRICS)[number];
export type MetricId = SeriesMetric | GccMetric;

/** GCC countries as ISO3 codes, Qatar first (§3.6 display order). */
export const GCC_COUNTRIES = ['QAT', 'ARE', 'SAU', 'KWT', 'BHR', 'OMN'] as const;
export type GccCountry = (typeof GCC_COUNTRIES)[number];

export type Frequency = 'monthly' | 'annual' | 'cross_section';

/** The 19 intents of §2.3, in catalogue order (ties in routing go to this order). */
export const INTENTS = [
  'pattern.anomalies',
  'pattern.correlation',
  'pattern.root_causes',
  'pattern.best_practices',
  'strategy.gcc_benchmark',
  'strategy.talent_competition',
  'strategy.vision2030',
  'pattern.stable_relations',
  'pattern.seasonal_effects',
  'pattern.driver_screen',
  'time.baseline',
  'time.trend',
  'time.breaks',
  'predict.forecast',
  'predict.early_warning',
  'predict.scenario_compare',
  'scenario.apply',
  'scenario.compare',
  'scenario.batch',
] as const;
export type Intent = (typeof INTENTS)[number];

/** Display unit of a reported metric (§3.0.1). */
export type MetricUnit = 'percent' | 'pp' | 'count' | 'qar' | 'ratio' | 'index' | 'rank' | 'score' | 'text';

/** A citation marker body: the id of a query result or a derived result. */
export type CitationId = string;

export interface FindingMetric {
  key: string;
  label: string;
  value: number | string | null;
  unit: MetricUnit;
  citation: CitationId;
}

export interface Finding {
  id: string;
  title: string;
  /** Markdown; every number carries a `[cite:ID]` marker (§5.1). */
  summary: string;
  metrics: FindingMetric[];
  citations: CitationId[];
}

/** Warning codes of §3.0.3. */
export type WarningCode =
  | 'INSUFFICIENT_DATA'
  | 'ZERO_VARIANCE'
  | 'MISSING_VALUES'
  | 'SERIES_GAP'
  | 'WINDOW_EXTENDED'
  | 'FREQ_FALLBACK_ANNUAL'
  | 'NO_SEASONAL_INDEX'
  | 'SEASONALITY_REQUIRES_MONTHLY'
  | 'DATA_SCHEMA_MISMATCH'
  | 'INSUFFICIENT_GCC_DATA'
  | 'MIXED_YEARS'
  | 'TOP_N_REDUCED'
  | 'STABILITY_FALLBACK'
  | 'INSUFFICIENT_HISTORY_FOR_BACKTEST'
  | 'TRAINED_AFTER_BREAK'
  | 'BOUND_APPLIED'
  | 'HORIZON_CAPPED'
  | 'DEFAULT_SCENARIOS_USED'
  | 'ASSUMED_PERCENTAGE_POINTS'
  | 'SCENARIO_UNSTABLE'
  | 'SECTOR_SKIPPED'
  | 'NON_FINITE_RESULT'
  | 'DEFAULT_APPLIED'
  | 'AUDIT_WRITE_FAILED';

export interface AgentWarning {
  code: WarningCode;
  message: string;
  details?: Record<string, unknown>;
}

export type FieldKind = 'level' | 'change';

export interface DerivedField {
  name: string;
  unit: MetricUnit;
  kind: FieldKind;
}

/** A recorded computation (§1.5): id = "derived_" + operation + "_" + h8. */
export interface DerivedResult {
  id: string;
  operation: string;
  inputs: string[];
  params: Record<string, unknown>;
  fields: DerivedField[];
  rows: Record<string, Scalar>[];
  asof_date: string | null;
  license: string;
}

/** Every agent method returns this (§3.0.1). */
export interface AgentResult {
  agent: string;
  method: string;
  intent: Intent;
  params: Record<string, unknown>;
  findings: Finding[];
  derived: DerivedResult[];
  /** Query ids read, in first-read order. */
  sources: string[];
  warnings: AgentWarning[];
  frequency: Frequency;
}

/** Raised for semantically invalid parameters: the HTTP layer maps `code` to a 400 (§4.3). */
export class AnalysisError extends Error {
  constructor(
    readonly code:
      | 'invalid_request'
      | 'intent_mismatch'
      | 'missing_param'
      | 'unknown_metric'
      | 'unknown_sector'
      | 'invalid_param'
      | 'scenario_spec_invalid'
      | 'scenario_inconsistent',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AnalysisError';
  }
}
