import { parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';

const USAGE = 'qnwis serve';

/** Starts the cluster primary; it never returns while the server runs. */
export async function serveCommand(argv: readonly string[], _ctx: CliContext): Promise<number> {
  const { positionals } = parseFlags(argv, {}, USAGE);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const { serve } = await import('../../server.js');
  await serve();
  return new Promise<number>(() => undefined);
}
