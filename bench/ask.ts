/**
 * `/api/v1/ask` latency benchmark (analysis spec §9): starts `qnwis serve` on localhost with one worker, warms every
 * registered query, then sends 10 rounds of test/fixtures/ask/questions.jsonl sequentially with audit enabled.
 * Prints JSON (p50/p95 in ms, the machine, the audit store) and exits 1 when p95 ≥ 50 ms or a request fails.
 *
 * Default: the embedded default (a fresh state directory, PGlite, authentication on with the first start's dev admin
 * key). With --database-url the server runs on that PostgreSQL database instead, which must already be migrated,
 * ingested and materialized; the bench adds one analyst API key (label bench-ask, revoked at the end) and the audit
 * manifests of the run to it.
 *
 *   npx tsx bench/ask.ts [--rounds 10] [--pack var/bench/pack] [--database-url postgresql://…]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePackOptions, writePack } from '../src/data/synthetic/pack.js';
import { openPostgres } from '../src/db/database.js';
import { ApiKeyStore } from '../src/security/api-keys.js';

export const ASK_P95_GATE_MS = 50;
const DEFAULT_ROUNDS = 10;
const READY_TIMEOUT_MS = 300_000;

interface Question {
  id: string;
  question: string;
  intent: string;
}

export interface AskBenchResult {
  benchmark: 'ask';
  questions: number;
  rounds: number;
  requests: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number; mean: number };
  per_intent: Record<string, { n: number; p50_ms: number; p95_ms: number }>;
  /** Means of the answers' own timings_ms (server side): where the time goes. */
  server_timings_ms_mean: Record<string, number>;
  errors: { id: string; status: number; detail: string }[];
  misrouted: { id: string; expected: string; got: string | null }[];
  warmed_queries: number;
  audit: { store: string; enabled: boolean; answers_with_audit_id: number; sample_verified: boolean | null };
  server: { mode: string; workers: number; auth: string; url: string };
  machine: { cpus: number; cpu_model: string; loadavg_start: number[]; loadavg_end: number[]; node: string };
  gate: { p95_ms_below: number; passed: boolean };
  passed: boolean;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const r2 = (x: number): number => Math.round(x * 100) / 100;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function readQuestions(file = fileURLToPath(new URL('../test/fixtures/ask/questions.jsonl', import.meta.url))) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Question);
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface Server {
  url: string;
  key: string;
  mode: string;
  auditStore: string;
  stop(): Promise<void>;
}

/**
 * `qnwis serve`, one worker, fresh state directory; resolves once /health/ready is 200. Embedded default unless
 * `databaseUrl` is given (then a throw-away pepper and an analyst key made for the run).
 */
