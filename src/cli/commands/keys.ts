/** `qnwis keys create|list|revoke` (service spec §2.2): the bootstrap path for API keys. */
import { ensureDevSecrets } from '../../config/app-config.js';
import type { Database } from '../../db/database.js';
import { isDbError } from '../../db/errors.js';
import {
  ApiKeyError,
  ApiKeyStore,
  parseExpiry,
  type ApiKeyAuditEvent,
  type ApiKeyListing,
} from '../../security/api-keys.js';
import { isRole, ROLES, type Role } from '../../security/roles.js';
import { parseFlags } from '../args.js';
import type { CliContext } from '../context.js';
import { CommandFailed, EXIT, UsageError } from '../errors.js';

const USAGE = [
  'qnwis keys create --label <text> --roles <r1,r2> [--expires <ISO-8601 instant|90d|12h|30m>] [--json]',
  'qnwis keys list [--json]',
  'qnwis keys revoke <key_id>',
].join('\n       ');
const UNDEFINED_TABLE = '42P01';

export async function keysCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  try {
    return await dispatch(argv, ctx);
  } catch (err) {
    if (isDbError(err) && err.sqlstate === UNDEFINED_TABLE) {
      throw new CommandFailed('the database has no api_keys table yet; run `qnwis migrate` first', EXIT.failure);
    }
    throw err;
  }
}

async function dispatch(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create':
      return createKey(rest, ctx);
    case 'list':
      return listKeys(rest, ctx);
    case 'revoke':
      return revokeKey(rest, ctx);
    default:
      throw new UsageError(
        `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
      );
  }
}

function parseRoles(value: string): Role[] {
  const names = value.split(',').map((r) => r.trim());
  const unknown = names.find((r) => !isRole(r));
  if (unknown !== undefined) {
    throw new UsageError(`--roles: unknown role ${JSON.stringify(unknown)} (roles: ${ROLES.join(', ')})`);
  }
  return [...new Set(names as Role[])];
}

async function createKey(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { label: { type: 'string' }, roles: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const label = typeof values.label === 'string' ? values.label.trim() : '';
  if (label === '') throw new UsageError(`--label is required\nusage: ${USAGE}`);
  if (typeof values.roles !== 'string') throw new UsageError(`--roles is required\nusage: ${USAGE}`);
  const roles = parseRoles(values.roles);
  let expiresAt: Date | null = null;
  try {
    if (typeof values.expires === 'string') expiresAt = parseExpiry(values.expires, new Date());
  } catch (err) {
    if (err instanceof ApiKeyError) throw new UsageError(err.message);
    throw err;
  }
  const { store, settleAudit } = await openStore(ctx);
  let created;
  try {
    created = await store.create({ label, roles, expiresAt });
  } catch (err) {
    if (err instanceof ApiKeyError) throw new UsageError(err.message);
    throw err;
  } finally {
    await settleAudit();
  }
  const { key, record } = created;
  const expires = record.expires_at?.toISOString() ?? null;
  if (values.json) {
    ctx.stdout(
      JSON.stringify({
        key,
        key_id: record.key_id,
        label: record.label,
        roles: record.roles,
        created_at: record.created_at.toISOString(),
        expires_at: expires,
        principal_hash: record.principal_hash,
      }) + '\n',
    );
  } else {
    ctx.stdout(`${key}\n`);
    ctx.stderr(
      [
        `key_id: ${record.key_id}`,
        `label: ${record.label}`,
        `roles: ${record.roles.join(',')}`,
        `expires_at: ${expires ?? 'never'}`,
        `principal_hash: ${record.principal_hash}`,
        'the key is shown only this once; store it now',
        '',
      ].join('\n'),
    );
  }
  return EXIT.ok;
}

function statusOf(key: ApiKeyListing, now: Date): 'active' | 'revoked' | 'expired' {
  if (key.revoked_at !== null) return 'revoked';
  if (key.expires_at !== null && key.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

async function listKeys(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const { store } = await openStore(ctx);
  const now = new Date();
  const keys = (await store.list()).map((k) => ({
    key_id: k.key_id,
    label: k.label,
    roles: k.roles,
    status: statusOf(k, now),
    created_at: iso(k.created_at),
    expires_at: iso(k.expires_at),
    revoked_at: iso(k.revoked_at),
    last_used_at: iso(k.last_used_at),
    pepper: k.pepper,
    principal_hash: k.principal_hash,
  }));
  if (values.json) {
    ctx.stdout(JSON.stringify({ keys }, null, 2) + '\n');
    return EXIT.ok;
  }
  const header = ['key_id', 'label', 'roles', 'status', 'created_at', 'expires_at', 'last_used_at', 'pepper'];
  const rows = keys.map((k) => [
    k.key_id,
    k.label,
    k.roles.join(','),
    k.status,
    k.created_at ?? '',
    k.expires_at ?? 'never',
    k.last_used_at ?? 'never',
    k.pepper,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  ctx.stdout([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''].join('\n'));
  return EXIT.ok;
}

async function revokeKey(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseFlags(argv, {}, USAGE);
  if (positionals.length !== 1) throw new UsageError(`give exactly one key_id\nusage: ${USAGE}`);
  const keyId = positionals[0]!;
  const { store, settleAudit } = await openStore(ctx);
  const outcome = await store.revoke(keyId).finally(settleAudit);
  if (outcome === 'unknown') {
    throw new CommandFailed(`unknown key_id ${JSON.stringify(keyId)} (a key_id is 12 lowercase hex)`, EXIT.failure);
  }
  ctx.stdout(outcome === 'revoked' ? `revoked ${keyId}\n` : `${keyId} was already revoked\n`);
  return EXIT.ok;
}

/** The store over the configured database, with the server's pepper (outside prod: the shared dev-secrets file). */
async function openStore(ctx: CliContext): Promise<{ store: ApiKeyStore; settleAudit: () => Promise<void> }> {
  let config = ctx.appConfig();
  if (config.secrets.apiKeyPepper === undefined) {
    config = await ensureDevSecrets(config, (message) => ctx.stderr(`qnwis: warning: ${message}\n`));
  }
  const pepper = config.secrets.apiKeyPepper;
  if (pepper === undefined) throw new CommandFailed('QNWIS_API_KEY_PEPPER is required', EXIT.config);
  const db = await ctx.database();
  const pending: Promise<void>[] = [];
  const store = new ApiKeyStore({
    db,
    pepper,
    previousPepper: config.secrets.apiKeyPepperPrevious,
    onAudit: (event) => pending.push(writeAuditEvent(db, event)),
  });
  // Audit rows are written before the command returns (and the database closes); a failed write only warns.
  const settleAudit = async (): Promise<void> => {
    const results = await Promise.allSettled(pending.splice(0));
    if (results.some((r) => r.status === 'rejected')) ctx.stderr('qnwis: warning: the audit event was not recorded\n');
  };
  return { store, settleAudit };
}

/** One `audit_events` row for a CLI action: no request, client address or principal (§3.9); details say `via: cli`. */
async function writeAuditEvent(db: Database, event: ApiKeyAuditEvent): Promise<void> {
  await db.query('INSERT INTO public.audit_events (action, resource, details) VALUES ($1, $2, $3::jsonb)', [
    event.action,
    `api_keys/${event.key_id}`,
    JSON.stringify({ ...event.details, via: 'cli' }),
  ]);
}
