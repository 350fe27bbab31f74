/**
 * `router-smoke` (service spec §11.3), from sources with tsx: a fresh embedded state directory and a freshly seeded
 * pack; `qnwis migrate` and `qnwis keys create --roles analyst` with the server stopped; `qnwis serve` on a free
 * port; `npm run smoke -- --url … --key …`; SIGTERM; both the smoke run and the server must exit 0.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeExit, runCommand, tail, type CommandRun } from '../run-command.js';
import type { Check, CheckOutcome } from '../types.js';

const STEP_TIMEOUT_MS = 5 * 60_000;
const READY_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const routerSmoke: Check = {
  id: 'router-smoke',
  title: 'Router smoke against `qnwis serve` in embedded mode',
  async run(ctx) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-gate-smoke-'));
    try {
      return await smoke(ctx.root, scratch, ctx.writeLog);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  },
};

/** The `key` of `qnwis keys create --json` output, '' when there is none. */
function keyFromJson(stdout: string): string {
  try {
    const key = (JSON.parse(stdout) as { key?: unknown }).key;
    return typeof key === 'string' ? key : '';
  } catch {
    return '';
  }
}

async function smoke(
  root: string,
  scratch: string,
  writeLog: (name: string, text: string) => string,
): Promise<CheckOutcome> {
  const stateDir = path.join(scratch, 'state');
  const dataDir = path.join(scratch, 'pack');
  fs.mkdirSync(stateDir, { mode: 0o700 });
  const port = await freePort();
  // A clean environment: nothing from the caller's shell (a DATABASE_URL there would leave embedded mode).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? scratch,
    QNWIS_ENV: 'test',
    QNWIS_STATE_DIR: stateDir,
    QNWIS_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    WEB_CONCURRENCY: '2',
    LOG_LEVEL: 'info',
    NO_COLOR: '1',
  };
  const qnwis = (args: string[]): Promise<CommandRun> =>
    runCommand(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      env,
      timeoutMs: STEP_TIMEOUT_MS,
    });
  const lines: string[] = [];
  let log = '';
  const step = (name: string, run: CommandRun, shown = run.stdout): boolean => {
    log += `$ ${name}\n${shown}${run.stderr}\n[${describeExit(run)}]\n`;
    const ok = run.code === 0 && !run.timedOut;
    lines.push(`${name}: ${ok ? 'ok' : describeExit(run, STEP_TIMEOUT_MS)}`);
    if (!ok) lines.push(tail(shown + run.stderr, 15));
    return ok;
  };
  const finish = (status: 'pass' | 'fail'): CheckOutcome => {
    lines.push(`log ${writeLog('router-smoke.log', log)}`);
    return { status, details: lines.join('\n') };
  };

  if (!step(`qnwis seed --out <tmp>/pack`, await qnwis(['seed', '--out', dataDir]))) return finish('fail');
  if (!step('qnwis migrate (embedded, fresh state dir)', await qnwis(['migrate']))) return finish('fail');
  const created = await qnwis(['keys', 'create', '--label', 'gate-router-smoke', '--roles', 'analyst', '--json']);
  const key = keyFromJson(created.stdout);
  // The key itself is never logged or reported.
  if (!step('qnwis keys create --roles analyst (server stopped)', created, '[stdout withheld: holds the key]\n'))
    return finish('fail');
  if (!/^qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(key)) {
    lines.push('keys create printed no key in the §2.2 format');
    return finish('fail');
  }

  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverOutput = '';
  server.stdout.on('data', (d: Buffer) => (serverOutput += d.toString()));
  server.stderr.on('data', (d: Buffer) => (serverOutput += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    server.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let serverExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (serverExit = e));
  const url = `http://127.0.0.1:${port}`;
  let smokeOk = false;
  let serverOk = false;
  try {
    const readyStart = Date.now();
    let ready = false;
    while (!ready && serverExit === undefined && Date.now() - readyStart < READY_TIMEOUT_MS) {
      try {
        ready = (await fetch(`${url}/health/ready`)).status === 200;
      } catch {
        // not listening yet
      }
      if (!ready) await new Promise((r) => setTimeout(r, 500));
    }
    if (!ready) {
      lines.push(
        serverExit === undefined
          ? `qnwis serve: not ready within ${READY_TIMEOUT_MS / 1000} s`
          : `qnwis serve: exited before it was ready (code ${serverExit.code}, signal ${serverExit.signal})`,
      );
    } else {
      lines.push(
        `qnwis serve (embedded, 2 workers, port ${port}): ready after ${((Date.now() - readyStart) / 1000).toFixed(1)} s`,
      );
      const smokeRun = await runCommand('npm', ['run', '-s', 'smoke', '--', '--url', url, '--key', key], {
        cwd: root,
        env: { ...env, npm_config_update_notifier: 'false' },
        timeoutMs: STEP_TIMEOUT_MS,
      });
      smokeOk = step('npm run smoke -- --url <server> --key <analyst key>', smokeRun);
      lines.push(smokeRun.stdout.trimEnd());
    }
  } finally {
    if (serverExit === undefined) server.kill('SIGTERM');
    const result = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STOP_TIMEOUT_MS)),
    ]);
    if (result === undefined) {
      server.kill('SIGKILL');
      lines.push(`qnwis serve: still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM (killed)`);
    } else {
      serverOk = result.code === 0;
      lines.push(
        `qnwis serve after SIGTERM: ${result.signal === null ? `exit ${result.code}` : `ended by ${result.signal}`}`,
      );
      if (!serverOk) lines.push(tail(serverOutput, 15));
    }
    log += `$ qnwis serve\n${serverOutput}\n`;
  }
  return finish(smokeOk && serverOk ? 'pass' : 'fail');
}
