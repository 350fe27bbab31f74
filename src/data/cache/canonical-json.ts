/**
 * Canonical JSON of data-layer spec §10.1: object keys sorted recursively by UTF-16 code units, arrays in order,
 * no whitespace, strings and numbers exactly as `JSON.stringify` writes them.
 * Maps with string keys count as objects. Like `JSON.stringify`, members whose value is undefined, a function or a
 * symbol are left out of objects and become `null` in arrays; `toJSON` is honoured.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value, new Set<object>());
  if (text === undefined) {
    throw new TypeError('canonicalJson: the value has no JSON representation');
  }
  return text;
}

function write(input: unknown, ancestors: Set<object>): string | undefined {
  const value = withToJson(input);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON representation');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  const node = value as object;
  if (ancestors.has(node)) {
    throw new TypeError('canonicalJson: circular structure');
  }
  ancestors.add(node);
  try {
    if (Array.isArray(node)) {
      return `[${node.map((item: unknown) => write(item, ancestors) ?? 'null').join(',')}]`;
    }
    const entries = objectEntries(node);
    // Default sort compares UTF-16 code units, which is exactly the order §10.1 asks for.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const members: string[] = [];
    for (const [key, member] of entries) {
      const text = write(member, ancestors);
      if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(node);
  }
}

function withToJson(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !(value instanceof Map)) {
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return (toJson as () => unknown).call(value);
  }
  return value;
}

function objectEntries(node: object): [string, unknown][] {
  if (node instanceof Map) {
    const entries: [string, unknown][] = [];
    for (const [key, member] of node as Map<unknown, unknown>) {
      if (typeof key !== 'string') throw new TypeError('canonicalJson: Map keys must be strings');
      entries.push([key, member]);
    }
    return entries;
  }
  return Object.entries(node);
}
