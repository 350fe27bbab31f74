/** `docs-commands` (service spec §11.1): test/deploy/runbook.test.ts, the runbook's command map and what it names. */
import { testRunVerdict } from '../test-run-verdict.js';
import type { Check } from '../types.js';
import { runVitest } from '../vitest-results.js';

export const RUNBOOK_TEST = 'test/deploy/runbook.test.ts';

export const docsCommands: Check = {
  id: 'docs-commands',
  title: 'Runbook commands mapped, named files, scripts and subcommands exist',
  async run(ctx) {
    const vitest = await runVitest(ctx, { name: 'docs-commands', files: [RUNBOOK_TEST], timeoutMs: 10 * 60_000 });
    const verdict = testRunVerdict(RUNBOOK_TEST, vitest);
    return { status: verdict.ok ? 'pass' : 'fail', details: verdict.lines.join('\n') };
  },
};