async function startServer(packDir: string, databaseUrl: string | undefined): Promise<Server> {
  let extraEnv: Record<string, string> = {};
  let postgresKey: { key: string; revoke: () => Promise<void> } | undefined;
  if (databaseUrl !== undefined) {
    const pepper = randomBytes(32).toString('hex');
    const db = await openPostgres(databaseUrl, {
      min: 0,
      max: 1,
      acquireTimeoutS: 10,
      statementTimeoutMs: 30_000,
      applicationName: 'qnwis-bench-ask',
    });
    const store = new ApiKeyStore({ db, pepper, cacheMs: 0 });
    const { key, record } = await store.create({ label: 'bench-ask', roles: ['analyst', 'auditor'] });
    postgresKey = {
      key,
      revoke: async () => {
        await store.revoke(record.key_id);
        await db.close();
      },
    };
    extraEnv = { DATABASE_URL: databaseUrl, QNWIS_DB_MODE: 'postgres', QNWIS_API_KEY_PEPPER: pepper };
  }
  const port = await freePort();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-bench-ask-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      QNWIS_ENV: 'dev',
      HOST: '127.0.0.1',
      PORT: String(port),
      QNWIS_STATE_DIR: stateDir,
      QNWIS_DATA_DIR: packDir,
      WEB_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
      // The benchmark sends far more than a person would; the limiter stays on but out of the way.
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
      RATE_LIMIT_REQUESTS_PER_DAY: '1000000000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(stateDir, { recursive: true, force: true });
    await postgresKey?.revoke();
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) {
        if (postgresKey) {
          return { url, key: postgresKey.key, mode: 'postgres', auditStore: 'postgres (audit_manifests)', stop };
        }
        const key = fs.readFileSync(path.join(stateDir, 'dev-admin-key'), 'utf8').trim();
        return { url, key, mode: 'embedded', auditStore: 'postgres (embedded PGlite, audit_manifests)', stop };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the server did not become ready:\n${log}`);
}

async function postJson(
  url: string,
  key: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below as an error
  }
  return { status: res.status, json };
}

export async function benchAsk(opts: {
  packDir: string;
  rounds: number;
  databaseUrl?: string;
}): Promise<AskBenchResult> {
  if (!fs.existsSync(path.join(opts.packDir, 'employment_history.csv'))) {
    await writePack(opts.packDir, resolvePackOptions({}));
  }
  const questions = readQuestions();
  const loadStart = os.loadavg().map(r2);
  const server = await startServer(opts.packDir, opts.databaseUrl);
  try {
    const headers = { 'x-api-key': server.key };
    // Warm every registered query (the data layer's cache), then one unmeasured pass over the questions.
    const ids = ((await (await fetch(`${server.url}/api/v1/queries`, { headers })).json()) as { ids: string[] }).ids;
    for (const id of ids) {
      const res = await fetch(`${server.url}/api/v1/queries/${id}/run?page_size=1`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
      });
      await res.arrayBuffer();
    }
    for (const q of questions) await postJson(`${server.url}/api/v1/ask`, server.key, { question: q.question });

    const all: number[] = [];
    const byIntent = new Map<string, number[]>();
    const errors: AskBenchResult['errors'] = [];
    const misrouted = new Map<string, AskBenchResult['misrouted'][number]>();
    let withAudit = 0;
    const stageTotals = new Map<string, number>();
    let timed = 0;
    let lastAuditId: string | null = null;
    for (let round = 0; round < opts.rounds; round++) {
      for (const q of questions) {
        const started = performance.now();
        const { status, json } = await postJson(`${server.url}/api/v1/ask`, server.key, {
          question: q.question,
          options: { audit_pack: true },
        });
        const ms = performance.now() - started;
        all.push(ms);
        byIntent.set(q.intent, [...(byIntent.get(q.intent) ?? []), ms]);
        if (status !== 200 || json === null) {
          const code = (json?.error as { code?: string } | undefined)?.code ?? 'not JSON';
          if (round === 0) errors.push({ id: q.id, status, detail: code });
          continue;
        }
        const timings = json.timings_ms as Record<string, number> | undefined;
        if (timings) {
          timed++;
          for (const [k, v] of Object.entries(timings)) stageTotals.set(k, (stageTotals.get(k) ?? 0) + v);
        }
        if (json.intent !== q.intent) misrouted.set(q.id, { id: q.id, expected: q.intent, got: json.intent as string });
        if (typeof json.audit_id === 'string') {
          withAudit++;
          lastAuditId = json.audit_id;
        }
      }
    }
    let sampleVerified: boolean | null = null;
    if (lastAuditId !== null) {
      const res = await fetch(`${server.url}/api/v1/audit/${lastAuditId}`, { headers });
      sampleVerified = res.status === 200 && ((await res.json()) as { verified?: boolean }).verified === true;
    }
    const sorted = [...all].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    const perIntent: AskBenchResult['per_intent'] = {};
    for (const [intent, xs] of [...byIntent.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const s = [...xs].sort((a, b) => a - b);
      perIntent[intent] = { n: s.length, p50_ms: r3(percentile(s, 50)), p95_ms: r3(percentile(s, 95)) };
    }
    const gatePassed = p95 < ASK_P95_GATE_MS;
    const cpus = os.cpus();
    return {
      benchmark: 'ask',
      questions: questions.length,
      rounds: opts.rounds,
      requests: all.length,
      latency_ms: {
        p50: r3(percentile(sorted, 50)),
        p95: r3(p95),
        p99: r3(percentile(sorted, 99)),
        max: r3(sorted[sorted.length - 1] ?? NaN),
        mean: r3(all.reduce((a, b) => a + b, 0) / all.length),
      },
      per_intent: perIntent,
      server_timings_ms_mean: Object.fromEntries([...stageTotals].map(([k, v]) => [k, r3(v / Math.max(1, timed))])),
      errors,
      misrouted: [...misrouted.values()],
      warmed_queries: ids.length,
      audit: {
        store: server.auditStore,
        enabled: true,
        answers_with_audit_id: withAudit,
        sample_verified: sampleVerified,
      },
      server: {
        mode: server.mode,
        workers: 1,
        auth: server.mode === 'embedded' ? 'api_key (dev admin key)' : 'api_key (analyst key made for the run)',
        url: server.url,
      },
      machine: {
        cpus: cpus.length,
        cpu_model: cpus[0]?.model ?? 'unknown',
        loadavg_start: loadStart,
        loadavg_end: os.loadavg().map(r2),
        node: process.version,
      },
      gate: { p95_ms_below: ASK_P95_GATE_MS, passed: gatePassed },
      passed: gatePassed && errors.length === 0 && withAudit === all.length,
    };
  } finally {
    await server.stop();
  }
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const rounds = Number(flag(argv, '--rounds') ?? DEFAULT_ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write('bench:ask: --rounds needs a positive whole number\n');
    return 2;
  }
  const packDir = path.resolve(flag(argv, '--pack') ?? 'var/bench/pack');
  const databaseUrl = flag(argv, '--database-url');
  const result = await benchAsk({ packDir, rounds, ...(databaseUrl ? { databaseUrl } : {}) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.passed ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`bench:ask: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
