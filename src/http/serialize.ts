import type { QueryResult, Row } from '../data/model.js';
import { rowToJson } from '../data/result-json.js';

export interface Pagination {
  page: number;
  page_size: number;
  total_items: number;
  total_pages: number;
  has_prev: boolean;
  has_next: boolean;
}

interface Head {
  result: Pick<QueryResult, 'query_id' | 'unit' | 'provenance' | 'freshness' | 'registry_version'>;
  /** From `{` to freshness. */
  text: string;
  /** `,"registry_version":"…"` */
  version: string;
}

// Cached results hand out the same row array (and provenance and freshness objects) on every hit: the part of the
// response that does not change between hits is serialised once per array.
const heads = new WeakMap<readonly Row[], Head>();

function rowsJson(rows: readonly Row[]): string {
  let out = '[';
  for (let i = 0; i < rows.length; i++) out += (i > 0 ? ',' : '') + rowToJson(rows[i]!);
  return out + ']';
}

function sameHead(a: Head['result'], b: QueryResult): boolean {
  return (
    a.provenance === b.provenance &&
    a.freshness === b.freshness &&
    a.query_id === b.query_id &&
    a.unit === b.unit &&
    a.registry_version === b.registry_version
  );
}

function head(result: QueryResult, rows: readonly Row[]): Head {
  const known = heads.get(rows);
  if (known !== undefined && sameHead(known.result, result)) return known;
  const s = JSON.stringify;
  const made: Head = {
    result,
    text:
      `{"query_id":${s(result.query_id)},"unit":${s(result.unit)},"rows":${rowsJson(rows)}` +
      `,"row_count":${rows.length},"provenance":${s(result.provenance)},"freshness":${s(result.freshness)}`,
    version: `,"registry_version":${s(result.registry_version)}`,
  };
  heads.set(rows, made);
  return made;
}

function timingsJson(t: QueryResult['timings']): string {
  return (
    `{"total_ms":${t.total_ms},"source_ms":${t.source_ms},"postprocess_ms":${t.postprocess_ms}` +
    `,"cache":${JSON.stringify(t.cache)}}`
  );
}

/** QueryRunResponse as JSON text; rows keep their column order (they are Maps, not plain objects). */
export function queryRunResponseJson(
  result: QueryResult,
  rows: readonly Row[],
  pagination: Pagination | null,
  autoPaginated: boolean,
  requestId: string,
): string {
  const s = JSON.stringify;
  const { text, version } = head(result, rows);
  const warnings = result.warnings.length === 0 ? '[]' : s(result.warnings);
  return (
    `${text},"warnings":${warnings}${version},"timings":${timingsJson(result.timings)}` +
    `,"pagination":${pagination === null ? 'null' : s(pagination)},"auto_paginated":${autoPaginated}` +
    `,"request_id":${s(requestId)}}`
  );
}

export function ndjsonMetaLine(result: QueryResult): string {
  return (
    JSON.stringify({
      type: 'meta',
      query_id: result.query_id,
      unit: result.unit,
      provenance: result.provenance,
      freshness: result.freshness,
      warnings: result.warnings,
      row_count: result.row_count,
    }) + '\n'
  );
}

export function ndjsonRowLine(row: Row): string {
  return `{"type":"row","row":${rowToJson(row)}}\n`;
}
