/**
 * `npm run gate` (service spec §11.2): runs the readiness checks in order, continuing after failures, writes
 * reports/readiness/gate.json and gate.md, and exits 0 (pass), 1 (fail), 2 (incomplete) or 64 (usage).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { GateUsageError, parseGateArgs, USAGE } from './gate/args.js';
import { CHECKS } from './gate/checks/index.js';
import { exitCodeOf, writeReports } from './gate/report.js';
import { endActiveCommands } from './gate/run-command.js';
import { runGate } from './gate/run-gate.js';

const EXIT_USAGE = 64;
const ROOT = path.resolve(import.meta.dirname, '..');
const REPORT_DIR = path.join(ROOT, 'reports', 'readiness');

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseGateArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof GateUsageError) {
      process.stderr.write(`gate: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      endActiveCommands();
      process.stderr.write(`gate: interrupted by ${signal}; no report written\n`);
      process.exit(130);
    });
  const report = await runGate(CHECKS, {
    root: ROOT,
    reportDir: REPORT_DIR,
    allowSkip: args.allowSkip,
    only: args.only,
    gitCommit: gitCommit(),
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  const written = writeReports(REPORT_DIR, report, args.allowSkip);
  process.stdout.write(
    `[gate] overall: ${report.overall} (${path.relative(ROOT, written.json)}, ${path.relative(ROOT, written.markdown)})\n`,
  );
  return exitCodeOf(report.overall);
}

process.exit(await main());
