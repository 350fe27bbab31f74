/** Shapes of the readiness gate (service spec §11.2): checks, their results and the report. */

export const CHECK_IDS = [
  'typecheck',
  'lint',
  'tests',
  'router-smoke',
  'security',
  'env-catalogue',
  'docs-commands',
  'deploy-render',
  'backup-restore',
  'image',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export type Overall = 'pass' | 'fail' | 'incomplete';

/** What a check returns; the runner adds id, title and duration. */
export type CheckOutcome =
  { status: 'pass' | 'fail'; details: string } | { status: 'skipped'; details: string; skipReason: string };

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  duration_ms: number;
  details: string;
  skip_reason?: string;
}

export interface GateReport {
  started_at: string;
  finished_at: string;
  git_commit: string;
  node_version: string;
  overall: Overall;
  checks: CheckResult[];
}

/** Everything a check may use: the repository root and where it writes its logs and artefacts. */
export interface CheckContext {
  root: string;
  /** reports/readiness under root. */
  reportDir: string;
  /** Writes (replacing) a log file under reportDir/logs and returns its repository-relative path. */
  writeLog(name: string, text: string): string;
}

export interface Check {
  id: CheckId;
  title: string;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

export function isCheckId(value: string): value is CheckId {
  return (CHECK_IDS as readonly string[]).includes(value);
}
