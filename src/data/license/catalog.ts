import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { Provenance } from '../model.js';
import type { SpecIssue } from '../registry/issues.js';
import { fnmatch } from './fnmatch.js';

export interface LicenseCatalogEntry {
  pattern: string;
  license: string;
  notes: string;
}

export interface LicenseCatalog {
  entries: LicenseCatalogEntry[];
}

const ROOT = '(root)';
const ENTRY_FIELDS = ['pattern', 'license', 'notes'] as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(path: string, message: string): SpecIssue {
  return { path, code: 'catalog_invalid', message };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'mapping' : typeof v;
}

/**
 * Loads the dataset catalogue (data-layer spec §8.3) with the YAML 1.2 core schema: a top-level list or a
 * mapping with a `datasets` list. Non-mapping entries are ignored; `pattern`, `license` and `notes` must be
 * strings when present (null or absent reads as empty). A missing file gives no catalogue and no issue (the
 * caller logs it); anything malformed gives `catalog_invalid` issues and no catalogue. Messages never carry the
 * file path: the caller prefixes its display path.
 */
export function loadLicenseCatalog(filePath: string): { catalog: LicenseCatalog | null; issues: SpecIssue[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { catalog: null, issues: [] };
    return { catalog: null, issues: [invalid(ROOT, `cannot read the catalogue (${code ?? 'unknown error'})`)] };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { catalog: null, issues: [invalid(ROOT, 'file is not valid UTF-8')] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const docs = YAML.parseAllDocuments(text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length !== 1) {
    return { catalog: null, issues: [invalid(ROOT, `${list.length} YAML documents; exactly one allowed`)] };
  }
  const doc = list[0]!;
  if (doc.errors.length > 0) {
    return { catalog: null, issues: doc.errors.map((e) => invalid(ROOT, e.message.split('\n')[0]!.trim())) };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { catalog: null, issues: [invalid(ROOT, err instanceof Error ? err.message : String(err))] };
  }

  let items: unknown[];
  let base: string;
  if (Array.isArray(root)) {
    items = root;
    base = '';
  } else if (root !== null && typeof root === 'object') {
    const datasets = (root as Record<string, unknown>).datasets;
    if (!Array.isArray(datasets)) {
      const got = datasets === undefined ? 'it is missing' : `got ${typeName(datasets)}`;
      return { catalog: null, issues: [invalid('datasets', `expected a list of entries, ${got}`)] };
    }
    items = datasets;
    base = 'datasets';
  } else {
    return {
      catalog: null,
      issues: [invalid(ROOT, `expected a list or a mapping with "datasets", got ${typeName(root)}`)],
    };
  }

  const issues: SpecIssue[] = [];
  const entries: LicenseCatalogEntry[] = [];
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
    const raw = item as Record<string, unknown>;
    const entry: LicenseCatalogEntry = { pattern: '', license: '', notes: '' };
    for (const field of ENTRY_FIELDS) {
      const v = raw[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string')
        issues.push(invalid(`${base}[${i}].${field}`, `expected a string, got ${typeName(v)}`));
      else entry[field] = v;
    }
    entries.push(entry);
  });
  if (issues.length > 0) return { catalog: null, issues };
  return { catalog: { entries }, issues: [] };
}

function firstMatch(entries: readonly LicenseCatalogEntry[], name: string): LicenseCatalogEntry | undefined {
  return entries.find((e) => e.pattern.length > 0 && fnmatch(name, e.pattern));
}

/**
 * Licence enrichment (§8.3): the first entry whose pattern matches the locator, else the first matching the
 * dataset id; its non-empty licence replaces the connector's. Returns a new provenance (input untouched).
 */
export function enrichLicense(provenance: Provenance, catalog: LicenseCatalog | null): Provenance {
  const copy: Provenance = { ...provenance, fields: [...provenance.fields] };
  if (catalog === null) return copy;
  const match = firstMatch(catalog.entries, provenance.locator) ?? firstMatch(catalog.entries, provenance.dataset_id);
  if (match !== undefined && match.license.length > 0) copy.license = match.license;
  return copy;
}
