/** `typecheck`: `tsc --noEmit` for the Node project (src, test, bench, scripts) and for the web app. */
import fs from 'node:fs';
import path from 'node:path';
import { describeExit, localBin, runCommand, tail } from '../run-command.js';
import type { Check } from '../types.js';

const TIMEOUT_MS = 10 * 60_000;

export const typecheck: Check = {
  id: 'typecheck',
  title: 'TypeScript type check (tsc --noEmit)',
  async run(ctx) {
    const projects = ['tsconfig.json', 'web/tsconfig.json'].filter((p) => fs.existsSync(path.join(ctx.root, p)));
    const lines: string[] = [];
    let failed = false;
    for (const project of projects) {
      const args = ['--noEmit', '-p', project];
      const run = await runCommand(localBin(ctx.root, 'tsc'), args, { cwd: ctx.root, timeoutMs: TIMEOUT_MS });
      const log = ctx.writeLog(
        `typecheck-${project.replace(/\W+/g, '-')}.log`,
        `$ tsc ${args.join(' ')}\n${run.stdout}${run.stderr}`,
      );
      const ok = run.code === 0 && !run.timedOut;
      failed ||= !ok;
      const errors = (run.stdout.match(/error TS\d+/g) ?? []).length;
      lines.push(
        `tsc --noEmit -p ${project}: ${ok ? 'ok' : `${describeExit(run, TIMEOUT_MS)}, ${errors} errors`} (log ${log})`,
      );
      if (!ok) lines.push(tail(run.stdout + run.stderr, 20));
    }
    return { status: failed ? 'fail' : 'pass', details: lines.join('\n') };
  },
};
