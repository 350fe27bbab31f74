import { runCli } from '../../src/cli/run.js';
import { TEST_PACK_DIR } from './pack.js';
import { resetMemoryStore } from '../../src/data/cache/stores.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the qnwis CLI in-process against the test pack, capturing its output. */
export async function qnwis(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  resetMemoryStore(); // each CLI process starts with an empty in-process cache
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { QNWIS_DATA_DIR: TEST_PACK_DIR, ...env },
  });
  return { code, stdout, stderr };
}
