import { intFlag, parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { tailAuditEvents } from '../../security/audit-events.js';

const USAGE = 'qnwis audit tail [--n N]   (N = 1..10000, default 50)';

/** `qnwis audit tail [--n N]`: the newest N audit events as JSON lines, oldest first (service spec §3.9). */
export async function auditCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'tail') {
    throw new UsageError(
      `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
    );
  }
  const { values, positionals } = parseFlags(rest, { n: { type: 'string' } }, USAGE);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const n = intFlag(values.n, '--n', 1, 10_000) ?? 50;
  const events = await tailAuditEvents(await ctx.database(), n);
  ctx.stdout(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return 0;
}
