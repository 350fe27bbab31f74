import type fs from 'node:fs';

/**
 * Parsed file contents keyed by path, valid only while the file's stat (size, mtime, ctime, inode) is unchanged:
 * every run still stats the file, so a rewritten file is re-read, but an unchanged one is not parsed again.
 */
export class StatValidatedCache<T> {
  private readonly entries = new Map<
    string,
    { size: number; mtimeMs: number; ctimeMs: number; ino: number; value: T }
  >();

  constructor(private readonly maxEntries: number) {}

  get(file: string, stat: fs.Stats): T | undefined {
    const e = this.entries.get(file);
    if (e && e.size === stat.size && e.mtimeMs === stat.mtimeMs && e.ctimeMs === stat.ctimeMs && e.ino === stat.ino) {
      return e.value;
    }
    return undefined;
  }

  set(file: string, stat: fs.Stats, value: T): void {
    this.entries.delete(file);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, value });
  }

  delete(file: string): void {
    this.entries.delete(file);
  }

  clear(): void {
    this.entries.clear();
  }
}
