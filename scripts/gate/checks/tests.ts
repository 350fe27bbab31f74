/**
 * `tests`: the whole vitest suite, once, with V8 coverage of every source file under src/; line coverage of src/http,
 * src/security and src/config must each reach 85 %.
 */
import fs from 'node:fs';
import path from 'node:path';
import { COVERAGE_DIRS, directoryCoverage, formatCoverage, MIN_LINE_PCT } from '../coverage.js';
import { describeExit, tail } from '../run-command.js';
import type { Check } from '../types.js';
import { failureSummary, runVitest, tally } from '../vitest-results.js';

const TIMEOUT_MS = 60 * 60_000;
const LISTED_FAILURES = 40;

/** Repository-relative .ts files under the given directories. */
function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(child);
    }
  };
  for (const dir of dirs) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

/** The count vitest prints as `Errors  N errors` (unhandled errors and rejections), 0 when absent. */
export function unhandledErrors(output: string): number {
  const match = /^\s*Errors\s+(\d+) errors?\b/m.exec(output);
  return match ? Number(match[1]) : 0;
}

export const tests: Check = {
  id: 'tests',
  title: `Unit and integration tests with coverage ≥ ${MIN_LINE_PCT} % lines for ${COVERAGE_DIRS.join(', ')}`,
  async run(ctx) {
    const coverageDir = path.join(ctx.reportDir, 'coverage');
    fs.rmSync(coverageDir, { recursive: true, force: true });
    const vitest = await runVitest(ctx, {
      name: 'tests',
      files: [],
      timeoutMs: TIMEOUT_MS,
      extraArgs: [
        '--coverage.enabled=true',
        '--coverage.provider=v8',
        '--coverage.include=src/**/*.ts',
        '--coverage.reporter=json-summary',
        '--coverage.reporter=text',
        // Coverage is reported even when a test fails, so the numbers are in the report either way.
        '--coverage.reportOnFailure=true',
        `--coverage.reportsDirectory=${path.relative(ctx.root, coverageDir)}`,
      ],
    });
    const lines: string[] = [];
    let failed = false;
    const services = [
      `Postgres ${process.env.QNWIS_TEST_DATABASE_URL ? 'from QNWIS_TEST_DATABASE_URL' : 'at the test default 127.0.0.1:5432'}`,
      `Redis ${process.env.QNWIS_TEST_REDIS_URL ? 'from QNWIS_TEST_REDIS_URL' : 'at the test default 127.0.0.1:6379'}`,
    ];
    lines.push(
      `vitest run (embedded PGlite; ${services.join(', ')}): ${describeExit(vitest.run, TIMEOUT_MS)} (log ${vitest.log})`,
    );
    if (vitest.results === undefined) {
      lines.push(`no test results: ${vitest.error ?? 'unknown'}`, tail(vitest.run.stdout + vitest.run.stderr, 30));
      return { status: 'fail', details: lines.join('\n') };
    }
    const t = tally(vitest.results);
    lines.push(
      `${vitest.results.files.length} files, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.brokenFiles.length} files failed outside a test`,
    );
    if (t.failed > 0 || t.brokenFiles.length > 0 || vitest.run.code !== 0) failed = true;
    for (const test of t.failedTests.slice(0, LISTED_FAILURES)) lines.push(`FAILED ${failureSummary(test)}`);
    if (t.failedTests.length > LISTED_FAILURES) lines.push(`… and ${t.failedTests.length - LISTED_FAILURES} more`);
    for (const file of t.brokenFiles)
      lines.push(`FAILED FILE ${file.file}: ${file.message.split('\n')[0]!.slice(0, 300)}`);
    // Skipped tests are conditions of the machine (e.g. describe.runIf), listed so they are never silent.
    for (const test of t.skippedTests) lines.push(`skipped test: ${test.file} > ${test.fullName}`);
    const unhandled = unhandledErrors(vitest.run.stdout + vitest.run.stderr);
    if (unhandled > 0) {
      failed = true;
      lines.push(`${unhandled} unhandled errors outside any test (listed in the log under "Unhandled Errors")`);
    }
    if (vitest.run.code !== 0 && t.failed === 0 && t.brokenFiles.length === 0 && unhandled === 0)
      lines.push('vitest exited non-zero without a failed test:', tail(vitest.run.stdout + vitest.run.stderr, 20));

    const summaryPath = path.join(coverageDir, 'coverage-summary.json');
    if (!fs.existsSync(summaryPath)) {
      lines.push(`coverage: no ${path.relative(ctx.root, summaryPath)} written`);
      return { status: 'fail', details: lines.join('\n') };
    }
    try {
      const rows = directoryCoverage(
        JSON.parse(fs.readFileSync(summaryPath, 'utf8')),
        ctx.root,
        COVERAGE_DIRS,
        sourceFiles(ctx.root, COVERAGE_DIRS),
      );
      lines.push(`coverage (lines, minimum ${MIN_LINE_PCT} %; report ${path.relative(ctx.root, coverageDir)}):`);
      lines.push(formatCoverage(rows));
      if (rows.some((r) => !r.ok)) failed = true;
    } catch (err) {
      lines.push(`coverage: ${(err as Error).message}`);
      failed = true;
    }
    return { status: failed ? 'fail' : 'pass', details: lines.join('\n') };
  },
};
