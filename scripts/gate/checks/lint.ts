/** `lint`: ESLint over the repository with zero warnings, and shellcheck on every scripts/**\/*.sh. */
import fs from 'node:fs';
import path from 'node:path';
import { describeExit, findOnPath, localBin, runCommand, tail } from '../run-command.js';
import type { Check } from '../types.js';

const TIMEOUT_MS = 10 * 60_000;

/** Repository-relative *.sh files under scripts/, sorted. */
export function shellScripts(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.sh')) found.push(rel);
    }
  };
  walk('scripts');
  return found.sort();
}

export const lint: Check = {
  id: 'lint',
  title: 'ESLint (zero warnings) and shellcheck on scripts/**/*.sh',
  async run(ctx) {
    const lines: string[] = [];
    const eslintArgs = ['--max-warnings=0', '.'];
    const eslint = await runCommand(localBin(ctx.root, 'eslint'), eslintArgs, { cwd: ctx.root, timeoutMs: TIMEOUT_MS });
    const eslintLog = ctx.writeLog(
      'lint-eslint.log',
      `$ eslint ${eslintArgs.join(' ')}\n${eslint.stdout}${eslint.stderr}`,
    );
    const eslintOk = eslint.code === 0 && !eslint.timedOut;
    lines.push(`eslint --max-warnings=0 .: ${eslintOk ? 'ok' : describeExit(eslint, TIMEOUT_MS)} (log ${eslintLog})`);
    if (!eslintOk) lines.push(tail(eslint.stdout + eslint.stderr, 30));

    const shellcheck = findOnPath('shellcheck');
    const scripts = shellScripts(ctx.root);
    if (shellcheck === undefined) {
      lines.push('shellcheck: not on PATH (Debian package shellcheck)');
      return { status: 'fail', details: lines.join('\n') };
    }
    if (scripts.length === 0) {
      lines.push('shellcheck: no scripts/**/*.sh found');
      return { status: 'fail', details: lines.join('\n') };
    }
    // -x follows the `source` of scripts/lib/common.sh from each script's own directory.
    const scArgs = ['-x', '--source-path=SCRIPTDIR', ...scripts];
    const sc = await runCommand(shellcheck, scArgs, { cwd: ctx.root, timeoutMs: TIMEOUT_MS });
    const scLog = ctx.writeLog('lint-shellcheck.log', `$ shellcheck ${scArgs.join(' ')}\n${sc.stdout}${sc.stderr}`);
    const scOk = sc.code === 0 && !sc.timedOut;
    lines.push(
      `shellcheck on ${scripts.length} scripts (${scripts.join(', ')}): ${scOk ? 'ok' : describeExit(sc, TIMEOUT_MS)} (log ${scLog})`,
    );
    if (!scOk) lines.push(tail(sc.stdout + sc.stderr, 30));
    return { status: eslintOk && scOk ? 'pass' : 'fail', details: lines.join('\n') };
  },
};
