import { randomUUID } from 'node:crypto';
import { oneOf, parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { runBriefing } from '../../analysis/briefing.js';
import { cliAnswerService } from './council.js';

const USAGE = 'qnwis briefing [--format md|json]   (default md)';

/** `qnwis briefing --format md|json`: the minister briefing of analysis spec §7.2, as Markdown or JSON. */
export async function briefingCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string' } }, USAGE);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  }
  const format = oneOf(values.format, '--format', ['md', 'json'] as const, 'md');
  const run = await runBriefing(await cliAnswerService(ctx), { requestId: randomUUID() });
  ctx.stdout(format === 'json' ? `${JSON.stringify(run.response, null, 2)}\n` : `${run.response.markdown}\n`);
  return 0;
}
