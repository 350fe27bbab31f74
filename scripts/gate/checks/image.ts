/**
 * `image` (service spec §11.2, §10.1): with a Docker engine, build the image and prove: `id -u` is 10001, pg_dump and
 * pg_restore report major 16, every scripts/**\/*.sh is executable, the container becomes healthy, and after
 * `docker stop --time 45` its exit code is 0. Without an engine (`docker info` fails) the check is skipped.
 */
import { randomBytes } from 'node:crypto';
import { describeExit, findOnPath, runCommand, tail, type CommandRun } from '../run-command.js';
import type { Check, CheckOutcome } from '../types.js';

const BUILD_TIMEOUT_MS = 45 * 60_000;
const STEP_TIMEOUT_MS = 2 * 60_000;
const HEALTHY_TIMEOUT_MS = 3 * 60_000;

export const image: Check = {
  id: 'image',
  title: 'Docker image: build, uid 10001, pg_dump 16, scripts executable, healthy, clean stop',
  async run(ctx): Promise<CheckOutcome> {
    if (findOnPath('docker') === undefined)
      return { status: 'skipped', details: 'docker CLI not on PATH', skipReason: 'no Docker engine' };
    const info = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], {
      cwd: ctx.root,
      timeoutMs: 30_000,
    });
    if (info.code !== 0)
      return {
        status: 'skipped',
        details: `docker info: ${describeExit(info)}: ${tail(info.stderr || info.stdout, 3)}`,
        skipReason: 'no Docker engine',
      };

    const suffix = randomBytes(4).toString('hex');
    const tag = `qnwis-gate:${suffix}`;
    const container = `qnwis-gate-${suffix}`;
    const lines: string[] = [`Docker engine ${info.stdout.trim()}`];
    let log = '';
    const docker = async (args: string[], timeoutMs = STEP_TIMEOUT_MS): Promise<CommandRun> => {
      const run = await runCommand('docker', args, { cwd: ctx.root, timeoutMs });
      log += `$ docker ${args.join(' ')}\n${run.stdout}${run.stderr}[${describeExit(run, timeoutMs)}]\n`;
      return run;
    };
    const fail = (line: string): CheckOutcome => {
      lines.push(line, `log ${ctx.writeLog('image.log', log)}`);
      return { status: 'fail', details: lines.join('\n') };
    };
    try {
      const build = await docker(['build', '--pull=false', '-t', tag, '.'], BUILD_TIMEOUT_MS);
      if (build.code !== 0)
        return fail(`docker build: ${describeExit(build, BUILD_TIMEOUT_MS)}\n${tail(build.stderr, 20)}`);
      lines.push(`docker build -t ${tag} .: ok`);

      const uid = await docker(['run', '--rm', '--entrypoint', 'id', tag, '-u']);
      if (uid.stdout.trim() !== '10001')
        return fail(`id -u in the image: ${JSON.stringify(uid.stdout.trim())}, expected 10001`);
      lines.push('id -u: 10001');

      for (const tool of ['pg_dump', 'pg_restore']) {
        const v = await docker(['run', '--rm', '--entrypoint', tool, tag, '--version']);
        const major = /\b(\d+)(?:\.\d+)+\b/.exec(v.stdout)?.[1];
        if (v.code !== 0 || major !== '16')
          return fail(`${tool} --version: ${JSON.stringify(v.stdout.trim())}, expected major 16`);
        lines.push(`${tool} --version: ${v.stdout.trim()}`);
      }

      const scripts = await docker([
        'run',
        '--rm',
        '--entrypoint',
        'bash',
        tag,
        '-c',
        'n=0; while IFS= read -r -d "" f; do n=$((n+1)); [[ -x $f ]] || { echo "not executable: $f"; exit 1; }; done < <(find scripts -name "*.sh" -print0); echo "$n"',
      ]);
      if (scripts.code !== 0 || !/^\d+$/.test(scripts.stdout.trim()) || scripts.stdout.trim() === '0')
        return fail(`scripts in the image: ${scripts.stdout.trim()} ${scripts.stderr.trim()}`);
      lines.push(`scripts/**/*.sh executable for uid 10001: ${scripts.stdout.trim()} files`);

      // Embedded mode (no DATABASE_URL): the image's own defaults, as `docker run` would start it.
      const run = await docker(['run', '-d', '--name', container, tag]);
      if (run.code !== 0) return fail(`docker run: ${describeExit(run)} ${run.stderr.trim()}`);
      const start = Date.now();
      let health = '';
      while (Date.now() - start < HEALTHY_TIMEOUT_MS) {
        health = (await docker(['inspect', '-f', '{{.State.Health.Status}}', container])).stdout.trim();
        if (health === 'healthy' || health === 'unhealthy') break;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      if (health !== 'healthy') {
        await docker(['logs', '--tail', '50', container]);
        return fail(`container health: ${health || 'unknown'} after ${Math.round((Date.now() - start) / 1000)} s`);
      }
      lines.push(`container healthy after ${Math.round((Date.now() - start) / 1000)} s`);

      const stop = await docker(['stop', '--time', '45', container], 90_000);
      const exit = (await docker(['inspect', '-f', '{{.State.ExitCode}}', container])).stdout.trim();
      if (stop.code !== 0 || exit !== '0')
        return fail(`docker stop --time 45: ${describeExit(stop)}, container exit code ${exit}`);
      lines.push('docker stop --time 45: container exit code 0');
      lines.push(`log ${ctx.writeLog('image.log', log)}`);
      return { status: 'pass', details: lines.join('\n') };
    } finally {
      await runCommand('docker', ['rm', '-f', container], { cwd: ctx.root, timeoutMs: 60_000 });
      await runCommand('docker', ['rmi', '-f', tag], { cwd: ctx.root, timeoutMs: 60_000 });
    }
  },
};
