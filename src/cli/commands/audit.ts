import fs from 'node:fs';
import { intFlag, parseFlags } from '../args.js';
import { CommandFailed, EXIT, UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { tailAuditEvents } from '../../security/audit-events.js';
import { devSecretsPath, ensureDevSecrets } from '../../config/app-config.js';
import type { AuditRecord } from '../../analysis/audit/manifest.js';
import { PostgresAuditStore } from '../../analysis/audit/postgres-store.js';
import { verifyAuditRecord } from '../../analysis/audit/verify-record.js';

const TAIL_USAGE = 'qnwis audit tail [--n N]   (N = 1..10000, default 50)';
const VERIFY_USAGE = 'qnwis audit verify <audit_id> [--replay]';
const USAGE = `${TAIL_USAGE}\n       ${VERIFY_USAGE}`;

/** What a replay of a stored question or request reports: the new answer's digest and the registry it ran on. */
export interface ReplayOutcome {
  answerDigest: string;
  registryVersion: string;
}

/** Runs the stored question or params again with the stored clock date (analysis spec §6 `--replay`). */
export type AuditReplay = (record: AuditRecord, ctx: CliContext) => Promise<ReplayOutcome>;

let registeredReplay: AuditReplay | null = null;

/** Registers the ask pipeline's replay for `audit verify --replay` (null unregisters). */
export function setAuditReplay(replay: AuditReplay | null): void {
  registeredReplay = replay;
}

/** `qnwis audit tail [--n N]` and `qnwis audit verify <id> [--replay]`. */
export async function auditCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'tail') return tail(rest, ctx);
  if (sub === 'verify') return verify(rest, ctx);
  throw new UsageError(
    `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
  );
}

/** The newest N audit events as JSON lines, oldest first (service spec §3.9). */
async function tail(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { n: { type: 'string' } }, TAIL_USAGE);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${TAIL_USAGE}`);
  const n = intFlag(values.n, '--n', 1, 10_000) ?? 50;
  const events = await tailAuditEvents(await ctx.database(), n);
  ctx.stdout(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return 0;
}

/**
 * QNWIS_AUDIT_HMAC_KEY from the configuration; outside prod, the development secret the server stored in the state
 * directory when the environment has none (never generated here: without that file the key is missing).
 */
async function configuredHmacKey(ctx: CliContext): Promise<string | undefined> {
  const config = ctx.appConfig();
  if (config.secrets.auditHmacKey !== undefined || config.env === 'prod') return config.secrets.auditHmacKey;
  if (!fs.existsSync(devSecretsPath(config.stateDir))) return undefined;
  const filled = await ensureDevSecrets(config, (message) => ctx.stderr(`qnwis: warning: ${message}\n`));
  return filled.secrets.auditHmacKey;
}

/**
 * Recomputes the digests and the HMAC of a stored manifest (analysis spec §6). Exit 0 when every check passes, 1 on a
 * mismatch, 2 for an unknown id, 78 when the manifest has an HMAC and no key is configured.
 */
async function verify(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { replay: { type: 'boolean' } }, VERIFY_USAGE);
  if (positionals.length !== 1) {
    const problem =
      positionals.length === 0 ? 'missing audit id' : `unexpected argument ${JSON.stringify(positionals[1])}`;
    throw new UsageError(`${problem}\nusage: ${VERIFY_USAGE}`);
  }
  const auditId = positionals[0] as string;
  const replay = values.replay === true;
  const replayer = registeredReplay;
  if (replay && replayer === null) {
    throw new CommandFailed(
      'replay is not available: no ask pipeline is registered with this CLI build, so the stored question cannot be run again',
      EXIT.failure,
    );
  }

  const record = await new PostgresAuditStore(await ctx.database()).get(auditId);
  if (record === null) {
    throw new CommandFailed(`audit manifest ${JSON.stringify(auditId.slice(0, 64))} not found`, EXIT.usage);
  }
  const key = await configuredHmacKey(ctx);
  const checks = verifyAuditRecord(record, key);
  const report: Record<string, unknown> = {
    audit_id: checks.audit_id,
    answer_digest_ok: checks.answer_digest_ok,
    manifest_digest_ok: checks.manifest_digest_ok,
    hmac_ok: checks.hmac_ok,
  };
  if (checks.hmac_key_missing) {
    ctx.stdout(`${JSON.stringify(report)}\n`);
    ctx.stderr('qnwis: QNWIS_AUDIT_HMAC_KEY is not set: this manifest carries an HMAC that cannot be checked\n');
    return EXIT.config;
  }
  let ok = checks.answer_digest_ok && checks.manifest_digest_ok && checks.hmac_ok !== false;
  if (replay && replayer !== null) {
    let replayOk = false;
    try {
      const outcome = await replayer(record, ctx);
      if (outcome.registryVersion !== record.registry_version) {
        ctx.stderr(
          `qnwis: registry changed: the manifest was written with registry ${record.registry_version}, ` +
            `the replay ran on ${outcome.registryVersion}\n`,
        );
      } else {
        replayOk = outcome.answerDigest === record.manifest.answer_digest_sha256;
        if (!replayOk) ctx.stderr('qnwis: replay gave a different answer digest\n');
      }
    } catch (err) {
      ctx.stderr(`qnwis: replay failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    }
    report.replay_ok = replayOk;
    ok &&= replayOk;
  }
  ctx.stdout(`${JSON.stringify(report)}\n`);
  if (!ok) ctx.stderr(`qnwis: audit manifest ${record.audit_id} failed verification\n`);
  return ok ? EXIT.ok : EXIT.failure;
}
