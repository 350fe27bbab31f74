import path from 'node:path';
import { parseFlags, intFlag } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { resolvePackOptions, writePack } from '../../data/synthetic/pack.js';

const USAGE =
  'qnwis seed [--out DIR] [--seed N] [--start-year Y] [--end-year Y] [--companies N] [--employees N] [--small]';

/** Writes the synthetic LMIS pack and prints `{files: [{path, rows, sha256}]}`. */
export async function seedCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      out: { type: 'string' },
      seed: { type: 'string' },
      'start-year': { type: 'string' },
      start_year: { type: 'string' },
      'end-year': { type: 'string' },
      end_year: { type: 'string' },
      companies: { type: 'string' },
      employees: { type: 'string' },
      small: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const pick = (a: string, b: string): unknown => {
    if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`give --${a} or --${b}, not both`);
    return values[a] ?? values[b];
  };
  let opts;
  try {
    opts = resolvePackOptions({
      seed: intFlag(values.seed, '--seed', 0, Number.MAX_SAFE_INTEGER),
      startYear: intFlag(pick('start-year', 'start_year'), '--start-year', -1e9, 1e9),
      endYear: intFlag(pick('end-year', 'end_year'), '--end-year', -1e9, 1e9),
      companies: intFlag(values.companies, '--companies', -1e9, 1e9),
      employees: intFlag(values.employees, '--employees', -1e9, 1e9),
      small: values.small === true,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const outDir = typeof values.out === 'string' ? path.resolve(values.out) : ctx.dataConfig().dataDir;
  const result = await writePack(outDir, opts);
  ctx.stdout(JSON.stringify(result, null, 2) + '\n');
  return 0;
}
