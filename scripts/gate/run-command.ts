/** Runs the gate's external commands: output captured, a time limit, the whole process group ended on timeout. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface CommandRun {
  /** Exit code; null when the process ended by a signal or could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the command could not be started (e.g. ENOENT). */
  spawnError?: string;
}

export interface CommandOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Process groups started by runCommand that are still running (ended by endActiveCommands). */
const active = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Ends every command still running (used when the gate itself is interrupted). */
export function endActiveCommands(): void {
  for (const pid of active) killGroup(pid, 'SIGKILL');
  active.clear();
}

/** Runs `command args` in its own process group; never rejects: failures are in the result. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions): Promise<CommandRun> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) active.add(pid);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) active.delete(pid);
      resolve({ code: null, signal: null, stdout, stderr, timedOut, spawnError: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) active.delete(pid);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A one-line description of how a run ended. */
export function describeExit(run: CommandRun, timeoutMs?: number): string {
  if (run.spawnError !== undefined) return `could not start: ${run.spawnError}`;
  if (run.timedOut) return `timed out${timeoutMs === undefined ? '' : ` after ${Math.round(timeoutMs / 1000)} s`}`;
  if (run.signal !== null) return `ended by ${run.signal}`;
  return `exit ${run.code}`;
}

/** The absolute path of an executable on PATH, or undefined. */
export function findOnPath(command: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The last `count` lines of text (for details; the full output goes to a log file). */
export function tail(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}

/** Path of a binary installed in node_modules/.bin. */
export function localBin(root: string, name: string): string {
  return path.join(root, 'node_modules', '.bin', name);
}
