/**
 * The `citations` list and the `freshness` block of the answer envelope (analysis spec §4.2), built from the query
 * results and derived results an answer rests on.
 */
import type { AgentResult, DataClient, DerivedResult, QueryResult } from '../model.js';
import type { Citation, EnvelopeWarning, FreshnessBlock } from './envelope-types.js';

const MARKER = /\[cite:([^\]]*)\]/g;

/** Ids named by `[cite:…]` markers in a Markdown text, in order of appearance, without duplicates. */
export function markerIds(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(MARKER)) {
    for (const raw of (match[1] ?? '').split(',')) {
      const id = raw.trim();
      if (id !== '' && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/**
 * Every id an agent result rests on: the queries it read, the ids its findings and metrics cite (markers included),
 * and the inputs of its derived results. Derived ids are included; callers split by kind.
 */
export function referencedIds(result: AgentResult): string[] {
  const ids = new Set<string>(result.sources);
  for (const f of result.findings) {
    for (const id of f.citations) ids.add(id);
    for (const m of f.metrics) ids.add(m.citation);
    for (const id of markerIds(f.summary)) ids.add(id);
  }
  for (const d of result.derived) {
    ids.add(d.id);
    for (const id of d.inputs) ids.add(id);
  }
  ids.delete('');
  return [...ids];
}

/**
 * The query results an answer cites, read through the answer's DataClient (whose memo returns the very results the
 * agent used). Ids that are derived results or not registered are skipped; results come back sorted by id.
 */
export async function loadCitedQueries(
  result: AgentResult,
  client: DataClient,
  extraIds: readonly string[] = [],
): Promise<QueryResult[]> {
  const derived = new Set(result.derived.map((d) => d.id));
  const ids = [...new Set([...referencedIds(result), ...extraIds])]
    .filter((id) => !derived.has(id) && client.has(id))
    .sort(compareIds);
  return Promise.all(ids.map((id) => client.run(id)));
}

/** Total order on ids: UTF-16 code units, as RFC 8785 sorts keys (locale-independent). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function queryCitation(q: QueryResult): Citation {
  return {
    id: q.query_id,
    kind: 'query',
    dataset_id: q.provenance.dataset_id,
    locator: q.provenance.locator,
    license: q.provenance.license,
    asof_date: q.freshness.asof_date,
    fields: [...q.provenance.fields],
  };
}

export function derivedCitation(d: DerivedResult): Citation {
  return {
    id: d.id,
    kind: 'derived',
    dataset_id: 'derived',
    locator: `derived:${d.operation}`,
    license: d.license === '' ? null : d.license,
    asof_date: d.asof_date,
    fields: d.fields.map((f) => f.name),
    operation: d.operation,
    inputs: [...d.inputs],
    params: structuredClone(d.params),
  };
}

/** Citations for the given results, one per id (first occurrence wins), sorted by id. */
export function buildCitations(queries: readonly QueryResult[], derived: readonly DerivedResult[]): Citation[] {
  const byId = new Map<string, Citation>();
  for (const q of queries) if (!byId.has(q.query_id)) byId.set(q.query_id, queryCitation(q));
  for (const d of derived) if (!byId.has(d.id)) byId.set(d.id, derivedCitation(d));
  return [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
}

/** `freshness` (§4.2) over the query citations: as-of range, the injected clock date, and each source's as-of. */
export function buildFreshness(citations: readonly Citation[], clockDate: string): FreshnessBlock {
  const sources: Record<string, string | null> = {};
  const dates: string[] = [];
  for (const c of [...citations].sort((a, b) => compareIds(a.id, b.id))) {
    if (c.kind !== 'query') continue;
    sources[c.id] = c.asof_date;
    if (c.asof_date !== null && c.asof_date !== '') dates.push(c.asof_date);
  }
  dates.sort(compareIds);
  return {
    asof_min: dates[0] ?? null,
    asof_max: dates[dates.length - 1] ?? null,
    clock_date: clockDate,
    sources,
  };
}

/**
 * Freshness warnings of the data layer are computed against its own wall clock; the answer's freshness is judged by
 * verification against the injected clock date instead (§5.5), so these are left out to keep answers deterministic.
 */
const CLOCK_DEPENDENT_WARNING = /^(stale_data|freshness_unknown|freshness_invalid_sla)(:|$)/;

/** Data-layer warnings of the cited queries (id order, then the result's order) as envelope warnings. */
export function dataWarnings(queries: readonly QueryResult[]): EnvelopeWarning[] {
  const out: EnvelopeWarning[] = [];
  for (const q of [...queries].sort((a, b) => compareIds(a.query_id, b.query_id))) {
    for (const w of q.warnings) {
      if (CLOCK_DEPENDENT_WARNING.test(w)) continue;
      const code = w.split(':', 1)[0] ?? w;
      out.push({ code, message: `${q.query_id}: ${w}`, source: 'data' });
    }
  }
  return out;
}
