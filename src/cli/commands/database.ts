import path from 'node:path';
import { parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { migrate, migrationStatus } from '../../db/migrate.js';
import { ingestPack } from '../../db/ingest.js';
import { materializeViews, VIEW_NAMES } from '../../db/materialize.js';

const MIGRATE_USAGE = 'qnwis migrate [--status]';
const INGEST_USAGE = 'qnwis ingest [--from DIR] [--force] [--no-refresh]';
const MATERIALIZE_USAGE = 'qnwis materialize [--view NAME] [--recreate]';

function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${usage}`);
}

/** Applies pending migrations under the advisory lock, or lists applied and pending ones. */
export async function migrateCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { status: { type: 'boolean' } }, MIGRATE_USAGE);
  noPositionals(positionals, MIGRATE_USAGE);
  const db = await ctx.database();
  if (values.status) {
    const status = await migrationStatus(db);
    for (const m of status.applied)
      ctx.stdout(`applied  ${String(m.version).padStart(4, '0')}_${m.name}  ${m.applied_at}\n`);
    for (const id of status.pending) ctx.stdout(`pending  ${id}\n`);
    for (const id of status.changed) ctx.stdout(`CHANGED  ${id} (file differs from the applied version)\n`);
    ctx.stdout(`${status.applied.length} applied, ${status.pending.length} pending\n`);
    return 0;
  }
  const result = await migrate(db, { appVersion: ctx.appConfig().version });
  for (const name of result.applied) ctx.stdout(`applied  ${name}\n`);
  ctx.stdout(`${result.applied.length} applied, 0 pending\n`);
  return 0;
}

/** Loads the LMIS pack into Postgres (unchanged packs are skipped) and refreshes the views. */
export async function ingestCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { from: { type: 'string' }, force: { type: 'boolean' }, 'no-refresh': { type: 'boolean' } },
    INGEST_USAGE,
  );
  noPositionals(positionals, INGEST_USAGE);
  const from = typeof values.from === 'string' ? path.resolve(values.from) : ctx.dataConfig().dataDir;
  const db = await ctx.database();
  const result = await ingestPack(db, from, { force: values.force === true });
  const out: Record<string, unknown> = { status: result.status, files: result.files };
  if (result.status === 'loaded' && values['no-refresh'] !== true) out.views = await materializeViews(db);
  ctx.stdout(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

/** Creates and refreshes the materialized views in dependency order. */
export async function materializeCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { view: { type: 'string' }, recreate: { type: 'boolean' } },
    MATERIALIZE_USAGE,
  );
  noPositionals(positionals, MATERIALIZE_USAGE);
  const view = values.view as string | undefined;
  if (view !== undefined && !VIEW_NAMES.includes(view) && !VIEW_NAMES.includes(`lmis.${view}`)) {
    throw new UsageError(`unknown view ${JSON.stringify(view)}; views: ${VIEW_NAMES.join(', ')}`);
  }
  const db = await ctx.database();
  const views = await materializeViews(db, { view, recreate: values.recreate === true });
  ctx.stdout(JSON.stringify({ views }, null, 2) + '\n');
  return 0;
}
