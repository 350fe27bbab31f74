import type { Row } from './model.js';

/**
 * Snake-cases one result key (data-layer spec §8.4): runs outside `[0-9A-Za-z]` become `_`, `_` is trimmed at
 * both ends, `_` goes between `[a-z0-9]` and a following `[A-Z]`, then lower-case. A key that would become
 * empty is kept as it is. The output only holds `[0-9a-z_]` without edge or doubled `_`, so it is idempotent.
 */
export function normalizeKey(key: string): string {
  const snake = key
    .replace(/[^0-9A-Za-z]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/([a-z0-9])(?=[A-Z])/g, '$1_')
    .toLowerCase();
  return snake.length === 0 ? key : snake;
}

/**
 * Normalises every key of every row and trims string values. Map.set on an existing key keeps its position,
 * so on a collision the later value wins at the earlier position. Returns new rows; inputs are untouched.
 */
export function normalizeRows(rows: readonly Row[]): Row[] {
  const cache = new Map<string, string>();
  return rows.map((row) => {
    const out: Row = new Map();
    for (const [key, value] of row) {
      let normalized = cache.get(key);
      if (normalized === undefined) {
        normalized = normalizeKey(key);
        cache.set(key, normalized);
      }
      out.set(normalized, typeof value === 'string' ? value.trim() : value);
    }
    return out;
  });
}
