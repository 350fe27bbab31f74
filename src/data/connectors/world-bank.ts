/**
 * The `world_bank` connector (data-layer spec §5.2): reads a stored World Bank API v2 snapshot (file and/or database
 * table), optionally refreshes it from the live API, and returns `{country, year, value}` rows.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StatValidatedCache } from './stat-cache.js';
import { DataError, isDataError } from '../errors.js';
import type { Row, Scalar, SourceResult, WorldBankParams } from '../model.js';

/** Page metadata of an API v2 response; unknown fields are kept and ignored. */
export interface WorldBankMetadata {
  page: number;
  pages: number;
  per_page: number;
  total: number;
  sourceid?: string;
  sourcename?: string;
  /** `YYYY-MM-DD`. */
  lastupdated?: string;
  /** ISO-8601 UTC, added to snapshots written by QNWIS. */
  fetched_at?: string;
  [field: string]: unknown;
}

export interface WorldBankObservation {
  indicator: { id: string; value: string };
  /** `id` is the ISO-2 code, `value` the country name. */
  country: { id: string; value: string };
  countryiso3code: string;
  /** `"2023"` for annual data; other forms (`"2023Q1"`, `"2023M01"`) are skipped. */
  date: string;
  value: number | null;
  unit: string;
  obs_status: string;
  decimal: number;
}

/** Exactly the API v2 JSON: `[metadata, observations]`. */
export type WorldBankSnapshot = [WorldBankMetadata, WorldBankObservation[]];

/** The `lmis.world_bank_snapshots` table (§5.2.2); optional. */
export interface WorldBankSnapshotStore {
  read(indicator: string): Promise<WorldBankSnapshot | null>;
  write(indicator: string, snapshot: WorldBankSnapshot, sha256: string): Promise<void>;
}

export interface WorldBankContext {
  /** Directory of `<INDICATOR>.json` snapshot files. */
  snapshotDir: string;
  /** Live fetch allowed (QNWIS_WORLD_BANK_ONLINE); offline mode does no network I/O. */
  online: boolean;
  /** API base such as `https://api.worldbank.org/v2`. */
  baseUrl: string;
  store?: WorldBankSnapshotStore;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock for `fetched_at`; defaults to the system clock. */
  clock?: () => Date;
}

export const WORLD_BANK_DEFAULT_COUNTRIES: readonly string[] = ['QAT', 'SAU', 'ARE', 'KWT', 'BHR', 'OMN'];
export const WORLD_BANK_DEFAULT_MAX_ROWS = 10_000;
export const WORLD_BANK_DEFAULT_TIMEOUT_S = 30;
export const WORLD_BANK_LICENSE = 'World Bank Open Data (CC BY 4.0)';
export const WORLD_BANK_FIXTURE_LICENSE = 'MIT-SYNTHETIC';
export const WORLD_BANK_FIELDS: readonly string[] = ['country', 'year', 'value'];

const INDICATOR_PATTERN = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const ANNUAL_DATE = /^[0-9]{4}$/;
const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ISO_UTC_TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$/;
const MAX_ATTEMPTS = 3;
const BACKOFF_MS = [1000, 2000];
const PER_PAGE = 1000;
// Guards against a runaway `pages` value; 1000 pages of 1000 observations exceeds any indicator.
const MAX_PAGES = 1000;

/** A snapshot or API page that does not have the API v2 shape. */
export class WorldBankFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldBankFormatError';
  }
}

/**
 * Validates an API v2 JSON value (a parsed snapshot file, table payload or API page) and returns it typed.
 * Numeric page fields given as text are converted; `null` observations (the API's empty answer) become `[]`.
 * Throws WorldBankFormatError, also for the API's one-element error array.
 */
