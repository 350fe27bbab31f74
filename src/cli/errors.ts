import { isDataError, type DataErrorCode } from '../data/errors.js';
import { ConfigError } from '../config/resolve.js';

/** A bad command line: wrong flag, missing argument, bad value. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that ran and failed for a reason that is not a usage error, with its own exit code. */
export class CommandFailed extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CommandFailed';
    this.exitCode = exitCode;
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, registry: 3, dependency: 4, config: 78 } as const;

const DATA_EXIT: Partial<Record<DataErrorCode, number>> = {
  unknown_query: EXIT.usage,
  invalid_override: EXIT.usage,
  invalid_ttl: EXIT.usage,
  source_not_found: EXIT.usage,
  registry_invalid: EXIT.registry,
  registry_dir_missing: EXIT.registry,
  source_unavailable: EXIT.dependency,
};

/** Maps an error to (exit code, lines for stderr). Unknown errors get a generic line, never a stack. */
export function describeFailure(err: unknown): { exitCode: number; lines: string[] } {
  if (err instanceof UsageError) return { exitCode: EXIT.usage, lines: [`qnwis: ${err.message}`] };
  if (err instanceof CommandFailed) return { exitCode: err.exitCode, lines: [`qnwis: ${err.message}`] };
  if (err instanceof ConfigError) return { exitCode: EXIT.config, lines: err.message.split('\n') };
  if (isDataError(err)) {
    const exitCode = DATA_EXIT[err.code] ?? EXIT.failure;
    if (err.code === 'registry_invalid') return { exitCode, lines: [...err.details, `qnwis: ${err.message}`] };
    return { exitCode, lines: [`qnwis: ${err.code}: ${err.message}`] };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.failure, lines: [`qnwis: internal error: ${message.split('\n')[0]}`] };
}
