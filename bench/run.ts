import { benchDataLayer, defaultPackDir, type DataBenchResult } from './data-layer.js';

/**
 * `npm run bench [-- --json] [-- --rounds N]`: figures a later change can be compared with.
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
  const data = await benchDataLayer({ packDir: defaultPackDir(), rounds });
  if (json) {
    process.stdout.write(JSON.stringify({ data }, null, 2) + '\n');
    return;
  }
  printData(data);
}

function printData(d: DataBenchResult): void {
  const rows: [string, number, number][] = [
    ['registry load (ms, median of 40)', d.registry_load_ms, d.targets.registry_load_ms],
    [
      `uncached query (ms, median of ${d.queries} per-query medians)`,
      d.uncached_median_ms,
      d.targets.uncached_median_ms,
    ],
    [`cached query (ms, median of ${d.queries} per-query medians)`, d.cached_median_ms, d.targets.cached_median_ms],
  ];
  process.stdout.write('data layer (in-process)\n');
  for (const [label, value, target] of rows) {
    const ratio = target / value;
    process.stdout.write(
      `  ${label.padEnd(52)} ${String(value).padStart(9)}   target < ${String(target).padEnd(5)} ratio ${ratio.toFixed(2)} ${ratio >= 1 ? 'ok' : 'SLOW'}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