export function parseWorldBankSnapshot(value: unknown): WorldBankSnapshot {
  if (!Array.isArray(value)) throw new WorldBankFormatError('not a JSON array');
  if (value.length === 1 && isRecord(value[0]) && 'message' in value[0]) {
    throw new WorldBankFormatError(`API error: ${describeApiError(value[0].message)}`);
  }
  if (value.length !== 2) throw new WorldBankFormatError('expected a two-element array [metadata, observations]');
  const [rawMeta, rawObservations] = value as [unknown, unknown];
  if (!isRecord(rawMeta)) throw new WorldBankFormatError('metadata is not an object');
  const metadata: WorldBankMetadata = {
    ...rawMeta,
    page: pageNumber(rawMeta, 'page'),
    pages: pageNumber(rawMeta, 'pages'),
    per_page: pageNumber(rawMeta, 'per_page'),
    total: pageNumber(rawMeta, 'total'),
  };
  for (const key of ['sourceid', 'sourcename', 'lastupdated', 'fetched_at']) {
    const field = rawMeta[key];
    if (field !== undefined && field !== null && typeof field !== 'string') {
      throw new WorldBankFormatError(`metadata.${key} is not a string`);
    }
    if (field === null) delete metadata[key];
  }
  if (rawObservations === null) return [metadata, []];
  if (!Array.isArray(rawObservations)) throw new WorldBankFormatError('observations are not an array');
  const observations = rawObservations.map((obs, index) => parseObservation(obs, index));
  return [metadata, observations];
}

/** Parses snapshot text (UTF-8 JSON) with parseWorldBankSnapshot. */
export function parseWorldBankSnapshotText(text: string): WorldBankSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WorldBankFormatError('not valid JSON');
  }
  return parseWorldBankSnapshot(json);
}

/** The on-disk form: 2-space indent and a final newline. */
export function serializeWorldBankSnapshot(snapshot: WorldBankSnapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

/** True when the snapshot was not downloaded from the API (metadata `sourcename` starts with `fixture`). */
export function isFixtureSnapshot(snapshot: WorldBankSnapshot): boolean {
  return snapshot[0].sourcename?.startsWith('fixture') ?? false;
}

function parseObservation(obs: unknown, index: number): WorldBankObservation {
  const where = `observation ${index}`;
  if (!isRecord(obs)) throw new WorldBankFormatError(`${where} is not an object`);
  const indicator = idValue(obs.indicator, `${where}.indicator`);
  const country = idValue(obs.country, `${where}.country`);
  const text = (key: string): string => {
    const field = obs[key];
    if (typeof field !== 'string') throw new WorldBankFormatError(`${where}.${key} is not a string`);
    return field;
  };
  const value = obs.value;
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new WorldBankFormatError(`${where}.value is neither a number nor null`);
  }
  if (typeof obs.decimal !== 'number') throw new WorldBankFormatError(`${where}.decimal is not a number`);
  return {
    indicator,
    country,
    countryiso3code: text('countryiso3code'),
    date: text('date'),
    value,
    unit: text('unit'),
    obs_status: text('obs_status'),
    decimal: obs.decimal,
  };
}

function idValue(field: unknown, where: string): { id: string; value: string } {
  if (!isRecord(field) || typeof field.id !== 'string' || typeof field.value !== 'string') {
    throw new WorldBankFormatError(`${where} is not {id, value} text`);
  }
  return { id: field.id, value: field.value };
}

function pageNumber(meta: Record<string, unknown>, key: string): number {
  const field = meta[key];
  // The API has sent page counts both as numbers and as numeric text.
  const value = typeof field === 'string' && /^[0-9]+$/.test(field) ? Number(field) : field;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WorldBankFormatError(`metadata.${key} is not a non-negative integer`);
  }
  return value;
}

