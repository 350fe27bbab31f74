import { parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';

const USAGE = 'qnwis cache invalidate (<id> | --all)';

export async function cacheCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'invalidate') {
    throw new UsageError(
      `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
    );
  }
  const { values, positionals } = parseFlags(rest, { all: { type: 'boolean' } }, USAGE);
  if ((values.all ? 1 : 0) + positionals.length !== 1)
    throw new UsageError(`give one query id or --all\nusage: ${USAGE}`);
  const cache = await ctx.resultCache();
  let removed: number;
  if (values.all) removed = await cache.invalidateAll();
  else {
    const id = positionals[0]!;
    (await ctx.registry()).get(id);
    removed = await cache.invalidate(id);
  }
  ctx.stdout(`${removed}\n`);
  return 0;
}
