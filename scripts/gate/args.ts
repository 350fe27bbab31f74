/** Command line of `npm run gate`: which skipped checks may count as passed, and optionally which checks to run. */
import { CHECK_IDS, isCheckId, type CheckId } from './types.js';

export const USAGE = `usage: tsx scripts/gate.ts [--allow-skip=<id,...>] [--only=<id,...>]
  --allow-skip  checks that count as passed when they are skipped (their tool cannot exist on this machine)
  --only        run only these checks; the others are reported as skipped ("not selected")
check ids: ${CHECK_IDS.join(', ')}`;

export class GateUsageError extends Error {
  override name = 'GateUsageError';
}

export interface GateArgs {
  allowSkip: ReadonlySet<CheckId>;
  /** undefined: run every check. */
  only: ReadonlySet<CheckId> | undefined;
  help: boolean;
}

function idList(flag: string, value: string): Set<CheckId> {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) throw new GateUsageError(`${flag} needs at least one check id\n${USAGE}`);
  const unknown = ids.filter((id) => !isCheckId(id));
  if (unknown.length > 0) throw new GateUsageError(`${flag}: unknown check id ${unknown.join(', ')}\n${USAGE}`);
  return new Set(ids as CheckId[]);
}

/** Parses the gate's arguments (`--flag=value` or `--flag value`); throws GateUsageError on anything else. */
export function parseGateArgs(argv: readonly string[]): GateArgs {
  let allowSkip = new Set<CheckId>();
  let only: Set<CheckId> | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const match = /^(--allow-skip|--only)(?:=(.*))?$/.exec(arg);
    if (!match) throw new GateUsageError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const flag = match[1]!;
    let value = match[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new GateUsageError(`${flag} needs a value\n${USAGE}`);
    }
    if (flag === '--allow-skip') allowSkip = new Set([...allowSkip, ...idList(flag, value)]);
    else only = new Set([...(only ?? []), ...idList(flag, value)]);
  }
  return { allowSkip, only, help };
}
