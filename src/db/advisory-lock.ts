/**
 * A session-level advisory lock around long maintenance work (migrations, view refreshes): concurrent runners queue on
 * the lock instead of racing on DDL. The session's statement timeout is lifted while the lock is held.
 */
import type { Session } from './database.js';
import { DbError, isDbError } from './errors.js';

export interface AdvisoryLockOptions {
  /** Signed 64-bit key as decimal text. */
  key: string;
  /** How long to wait for another holder before failing. */
  timeoutMs: number;
  /** The error to throw when the wait times out. */
  timeoutError: () => DbError;
}

export async function withAdvisoryLock<T>(s: Session, options: AdvisoryLockOptions, fn: () => Promise<T>): Promise<T> {
  // Session-level on purpose: RESET below restores the connection's own values (the pool's statement timeout).
  await s.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)", [
    `${Math.max(1, Math.round(options.timeoutMs))}ms`,
  ]);
  try {
    await s.query('SELECT pg_advisory_lock($1::bigint)', [options.key]);
  } catch (err) {
    await s.exec('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
    throw isDbError(err) && err.code === 'lock_timeout' ? options.timeoutError() : err;
  }
  try {
    await s.exec('RESET lock_timeout');
    return await fn();
  } finally {
    // Best effort: after a broken connection the pool discards the session, which releases the lock anyway.
    await s.query('SELECT pg_advisory_unlock($1::bigint)', [options.key]).catch(() => undefined);
    await s.exec('RESET statement_timeout').catch(() => undefined);
  }
}
