import type { Counter, Histogram } from 'prom-client';

/**
 * Labelled prom-client children memoised by label values: `metric.labels(...)` hashes the label set on every call,
 * which is measurable on the hot path of a cache hit. Label values come from bounded sets (registry ids, enums).
 * One map level per label: a lookup hashes the given strings (whose hashes V8 keeps) instead of a joined key.
 */
export class ChildCache<C> {
  private readonly root = new Map<string, unknown>();

  constructor(private readonly make: (...values: string[]) => C) {}

  get(...values: string[]): C {
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map<string, unknown>();
        level.set(values[i]!, next);
      }
      level = next;
    }
    let child = level.get(values[last]!) as C | undefined;
    if (child === undefined) {
      child = this.make(...values);
      level.set(values[last]!, child);
    }
    return child;
  }
}

/**
 * Label children of a metric whose `collect` hands local tallies over: refuses a metric created without that
 * `collect` (its tallies would never be read), and lists every new child where the collection finds it.
 */
function talliedChildren<T>(
  metric: object,
  collect: (this: never) => void,
  refusal: string,
  talliesByMetric: WeakMap<object, T[]>,
  labelNames: readonly string[],
  make: (labels: Readonly<Record<string, string>>) => T,
): ChildCache<T> {
  if ((metric as { collect?: unknown }).collect !== collect) throw new Error(refusal);
  let tallies = talliesByMetric.get(metric);
  if (tallies === undefined) {
    tallies = [];
    talliesByMetric.set(metric, tallies);
  }
  const list = tallies;
  return new ChildCache((...values) => {
    const tally = make(Object.fromEntries(labelNames.map((name, i) => [name, values[i]!])));
    list.push(tally);
    return tally;
  });
}

/** One label set's increments since the counter was last read. */
class Tally {
  count = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.count += by;
  }
}

const talliesOf = new WeakMap<object, Tally[]>();

/**
 * `collect` of a counter whose hot-path children tally locally (see CounterTallies): prom-client calls it before
 * every read (scrape, cluster aggregation, `get()`), and it hands the tallies over as one `inc` per label set.
 */
export function collectTallies(this: Counter<string>): void {
  for (const tally of talliesOf.get(this) ?? []) {
    if (tally.count === 0) continue;
    const by = tally.count;
    tally.count = 0;
    this.inc(tally.labels, by);
  }
}

/**
 * Children of a counter created with `collect: collectTallies`: `inc()` adds to a plain number, so the hot path
 * skips prom-client's per-call label hashing; reads see every increment because collection runs first.
 */
export class CounterTallies<L extends string> {
  private readonly children: ChildCache<Tally>;

  constructor(counter: Counter<L>, labelNames: readonly L[]) {
    this.children = talliedChildren(
      counter,
      collectTallies,
      'CounterTallies needs a counter created with collect: collectTallies',
      talliesOf,
      labelNames,
      (labels) => new Tally(labels),
    );
  }

  get(...values: string[]): { inc(by?: number): void } {
    return this.children.get(...values);
  }
}

/** One label set's observations since the histogram was last read: per-bucket counts (not cumulative), sum, count. */
class HistogramTally {
  readonly buckets: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram value is not a finite number: ${value}`);
    this.sum += value;
    this.count += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.buckets[i]! += 1;
        return;
      }
    }
    // above the last bound: only in +Inf, which is the count
  }
}

/**
 * The parts of prom-client's Histogram (15.x) a hand-over writes to: one entry per label set with per-bound counts
 * (not cumulative), sum and count. `zero(labels)` is public and creates an entry; the test of HistogramTallies
 * compares the exposition with a plain histogram fed the same values, so a change of these internals fails it.
 */
interface HistogramInternals {
  hashMap: Record<
    string,
    { labels: Record<string, string | number>; bucketValues: Record<number, number>; sum: number; count: number }
  >;
  upperBounds: readonly number[];
  zero(labels: Record<string, string>): void;
}

const histogramTalliesOf = new WeakMap<object, HistogramTally[]>();

function sameLabels(a: Readonly<Record<string, string | number>>, b: Readonly<Record<string, string>>): boolean {
  for (const name in b) if (String(a[name]) !== b[name]) return false;
  return true;
}

/** `collect` of a histogram whose hot-path children tally locally (see HistogramTallies). */
export function collectHistogramTallies(this: Histogram<string>): void {
  const pending = (histogramTalliesOf.get(this) ?? []).filter((t) => t.count > 0);
  if (pending.length === 0) return;
  const internals = this as unknown as HistogramInternals;
  for (const tally of pending) {
    const find = () => Object.values(internals.hashMap).find((e) => sameLabels(e.labels, tally.labels));
    let entry = find();
    if (entry === undefined) {
      internals.zero({ ...tally.labels });
      entry = find()!;
    }
    entry.sum += tally.sum;
    entry.count += tally.count;
    internals.upperBounds.forEach((bound, i) => {
      entry.bucketValues[bound]! += tally.buckets[i]!;
      tally.buckets[i] = 0;
    });
    tally.sum = 0;
    tally.count = 0;
  }
}

/**
 * Children of a histogram created with `collect: collectHistogramTallies`: `observe()` finds the bucket and adds to
 * plain numbers, so the hot path skips prom-client's per-call label validation, hashing and bound-to-key conversion.
 */
export class HistogramTallies<L extends string> {
  private readonly children: ChildCache<HistogramTally>;

  constructor(histogram: Histogram<L>, labelNames: readonly L[]) {
    const bounds = [...(histogram as unknown as HistogramInternals).upperBounds];
    this.children = talliedChildren(
      histogram,
      collectHistogramTallies,
      'HistogramTallies needs a histogram created with collect: collectHistogramTallies',
      histogramTalliesOf,
      labelNames,
      (labels) => new HistogramTally(labels, bounds),
    );
  }

  get(...values: string[]): { observe(value: number): void } {
    return this.children.get(...values);
  }
}
