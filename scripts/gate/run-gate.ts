/** Runs the checks in order, continuing after failures, and assembles the report. */
import fs from 'node:fs';
import path from 'node:path';
import { annotateAllowedSkips, overallOf } from './report.js';
import type { Check, CheckContext, CheckId, CheckOutcome, CheckResult, GateReport } from './types.js';

export interface RunGateOptions {
  root: string;
  reportDir: string;
  allowSkip: ReadonlySet<CheckId>;
  only: ReadonlySet<CheckId> | undefined;
  gitCommit: string;
  /** Progress lines (one per check start and end). */
  progress: (line: string) => void;
  now?: () => Date;
}

export function checkContext(root: string, reportDir: string): CheckContext {
  return {
    root,
    reportDir,
    writeLog(name, text) {
      const file = path.join(reportDir, 'logs', name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return path.relative(root, file);
    },
  };
}

/** One check's result; an exception from the check is its failure, never the gate's. */
export async function runOne(
  check: Check,
  ctx: CheckContext,
  selected: boolean,
  now: () => Date,
): Promise<CheckResult> {
  const base = { id: check.id, title: check.title };
  if (!selected)
    return { ...base, status: 'skipped', duration_ms: 0, details: 'not run', skip_reason: 'not selected (--only)' };
  const start = now().getTime();
  let outcome: CheckOutcome;
  try {
    outcome = await check.run(ctx);
  } catch (err) {
    outcome = {
      status: 'fail',
      details: `the check itself failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    };
  }
  const duration_ms = now().getTime() - start;
  return outcome.status === 'skipped'
    ? { ...base, status: 'skipped', duration_ms, details: outcome.details, skip_reason: outcome.skipReason }
    : { ...base, status: outcome.status, duration_ms, details: outcome.details };
}

export async function runGate(checks: readonly Check[], options: RunGateOptions): Promise<GateReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const ctx = checkContext(options.root, options.reportDir);
  const results: CheckResult[] = [];
  for (const check of checks) {
    const selected = options.only === undefined || options.only.has(check.id);
    if (selected) options.progress(`[gate] ${check.id}: running`);
    const result = await runOne(check, ctx, selected, now);
    const suffix = result.skip_reason === undefined ? '' : ` (${result.skip_reason})`;
    options.progress(`[gate] ${check.id}: ${result.status}${suffix} in ${(result.duration_ms / 1000).toFixed(1)} s`);
    results.push(result);
  }
  return {
    started_at: started.toISOString(),
    finished_at: now().toISOString(),
    git_commit: options.gitCommit,
    node_version: process.version,
    overall: overallOf(results, options.allowSkip),
    checks: annotateAllowedSkips(results, options.allowSkip),
  };
}
