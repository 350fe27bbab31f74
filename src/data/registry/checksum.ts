import { createHash } from 'node:crypto';

export interface RegistryFile {
  /** Base name, e.g. `syn_attrition_hotspots_latest.yaml`. */
  name: string;
  bytes: Uint8Array;
}

/** Byte order of the UTF-8 base names (not UTF-16 order, which differs above the BMP). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Registry version: SHA-256 over (name, 0x00, bytes) per file in name order, first 12 hex; `empty` with no files. */
export function registryChecksum(files: readonly RegistryFile[]): string {
  if (files.length === 0) return 'empty';
  const sorted = [...files].sort((a, b) => compareUtf8(a.name, b.name));
  const hash = createHash('sha256');
  for (const f of sorted) {
    hash.update(Buffer.from(f.name, 'utf8'));
    hash.update(Buffer.from([0]));
    hash.update(f.bytes);
  }
  return hash.digest('hex').slice(0, 12);
}
