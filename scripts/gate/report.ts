/** The gate's verdict and its two reports, reports/readiness/gate.json and gate.md (service spec §11.2). */
import fs from 'node:fs';
import path from 'node:path';
import type { CheckId, CheckResult, GateReport, Overall } from './types.js';

export const ALLOWED_SKIP_NOTE = 'skip allowed by --allow-skip: counts as pass for the overall result';

/**
 * `fail` when any check failed; otherwise `incomplete` when a check was skipped that --allow-skip does not name;
 * otherwise `pass`. No checks at all is `incomplete` (nothing passes by default).
 */
export function overallOf(checks: readonly CheckResult[], allowSkip: ReadonlySet<CheckId>): Overall {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.length === 0) return 'incomplete';
  if (checks.some((c) => c.status === 'skipped' && !allowSkip.has(c.id))) return 'incomplete';
  return 'pass';
}

export function exitCodeOf(overall: Overall): 0 | 1 | 2 {
  return overall === 'pass' ? 0 : overall === 'fail' ? 1 : 2;
}

/** Adds ALLOWED_SKIP_NOTE to the details of each skipped check that --allow-skip names (a copy; input unchanged). */
export function annotateAllowedSkips(checks: readonly CheckResult[], allowSkip: ReadonlySet<CheckId>): CheckResult[] {
  return checks.map((c) =>
    c.status === 'skipped' && allowSkip.has(c.id)
      ? { ...c, details: c.details === '' ? ALLOWED_SKIP_NOTE : `${c.details}\n${ALLOWED_SKIP_NOTE}` }
      : { ...c },
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

export function renderMarkdown(report: GateReport, allowSkip: ReadonlySet<CheckId>): string {
  const lines = [
    '# Readiness gate',
    '',
    `Overall: **${report.overall}**`,
    '',
    `- started: ${report.started_at}`,
    `- finished: ${report.finished_at}`,
    `- commit: \`${report.git_commit}\``,
    `- node: ${report.node_version}`,
    `- allowed skips: ${allowSkip.size === 0 ? 'none' : [...allowSkip].join(', ')}`,
    '',
    '| Check | Title | Status | Duration | Skip reason |',
    '|---|---|---|---|---|',
  ];
  for (const c of report.checks) {
    const status = c.status === 'skipped' && allowSkip.has(c.id) ? 'skipped (allowed)' : c.status;
    lines.push(
      `| \`${c.id}\` | ${cell(c.title)} | ${status} | ${seconds(c.duration_ms)} | ${cell(c.skip_reason ?? '')} |`,
    );
  }
  for (const c of report.checks) {
    lines.push('', `## ${c.id}: ${c.status}`, '');
    if (c.skip_reason !== undefined) lines.push(`Skip reason: ${c.skip_reason}`, '');
    lines.push('```text', c.details.replace(/```/g, "'''"), '```');
  }
  lines.push('');
  return lines.join('\n');
}

/** Writes gate.json and gate.md into dir (created when missing); returns both paths. */
export function writeReports(
  dir: string,
  report: GateReport,
  allowSkip: ReadonlySet<CheckId>,
): { json: string; markdown: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'gate.json');
  const markdown = path.join(dir, 'gate.md');
  const ordered: GateReport = {
    started_at: report.started_at,
    finished_at: report.finished_at,
    git_commit: report.git_commit,
    node_version: report.node_version,
    overall: report.overall,
    checks: report.checks.map((c) => ({
      id: c.id,
      title: c.title,
      status: c.status,
      duration_ms: c.duration_ms,
      details: c.details,
      ...(c.skip_reason === undefined ? {} : { skip_reason: c.skip_reason }),
    })),
  };
  fs.writeFileSync(json, `${JSON.stringify(ordered, null, 2)}\n`);
  fs.writeFileSync(markdown, renderMarkdown(ordered, allowSkip));
  return { json, markdown };
}
