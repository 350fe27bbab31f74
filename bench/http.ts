import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { resolvePackOptions, writePack } from '../src/data/synthetic/pack.js';

export interface HttpFigure {
  name: string;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  ratio_to_ceiling: number;
}

export interface HttpBenchResult {
  connections: number;
  duration_s: number;
  /** Runs of the ceiling and of the cached run (alternating); their figures are medians. */
  rounds: number;
  figures: HttpFigure[];
  /** Each round's cached run next to the ceiling run just before it. */
  cached_rounds: { requests_per_s: number; ceiling_requests_per_s: number; p99_ms: number }[];
  /** Cached run through the full security layer: API key vs authentication bypassed (both with limiter and audit). */
  security: { bypass_rps: number; api_key_rps: number; ratio: number; target_min_ratio: number };
  targets: { cached_min_ratio: number; cached_max_p99_ms: number };
}

async function startTarget(
  mode: 'bare' | 'app' | 'payload' | 'secure-bypass' | 'secure-key',
  packDir: string,
  payloadFile = '',
): Promise<{ child: ChildProcess; port: number; key: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-server.ts', mode, packDir, payloadFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const [port, key] = chunk.toString().trim().split(' ');
  return { child, port: Number(port), key: key ?? '' };
}

async function measure(
  url: string,
  opts: { method?: 'GET' | 'POST'; body?: string; connections: number; duration: number; key?: string },
): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number }> {
  const headers: Record<string, string> = {
    ...(opts.body ? { 'content-type': 'application/json' } : {}),
    ...(opts.key ? { 'x-api-key': opts.key } : {}),
  };
  // a short warm-up so JIT and caches are settled before the measured run
  await autocannon({
    url,
    method: opts.method ?? 'GET',
    body: opts.body,
    connections: opts.connections,
    duration: 1,
    headers,
  });
  const r = await autocannon({
    url,
    method: opts.method ?? 'GET',
    body: opts.body,
    headers,
    connections: opts.connections,
    duration: opts.duration,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** One figure from several runs: median throughput and latencies, every run's errors. */
function combine(runs: readonly Measured[]): Measured {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}

/**
 * autocannon against one-worker targets: a bare Fastify route (the ceiling), /health/live, cached and uncached runs.
 * The ceiling and the cached run decide the target, so they are measured `rounds` times, alternately, and their
 * medians compared: on a shared 2-core machine one 5-second run of either moves by ±10 %. A target process runs
 * only while it is measured (or needed), so idle targets cannot disturb the others.
 */
export async function benchHttp(opts: {
  packDir: string;
  connections: number;
  duration: number;
  rounds?: number;
}): Promise<HttpBenchResult> {
  if (!fs.existsSync(path.join(opts.packDir, 'employment_history.csv'))) {
    await writePack(opts.packDir, resolvePackOptions({}));
  }
  const rounds = Math.max(1, opts.rounds ?? 5);
  const run = '/api/v1/queries/syn_attrition_hotspots_latest/run';
  const post = { ...opts, method: 'POST' as const, body: '{}' };
  const payloadFile = path.join(os.tmpdir(), `qnwis-bench-payload-${process.pid}.json`);
  const started: ChildProcess[] = [];
  const start = async (...args: Parameters<typeof startTarget>): ReturnType<typeof startTarget> => {
    const target = await startTarget(...args);
    started.push(target.child);
    return target;
  };
  try {
    const bare = await start('bare', opts.packDir);
    const app = await start('app', opts.packDir);
    const base = `http://127.0.0.1:${app.port}`;
    const sample = await fetch(`${base}${run}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    fs.writeFileSync(payloadFile, await sample.text());

    const ceilingRuns: Measured[] = [];
    const cachedRuns: Measured[] = [];
    for (let i = 0; i < rounds; i++) {
      ceilingRuns.push(await measure(`http://127.0.0.1:${bare.port}/bare`, opts));
      cachedRuns.push(await measure(`${base}${run}`, post));
    }
    const health = await measure(`${base}/health/live`, opts);
    const uncached = await measure(`${base}${run}?ttl_s=0`, post);
    bare.child.kill();
    app.child.kill();

    const payload = await start('payload', opts.packDir, payloadFile);
    const sameBytes = await measure(`http://127.0.0.1:${payload.port}/payload`, post);
    payload.child.kill();
    const secureBypass = await start('secure-bypass', opts.packDir);
    const bypassRun = await measure(`http://127.0.0.1:${secureBypass.port}${run}`, post);
    secureBypass.child.kill();
    const secureKey = await start('secure-key', opts.packDir);
    const keyRun = await measure(`http://127.0.0.1:${secureKey.port}${run}`, { ...post, key: secureKey.key });
    secureKey.child.kill();

    const ceiling = combine(ceilingRuns);
    const rows: [string, Measured][] = [
      [`bare Fastify route (ceiling, median of ${rounds})`, ceiling],
      ['bare route, same bytes as cached run', sameBytes],
      ['GET /health/live', health],
      [`POST run, cached (median of ${rounds})`, combine(cachedRuns)],
      ['POST run, uncached (ttl_s=0)', uncached],
      ['POST run, cached, security on, auth bypassed', bypassRun],
      ['POST run, cached, security on, API key', keyRun],
    ];
    for (const [name, r] of rows) {
      if (r.errors > 0 || r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
    }
    return {
      connections: opts.connections,
      duration_s: opts.duration,
      rounds,
      figures: rows.map(([name, r]) => ({
        name,
        requests_per_s: Math.round(r.rps),
        p50_ms: r.p50,
        p99_ms: r.p99,
        ratio_to_ceiling: Math.round((r.rps / ceiling.rps) * 100) / 100,
      })),
      cached_rounds: cachedRuns.map((r, i) => ({
        requests_per_s: Math.round(r.rps),
        ceiling_requests_per_s: Math.round(ceilingRuns[i]!.rps),
        p99_ms: r.p99,
      })),
      security: {
        bypass_rps: Math.round(bypassRun.rps),
        api_key_rps: Math.round(keyRun.rps),
        ratio: Math.round((keyRun.rps / bypassRun.rps) * 100) / 100,
        target_min_ratio: 0.85,
      },
      targets: { cached_min_ratio: 0.5, cached_max_p99_ms: 10 },
    };
  } finally {
    for (const child of started) child.kill();
    fs.rmSync(payloadFile, { force: true });
  }
}
