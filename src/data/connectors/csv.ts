/**
 * The `csv` connector (data-layer spec §5.1): resolves a safe glob under the data root, reads the latest matching file and
 * returns typed rows with provenance and freshness. Synchronous fs calls keep a run well under a millisecond; parsed files
 * are cached per canonical path and revalidated by stat on every run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { compareCodePoints } from '../transforms/sorting.js';
import { StatValidatedCache } from './stat-cache.js';
import { DataError } from '../errors.js';
import type { CsvParams, Row, Scalar, SourceResult } from '../model.js';
import {
  checkCsvPattern,
  compileCsvGlob,
  hasGlobCharacters,
  isHiddenName,
  segmentMatches,
  type GlobSegment,
} from './csv-pattern.js';

export interface CsvContext {
  /** Canonical absolute data root (already realpath'd). */
  dataRoot: string;
  /** Monotonic clock in milliseconds; defaults to performance.now. */
  now?: () => number;
  /** Receives security events (a match escaping the root); messages carry no absolute paths. */
  onSecurityEvent?: (event: CsvSecurityEvent) => void;
}

export interface CsvSecurityEvent {
  event: 'path_outside_root';
  pattern: string;
  /** The matched path relative to the data root, before canonicalisation. */
  locator: string;
}

export const CSV_DEFAULT_MAX_ROWS = 100_000;
export const CSV_DEFAULT_TIMEOUT_S = 30;
export const CSV_LICENSE = 'Qatar Open Data Portal License';

const DELIMITER_CANDIDATES = [';', ',', '\t', '|'] as const;
const HEADER_SCAN_LIMIT = 2048;
const THOUSANDS_NUMBER = /^-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?$/;
const PLAIN_NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
const CACHE_MAX_ENTRIES = 128;
// Larger files are parsed on every run rather than pinned in memory.
const CACHE_MAX_FILE_BYTES = 32 * 1024 * 1024;

/** Casts one cell per §5.1.5: trim; empty → null; plain or thousands-grouped decimal → number; else the trimmed text. */
export function castCsvCell(raw: string): Scalar {
  const text = raw.trim();
  if (text === '') return null;
  const first = text.charCodeAt(0);
  // Cheap rejection before the regular expressions: numbers start with a digit or '-'.
  if (first !== 45 && (first < 48 || first > 57)) return text;
  if (!PLAIN_NUMBER.test(text) && !THOUSANDS_NUMBER.test(text)) return text;
  const digits = text.includes(',') ? text.replaceAll(',', '') : text;
  const value = Number(digits);
  if (!digits.includes('.')) return Number.isSafeInteger(value) ? value + 0 : text;
  // `+ 0` turns -0 into 0 so "-0" and "-0.0" serialise and compare as 0.
  return Number.isFinite(value) ? value + 0 : text;
}

interface ParsedCsv {
  /** Unique trimmed header names in first-occurrence order. */
  header: string[];
  /** Column index per name; a duplicated name maps to its later column. */
  columnIndex: Map<string, number>;
  /** Data records (header excluded), raw cell text. */
  records: string[][];
  /** Trimmed raw `year` cell per record ('' when absent); null when the header has no `year`. */
  yearCells: string[] | null;
  /** Lazily cast records, index-aligned with `records`. */
  casts: (Scalar[] | undefined)[];
}

const parseCache = new StatValidatedCache<ParsedCsv>(CACHE_MAX_ENTRIES);
// Compiled globs per pattern: patterns come from the registry, so the set is small; the bound guards code-built specs.
const globCache = new Map<string, GlobSegment[]>();
const GLOB_CACHE_MAX_ENTRIES = 1024;

/** Drops every cached parse (tests and benchmarks). */
export function clearCsvParseCache(): void {
  parseCache.clear();
  globCache.clear();
}

function compiledGlob(pattern: string): GlobSegment[] {
  let segments = globCache.get(pattern);
  if (segments === undefined) {
    if (globCache.size >= GLOB_CACHE_MAX_ENTRIES) globCache.clear();
    segments = compileCsvGlob(pattern);
    globCache.set(pattern, segments);
  }
  return segments;
}

