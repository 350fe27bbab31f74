import { createCliContext, type CliContext, type CliIo } from './context.js';
import { describeFailure, UsageError } from './errors.js';
import { seedCommand } from './commands/seed.js';
import { registryCommand } from './commands/registry.js';
import { queryCommand } from './commands/query.js';
import { cacheCommand } from './commands/cache.js';
import { configCommand } from './commands/config.js';
import { ingestCommand, materializeCommand, migrateCommand } from './commands/database.js';
import { serveCommand } from './commands/serve.js';
import { healthcheckCommand } from './commands/healthcheck.js';
import { keysCommand } from './commands/keys.js';
import { auditCommand } from './commands/audit.js';
import { smokeCommand } from './commands/smoke.js';
import { councilCommand } from './commands/council.js';
import { briefingCommand } from './commands/briefing.js';
import { setAuditReplay } from './commands/audit.js';
import { replayAuditRecord } from './audit-replay.js';

type Command = (argv: readonly string[], ctx: CliContext) => Promise<number>;

// `audit verify --replay` runs the stored request through the answer service.
setAuditReplay(replayAuditRecord);

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  seed: { run: seedCommand, summary: 'write the synthetic LMIS pack' },
  registry: { run: registryCommand, summary: 'checksum or validate the query registry' },
  query: { run: queryCommand, summary: 'list, show and run registered queries' },
  cache: { run: cacheCommand, summary: 'invalidate cached query results' },
  migrate: { run: migrateCommand, summary: 'apply database migrations (or --status)' },
  ingest: { run: ingestCommand, summary: 'load the LMIS pack into the database' },
  materialize: { run: materializeCommand, summary: 'create and refresh the materialized views' },
  config: { run: configCommand, summary: 'validate configuration (config check)' },
  serve: { run: serveCommand, summary: 'start the HTTP service (cluster of workers)' },
  healthcheck: { run: healthcheckCommand, summary: 'exit 0 when the local server is ready' },
  keys: { run: keysCommand, summary: 'create, list and revoke API keys' },
  audit: { run: auditCommand, summary: 'audit tail (newest events) and audit verify <id> (manifest digests)' },
  council: { run: councilCommand, summary: 'run the agent council (analysis spec §7.1) [--json]' },
  briefing: { run: briefingCommand, summary: 'minister briefing as Markdown or JSON (--format md|json)' },
  smoke: { run: smokeCommand, summary: 'router smoke test against a running server' },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: qnwis <command> [options]', '', 'commands:', ...lines, ''].join('\n');
}

export async function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  const ctx = createCliContext(io);
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      ctx.stdout(help());
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}\n${help().trimEnd()}`);
    return await command.run(rest, ctx);
  } catch (err) {
    const { exitCode, lines } = describeFailure(err);
    for (const line of lines) ctx.stderr(line + '\n');
    return exitCode;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
