import fs from 'node:fs';
import path from 'node:path';

/**
 * The embedded database is single-process: the serving process holds `<stateDir>/server.lock` (its pid inside).
 * A lock whose process is gone is stale and taken over.
 */
export function lockPath(stateDir: string): string {
  return path.join(stateDir, 'server.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the lock, or null when nobody (alive) holds it. */
export function lockHolder(stateDir: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(lockPath(stateDir), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

/** Takes the lock for this process; returns a release function. Throws when another live process holds it. */
export function acquireLock(stateDir: string): () => void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const holder = lockHolder(stateDir);
  if (holder !== null) throw new Error(`the embedded database is in use by process ${holder}; stop the server first`);
  const file = lockPath(stateDir);
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}
