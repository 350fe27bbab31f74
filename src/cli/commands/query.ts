import YAML from 'yaml';
import { parseFlags, intFlag, oneOf } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { resultToJson } from '../../data/result-json.js';
import { resultToCsv, resultToTable } from '../format.js';
import type { QuerySpec } from '../../data/model.js';

const USAGE = [
  'qnwis query list [--format table|json]',
  'qnwis query show <id> [--format yaml|json]',
  'qnwis query run <id> [--param k=v]... [--format table|json|csv] [--ttl N] [--no-cache]',
].join('\n       ');

/** The loaded spec as a plain object (no internal fields). */
export function specForDisplay(spec: QuerySpec): Record<string, unknown> {
  const { file: _file, ...rest } = spec;
  return rest as unknown as Record<string, unknown>;
}

export async function queryCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
      return list(rest, ctx);
    case 'show':
      return show(rest, ctx);
    case 'run':
      return run(rest, ctx);
    default:
      throw new UsageError(
        `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
      );
  }
}

async function list(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string' } }, USAGE);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const format = oneOf(values.format, '--format', ['table', 'json'] as const, 'table');
  const registry = await ctx.registry();
  const specs = registry.specs();
  if (format === 'json') {
    const queries = specs.map((s) => ({ id: s.id, source: s.source, unit: s.expected_unit, title: s.title }));
    ctx.stdout(JSON.stringify({ registry_version: registry.version(), queries }, null, 2) + '\n');
    return 0;
  }
  const idW = Math.max(2, ...specs.map((s) => s.id.length));
  const lines = [`${'id'.padEnd(idW)}  ${'source'.padEnd(10)}  ${'unit'.padEnd(7)}  title`];
  for (const s of specs)
    lines.push(`${s.id.padEnd(idW)}  ${s.source.padEnd(10)}  ${s.expected_unit.padEnd(7)}  ${s.title}`);
  lines.push('', `registry version: ${registry.version()}  (${specs.length} queries)`);
  ctx.stdout(lines.join('\n') + '\n');
  return 0;
}

async function show(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new UsageError(`query show takes exactly one id\nusage: ${USAGE}`);
  const format = oneOf(values.format, '--format', ['yaml', 'json'] as const, 'yaml');
  const spec = (await ctx.registry()).get(positionals[0]!);
  const shown = specForDisplay(spec);
  ctx.stdout(format === 'json' ? JSON.stringify(shown, null, 2) + '\n' : YAML.stringify(shown));
  return 0;
}

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      param: { type: 'string', multiple: true },
      format: { type: 'string' },
      ttl: { type: 'string' },
      'no-cache': { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new UsageError(`query run takes exactly one id\nusage: ${USAGE}`);
  const format = oneOf(values.format, '--format', ['table', 'json', 'csv'] as const, 'table');
  const overrides: Record<string, string> = {};
  for (const p of (values.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param needs key=value (got ${JSON.stringify(p)})`);
    const key = p.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(overrides, key)) throw new UsageError(`--param ${key} given twice`);
    overrides[key] = p.slice(eq + 1);
  }
  if (values['no-cache'] && values.ttl !== undefined) throw new UsageError('give --ttl or --no-cache, not both');
  const ttlS = values['no-cache'] ? 0 : intFlag(values.ttl, '--ttl', 0, Number.MAX_SAFE_INTEGER);
  const service = await ctx.queryService();
  const result = await service.run(positionals[0]!, { overrides, mode: 'text', ttlS });
  if (format === 'json') ctx.stdout(resultToJson(result, 2) + '\n');
  else if (format === 'csv') ctx.stdout(resultToCsv(result));
  else ctx.stdout(resultToTable(result));
  return 0;
}
