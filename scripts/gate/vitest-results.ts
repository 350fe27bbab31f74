/** Runs vitest with its JSON reporter and reads the per-test results the checks judge. */
import fs from 'node:fs';
import path from 'node:path';
import { localBin, runCommand, type CommandRun } from './run-command.js';
import type { CheckContext } from './types.js';

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';

export interface TestCase {
  /** Repository-relative test file. */
  file: string;
  /** Describe titles and the test title joined by spaces (what `vitest -t` matches). */
  fullName: string;
  status: TestStatus;
  failureMessages: string[];
}

export interface TestFileResult {
  file: string;
  status: 'passed' | 'failed';
  /** Collection or suite-level error (an import that throws, a failing beforeAll), '' when none. */
  message: string;
}

export interface VitestResults {
  files: TestFileResult[];
  tests: TestCase[];
}

export class VitestReportError extends Error {
  override name = 'VitestReportError';
}

interface RawAssertion {
  fullName?: unknown;
  title?: unknown;
  ancestorTitles?: unknown;
  status?: unknown;
  failureMessages?: unknown;
}

interface RawFile {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  assertionResults?: unknown;
}

/** Parses the JSON reporter's output (jest-compatible shape); throws VitestReportError when it is not that. */
export function parseVitestJson(text: string, root: string): VitestResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VitestReportError(`the vitest JSON report is not JSON: ${(err as Error).message}`);
  }
  const testResults = (raw as { testResults?: unknown }).testResults;
  if (!Array.isArray(testResults)) throw new VitestReportError('the vitest JSON report has no testResults array');
  const files: TestFileResult[] = [];
  const tests: TestCase[] = [];
  for (const entry of testResults as RawFile[]) {
    if (typeof entry.name !== 'string') throw new VitestReportError('a testResults entry has no file name');
    const file = path.isAbsolute(entry.name) ? path.relative(root, entry.name) : entry.name;
    files.push({
      file,
      status: entry.status === 'passed' ? 'passed' : 'failed',
      message: typeof entry.message === 'string' ? entry.message : '',
    });
    const assertions = Array.isArray(entry.assertionResults) ? (entry.assertionResults as RawAssertion[]) : [];
    for (const a of assertions) {
      const ancestors = Array.isArray(a.ancestorTitles) ? a.ancestorTitles.map(String) : [];
      const title = typeof a.title === 'string' ? a.title : '';
      tests.push({
        file,
        fullName: typeof a.fullName === 'string' ? a.fullName : [...ancestors, title].join(' '),
        status: (typeof a.status === 'string' ? a.status : 'failed') as TestStatus,
        failureMessages: Array.isArray(a.failureMessages) ? a.failureMessages.map(String) : [],
      });
    }
  }
  return { files, tests };
}

export interface TestTally {
  passed: number;
  failed: number;
  skipped: number;
  /** Files whose suite failed outside any test (collection errors, hooks). */
  brokenFiles: TestFileResult[];
  failedTests: TestCase[];
  skippedTests: TestCase[];
}

/** Counts of a result set; `selected` limits the tally to tests a name filter chose (others count as not run). */
export function tally(results: VitestResults, selected: (t: TestCase) => boolean = () => true): TestTally {
  const chosen = results.tests.filter(selected);
  const failedTests = chosen.filter((t) => t.status === 'failed');
  const skippedTests = chosen.filter((t) => t.status !== 'passed' && t.status !== 'failed');
  const brokenFiles = results.files.filter(
    (f) =>
      f.status === 'failed' &&
      f.message !== '' &&
      !results.tests.some((t) => t.file === f.file && t.status === 'failed'),
  );
  return {
    passed: chosen.filter((t) => t.status === 'passed').length,
    failed: failedTests.length,
    skipped: skippedTests.length,
    brokenFiles,
    failedTests,
    skippedTests,
  };
}

/** First line of each failure message, for details (the full text is in the log). */
export function failureSummary(test: TestCase): string {
  const first = test.failureMessages[0]?.split('\n').find((l) => l.trim() !== '') ?? 'failed';
  return `${test.file} > ${test.fullName}: ${first.trim().slice(0, 300)}`;
}

export interface VitestRunOptions {
  files: readonly string[];
  testNamePattern?: string;
  /** Extra vitest CLI arguments (coverage flags). */
  extraArgs?: readonly string[];
  /** Base name of the log and JSON files under reports/readiness/logs. */
  name: string;
  timeoutMs: number;
}

export interface VitestRun {
  run: CommandRun;
  /** Undefined when vitest wrote no readable JSON report (see `error`). */
  results: VitestResults | undefined;
  error: string | undefined;
  log: string;
}

/** Runs `vitest run` on the given files with the dot and JSON reporters; the console output goes to a log. */
export async function runVitest(ctx: CheckContext, options: VitestRunOptions): Promise<VitestRun> {
  const jsonPath = path.join(ctx.reportDir, 'logs', `${options.name}.vitest.json`);
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.rmSync(jsonPath, { force: true });
  const args = [
    'run',
    ...options.files,
    '--reporter=dot',
    '--reporter=json',
    `--outputFile.json=${jsonPath}`,
    ...(options.testNamePattern === undefined ? [] : ['--testNamePattern', options.testNamePattern]),
    ...(options.extraArgs ?? []),
  ];
  const run = await runCommand(localBin(ctx.root, 'vitest'), args, {
    cwd: ctx.root,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeoutMs: options.timeoutMs,
  });
  const log = ctx.writeLog(`${options.name}.log`, `$ vitest ${args.join(' ')}\n${run.stdout}${run.stderr}`);
  if (!fs.existsSync(jsonPath)) return { run, results: undefined, error: 'vitest wrote no JSON report', log };
  try {
    return { run, results: parseVitestJson(fs.readFileSync(jsonPath, 'utf8'), ctx.root), error: undefined, log };
  } catch (err) {
    return { run, results: undefined, error: (err as Error).message, log };
  }
}
