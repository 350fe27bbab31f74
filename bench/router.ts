/**
 * Router benchmark (analysis spec §2.9): accuracy on test/fixtures/router/labelled.jsonl, clarification rates on
 * it and on out_of_scope.jsonl, entity accuracy, and classification latency. Prints JSON; exits 1 when a gate fails.
 *
 *   npx tsx bench/router.ts [--latest-year 2024]
 *
 * The latest data year defaults to 2024, the last period of ts_employment_annual in the synthetic pack.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { INTENTS } from '../src/analysis/model.js';
import { createRouter } from '../src/analysis/router/router.js';

interface Labelled {
  id: string;
  question: string;
  intent: string;
  sectors?: string[];
  metrics?: string[];
}

const GATES = {
  top1: 0.9,
  per_intent: 0.75,
  out_of_scope_clarification: 0.9,
  sectors: 0.9,
  metrics: 0.9,
  p99_us: 1000,
};
const WARMUP_CALLS = 1000;
const REPETITIONS = 50;

function readJsonl<T>(name: string): T[] {
  const file = fileURLToPath(new URL(`../test/fixtures/router/${name}`, import.meta.url));
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const r1 = (x: number) => Math.round(x * 10) / 10;

function main(): number {
  const argi = process.argv.indexOf('--latest-year');
  const latestDataYear = argi > 0 ? Number(process.argv[argi + 1]) : 2024;
  const router = createRouter({ latestDataYear });
  const labelled = readJsonl<Labelled>('labelled.jsonl');
  const outOfScope = readJsonl<{ id: string; question: string }>('out_of_scope.jsonl');

  let correct = 0;
  let clarifiedInScope = 0;
  let sectorsOk = 0;
  let metricsOk = 0;
  const perIntent = new Map<string, { n: number; correct: number }>(INTENTS.map((i) => [i, { n: 0, correct: 0 }]));
  const confusions = new Map<string, number>();
  const misses: { id: string; expected: string; got: string }[] = [];
  for (const item of labelled) {
    const res = router.route(item.question);
    const got = res.kind === 'route' ? res.intent : `clarification:${res.clarification.reason}`;
    const stats = perIntent.get(item.intent) ?? { n: 0, correct: 0 };
    stats.n += 1;
    if (got === item.intent) {
      correct += 1;
      stats.correct += 1;
    } else {
      const key = `${item.intent} -> ${got}`;
      confusions.set(key, (confusions.get(key) ?? 0) + 1);
      misses.push({ id: item.id, expected: item.intent, got });
    }
    perIntent.set(item.intent, stats);
    if (res.kind === 'clarification') clarifiedInScope += 1;
    if (sameSet(res.entities.sectors, item.sectors ?? [])) sectorsOk += 1;
    if (sameSet(res.entities.metrics, item.metrics ?? [])) metricsOk += 1;
  }
  const oosClarified = outOfScope.filter((q) => router.route(q.question).kind === 'clarification').length;

  // Latency: warm up, then time every question REPETITIONS times.
  const questions = labelled.map((l) => l.question);
  for (let i = 0; i < WARMUP_CALLS; i += 1) router.route(questions[i % questions.length]!);
  const samples: number[] = [];
  for (const q of questions) {
    for (let k = 0; k < REPETITIONS; k += 1) {
      const t0 = process.hrtime.bigint();
      router.route(q);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  samples.sort((a, b) => a - b);

  const top1 = correct / labelled.length;
  const perIntentOut = Object.fromEntries(
    [...perIntent].map(([intent, s]) => [intent, { n: s.n, accuracy: s.n ? r4(s.correct / s.n) : null }]),
  );
  const worstIntent = Math.min(...[...perIntent.values()].filter((s) => s.n > 0).map((s) => s.correct / s.n));
  const latency = {
    p50: r1(percentile(samples, 50)),
    p95: r1(percentile(samples, 95)),
    p99: r1(percentile(samples, 99)),
    max: r1(samples[samples.length - 1]!),
    samples: samples.length,
  };
  const sectorAcc = sectorsOk / labelled.length;
  const metricAcc = metricsOk / labelled.length;
  const oosRate = outOfScope.length ? oosClarified / outOfScope.length : 0;
  const gates = {
    top1: top1 >= GATES.top1,
    per_intent: worstIntent >= GATES.per_intent,
    out_of_scope_clarification: oosRate >= GATES.out_of_scope_clarification,
    sectors: sectorAcc >= GATES.sectors,
    metrics: metricAcc >= GATES.metrics,
    p99_latency: latency.p99 < GATES.p99_us,
  };
  const report = {
    benchmark: 'router',
    questions: labelled.length,
    out_of_scope_questions: outOfScope.length,
    threshold: router.threshold,
    latest_data_year: latestDataYear,
    top1_accuracy: r4(top1),
    per_intent: perIntentOut,
    confusions: [...confusions]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([pair, count]) => ({ pair, count })),
    misses,
    clarification_rate: { in_scope: r4(clarifiedInScope / labelled.length), out_of_scope: r4(oosRate) },
    entity_accuracy: { sectors: r4(sectorAcc), metrics: r4(metricAcc) },
    latency_us: { ...latency, warmup_calls: WARMUP_CALLS, repetitions: REPETITIONS },
    // Wall-clock latency: on a loaded machine the tail measures the scheduler, so the load is reported with it.
    machine: { cpus: os.cpus().length, loadavg_1m: r4(os.loadavg()[0]!), node: process.version },
    gates: { thresholds: GATES, passed: gates },
    passed: Object.values(gates).every(Boolean),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.passed ? 0 : 1;
}

process.exitCode = main();
