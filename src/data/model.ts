/**
 * Plain typed values handed between the layers of src/data (data-layer spec §1, §8).
 * Rows are ordered maps: key order is insertion order even for integer-like keys.
 */
export type Scalar = string | number | boolean | null;
export type Row = Map<string, Scalar>;

export type SourceType = 'csv' | 'world_bank' | 'postgres';
export type Unit = 'count' | 'percent' | 'qar' | 'usd' | 'index' | 'unknown';
export const UNITS: readonly Unit[] = ['count', 'percent', 'qar', 'usd', 'index', 'unknown'];

export interface CsvParams {
  pattern: string;
  select?: string[];
  year?: number;
  max_rows?: number;
  timeout_s?: number;
  to_percent?: string[];
}

export interface WorldBankParams {
  indicator: string;
  countries?: string[];
  year?: number;
  start_year?: number;
  end_year?: number;
  max_rows?: number;
  timeout_s?: number;
}

export type ArgType = 'int' | 'number' | 'text' | 'date';

export interface ArgDecl {
  name: string;
  type: ArgType;
  default?: string | number;
  min?: number;
  max?: number;
  enum?: string[];
  max_length?: number;
  description?: string;
}

export interface PostgresParams {
  sql: string;
  args?: ArgDecl[];
  dataset: string;
  max_rows?: number;
  timeout_s?: number;
}

export type TransformName =
  'select' | 'filter_equals' | 'rename_columns' | 'to_percent' | 'top_n' | 'share_of_total' | 'yoy' | 'rolling_avg';

export interface TransformStep {
  name: TransformName;
  /** Validated parameters as written in the spec (defaults are applied by the transform). */
  params: Record<string, unknown>;
}

export interface Constraints {
  sum_to_one?: boolean;
  freshness_sla_days?: number;
  cache_ttl_s?: number;
}

interface SpecBase {
  id: string;
  title: string;
  description: string;
  expected_unit: Unit;
  constraints: Constraints;
  postprocess: TransformStep[];
  /** Path of the spec file relative to the registry directory. */
  file: string;
}

export interface CsvSpec extends SpecBase {
  source: 'csv';
  params: CsvParams;
}
export interface WorldBankSpec extends SpecBase {
  source: 'world_bank';
  params: WorldBankParams;
}
export interface PostgresSpec extends SpecBase {
  source: 'postgres';
  params: PostgresParams;
}
export type QuerySpec = CsvSpec | WorldBankSpec | PostgresSpec;

export interface Provenance {
  source: SourceType;
  dataset_id: string;
  /** Relative or logical locator: never absolute, never with `..`. */
  locator: string;
  fields: string[];
  license: string | null;
}

export interface Freshness {
  /** YYYY-MM-DD or null. */
  asof_date: string | null;
  /** ISO-8601 UTC with Z, or null. */
  updated_at: string | null;
}

export interface Timings {
  total_ms: number;
  source_ms: number | null;
  postprocess_ms: number | null;
  cache: 'hit' | 'miss' | 'bypass';
}

/** What a connector hands back before postprocessing. */
export interface SourceResult {
  rows: Row[];
  provenance: Provenance;
  freshness: Freshness;
  warnings: string[];
}

export interface QueryResult {
  query_id: string;
  unit: Unit;
  rows: Row[];
  row_count: number;
  provenance: Provenance;
  freshness: Freshness;
  warnings: string[];
  registry_version: string;
  timings: Timings;
}

/** The part of a result that is stored in the cache (no freshness warnings, no timings). */
export type StoredResult = Omit<QueryResult, 'timings'>;