/** Runs a CSV query; defaults (max_rows 100000, timeout_s 30) are applied here. */
export async function runCsvQuery(params: CsvParams, ctx: CsvContext): Promise<SourceResult> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  const pattern = params.pattern.trim();
  const maxRows = params.max_rows ?? CSV_DEFAULT_MAX_ROWS;
  const timeoutMs = (params.timeout_s ?? CSV_DEFAULT_TIMEOUT_S) * 1000;

  // Patterns are checked at load; this repeat is defence in depth for specs built in code.
  const unsafe = checkCsvPattern(pattern);
  if (unsafe !== null) throw new DataError('source_error', `unsafe CSV pattern '${pattern}': ${unsafe}`);

  const locator = resolveLatestMatch(ctx.dataRoot, pattern);
  if (locator === null) throw new DataError('source_not_found', `no CSV file matches pattern '${pattern}'`);

  const canonical = canonicalise(ctx.dataRoot, locator, pattern);
  if (!isInside(ctx.dataRoot, canonical)) {
    ctx.onSecurityEvent?.({ event: 'path_outside_root', pattern, locator });
    throw new DataError('path_outside_root', `the file matched by pattern '${pattern}' resolves outside the data root`);
  }
  const parsed = loadParsed(canonical, locator);

  const columns = projectionColumns(parsed, params.select);
  const missingColumnWarnings = columns.filter((c) => c.index < 0).map((c) => `csv_missing_column:${c.name}`);
  const yearText = params.year === undefined ? null : String(params.year);
  const yearIndex = parsed.columnIndex.get('year') ?? -1;

  const rows: Row[] = [];
  let limitReached = false;
  let maxYear: number | null = null;
  const { records, yearCells } = parsed;
  for (let r = 0; r < records.length; r++) {
    if (now() - started > timeoutMs) {
      throw new DataError('timeout', `CSV query for pattern '${pattern}' exceeded ${timeoutMs / 1000} s`);
    }
    if (yearText !== null && (yearCells === null || yearCells[r] !== yearText)) continue;
    if (rows.length >= maxRows) {
      limitReached = true;
      break;
    }
    const cast = castRecord(parsed, r);
    const row: Row = new Map();
    for (const column of columns) row.set(column.name, column.index < 0 ? null : (cast[column.index] ?? null));
    rows.push(row);
    if (yearIndex >= 0) {
      const year = integerYear(records[r] as string[], cast, yearIndex);
      if (year !== null && (maxYear === null || year > maxYear)) maxYear = year;
    }
  }

  if (rows.length === 0) {
    const filter = yearText === null ? 'no year filter' : `year ${yearText}`;
    throw new DataError('no_rows_matched', `no rows matched pattern '${pattern}' with ${filter}`);
  }
  applyToPercent(rows, params.to_percent);

  const warnings = [...(limitReached ? [`row_limit_reached:${maxRows}`] : []), ...missingColumnWarnings];
  return {
    rows,
    provenance: {
      source: 'csv',
      dataset_id: pattern,
      locator,
      fields: params.select !== undefined ? [...params.select] : [...parsed.header],
      license: CSV_LICENSE,
    },
    freshness: { asof_date: maxYear === null ? null : `${maxYear}-12-31`, updated_at: null },
    warnings,
  };
}

/** Expands the pattern segment by segment and returns the latest matching regular file (relative POSIX path), or null. */
function resolveLatestMatch(root: string, pattern: string): string | null {
  if (!hasGlobCharacters(pattern)) {
    // A literal pattern names one path: no directory listing needed.
    if (pattern.split('/').some(isHiddenName)) return null;
    return isRegularFile(path.join(root, pattern)) ? pattern : null;
  }
  const segments = compiledGlob(pattern);
  let candidates = [''];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as (typeof segments)[number];
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of candidates) {
      if (segment.matcher === null) {
        if (isHiddenName(segment.text)) continue;
        const rel = dir === '' ? segment.text : `${dir}/${segment.text}`;
        // Intermediate literal directories are checked by the listing of the next segment.
        if (!last || isRegularFile(path.join(root, rel))) next.push(rel);
        continue;
      }
      for (const entry of listDirectory(path.join(root, dir))) {
        if (!segmentMatches(segment, entry.name)) continue;
        const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
        if (last ? entryIsFile(root, rel, entry) : entryIsDirectory(root, rel, entry)) next.push(rel);
      }
    }
    candidates = next;
    if (candidates.length === 0) return null;
  }
  let latest: string | null = null;
  for (const candidate of candidates) {
    if (latest === null || compareCodePoints(candidate, latest) > 0) latest = candidate;
  }
  return latest;
}

