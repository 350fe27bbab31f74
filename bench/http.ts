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
  figures: HttpFigure[];
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

/** autocannon against one-worker targets: a bare Fastify route (the ceiling), /health/live, cached and uncached runs. */
export async function benchHttp(opts: {
  packDir: string;
  connections: number;
  duration: number;
}): Promise<HttpBenchResult> {
  if (!fs.existsSync(path.join(opts.packDir, 'employment_history.csv'))) {
    await writePack(opts.packDir, resolvePackOptions({}));
  }
  const bare = await startTarget('bare', opts.packDir);
  const app = await startTarget('app', opts.packDir);
  const base = `http://127.0.0.1:${app.port}`;
  const run = '/api/v1/queries/syn_attrition_hotspots_latest/run';
  const sample = await fetch(`${base}${run}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const payloadFile = path.join(os.tmpdir(), `qnwis-bench-payload-${process.pid}.json`);
  fs.writeFileSync(payloadFile, await sample.text());
  const payload = await startTarget('payload', opts.packDir, payloadFile);
  const secureBypass = await startTarget('secure-bypass', opts.packDir);
  const secureKey = await startTarget('secure-key', opts.packDir);
  try {
    const ceiling = await measure(`http://127.0.0.1:${bare.port}/bare`, opts);
    const rows: [string, Awaited<ReturnType<typeof measure>>][] = [
      ['bare Fastify route (ceiling)', ceiling],
      [
        'bare route, same bytes as cached run',
        await measure(`http://127.0.0.1:${payload.port}/payload`, { ...opts, method: 'POST', body: '{}' }),
      ],
      ['GET /health/live', await measure(`${base}/health/live`, opts)],
      ['POST run, cached', await measure(`${base}${run}`, { ...opts, method: 'POST', body: '{}' })],
      ['POST run, uncached (ttl_s=0)', await measure(`${base}${run}?ttl_s=0`, { ...opts, method: 'POST', body: '{}' })],
    ];
    const post = { ...opts, method: 'POST' as const, body: '{}' };
    const bypassRun = await measure(`http://127.0.0.1:${secureBypass.port}${run}`, post);
    const keyRun = await measure(`http://127.0.0.1:${secureKey.port}${run}`, { ...post, key: secureKey.key });
    rows.push(['POST run, cached, security on, auth bypassed', bypassRun]);
    rows.push(['POST run, cached, security on, API key', keyRun]);
    for (const [name, r] of rows) {
      if (r.errors > 0 || r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
    }
    return {
      connections: opts.connections,
      duration_s: opts.duration,
      figures: rows.map(([name, r]) => ({
        name,
        requests_per_s: Math.round(r.rps),
        p50_ms: r.p50,
        p99_ms: r.p99,
        ratio_to_ceiling: Math.round((r.rps / ceiling.rps) * 100) / 100,
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
    bare.child.kill();
    app.child.kill();
    payload.child.kill();
    secureBypass.child.kill();
    secureKey.child.kill();
    fs.rmSync(payloadFile, { force: true });
  }
}