function describeApiError(message: unknown): string {
  if (Array.isArray(message)) {
    const parts = message.filter(isRecord).map((m) => [m.id, m.key, m.value].filter((p) => typeof p === 'string'));
    const text = parts.map((p) => p.join(' ')).join('; ');
    if (text !== '') return text.slice(0, 200);
  }
  return 'unspecified';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs a World Bank query; defaults (countries GCC, max_rows 10000, timeout_s 30) are applied here. */
export async function runWorldBankQuery(params: WorldBankParams, ctx: WorldBankContext): Promise<SourceResult> {
  const indicator = params.indicator;
  // Indicators are validated at load; repeated here because the id becomes a file name and a URL segment.
  if (indicator.length > 64 || !INDICATOR_PATTERN.test(indicator)) {
    throw new DataError('source_error', 'invalid World Bank indicator id');
  }
  const countries = [...new Set((params.countries ?? WORLD_BANK_DEFAULT_COUNTRIES).map((c) => c.toUpperCase()))];
  const maxRows = params.max_rows ?? WORLD_BANK_DEFAULT_MAX_ROWS;
  const timeoutS = params.timeout_s ?? WORLD_BANK_DEFAULT_TIMEOUT_S;

  const stored = await readStoredSnapshot(indicator, ctx);
  let snapshot: WorldBankSnapshot;
  let liveFetchFailed = false;
  if (ctx.online) {
    try {
      snapshot = await fetchLiveSnapshot(indicator, unionCountries(countries, stored), timeoutS, ctx);
      await persistSnapshot(indicator, snapshot, ctx);
    } catch (err) {
      if (stored === null) {
        throw new DataError(
          'source_unavailable',
          `World Bank live fetch for ${indicator} failed (${failureReason(err)}) and no snapshot is stored`,
        );
      }
      snapshot = stored;
      liveFetchFailed = true;
    }
  } else {
    if (stored === null) throw new DataError('source_not_found', `world_bank_snapshot_missing:${indicator}`);
    snapshot = stored;
  }
  return buildResult(snapshot, indicator, countries, params, maxRows, liveFetchFailed);
}

function buildResult(
  snapshot: WorldBankSnapshot,
  indicator: string,
  countries: string[],
  params: WorldBankParams,
  maxRows: number,
  liveFetchFailed: boolean,
): SourceResult {
  const [metadata, observations] = snapshot;
  const position = new Map(countries.map((country, index) => [country, index]));
  const present = new Set<string>();
  let nonAnnual = 0;
  const kept: { position: number; country: string; year: number; value: number }[] = [];
  for (const obs of observations) {
    if (obs.indicator.id !== indicator) {
      throw new DataError('source_error', `World Bank snapshot for ${indicator} holds another indicator`);
    }
    const country = obs.countryiso3code.toUpperCase();
    present.add(country);
    const at = position.get(country);
    if (at === undefined) continue;
    if (!ANNUAL_DATE.test(obs.date)) {
      nonAnnual += 1;
      continue;
    }
    const year = Number(obs.date);
    if (params.year !== undefined && year !== params.year) continue;
    if (params.start_year !== undefined && year < params.start_year) continue;
    if (params.end_year !== undefined && year > params.end_year) continue;
    if (obs.value === null) continue;
    kept.push({ position: at, country, year, value: obs.value });
  }
  // Array.prototype.sort is stable, so duplicate country-years keep snapshot order.
  kept.sort((a, b) => a.position - b.position || a.year - b.year);

  if (kept.length === 0) {
    throw new DataError(
      'no_rows_matched',
      `no World Bank observations matched indicator ${indicator} for ${countries.join(', ')} with ${yearFilterText(params)}`,
    );
  }
  const limited = kept.length > maxRows ? kept.slice(0, maxRows) : kept;
  const rows: Row[] = limited.map(
    (k) =>
      new Map<string, Scalar>([
        ['country', k.country],
        ['year', k.year],
        ['value', k.value],
      ]),
  );

  const fixture = isFixtureSnapshot(snapshot);
  const warnings: string[] = [];
  if (kept.length > maxRows) warnings.push(`row_limit_reached:${maxRows}`);
  if (liveFetchFailed) warnings.push('world_bank_live_fetch_failed');
  for (const country of countries) if (!present.has(country)) warnings.push(`world_bank_country_missing:${country}`);
  if (nonAnnual > 0) warnings.push(`world_bank_non_annual_skipped:${nonAnnual}`);
  if (fixture) warnings.push('world_bank_fixture_data');

  const maxYear = limited.reduce((max, k) => Math.max(max, k.year), limited[0]?.year ?? 0);
  const lastUpdated = metadata.lastupdated;
  const fetchedAt = metadata.fetched_at;
  return {
    rows,
    provenance: {
      source: 'world_bank',
      dataset_id: indicator,
      locator: fixture ? `fixture:indicator=${indicator}` : `indicator=${indicator}`,
      fields: [...WORLD_BANK_FIELDS],
      license: fixture ? WORLD_BANK_FIXTURE_LICENSE : WORLD_BANK_LICENSE,
    },
    freshness: {
      asof_date: lastUpdated !== undefined && isValidDate(lastUpdated) ? lastUpdated : `${maxYear}-12-31`,
      updated_at: fetchedAt !== undefined && isUtcTimestamp(fetchedAt) ? fetchedAt : null,
    },
    warnings,
  };
}

function yearFilterText(params: WorldBankParams): string {
  if (params.year !== undefined) return `year ${params.year}`;
  if (params.start_year !== undefined || params.end_year !== undefined) {
    return `years ${params.start_year ?? '…'}..${params.end_year ?? '…'}`;
  }
  return 'no year filter';
}

/** A real calendar date in `YYYY-MM-DD` form. */
function isValidDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isUtcTimestamp(text: string): boolean {
  return ISO_UTC_TIMESTAMP.test(text) && !Number.isNaN(Date.parse(text));
}

/** Comparable `lastupdated`: the date when valid, else '' (older than any date). */
function lastUpdatedKey(snapshot: WorldBankSnapshot): string {
  const value = snapshot[0].lastupdated;
  return value !== undefined && isValidDate(value) ? value : '';
}

/** File and/or table snapshot; with both, the later `lastupdated` wins and a tie goes to the file. */
async function readStoredSnapshot(indicator: string, ctx: WorldBankContext): Promise<WorldBankSnapshot | null> {
  const fromFile = readSnapshotFile(indicator, ctx.snapshotDir);
  let fromStore: WorldBankSnapshot | null = null;
  if (ctx.store !== undefined) {
    let payload: unknown;
    try {
      payload = await ctx.store.read(indicator);
    } catch (err) {
      if (isDataError(err)) throw err;
      throw new DataError('source_unavailable', `World Bank snapshot store could not be read for ${indicator}`);
    }
    if (payload !== null && payload !== undefined) fromStore = parseStored(payload, indicator, 'table');
  }
  if (fromFile === null) return fromStore;
  if (fromStore === null) return fromFile;
  return lastUpdatedKey(fromStore) > lastUpdatedKey(fromFile) ? fromStore : fromFile;
}

function parseStored(payload: unknown, indicator: string, where: string): WorldBankSnapshot {
  try {
    return parseWorldBankSnapshot(payload);
  } catch (err) {
    throw new DataError(
      'source_error',
      `stored World Bank snapshot (${where}) for ${indicator} is invalid: ${reason(err)}`,
    );
  }
}

// Parsed snapshot files per path, revalidated by stat on every read; snapshots are never mutated.
const fileCache = new StatValidatedCache<WorldBankSnapshot>(256);

/** Drops every cached snapshot file (tests). */
export function clearWorldBankSnapshotCache(): void {
  fileCache.clear();
}

function readSnapshotFile(indicator: string, dir: string): WorldBankSnapshot | null {
  const file = path.join(dir, `${indicator}.json`);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    stat = undefined;
  }
  if (stat === undefined || !stat.isFile()) return null;
  const cached = fileCache.get(file, stat);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError('source_error', `World Bank snapshot file for ${indicator} cannot be read`);
  }
  let snapshot: WorldBankSnapshot;
  try {
    snapshot = parseWorldBankSnapshotText(text);
  } catch (err) {
    throw new DataError('source_error', `World Bank snapshot file for ${indicator} is invalid: ${reason(err)}`);
  }
  fileCache.set(file, stat, snapshot);
  return snapshot;
}