function listDirectory(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

// Symlinks (and unknown entry types) are followed; containment is enforced on the canonical path afterwards.
function entryIsFile(root: string, rel: string, entry: fs.Dirent): boolean {
  if (entry.isFile()) return true;
  if (entry.isDirectory()) return false;
  return isRegularFile(path.join(root, rel));
}

function entryIsDirectory(root: string, rel: string, entry: fs.Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (entry.isFile()) return false;
  return isDirectory(path.join(root, rel));
}

function canonicalise(root: string, locator: string, pattern: string): string {
  try {
    return fs.realpathSync.native(path.join(root, locator));
  } catch {
    // The file vanished between listing and canonicalisation.
    throw new DataError('source_not_found', `no CSV file matches pattern '${pattern}'`);
  }
}

function isInside(root: string, file: string): boolean {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return file.startsWith(prefix) && file.length > prefix.length;
}

function loadParsed(canonical: string, locator: string): ParsedCsv {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(canonical);
  } catch {
    throw new DataError('source_not_found', `CSV file '${locator}' is no longer readable`);
  }
  const cached = parseCache.get(canonical, stat);
  if (cached !== undefined) return cached;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(canonical);
  } catch {
    throw new DataError('source_error', `cannot read CSV file '${locator}'`);
  }
  const parsed = parseCsvText(bytes, locator);
  if (stat.size <= CACHE_MAX_FILE_BYTES) parseCache.set(canonical, stat, parsed);
  else parseCache.delete(canonical);
  return parsed;
}

/** Detects the delimiter: the first of `;` `,` TAB `|` present in the first line (at most 2048 characters). */
export function detectDelimiter(text: string): string {
  const newline = text.indexOf('\n');
  const end = Math.min(newline < 0 ? text.length : newline, HEADER_SCAN_LIMIT);
  const headerLine = text.slice(0, end);
  for (const candidate of DELIMITER_CANDIDATES) if (headerLine.includes(candidate)) return candidate;
  return ',';
}

function parseCsvText(bytes: Buffer, locator: string): ParsedCsv {
  // Buffer decoding replaces invalid UTF-8 sequences with U+FFFD.
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let table: string[][];
  try {
    table = parse(text, {
      delimiter: detectDelimiter(text),
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new DataError(
      'source_error',
      `cannot parse CSV file '${locator}'${typeof code === 'string' ? `: ${code}` : ''}`,
    );
  }
  const headerRecord = table[0] ?? [];
  const header: string[] = [];
  const columnIndex = new Map<string, number>();
  headerRecord.forEach((raw, index) => {
    const name = raw.trim();
    if (!columnIndex.has(name)) header.push(name);
    columnIndex.set(name, index);
  });
  const records = table.slice(1);
  const yearIndex = columnIndex.get('year');
  const yearCells = yearIndex === undefined ? null : records.map((record) => (record[yearIndex] ?? '').trim());
  return { header, columnIndex, records, yearCells, casts: new Array<Scalar[] | undefined>(records.length) };
}

function castRecord(parsed: ParsedCsv, r: number): Scalar[] {
  let cast = parsed.casts[r];
  if (cast === undefined) {
    cast = (parsed.records[r] as string[]).map(castCsvCell);
    parsed.casts[r] = cast;
  }
  return cast;
}

interface ProjectedColumn {
  name: string;
  /** Source column index; -1 when the selected name is not in the header. */
  index: number;
}

function projectionColumns(parsed: ParsedCsv, select: string[] | undefined): ProjectedColumn[] {
  const names = select ?? parsed.header;
  return names.map((name) => ({ name, index: parsed.columnIndex.get(name) ?? -1 }));
}

/** The record's `year` as an integer 1000..9999 when the cell casts to an integer, else null. */
function integerYear(record: string[], cast: Scalar[], yearIndex: number): number | null {
  const value = cast[yearIndex];
  if (typeof value !== 'number' || (record[yearIndex] ?? '').includes('.')) return null;
  return value >= 1000 && value <= 9999 ? value : null;
}

function applyToPercent(rows: Row[], fields: string[] | undefined): void {
  if (fields === undefined || fields.length === 0) return;
  const unique = [...new Set(fields)];
  for (const row of rows) {
    for (const field of unique) {
      const value = row.get(field);
      if (typeof value === 'number') row.set(field, value * 100);
    }
  }
}
