/** Line coverage per directory from vitest's json-summary report (service spec §11.2: ≥ 85 % lines). */
import path from 'node:path';

export const COVERAGE_DIRS = ['src/http', 'src/security', 'src/config'] as const;
export const MIN_LINE_PCT = 85;

export interface DirectoryCoverage {
  dir: string;
  files: number;
  total: number;
  covered: number;
  /** Percentage of lines covered, two decimals; 0 when the directory has no measured lines. */
  pct: number;
  /** Source files on disk under dir that the report does not mention (measured as nothing). */
  unmeasured: string[];
  ok: boolean;
}

export class CoverageReportError extends Error {
  override name = 'CoverageReportError';
}

interface LinesEntry {
  lines?: { total?: unknown; covered?: unknown };
}

/**
 * Sums the line counts of every file under each directory. `sources` are the repository-relative source files on
 * disk; one the report leaves out is listed as unmeasured and fails its directory, as does a directory without lines.
 */
export function directoryCoverage(
  summary: unknown,
  root: string,
  dirs: readonly string[],
  sources: readonly string[],
  minPct = MIN_LINE_PCT,
): DirectoryCoverage[] {
  if (typeof summary !== 'object' || summary === null)
    throw new CoverageReportError('coverage summary is not an object');
  const entries = new Map<string, { total: number; covered: number }>();
  for (const [key, value] of Object.entries(summary as Record<string, LinesEntry>)) {
    if (key === 'total') continue;
    const total = value?.lines?.total;
    const covered = value?.lines?.covered;
    if (typeof total !== 'number' || typeof covered !== 'number')
      throw new CoverageReportError(`coverage summary entry ${key} has no line counts`);
    const rel = (path.isAbsolute(key) ? path.relative(root, key) : key).split(path.sep).join('/');
    entries.set(rel, { total, covered });
  }
  return dirs.map((dir) => {
    const inDir = (file: string): boolean => file.startsWith(`${dir}/`);
    let total = 0;
    let covered = 0;
    let files = 0;
    for (const [file, lines] of entries) {
      if (!inDir(file)) continue;
      files++;
      total += lines.total;
      covered += lines.covered;
    }
    const unmeasured = sources.filter((f) => inDir(f) && !entries.has(f)).sort();
    const pct = total === 0 ? 0 : Math.floor((covered / total) * 10_000) / 100;
    return { dir, files, total, covered, pct, unmeasured, ok: total > 0 && unmeasured.length === 0 && pct >= minPct };
  });
}

function verdict(r: DirectoryCoverage, minPct: number): string {
  if (r.ok) return 'ok';
  if (r.total === 0) return 'FAIL: no lines measured';
  if (r.pct < minPct) return `FAIL: below ${minPct} %`;
  return 'FAIL: files not measured';
}

export function formatCoverage(rows: readonly DirectoryCoverage[], minPct = MIN_LINE_PCT): string {
  return rows
    .map((r) => {
      const missing = r.unmeasured.length > 0 ? `; not measured: ${r.unmeasured.join(', ')}` : '';
      return `${r.dir}: ${r.pct.toFixed(2)} % lines (${r.covered}/${r.total} in ${r.files} files) ${verdict(r, minPct)}${missing}`;
    })
    .join('\n');
}
