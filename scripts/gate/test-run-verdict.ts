/** Verdict of a focused vitest run (the checks that run a few test files of their own). */
import { describeExit, tail } from './run-command.js';
import { failureSummary, tally, type TestCase, type VitestRun } from './vitest-results.js';

export interface TestRunVerdict {
  ok: boolean;
  lines: string[];
}

/**
 * Passes when the run produced results, every selected test passed, no file failed outside a test and at least
 * one test was selected. `selected` defaults to every test the run reports as run (not filtered out).
 */
export function testRunVerdict(label: string, vitest: VitestRun, selected?: (t: TestCase) => boolean): TestRunVerdict {
  if (vitest.results === undefined)
    return {
      ok: false,
      lines: [
        `${label}: no test results (${vitest.error ?? 'unknown'}; ${describeExit(vitest.run)}; log ${vitest.log})`,
        tail(vitest.run.stdout + vitest.run.stderr, 20),
      ],
    };
  const t = tally(vitest.results, selected ?? ((test) => test.status === 'passed' || test.status === 'failed'));
  const ok =
    t.failed === 0 && t.brokenFiles.length === 0 && t.passed > 0 && (selected !== undefined || vitest.run.code === 0);
  const lines = [
    `${label}: ${t.passed} passed, ${t.failed} failed${selected ? `, ${t.skipped} not run` : ''} (log ${vitest.log})`,
    ...t.failedTests.map((test) => `FAILED ${failureSummary(test)}`),
    ...t.brokenFiles.map((f) => `FAILED FILE ${f.file}: ${f.message.split('\n')[0]!.slice(0, 300)}`),
  ];
  if (t.passed === 0 && t.failed === 0) lines.push(`${label}: no test ran`);
  return { ok, lines };
}