/** Requested countries first (in order), then those already in the stored snapshot. */
function unionCountries(requested: string[], stored: WorldBankSnapshot | null): string[] {
  const union = new Set(requested);
  for (const obs of stored?.[1] ?? []) {
    const code = obs.countryiso3code.toUpperCase();
    if (/^[A-Z]{3}$/.test(code)) union.add(code);
  }
  return [...union];
}

/** Why a live refresh failed, without URLs or paths. */
class LiveFetchError extends Error {}

async function fetchLiveSnapshot(
  indicator: string,
  countries: string[],
  timeoutS: number,
  ctx: WorldBankContext,
): Promise<WorldBankSnapshot> {
  const base = ctx.baseUrl.replace(/\/+$/, '');
  // `;` separates countries in the API path and must stay literal.
  const pageUrl = (page: number): string =>
    `${base}/country/${countries.join(';')}/indicator/${indicator}?format=json&per_page=${PER_PAGE}&page=${page}`;
  const first = await fetchPage(pageUrl(1), timeoutS, ctx);
  const pages = first[0].pages;
  if (pages > MAX_PAGES) throw new LiveFetchError(`too many pages (${pages})`);
  const observations = [...first[1]];
  for (let page = 2; page <= pages; page++) {
    const next = await fetchPage(pageUrl(page), timeoutS, ctx);
    observations.push(...next[1]);
  }
  // Checked before persisting so a wrong answer never replaces a good stored snapshot.
  if (observations.some((obs) => obs.indicator.id !== indicator)) {
    throw new LiveFetchError('response holds another indicator');
  }
  const clock = ctx.clock ?? (() => new Date());
  const fetchedAt = clock()
    .toISOString()
    .replace(/\.[0-9]{3}Z$/, 'Z');
  const metadata: WorldBankMetadata = {
    ...first[0],
    page: 1,
    pages: 1,
    per_page: first[0].total,
    fetched_at: fetchedAt,
  };
  return [metadata, observations];
}

