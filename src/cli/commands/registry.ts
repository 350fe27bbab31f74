import path from 'node:path';
import { parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { readRegistryFiles, loadRegistry } from '../../data/registry/registry.js';
import { registryChecksum } from '../../data/registry/checksum.js';

const USAGE = 'qnwis registry (checksum [--dir DIR] [--json] | validate [--dir DIR])';

export async function registryCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseFlags(rest, { dir: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const dir = typeof values.dir === 'string' ? path.resolve(values.dir) : ctx.dataConfig().queriesDir;
  switch (sub) {
    case 'checksum': {
      const { files } = readRegistryFiles(dir);
      const version = registryChecksum(files);
      ctx.stdout(values.json ? JSON.stringify({ version, files: files.length }) + '\n' : version + '\n');
      return 0;
    }
    case 'validate': {
      if (values.json) throw new UsageError(`--json is only for checksum\nusage: ${USAGE}`);
      const snap = await loadRegistry({ dir, catalogPath: ctx.dataConfig().catalogPath });
      for (const name of snap.ignored) ctx.stderr(`qnwis: ignored ${name} (not a .yaml spec file)\n`);
      ctx.stdout(`ok: ${snap.specs.length} specs, version ${snap.version}\n`);
      return 0;
    }
    default:
      throw new UsageError(
        `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
      );
  }
}
