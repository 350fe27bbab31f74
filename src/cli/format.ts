import { stringify } from 'csv-stringify/sync';
import type { QueryResult, Row, Scalar } from '../data/model.js';

/** Union of row keys in first-seen order. */
export function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of row.keys()) seen.add(k);
  return [...seen];
}

function cellText(v: Scalar | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

/** Rows only, comma-separated, RFC 4180 quoting, LF line ends, header = union of keys. */
export function resultToCsv(result: QueryResult): string {
  const cols = columnsOf(result.rows);
  const records = result.rows.map((r) => cols.map((c) => cellText(r.get(c))));
  return stringify([cols, ...records], { record_delimiter: '\n' });
}

/** Aligned columns, then provenance, freshness, warnings and the registry version. */
export function resultToTable(result: QueryResult): string {
  const cols = columnsOf(result.rows);
  const cells = result.rows.map((r) => cols.map((c) => cellText(r.get(c))));
  const numeric = cols.map((c) => result.rows.every((r) => r.get(c) === null || typeof r.get(c) === 'number'));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (cols.length > 0) {
    out.push(line(cols));
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of cells) out.push(line(row));
  }
  out.push('');
  out.push(`rows: ${result.row_count}  unit: ${result.unit}`);
  const p = result.provenance;
  out.push(`source: ${p.source}  dataset: ${p.dataset_id}  locator: ${p.locator}`);
  out.push(`license: ${p.license ?? '(none)'}`);
  out.push(
    `as of: ${result.freshness.asof_date ?? '(unknown)'}  updated: ${result.freshness.updated_at ?? '(unknown)'}`,
  );
  out.push(`warnings: ${result.warnings.length > 0 ? result.warnings.join(', ') : '(none)'}`);
  out.push(`registry version: ${result.registry_version}`);
  return out.join('\n') + '\n';
}