/** One page with up to 3 attempts; network errors, 429 and 5xx are retried after 1 s then 2 s. */
async function fetchPage(url: string, timeoutS: number, ctx: WorldBankContext): Promise<WorldBankSnapshot> {
  const fetchImpl = ctx.fetch ?? fetch;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastFailure = 'no attempt';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(BACKOFF_MS[attempt - 2] as number);
    let status: number;
    let body: string;
    try {
      const response = await fetchImpl(url, {
        signal: AbortSignal.timeout(timeoutS * 1000),
        headers: { accept: 'application/json' },
      });
      status = response.status;
      // Reading the body is part of the request: a stall here is a timeout, a reset a network error.
      body = await response.text();
    } catch (err) {
      lastFailure = isTimeout(err) ? 'timeout' : 'network error';
      continue;
    }
    if (status === 429 || status >= 500) {
      lastFailure = `HTTP ${status}`;
      continue;
    }
    if (status < 200 || status > 299) throw new LiveFetchError(`HTTP ${status}`);
    try {
      return parseWorldBankSnapshotText(body);
    } catch (err) {
      throw new LiveFetchError(`invalid response: ${reason(err)}`);
    }
  }
  throw new LiveFetchError(`${lastFailure} after ${MAX_ATTEMPTS} attempts`);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** Writes `<dir>/<INDICATOR>.json` atomically (temp file + rename), then upserts the table when configured. */
async function persistSnapshot(indicator: string, snapshot: WorldBankSnapshot, ctx: WorldBankContext): Promise<void> {
  const text = serializeWorldBankSnapshot(snapshot);
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  const target = path.join(ctx.snapshotDir, `${indicator}.json`);
  const temp = path.join(ctx.snapshotDir, `.${indicator}.json.${process.pid}.${randomUUID()}.tmp`);
  try {
    await fs.promises.mkdir(ctx.snapshotDir, { recursive: true });
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, target);
  } catch {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw new LiveFetchError('snapshot file could not be written');
  }
  if (ctx.store !== undefined) {
    try {
      await ctx.store.write(indicator, snapshot, sha256);
    } catch {
      throw new LiveFetchError('snapshot table could not be updated');
    }
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

function failureReason(err: unknown): string {
  return err instanceof LiveFetchError ? err.message : 'unexpected error';
}
