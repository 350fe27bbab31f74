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

// Cached results hand out the same row array on every hit: serialise each array once.
const rowsJsonMemo = new WeakMap<readonly Row[], string>();

function rowsJson(rows: readonly Row[]): string {
  const known = rowsJsonMemo.get(rows);
  if (known !== undefined) return known;
  let out = '[';
  for (let i = 0; i < rows.length; i++) out += (i > 0 ? ',' : '') + rowToJson(rows[i]!);
  out += ']';
  rowsJsonMemo.set(rows, out);
  return out;
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
  return (
    `{"query_id":${s(result.query_id)},"unit":${s(result.unit)},"rows":${rowsJson(rows)},"row_count":${rows.length}` +
    `,"provenance":${s(result.provenance)},"freshness":${s(result.freshness)},"warnings":${s(result.warnings)}` +
    `,"registry_version":${s(result.registry_version)},"timings":${s(result.timings)}` +
    `,"pagination":${s(pagination)},"auto_paginated":${autoPaginated},"request_id":${s(requestId)}}`
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
