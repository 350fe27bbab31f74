import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_PACK_DIR } from './pack.js';

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface ServerProcess {
  port: number;
  url: string;
  proc: ChildProcess;
  stateDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  waitReady(timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `qnwis serve` as a real process (cluster primary + workers) with a clean environment of its own. */
export async function startServer(
  env: Record<string, string>,
  opts: { waitReady?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-state-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      QNWIS_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      QNWIS_STATE_DIR: stateDir,
      QNWIS_DATA_DIR: TEST_PACK_DIR,
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: '1',
      // Tests that exercise authentication or rate limits set these themselves.
      QNWIS_BYPASS_AUTH: 'true',
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    port,
    url,
    proc,
    stateDir,
    exited,
    output: () => out,
    async waitReady(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      while (Date.now() < deadline) {
        if (exitedEarly) throw new Error(`server exited before it was ready:\n${out.slice(-4000)}`);
        try {
          const res = await fetch(`${url}/health/ready`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`server not ready within ${timeoutMs} ms:\n${out.slice(-4000)}`);
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const result = await Promise.race([
        exited,
        new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          setTimeout(() => {
            proc.kill('SIGKILL');
            resolve({ code: null, signal: 'SIGKILL' });
          }, 60_000),
        ),
      ]);
      fs.rmSync(stateDir, { recursive: true, force: true });
      return result;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await server.waitReady();
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
  }
  return server;
}

/** Node child pids of a process: the cluster workers of a primary (tsx's esbuild helper is not one). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (ppid === pid && comm === 'node') out.push(Number(entry));
    } catch {
      // process vanished
    }
  }
  return out;
}
