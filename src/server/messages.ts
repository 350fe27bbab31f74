import type { AppConfig } from '../config/app-config.js';

/** IPC between the cluster primary and its workers (besides the metrics protocol). */
export type PrimaryToWorker =
  { type: 'qnwis:config'; config: AppConfig } | { type: 'qnwis:drain' } | { type: 'qnwis:reload' };

export type WorkerToPrimary =
  { type: 'qnwis:hello' } | { type: 'qnwis:ready' } | { type: 'qnwis:drained'; completed: number; aborted: number };

export function isMessage<T extends { type: string }>(msg: unknown, type: T['type']): msg is T {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;
}
