import fs from 'node:fs';
import path from 'node:path';
import type { QuerySpec } from '../model.js';
import { DataError } from '../errors.js';
import { formatIssue, type SpecIssue } from './issues.js';
import { parseSpecYaml } from './yaml-document.js';
import { validateSpecDocument, isMapping } from './spec-validation.js';
import { compareUtf8, registryChecksum, type RegistryFile } from './checksum.js';
import { loadSqlParser } from './sql-safety.js';
import { loadLicenseCatalog, type LicenseCatalog } from '../license/catalog.js';

/** An immutable, fully validated set of query specs. */
export interface RegistrySnapshot {
  readonly version: string;
  readonly specs: readonly QuerySpec[];
  readonly byId: ReadonlyMap<string, QuerySpec>;
  readonly catalog: LicenseCatalog | null;
  /** Files in the directory that are not specs (`.yml`, hidden, non-regular), reported for logging. */
  readonly ignored: readonly string[];
}

export interface RegistryLoadOptions {
  dir: string;
  catalogPath?: string;
  /** Base for the relative file paths in error lines (default: the process working directory). */
  displayBase?: string;
}

export class RegistryLoadError extends DataError {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super('registry_invalid', `query registry failed to load (${lines.length} error(s))`, lines);
    this.name = 'RegistryLoadError';
    this.lines = lines;
  }
}

function displayPath(file: string, base: string): string {
  const rel = path.relative(base, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : path.basename(file);
}

/** Reads the spec files of a directory: regular files named `*.yaml`, not hidden, no recursion. */
export function readRegistryFiles(dir: string): { files: RegistryFile[]; ignored: string[] } {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new DataError('registry_dir_missing', `query registry directory not found: ${path.basename(dir)}`);
    }
    throw err;
  }
  const files: RegistryFile[] = [];
  const ignored: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const isYaml = e.name.endsWith('.yaml');
    const isRegular = e.isFile() || (e.isSymbolicLink() && fs.statSync(full, { throwIfNoEntry: false })?.isFile());
    if (!isYaml || e.name.startsWith('.') || !isRegular) {
      if (e.name.endsWith('.yml') || e.name.startsWith('.') || (isYaml && !isRegular)) ignored.push(e.name);
      continue;
    }
    files.push({ name: e.name, bytes: fs.readFileSync(full) });
  }
  files.sort((a, b) => compareUtf8(a.name, b.name));
  ignored.sort(compareUtf8);
  return { files, ignored };
}

/** Strict load: validates every file, collects every error, publishes nothing if any exists. */
export async function loadRegistry(opts: RegistryLoadOptions): Promise<RegistrySnapshot> {
  const base = opts.displayBase ?? process.cwd();
  const { files, ignored } = readRegistryFiles(opts.dir);
  await loadSqlParser();
  const lines: string[] = [];
  const specs: QuerySpec[] = [];
  const firstFile = new Map<string, string>();
  for (const f of files) {
    const shown = displayPath(path.join(opts.dir, f.name), base);
    const { value, issues } = parseSpecYaml(f.bytes);
    const all: SpecIssue[] = [...issues];
    if (value !== undefined && isMapping(value)) {
      const res = validateSpecDocument(value, f.name);
      all.push(...res.issues);
      if (res.spec) {
        const prior = firstFile.get(res.spec.id);
        if (prior !== undefined) {
          all.push({
            path: 'id',
            code: 'duplicate_id',
            message: `id "${res.spec.id}" is already defined in ${prior}`,
          });
        } else {
          firstFile.set(res.spec.id, shown);
          specs.push(res.spec);
        }
      }
    }
    for (const issue of all) lines.push(formatIssue(shown, issue));
  }
  let catalog: LicenseCatalog | null = null;
  if (opts.catalogPath !== undefined) {
    const res = loadLicenseCatalog(opts.catalogPath);
    catalog = res.catalog;
    const shown = displayPath(opts.catalogPath, base);
    for (const issue of res.issues) lines.push(formatIssue(shown, issue));
  }
  if (lines.length > 0) throw new RegistryLoadError(lines);
  const byId = new Map(specs.map((s) => [s.id, s] as const));
  return Object.freeze({ version: registryChecksum(files), specs: Object.freeze(specs), byId, catalog, ignored });
}

/** Holds the current snapshot; `load()` swaps in a new one atomically, in-flight work keeps the old one. */
export class QueryRegistry {
  private current: RegistrySnapshot;
  private readonly opts: RegistryLoadOptions;

  private constructor(snapshot: RegistrySnapshot, opts: RegistryLoadOptions) {
    this.current = snapshot;
    this.opts = opts;
  }

  static async open(opts: RegistryLoadOptions): Promise<QueryRegistry> {
    return new QueryRegistry(await loadRegistry(opts), opts);
  }

  /** Reloads from disk; on failure the previous snapshot stays in force and the error is thrown. */
  async load(): Promise<RegistrySnapshot> {
    const next = await loadRegistry(this.opts);
    this.current = next;
    return next;
  }

  snapshot(): RegistrySnapshot {
    return this.current;
  }

  version(): string {
    return this.current.version;
  }

  ids(): string[] {
    return this.current.specs.map((s) => s.id);
  }

  specs(): readonly QuerySpec[] {
    return this.current.specs;
  }

  has(id: string): boolean {
    return this.current.byId.has(id);
  }

  get(id: string): QuerySpec {
    const spec = this.current.byId.get(id);
    if (!spec) throw new DataError('unknown_query', `unknown query id ${JSON.stringify(id.slice(0, 128))}`);
    return spec;
  }
}
