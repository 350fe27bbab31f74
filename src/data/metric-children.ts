/**
 * Labelled prom-client children memoised by label values: `metric.labels(...)` hashes the label set on every call,
 * which is measurable on the hot path of a cache hit. Label values come from bounded sets (registry ids, enums).
 */
export class ChildCache<C> {
  private readonly children = new Map<string, C>();

  constructor(private readonly make: (...values: string[]) => C) {}

  get(...values: string[]): C {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(...values);
      this.children.set(key, child);
    }
    return child;
  }
}
