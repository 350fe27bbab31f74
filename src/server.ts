import cluster from 'node:cluster';
import { runPrimary, serverEntry } from './server/primary.js';
import { runWorker } from './server/worker.js';

/** `qnwis serve`: the cluster primary forks workers that run this same module. */
export async function serve(): Promise<void> {
  if (cluster.isPrimary) await runPrimary(serverEntry());
  else await runWorker();
}

if (cluster.isWorker) void runWorker();
