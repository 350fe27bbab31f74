/**
 * `security`: `npm audit --omit=dev --audit-level=high` (skipped, with the reason, when the registry's audit endpoint
 * cannot be reached) and the secret scan of every tracked file against scripts/gate/secret-allowlist.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeExit, runCommand, tail } from '../run-command.js';
import {
  AllowlistError,
  applyAllowlist,
  formatFinding,
  parseAllowlist,
  scanFile,
  type SecretFinding,
} from '../secret-scan.js';
import type { Check, CheckContext } from '../types.js';

const AUDIT_TIMEOUT_MS = 3 * 60_000;
export const ALLOWLIST_PATH = 'scripts/gate/secret-allowlist.json';

type PartOutcome =
  { status: 'pass' | 'fail'; lines: string[] } | { status: 'skipped'; lines: string[]; reason: string };

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity?: string }>;
  error?: { code?: string; summary?: string };
  message?: string;
}

/** Text with URLs replaced: the report names a failure, not the registry host. */
function withoutUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/\S+/g, '<registry URL>');
}

/** Judges `npm audit --json` output: a report with counts, or no report (registry unreachable: skipped). */
export function judgeAudit(code: number | null, stdout: string, stderr: string): PartOutcome {
  let report: AuditReport | undefined;
  try {
    report = JSON.parse(stdout) as AuditReport;
  } catch {
    report = undefined;
  }
  const counts = report?.metadata?.vulnerabilities;
  if (report === undefined || counts === undefined) {
    const reason =
      report?.message ??
      report?.error?.summary ??
      (stderr.split('\n').find((l) => l.trim() !== '') || 'no audit report');
    return {
      status: 'skipped',
      lines: [`npm audit: no audit report (exit ${code})`, withoutUrls(tail(stderr, 5))],
      reason: `npm audit could not reach the registry's audit endpoint: ${withoutUrls(reason.trim())}`,
    };
  }
  const summary = Object.entries(counts)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const serious = Object.entries(report.vulnerabilities ?? {})
    .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
    .map(([name, v]) => `${name} (${v.severity})`);
  const failed = code !== 0 || serious.length > 0;
  return {
    status: failed ? 'fail' : 'pass',
    lines: [
      `npm audit --omit=dev --audit-level=high: ${failed ? 'FAIL' : 'ok'} (${summary})`,
      ...(serious.length > 0 ? [`high or critical: ${serious.join(', ')}`] : []),
    ],
  };
}

async function audit(ctx: CheckContext): Promise<PartOutcome> {
  const args = ['audit', '--omit=dev', '--audit-level=high', '--json'];
  const run = await runCommand('npm', args, {
    cwd: ctx.root,
    env: { ...process.env, npm_config_update_notifier: 'false' },
    timeoutMs: AUDIT_TIMEOUT_MS,
  });
  ctx.writeLog('security-npm-audit.log', `$ npm ${args.join(' ')}\n${run.stdout}${run.stderr}`);
  if (run.timedOut || run.spawnError !== undefined)
    return {
      status: 'skipped',
      lines: [`npm audit: ${describeExit(run, AUDIT_TIMEOUT_MS)}`],
      reason: `npm audit could not reach the registry: ${describeExit(run, AUDIT_TIMEOUT_MS)}`,
    };
  return judgeAudit(run.code, run.stdout, run.stderr);
}

async function trackedFiles(root: string): Promise<string[] | string> {
  const run = await runCommand('git', ['ls-files', '-z'], { cwd: root, timeoutMs: 60_000 });
  if (run.code !== 0) return `git ls-files: ${describeExit(run)} ${run.stderr.trim()}`;
  return run.stdout.split('\0').filter((f) => f !== '');
}

async function secretScan(ctx: CheckContext): Promise<PartOutcome> {
  const files = await trackedFiles(ctx.root);
  if (typeof files === 'string') return { status: 'fail', lines: [`secret scan: ${files}`] };
  let entries;
  try {
    entries = parseAllowlist(JSON.parse(fs.readFileSync(path.join(ctx.root, ALLOWLIST_PATH), 'utf8')));
  } catch (err) {
    const why = err instanceof AllowlistError || err instanceof SyntaxError ? err.message : String(err);
    return { status: 'fail', lines: [`secret scan: ${ALLOWLIST_PATH} is invalid: ${why}`] };
  }
  const findings: SecretFinding[] = [];
  let scanned = 0;
  for (const file of files) {
    const absolute = path.join(ctx.root, file);
    let stat;
    try {
      stat = fs.lstatSync(absolute);
    } catch {
      continue; // deleted in the working tree
    }
    if (!stat.isFile()) continue;
    scanned++;
    findings.push(...scanFile(file, fs.readFileSync(absolute).toString('utf8')));
  }
  const verdict = applyAllowlist(findings, entries);
  const lines = [
    `secret scan of ${scanned} tracked files: ${verdict.reported.length} findings, ${verdict.allowed.length} allowed by ${entries.length} allowlist entries, ${verdict.stale.length} stale allowlist fingerprints`,
    ...verdict.reported.map((f) => `FINDING ${formatFinding(f)}`),
    ...verdict.stale.map(
      (s) => `STALE allowlist fingerprint ${s.fingerprint} (${s.entry.rule} in ${s.entry.file}): remove it`,
    ),
  ];
  return { status: verdict.reported.length === 0 && verdict.stale.length === 0 ? 'pass' : 'fail', lines };
}

export const security: Check = {
  id: 'security',
  title: 'npm audit (production dependencies, high) and secret scan of tracked files',
  async run(ctx) {
    const scan = await secretScan(ctx);
    const deps = await audit(ctx);
    const details = [...deps.lines, ...scan.lines].filter((l) => l !== '').join('\n');
    if (scan.status === 'fail' || deps.status === 'fail') return { status: 'fail', details };
    if (deps.status === 'skipped')
      return {
        status: 'skipped',
        details: `${details}\nsecret scan passed; npm audit did not run`,
        skipReason: deps.reason,
      };
    return { status: 'pass', details };
  },
};
