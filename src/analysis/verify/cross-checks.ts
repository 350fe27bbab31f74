/**
 * L3 — cross-checks (analysis spec §5.3): when the answer cites a check's primary or reference query, the other
 * side is fetched through the DataClient and the two are compared per key. The counterpart appears only in the
 * issue details, never in the citations.
 */
import type { DataClient } from '../model.js';
import { cell, finite } from './citable-values.js';
import { isCitedQuery, type Citable, type CrossCheckReport, type VerificationIssue } from './types.js';
import type { CrossCheckSide, CrossCheckSpec, VerificationConfig } from './verification-config.js';

type Rows = readonly unknown[];

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Relative gap of §5.3 in percent: |p − r| / max(1e-9, |p|) · 100. */
export function relativeGapPct(p: number, r: number): number {
  return (Math.abs(p - r) / Math.max(1e-9, Math.abs(p))) * 100;
}

function keyOf(row: unknown, side: CrossCheckSide): string | null {
  const k = cell(row, side.key);
  return typeof k === 'string' || typeof k === 'number' ? String(k) : null;
}

function yearOf(row: unknown, side: CrossCheckSide): string | null {
  const y = cell(row, side.year);
  if (finite(y)) return String(y);
  // Annual periods ("2024") compare as years; monthly periods do not.
  return typeof y === 'string' && /^\d{4}$/.test(y) ? y : null;
}

async function rowsFor(
  id: string,
  cited: ReadonlyMap<string, Citable>,
  data: DataClient | undefined,
): Promise<{ rows: Rows } | { missing: string }> {
  const c = cited.get(id);
  if (c && isCitedQuery(c)) return { rows: Array.isArray(c.rows) ? c.rows : [] };
  if (!data) return { missing: 'no data client to fetch the counterpart' };
  try {
    if (!data.has(id)) return { missing: 'query is not registered' };
    const result = await data.run(id);
    return { rows: result.rows };
  } catch (err) {
    return { missing: `fetch failed: ${(err as Error)?.message ?? String(err)}` };
  }
}

/** The reference rows by key, each key's rows in row order. */
function indexRows(rows: Rows, side: CrossCheckSide): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const row of rows) {
    const k = keyOf(row, side);
    if (k === null) continue;
    const list = out.get(k) ?? [];
    list.push(row);
    out.set(k, list);
  }
  return out;
}

function referenceValue(
  candidates: readonly unknown[],
  spec: CrossCheckSpec,
  primaryYear: string | null,
): { value: number; year: string | null } | null {
  const side = spec.reference;
  if (spec.match === 'same_year') {
    if (primaryYear === null) return null;
    for (const row of candidates) {
      const v = cell(row, side.field);
      if (yearOf(row, side) === primaryYear && finite(v)) return { value: v, year: primaryYear };
    }
    return null;
  }
  let best: { value: number; year: string | null; y: number } | null = null;
  for (const row of candidates) {
    const v = cell(row, side.field);
    const y = yearOf(row, side);
    if (!finite(v) || y === null) continue;
    if (best === null || Number(y) > best.y) best = { value: v, year: y, y: Number(y) };
  }
  return best === null ? null : { value: best.value, year: best.year };
}

export interface CrossCheckLayer {
  issues: VerificationIssue[];
  report: CrossCheckReport;
}

export async function runCrossChecks(
  cited: ReadonlyMap<string, Citable>,
  data: DataClient | undefined,
  config: VerificationConfig,
): Promise<CrossCheckLayer> {
  const issues: VerificationIssue[] = [];
  const report: CrossCheckReport = { checks_run: [], comparisons: 0, exceeded: 0 };
  for (const spec of config.cross_checks) {
    if (!cited.has(spec.primary.query) && !cited.has(spec.reference.query)) continue;
    const ids = [spec.primary.query, spec.reference.query];
    const primary = await rowsFor(spec.primary.query, cited, data);
    const reference = await rowsFor(spec.reference.query, cited, data);
    if ('missing' in primary || 'missing' in reference) {
      const [id, why] =
        'missing' in primary ? [ids[0], primary.missing] : [ids[1], (reference as { missing: string }).missing];
      issues.push({
        layer: 'L3',
        code: 'XCHK_SKIPPED',
        severity: 'info',
        message: `cross-check ${spec.name} skipped: ${id} unavailable (${why})`,
        details: { check: spec.name, ids, missing: id, reason: why },
      });
      continue;
    }
    report.checks_run.push(spec.name);
    const byKey = indexRows(reference.rows, spec.reference);
    for (const row of primary.rows) {
      const key = keyOf(row, spec.primary);
      const p = cell(row, spec.primary.field);
      if (key === null || !finite(p)) continue;
      const year = yearOf(row, spec.primary);
      const ref = referenceValue(byKey.get(key) ?? [], spec, year);
      if (ref === null) continue;
      report.comparisons += 1;
      const pct = relativeGapPct(p, ref.value);
      if (pct <= spec.tolerance_pct) continue;
      report.exceeded += 1;
      issues.push({
        layer: 'L3',
        code: 'XCHK_TOLERANCE_EXCEEDED',
        severity: 'warning',
        message:
          `${spec.name} cross-check for ${key}: ${p} (${ids[0]}) vs ${ref.value} (${ids[1]}) differ by ` +
          `${round3(pct)}%, above ${spec.tolerance_pct}%`,
        details: {
          check: spec.name,
          key,
          primary: p,
          reference: ref.value,
          pct: round3(pct),
          tolerance_pct: spec.tolerance_pct,
          year,
          reference_year: ref.year,
          ids,
        },
      });
    }
  }
  return { issues, report };
}
