import pg from 'pg';
import { Redis } from 'ioredis';
import { parseFlags } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import type { CliContext } from '../context.js';
import { CATALOGUE } from '../../config/catalogue.js';
import { checkAppConfig, maskConfig, maskUrlPasswords, type AppConfig } from '../../config/app-config.js';
import { readEnvFile, EnvFileError } from '../../config/env-file.js';
import type { ConfigProblem, RawEnv } from '../../config/resolve.js';

const USAGE = 'qnwis config check [--env-file FILE] [--json] [--connect]';
const CONNECT_TIMEOUT_MS = 2000;

type ConnectStatus = { status: 'ok' } | { status: 'failed'; message: string } | { status: 'skipped'; message: string };

interface CheckReport {
  valid: boolean;
  errors: ConfigProblem[];
  warnings: string[];
  values: Record<string, string>;
  connect?: { postgres: ConnectStatus; redis: ConnectStatus };
}

/** Names that only a compose deployment sets; their presence marks the environment as a compose env file. */
const COMPOSE_VARIABLES: ReadonlySet<string> = new Set(
  CATALOGUE.filter((spec) => spec.consumers.includes('compose')).map((spec) => spec.name),
);
const SERVICE_VARIABLES: ReadonlySet<string> = new Set(
  CATALOGUE.filter((spec) => spec.consumers.some((c) => c === 'service' || c === 'smoke' || c === 'entrypoint')).map(
    (spec) => spec.name,
  ),
);

/**
 * `qnwis config check`: validates the process environment, or only the variables of a compose env file, with the
 * prod rules when QNWIS_ENV resolves to prod. Exit 0 valid, 78 invalid, 4 when --connect cannot reach a store.
 * Compose, script and image rows are validated (and required in prod) when the environment holds a compose variable.
 */
export async function configCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') {
    throw new UsageError(
      `${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\nusage: ${USAGE}`,
    );
  }
  const { values: flags, positionals } = parseFlags(
    rest,
    { 'env-file': { type: 'string' }, json: { type: 'boolean' }, connect: { type: 'boolean' } },
    USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const envFile = flags['env-file'] as string | undefined;
  const json = flags.json === true;

  let env: RawEnv;
  if (envFile === undefined) env = ctx.env();
  else {
    try {
      env = readEnvFile(envFile);
    } catch (err) {
      if (err instanceof EnvFileError) {
        const errors = err.issues.map((i) => ({ variable: `${envFile}:${i.line}`, reason: i.reason }));
        return finish(ctx, json, { valid: false, errors, warnings: [], values: {} });
      }
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(`cannot read env file ${JSON.stringify(envFile)} (${code})\nusage: ${USAGE}`);
    }
  }

  const deployment = Object.keys(env).some((name) => COMPOSE_VARIABLES.has(name) && env[name] !== '');
  const check = checkAppConfig(env, { deployment });
  const masked = maskConfig(env);
  const values = Object.fromEntries(
    Object.entries(masked).filter(([name]) => deployment || SERVICE_VARIABLES.has(name)),
  );
  const report: CheckReport = {
    valid: check.config !== undefined,
    errors: check.problems,
    warnings: check.warnings,
    values,
  };
  if (flags.connect === true) report.connect = await connectAll(check.config);
  return finish(ctx, json, report);
}

function finish(ctx: CliContext, json: boolean, report: CheckReport): number {
  const connectFailed =
    report.connect !== undefined &&
    (report.connect.postgres.status === 'failed' || report.connect.redis.status === 'failed');
  if (json) ctx.stdout(JSON.stringify(report) + '\n');
  else {
    for (const e of report.errors) ctx.stderr(`config error: ${e.variable}: ${e.reason}\n`);
    for (const w of report.warnings) ctx.stderr(`config warning: ${w}\n`);
    for (const [name, value] of Object.entries(report.values)) ctx.stdout(`${name}=${value}\n`);
    if (report.connect) {
      for (const [store, result] of Object.entries(report.connect) as [string, ConnectStatus][]) {
        ctx.stdout(`connect ${store}: ${result.status}${result.status === 'ok' ? '' : ` (${result.message})`}\n`);
      }
    }
    ctx.stdout(
      report.valid
        ? `config valid (${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'})\n`
        : `config invalid (${report.errors.length} error${report.errors.length === 1 ? '' : 's'})\n`,
    );
  }
  if (!report.valid) return EXIT.config;
  return connectFailed ? EXIT.dependency : EXIT.ok;
}

async function connectAll(config: AppConfig | undefined): Promise<{ postgres: ConnectStatus; redis: ConnectStatus }> {
  if (config === undefined) {
    const skipped: ConnectStatus = { status: 'skipped', message: 'configuration invalid' };
    return { postgres: skipped, redis: skipped };
  }
  const secrets = secretTexts(config);
  const [postgres, redis] = await Promise.all([
    config.database.mode === 'postgres'
      ? attempt(() => pingPostgres((config.database as { url: string }).url), secrets)
      : Promise.resolve<ConnectStatus>({ status: 'skipped', message: 'embedded database' }),
    config.redisUrl !== undefined
      ? attempt(() => pingRedis(config.redisUrl!), secrets)
      : Promise.resolve<ConnectStatus>({ status: 'skipped', message: 'REDIS_URL unset' }),
  ]);
  return { postgres, redis };
}

/** Every secret value and URL password of the config, so error messages can be scrubbed by exact match. */
function secretTexts(config: AppConfig): string[] {
  const texts: string[] = Object.values(config.secrets).filter((s): s is string => s !== undefined);
  for (const url of [config.database.mode === 'postgres' ? config.database.url : undefined, config.redisUrl]) {
    if (url === undefined) continue;
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password !== '') texts.push(password);
    } catch {
      // unparseable URLs were rejected by validation already
    }
  }
  return texts.filter((t) => t.length >= 4).sort((a, b) => b.length - a.length);
}

async function attempt(run: () => Promise<void>, secrets: readonly string[]): Promise<ConnectStatus> {
  try {
    await run();
    return { status: 'ok' };
  } catch (err) {
    let message = maskUrlPasswords(err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    for (const secret of secrets) message = message.split(secret).join('***');
    return { status: 'failed', message: message === '' ? 'connection failed' : message };
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function pingPostgres(url: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined); // a late socket error after the timeout must not crash the CLI
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.query('SELECT 1');
      })(),
      'postgres',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function pingRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // With retries off, connect() rejects with a generic "Connection is closed"; the cause arrives as an error event.
  let cause: Error | undefined;
  client.on('error', (err: Error) => void (cause ??= err));
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        const reply = await client.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
      })(),
      'redis',
    ).catch((err: unknown) => {
      throw cause ?? err;
    });
  } finally {
    client.disconnect();
  }
}
