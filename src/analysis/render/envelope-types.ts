/**
 * The answer envelope of analysis spec §4.2 and its parts. Verification, confidence and routing are computed by other
 * modules; the shapes they must offer are declared here structurally (only the members the envelope shows).
 */
import type { Finding } from '../model.js';

export type SectionId = 'executive_summary' | 'key_findings' | 'method_notes' | 'evidence' | 'clarification';

export interface Section {
  id: SectionId;
  title: string;
  body_md: string;
}

/** One entry of `citations` (§4.2): a query result or a derived result (§1.5). */
export interface Citation {
  id: string;
  kind: 'query' | 'derived';
  /** The query's dataset; "derived" for derived results. */
  dataset_id: string;
  /** The query's relative or logical locator; `derived:<operation>` for derived results. */
  locator: string;
  license: string | null;
  asof_date: string | null;
  /** Provenance field names, or the derived result's field names. */
  fields: string[];
  operation?: string;
  inputs?: string[];
  params?: Record<string, unknown>;
}

export interface FreshnessBlock {
  asof_min: string | null;
  asof_max: string | null;
  clock_date: string;
  /** query id → as-of date, keys in id order. */
  sources: Record<string, string | null>;
}

export type WarningSource = 'router' | 'agent' | 'verification' | 'data';

export interface EnvelopeWarning {
  code: string;
  message: string;
  source: WarningSource;
}

/** A verification issue as shown in the envelope (§5). */
export interface EnvelopeIssue {
  layer: string;
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  details: Record<string, unknown>;
}

export interface VerificationBlock {
  passed: boolean;
  issues: EnvelopeIssue[];
}

/**
 * What the envelope needs from the verification result: passed, issues, and (optionally) the narrative with the L4
 * redactions applied.
 */
export interface VerificationLike {
  passed: boolean;
  issues: readonly {
    layer: string;
    code: string;
    severity: 'error' | 'warning' | 'info';
    message: string;
    details?: Record<string, unknown>;
  }[];
  narrative?: string;
}

export type Band = 'GREEN' | 'AMBER' | 'RED';

export interface ConfidenceComponents {
  citation: number | null;
  numbers: number | null;
  cross_check: number | null;
  privacy: number | null;
  freshness: number | null;
}

export interface ConfidenceBlock {
  score: number;
  band: Band;
  components: ConfidenceComponents;
  reasons: string[];
}

/** What the envelope needs from the confidence result (§5.7). */
export interface ConfidenceLike {
  score: number;
  band: Band;
  components: Partial<ConfidenceComponents>;
  reasons: readonly string[];
}

export interface RouterEntities {
  sectors: unknown[];
  metrics: unknown[];
  countries: unknown[];
  time: unknown;
  numbers: unknown[];
  changes: unknown[];
  top_n: unknown;
}

export interface RouterBlock {
  method: 'classified' | 'explicit';
  confidence: number;
  threshold: number;
  entities: RouterEntities;
  entities_ignored: unknown[];
  alternatives: { intent: string; score: number }[];
  params_used: Record<string, unknown>;
  defaults_applied: unknown[];
}

/** What the envelope needs from the router result (§4.2 `router`). */
export interface RouterLike {
  method: 'classified' | 'explicit';
  confidence: number;
  threshold: number;
  entities: { [K in keyof RouterEntities]?: unknown };
  entities_ignored: readonly unknown[];
  alternatives: readonly { intent: string; score: number }[];
  params_used: Record<string, unknown>;
  defaults_applied: readonly unknown[];
}

export interface TimingsMs {
  route: number;
  agent: number;
  render: number;
  verify: number;
  audit: number;
  total: number;
}

export type ClarificationReason = 'low_confidence' | 'missing_parameter' | 'unsupported_metric';

/** The clarification object of §2.7; options are built by the router and carried as given. */
export interface ClarificationBlock {
  reason: ClarificationReason;
  message: string;
  options: unknown[];
  missing: string[];
}

export interface ClarificationLike {
  reason: ClarificationReason;
  message: string;
  options: readonly unknown[];
  missing: readonly string[];
}

/** The §4.2 response body. Members are declared (and built) in schema order. */
export interface AnswerEnvelope {
  request_id: string;
  status: 'answered' | 'clarification';
  intent: string | null;
  router: RouterBlock | null;
  sections: Section[];
  narrative: string;
  findings: Finding[];
  citations: Citation[];
  freshness: FreshnessBlock;
  verification: VerificationBlock;
  confidence: ConfidenceBlock | null;
  warnings: EnvelopeWarning[];
  clarification?: ClarificationBlock;
  audit_id: string | null;
  timings_ms: TimingsMs;
}
