import { benchDataLayer, defaultPackDir, type DataBenchResult } from './data-layer.js';
import { benchHttp, type HttpBenchResult } from './http.js';
import { benchAsk, type AskBenchResult } from './ask.js';
import { benchWeb, type WebBenchResult } from './web.js';

/**
 * `npm run bench [-- --json] [-- --rounds N] [-- --only data|http|ask|web]`: figures a later change can be compared with.
 * Each figure is printed with its target and the ratio target / measured (≥ 1 meets the target).
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 300;
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write('bench: --rounds needs a positive whole number\n');
    process.exitCode = 2;
    return;
  }
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  const out: { data?: DataBenchResult; http?: HttpBenchResult; ask?: AskBenchResult; web?: WebBenchResult } = {};
  if (only === undefined || only === 'data') out.data = await benchDataLayer({ packDir: defaultPackDir(), rounds });
  if (only === undefined || only === 'http') {
    out.http = await benchHttp({ packDir: defaultPackDir(), connections: 64, duration: 5 });
  }
  // analysis spec §9: `npm run bench` also runs bench:ask (10 rounds of the /ask questions), whose gate fails the run.
  if (only === undefined || only === 'ask') out.ask = await benchAsk({ packDir: defaultPackDir(), rounds: 10 });
  if (out.ask && !out.ask.passed) process.exitCode = 1;
  // issue 7: the dashboard's first load in headless Chromium (5 fresh browser contexts per page).
  if (only === undefined || only === 'web') out.web = await benchWeb({ packDir: defaultPackDir(), loads: 5 });
  if (json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  if (out.data) printData(out.data);
  if (out.http) printHttp(out.http);
  if (out.ask) printAsk(out.ask);
  if (out.web) printWeb(out.web);
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

function printWeb(w: WebBenchResult): void {
  const o = w.overview;
  process.stdout.write(
    `web (headless ${w.browser}, first load of Overview, ${w.loads_per_page} fresh loads after ${w.warmup_loads_per_page} warm-up, signed in)\n`,
  );
  const how = {
    measured: 'as sent by the server',
    mixed: 'as sent where the server compressed, zlib gzip of the other bodies',
    computed: 'the server sends no content-encoding: zlib gzip of each body',
  }[w.gzipped_figure];
  process.stdout.write(
    `  bytes transferred ${kb(o.gzipped_bytes)} KB (gzipped, ${how}), ${kb(o.transferred_bytes)} KB as sent   target < ${w.target.first_page_gzipped_kb_below} KB ratio ${w.target.ratio.toFixed(2)} ${w.target.passed ? 'ok' : 'MISSED'}\n`,
  );
  const types = Object.entries(o.by_type)
    .map(([type, t]) => `${type} ${t.requests} ${kb(t.gzipped_bytes)}/${kb(t.transferred_bytes)} KB`)
    .join(', ');
  const [lo, hi] = o.gzipped_bytes_range;
  if (o.requests_range[0] !== o.requests_range[1]) {
    process.stdout.write(
      `  over the ${w.loads_per_page} loads: ${o.requests_range.join('-')} requests, ${kb(lo)}-${kb(hi)} KB gzipped before the first chart\n`,
    );
  }
  process.stdout.write(`  requests ${o.requests} until the first chart (gzipped/as sent: ${types})\n`);
  const t = o.time_to_first_chart_ms;
  process.stdout.write(
    `  time to first chart p50 ${t.p50} ms (min ${t.min}, max ${t.max}; ${o.first_chart.note}, ${o.first_chart.selector}); DOMContentLoaded p50 ${o.dom_content_loaded_ms_p50} ms\n`,
  );
  const s = w.sectors;
  process.stdout.write(
    `  Sectors, first SVG chart (${s.first_chart.selector}): p50 ${s.time_to_first_chart_ms.p50} ms (min ${s.time_to_first_chart_ms.min}, max ${s.time_to_first_chart_ms.max}), ${s.requests} requests, ${kb(s.gzipped_bytes)} KB gzipped, ${kb(s.transferred_bytes)} KB as sent\n`,
  );
}

function printAsk(a: AskBenchResult): void {
  process.stdout.write(
    `ask (${a.questions} questions x ${a.rounds} rounds, sequential, one worker, ${a.server.mode}, audit in ${a.audit.store})\n`,
  );
  const ratio = a.gate.p95_ms_below / a.latency_ms.p95;
  process.stdout.write(
    `  POST /api/v1/ask p50 ${a.latency_ms.p50} ms  p95 ${a.latency_ms.p95} ms   target p95 < ${a.gate.p95_ms_below} ms ratio ${ratio.toFixed(2)} ${a.gate.passed ? 'ok' : 'SLOW'}\n`,
  );
  process.stdout.write(
    `  machine: ${a.machine.cpus} cpus, load average ${a.machine.loadavg_start.join(' ')} -> ${a.machine.loadavg_end.join(' ')}; errors ${a.errors.length}, misrouted ${a.misrouted.length}\n`,
  );
}

function printHttp(h: HttpBenchResult): void {
  process.stdout.write(`http (autocannon, ${h.connections} connections, ${h.duration_s} s each, one worker)\n`);
  const pairs = h.cached_rounds.map((r) => `${r.requests_per_s}/${r.ceiling_requests_per_s}`).join(', ');
  process.stdout.write(`  rounds (cached/ceiling req/s): ${pairs}\n`);
  for (const f of h.figures) {
    process.stdout.write(
      `  ${f.name.padEnd(38)} ${String(f.requests_per_s).padStart(7)} req/s  p50 ${String(f.p50_ms).padStart(4)} ms  p99 ${String(f.p99_ms).padStart(4)} ms  ratio ${f.ratio_to_ceiling.toFixed(2)}\n`,
    );
  }
  const cached = h.figures.find((f) => f.name.startsWith('POST run, cached'));
  if (cached) {
    const ok = cached.ratio_to_ceiling >= h.targets.cached_min_ratio && cached.p99_ms < h.targets.cached_max_p99_ms;
    process.stdout.write(
      `  target: cached run ≥ ${h.targets.cached_min_ratio} of the ceiling with p99 < ${h.targets.cached_max_p99_ms} ms: ${ok ? 'ok' : 'MISSED'}\n`,
    );
  }
  const s = h.security;
  process.stdout.write(
    `  security layer: API key / auth bypassed = ${s.api_key_rps} / ${s.bypass_rps} = ${s.ratio.toFixed(2)}, target ≥ ${s.target_min_ratio}: ${s.ratio >= s.target_min_ratio ? 'ok' : 'MISSED'}\n`,
  );
}

function printData(d: DataBenchResult): void {
  const rows: [string, number, number][] = [
    ['registry load, 44 reference specs (ms, median of 40)', d.registry_load_ms, d.targets.registry_load_ms],
    [
      `uncached query (ms, median of ${d.queries} per-query medians)`,
      d.uncached_median_ms,
      d.targets.uncached_median_ms,
    ],
    [`cached query (ms, median of ${d.queries} per-query medians)`, d.cached_median_ms, d.targets.cached_median_ms],
  ];
  process.stdout.write('data layer (in-process)\n');
  process.stdout.write(
    `  registry load, all ${d.registry_specs_all} shipped specs (ms, median of 40): ${d.registry_load_all_ms}\n`,
  );
  for (const [label, value, target] of rows) {
    const ratio = target / value;
    process.stdout.write(
      `  ${label.padEnd(56)} ${String(value).padStart(9)}   target < ${String(target).padEnd(5)} ratio ${ratio.toFixed(2)} ${ratio >= 1 ? 'ok' : 'SLOW'}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
