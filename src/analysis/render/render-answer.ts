/**
 * Turns an AgentResult (and the query results it read) into the rendered parts of an answer (analysis spec §4.2):
 * sections, narrative, citations, freshness and the agent and data warnings. Pure and deterministic: the clock date
 * is passed in and nothing depends on the wall clock or the locale.
 */
import { jsonSafe, type DerivedInput } from '../derived.js';
import { AnalysisError, type AgentResult, type DerivedResult, type Finding, type QueryResult } from '../model.js';
import { buildCitations, buildFreshness, compareIds, dataWarnings, referencedIds } from './citations.js';
import type { Citation, EnvelopeWarning, FreshnessBlock, Section } from './envelope-types.js';
import {
  DEFAULT_MAX_ROWS,
  evidence,
  executiveSummary,
  keyFindings,
  methodNotes,
  narrativeOf,
  section,
} from './sections.js';

export const MAX_ROWS_LIMIT = 1000;

export interface RenderInput {
  result: AgentResult;
  /** The query results the answer cites (see loadCitedQueries); others are ignored. */
  queries: readonly QueryResult[];
  /** YYYY-MM-DD, the injected clock date (§8). */
  clockDate: string;
  /** Rows echoed in tables, 1..1000 (default 50). */
  maxRows?: number;
}

export interface RenderedAnswer {
  intent: string;
  sections: Section[];
  narrative: string;
  findings: Finding[];
  citations: Citation[];
  freshness: FreshnessBlock;
  /** Agent warnings in emission order, then data-layer warnings of the cited queries. */
  warnings: EnvelopeWarning[];
  /** The results behind `citations` (what verification checks and the audit evidence stores). */
  cited: { queries: QueryResult[]; derived: DerivedResult[] };
}

function checkMaxRows(maxRows: number): void {
  if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > MAX_ROWS_LIMIT) {
    throw new AnalysisError('invalid_request', `max_rows must be a whole number from 1 to ${MAX_ROWS_LIMIT}`);
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function renderAnswer(input: RenderInput): RenderedAnswer {
  const { result, clockDate } = input;
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;
  checkMaxRows(maxRows);
  if (!DATE.test(clockDate)) throw new AnalysisError('invalid_request', 'clock date must be YYYY-MM-DD');

  const wanted = new Set(referencedIds(result));
  const queries = dedupeQueries(input.queries.filter((q) => wanted.has(q.query_id)));
  const lookup = new Map<string, DerivedInput>();
  for (const q of queries) lookup.set(q.query_id, q);
  for (const d of result.derived) if (!lookup.has(d.id)) lookup.set(d.id, d);

  const findings = result.findings;
  const key = keyFindings(findings, maxRows, (id) => lookup.get(id));
  const derived = dedupeDerived(key.truncation === null ? result.derived : [...result.derived, key.truncation]);
  const citations = buildCitations(queries, derived);

  const sections: Section[] = [
    section('executive_summary', executiveSummary(findings)),
    section('key_findings', key.body),
    section('method_notes', methodNotes(result)),
    section('evidence', evidence(citations)),
  ];
  const warnings: EnvelopeWarning[] = [
    ...result.warnings.map((w): EnvelopeWarning => ({ code: w.code, message: w.message, source: 'agent' })),
    ...dataWarnings(queries),
  ];
  return {
    intent: result.intent,
    sections,
    narrative: narrativeOf(sections),
    findings: jsonSafe(findings) as Finding[],
    citations,
    freshness: buildFreshness(citations, clockDate),
    warnings,
    cited: {
      queries: [...queries].sort((a, b) => compareIds(a.query_id, b.query_id)),
      derived: [...derived].sort((a, b) => compareIds(a.id, b.id)),
    },
  };
}

function dedupeQueries(queries: readonly QueryResult[]): QueryResult[] {
  const seen = new Map<string, QueryResult>();
  for (const q of queries) if (!seen.has(q.query_id)) seen.set(q.query_id, q);
  return [...seen.values()];
}

function dedupeDerived(derived: readonly DerivedResult[]): DerivedResult[] {
  const seen = new Map<string, DerivedResult>();
  for (const d of derived) if (!seen.has(d.id)) seen.set(d.id, d);
  return [...seen.values()];
}
