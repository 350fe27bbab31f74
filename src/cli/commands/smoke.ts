import { parseFlags, intFlag } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';

const USAGE = 'qnwis smoke --url <base URL> --key <API key> [--timeout 30] [--json]';

/** The router smoke calls of service spec §11.3 (the reference API's bodies, sent to its alias routes). */
export const SMOKE_CALLS: readonly { intent: string; route: string; body: unknown }[] = [
  {
    intent: 'time.baseline',
    route: '/api/v1/agents/time/baseline',
    body: { intent: 'time.baseline', params: { metric: 'retention' } },
  },
  {
    intent: 'pattern.anomalies',
    route: '/api/v1/agents/pattern/anomalies',
    body: { intent: 'pattern.anomalies', params: { z_threshold: 2.0 } },
  },
  {
    intent: 'predictor.forecast',
    route: '/api/v1/agents/predictor/forecast',
    body: { intent: 'predictor.forecast', params: { metric: 'retention', horizon_months: 6 } },
  },
  {
    intent: 'scenario.apply',
    route: '/api/v1/agents/scenario/apply',
    body: {
      intent: 'scenario.apply',
      params: {
        spec: {
          name: 'System Scenario',
          description: 'determinism check',
          metric: 'retention',
          sector: 'Energy',
          horizon_months: 12,
          transforms: [{ type: 'multiplicative', value: 0.02, start_month: 0 }],
        },
        format: 'dict',
      },
    },
  },
  {
    intent: 'strategy.benchmark',
    route: '/api/v1/agents/strategy/benchmark',
    body: { intent: 'strategy.benchmark', params: { min_countries: 3 } },
  },
];

const VOLATILE = new Set(['request_id', 'audit_id', 'timings_ms']);

/** The body without request_id, audit_id and timings_ms at any depth, serialised (determinism comparison). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => (VOLATILE.has(key) ? undefined : v));
}

/** The answer envelope of analysis spec §4.2, as far as a smoke test can tell. */
function envelopeProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return 'body is not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.status !== 'answered') return `status is ${JSON.stringify(b.status)}, not "answered"`;
  for (const field of ['sections', 'findings', 'citations']) {
    if (!Array.isArray(b[field])) return `${field} is not an array`;
  }
  if (typeof b.narrative !== 'string') return 'narrative is missing';
  const verification = b.verification as { passed?: unknown } | undefined;
  if (typeof verification?.passed !== 'boolean') return 'verification is missing';
  return null;
}

interface CallOutcome {
  intent: string;
  status: number;
  ms: number;
  ok: boolean;
  problem?: string;
  body?: unknown;
}

async function call(
  base: string,
  key: string,
  c: (typeof SMOKE_CALLS)[number],
  timeoutMs: number,
): Promise<CallOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(new URL(c.route, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(c.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const ms = Math.round(performance.now() - started);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { intent: c.intent, status: res.status, ms, ok: false, problem: 'response is not JSON' };
    }
    if (res.status !== 200) {
      const code = (body as { error?: { code?: string } }).error?.code ?? 'unknown';
      return { intent: c.intent, status: res.status, ms, ok: false, problem: `error ${code}` };
    }
    const problem = envelopeProblem(body);
    return { intent: c.intent, status: res.status, ms, ok: problem === null, body, ...(problem ? { problem } : {}) };
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    const problem = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'no answer';
    return { intent: c.intent, status: 0, ms, ok: false, problem };
  }
}

async function waitReady(base: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(new URL('/health/ready', base), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** `qnwis smoke` (service spec §11.3): the five router smoke calls after a deploy; exit 0 all pass, 1 any failure. */
export async function smokeCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { url: { type: 'string' }, key: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const smoke = ctx.appConfig().smoke;
  const base = typeof values.url === 'string' ? values.url : smoke.url;
  const key = typeof values.key === 'string' ? values.key : smoke.apiKey;
  if (!base) throw new UsageError(`--url (or QNWIS_SMOKE_URL) is required\nusage: ${USAGE}`);
  if (!key) throw new UsageError(`--key (or QNWIS_SMOKE_API_KEY) is required\nusage: ${USAGE}`);
  let url: URL;
  try {
    url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL\nusage: ${USAGE}`);
  }
  const timeoutS = intFlag(typeof values.timeout === 'string' ? values.timeout : undefined, '--timeout', 1, 600) ?? 30;
  const lines: string[] = [];
  const outcomes: CallOutcome[] = [];
  if (!(await waitReady(url.href, timeoutS * 1000))) {
    outcomes.push({ intent: 'health.ready', status: 0, ms: timeoutS * 1000, ok: false, problem: 'not ready' });
  } else {
    for (const c of SMOKE_CALLS) outcomes.push(await call(url.href, key, c, timeoutS * 1000));
    // Determinism: the first call again, identical apart from request_id, audit_id and timings_ms.
    const again = await call(url.href, key, SMOKE_CALLS[0]!, timeoutS * 1000);
    const first = outcomes[0]!;
    if (again.ok && first.ok && stableJson(again.body) !== stableJson(first.body)) {
      again.ok = false;
      again.problem = 'second answer differs from the first';
    }
    outcomes.push({ ...again, intent: `${again.intent} (repeat)` });
  }
  for (const o of outcomes) {
    lines.push(`${o.ok ? 'PASS' : 'FAIL'} ${o.intent} ${o.status} ${o.ms}${o.problem ? ` ${o.problem}` : ''}`);
  }
  const passed = outcomes.every((o) => o.ok);
  if (values.json) {
    const calls = outcomes.map(({ body: _body, ...rest }) => rest);
    ctx.stdout(`${JSON.stringify({ passed, calls })}\n`);
  } else {
    ctx.stdout(`${lines.join('\n')}\n`);
  }
  return passed ? 0 : 1;
}
