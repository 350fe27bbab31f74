import { randomUUID } from 'node:crypto';
import { parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import type { AnswerService } from '../../analysis/answer-service.js';
import { createAnalysisServices } from '../../analysis/analysis-services.js';
import { runCouncil, type CouncilRun } from '../../analysis/council.js';

const USAGE = 'qnwis council [--json]';

/**
 * The analysis layer over the configured data and database: manifests go to the database's `audit_manifests`, the
 * clock date is QNWIS_CLOCK_DATE or today (UTC), the HMAC key is QNWIS_AUDIT_HMAC_KEY.
 */
export async function cliAnswerService(ctx: CliContext): Promise<AnswerService> {
  const config = ctx.appConfig();
  const queries = await ctx.queryService();
  const db = await ctx.database();
  return createAnalysisServices({
    queries,
    db,
    version: config.version,
    clockDate: config.clockDate,
    hmacKey: config.secrets.auditHmacKey,
    onAuditError: (err) =>
      ctx.stderr(
        `qnwis: warning: audit manifest not stored: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`,
      ),
  }).answers;
}

/** The council as text: the verified narrative, then one status line. */
export function councilText(run: CouncilRun): string {
  const r = run.response;
  const failed = r.agents.filter((a) => a.status === 'failed').length;
  const status = [
    `methods: ${r.agents.length - failed} ok, ${failed} failed`,
    `minimum confidence: ${r.min_confidence ?? 'n/a'}`,
    `verification: ${r.verification.passed ? 'passed' : 'failed'}`,
    `audit id: ${r.audit_id ?? 'none'}`,
  ];
  return `${run.narrative}\n\n${status.join('; ')}\n`;
}

/** `qnwis council [--json]`: runs the council of analysis spec §7.1 against the configured data. */
export async function councilCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  }
  const run = await runCouncil(await cliAnswerService(ctx), { requestId: randomUUID() });
  ctx.stdout(values.json === true ? `${JSON.stringify(run.response, null, 2)}\n` : councilText(run));
  return 0;
}
