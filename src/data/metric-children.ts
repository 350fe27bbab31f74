import type { Counter } from 'prom-client';

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
    if ((counter as unknown as { collect?: unknown }).collect !== collectTallies) {
      throw new Error('CounterTallies needs a counter created with collect: collectTallies');
    }
    let tallies = talliesOf.get(counter);
    if (tallies === undefined) {
      tallies = [];
      talliesOf.set(counter, tallies);
    }
    const list = tallies;
    this.children = new ChildCache((...values) => {
      const tally = new Tally(Object.fromEntries(labelNames.map((name, i) => [name, values[i]!])));
      list.push(tally);
      return tally;
    });
  }

  get(...values: string[]): { inc(by?: number): void } {
    return this.children.get(...values);
  }
}
