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
