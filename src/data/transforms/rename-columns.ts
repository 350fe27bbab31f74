import type { Row } from '../model.js';

export interface RenameColumnsParams {
  mapping: Readonly<Record<string, string>>;
}

/**
 * `rename_columns`: keys replaced by `mapping[key]` when present, order kept. Map.set on an existing key keeps
 * its position, which is exactly "on collision the later value wins at the earlier position".
 */
export function renameColumns(rows: readonly Row[], params: RenameColumnsParams): Row[] {
  const { mapping } = params;
  return rows.map((row) => {
    const out: Row = new Map();
    for (const [key, value] of row) out.set(Object.hasOwn(mapping, key) ? (mapping[key] as string) : key, value);
    return out;
  });
}
