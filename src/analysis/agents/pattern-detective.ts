/**
 * PatternDetective (analysis spec §3.2): anomalies, correlations, root causes and best practices over the latest
 * cross-section of the ten sectors (and, for anomalies, over the companies of `lmis_company_retention_latest`).
 *
 * Every number in a summary carries a citation marker; each shown value is a row cell of the cited query or derived
 * result, or a numeric param of a cited derived result (thresholds, top_n and the like are params; computed values
 * are rows). The cross-section readers at the top are shared with NationalStrategy.
 */
import {
  AnalysisError,
  SECTORS,
  SERIES_METRICS,
  type AgentResult,
  type AgentWarning,
  type DataClient,
  type DerivedField,
  type DerivedResult,
  type Finding,
  type FindingMetric,
  type Intent,
  type QueryResult,
  type Scalar,
  type Sector,
  type SectorOrAll,
  type SeriesMetric,
} from '../model.js';
import { derive } from '../derived.js';
import {
  cite,
  formatCount,
  formatDecimal3,
  formatLevelDelta,
  formatParam,
  formatValue,
  type LevelUnit,
} from '../format.js';
import { mean, minimumRanks, pearson, sdSample, spearman, winsorise } from '../math/stats.js';
import { METRIC_BETTER, METRIC_LABELS, METRIC_UNITS } from '../series.js';
import { WarningCollector } from '../warnings.js';

export const PATTERN_DETECTIVE = 'PatternDetective';

// ---------------------------------------------------------------------------------------------------------------
// Shared cross-section reading (§1.3, §1.6)
// ---------------------------------------------------------------------------------------------------------------

/** Where each metric's latest cross-section comes from (§1.6); retention is 100 − attrition_percent. */
export interface CrossSectionSource {
  queryId: string;
  field: string;
  /** true: the value is 100 − field (retention from attrition). */
  complement: boolean;
}

export const CROSS_SECTION_SOURCES: Readonly<Record<SeriesMetric, CrossSectionSource>> = {
  employment: { queryId: 'syn_sector_employment_latest', field: 'employees', complement: false },
  retention: { queryId: 'syn_attrition_by_sector_latest', field: 'attrition_percent', complement: true },
  attrition: { queryId: 'syn_attrition_by_sector_latest', field: 'attrition_percent', complement: false },
  qatarization: { queryId: 'syn_qatarization_by_sector_latest', field: 'qatarization_percent', complement: false },
  avg_salary: { queryId: 'syn_avg_salary_by_sector_latest', field: 'avg_salary_qr', complement: false },
};

/** The other half of the retention/attrition mirror pair (§1.6), or null. */
export function mirrorOf(metric: SeriesMetric): SeriesMetric | null {
  return metric === 'retention' ? 'attrition' : metric === 'attrition' ? 'retention' : null;
}

/** Per-call context of an agent method: warnings, the query ids read (first-read order) and a name for messages. */
export interface ReadContext {
  w: WarningCollector;
  sources: string[];
  what: string;
}

export function newContext(what: string): ReadContext {
  return { w: new WarningCollector(), sources: [], what };
}

/** A finite number from a cell (numbers, or numeric strings such as "2024"); null otherwise. */
export function numberCell(v: Scalar | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

const SECTOR_INDEX = new Map<string, number>(SECTORS.map((s, i) => [s, i]));

/** Canonical position of a sector (§1.6), ALL and unknown names after the ten sectors. */
export function sectorRank(s: string): number {
  return SECTOR_INDEX.get(s) ?? (s === 'ALL' ? SECTORS.length : SECTORS.length + 1);
}

export function isSector(s: unknown): s is Sector {
  return typeof s === 'string' && SECTOR_INDEX.has(s);
}

/**
 * Runs a query through the client and checks that its rows carry the expected fields. Returns null (with a
 * warning) when the id is not registered or a field is missing: DATA_SCHEMA_MISMATCH, never an empty result.
 */
export async function readChecked(
  client: DataClient,
  queryId: string,
  expected: readonly string[],
  ctx: ReadContext,
): Promise<QueryResult | null> {
  if (!client.has(queryId)) {
    ctx.w.insufficient(0, 1, `${ctx.what}: query ${queryId} is not registered`);
    return null;
  }
  const result = await client.run(queryId);
  if (!ctx.sources.includes(queryId)) ctx.sources.push(queryId);
  const available = result.rows.length > 0 ? [...result.rows[0]!.keys()] : [...(result.provenance?.fields ?? [])];
  const missing =
    result.rows.length > 0
      ? expected.filter((f) => result.rows.some((r) => !r.has(f)))
      : available.length > 0
        ? expected.filter((f) => !available.includes(f))
        : [];
  if (missing.length > 0) {
    ctx.w.add('DATA_SCHEMA_MISMATCH', `${ctx.what}: ${queryId} rows lack the field(s) ${missing.join(', ')}`, {
      query_id: queryId,
      expected: [...expected],
      available,
      missing,
    });
    return null;
  }
  return result;
}

/** One row per canonical sector (the first row of the latest year), with the requested numeric fields. */
export interface SectorTable {
  result: QueryResult;
  /** Latest year among the sector rows, when the rows carry a year. */
  year: number | null;
  /** Canonical order; only sectors that have a row. */
  rows: { sector: Sector; values: Record<string, number | null> }[];
}

/** Reads a per-sector query: sector field plus `fields`; rows of other sectors and older years are ignored. */
export async function readSectorTable(
  client: DataClient,
  queryId: string,
  fields: readonly string[],
  ctx: ReadContext,
): Promise<SectorTable | null> {
  const result = await readChecked(client, queryId, ['sector', ...fields], ctx);
  if (!result) return null;
  const sectorRows = result.rows.filter((r) => isSector(r.get('sector')));
  const years = sectorRows.map((r) => numberCell(r.get('year'))).filter((y): y is number => y !== null);
  const year = years.length > 0 ? Math.max(...years) : null;
  const bySector = new Map<Sector, Record<string, number | null>>();
  for (const r of sectorRows) {
    const s = r.get('sector') as Sector;
    if (bySector.has(s)) continue;
    if (year !== null && r.has('year') && numberCell(r.get('year')) !== year) continue;
    const values: Record<string, number | null> = {};
    for (const f of fields) values[f] = numberCell(r.get(f));
    bySector.set(s, values);
  }
  const rows = SECTORS.filter((s) => bySector.has(s)).map((s) => ({ sector: s, values: bySector.get(s)! }));
  return { result, year, rows };
}

/** A metric's latest cross-section: non-null sector values in canonical order. */
export interface CrossSection {
  metric: SeriesMetric;
  queryId: string;
  result: QueryResult;
  unit: LevelUnit;
  better: 'higher' | 'lower';
  year: number | null;
  points: { sector: Sector; value: number }[];
  /** Canonical sectors without a usable value (null cell or no row). */
  missing: Sector[];
}

const complement = (x: number): number => Number((100 - x).toFixed(10));

/** Loads a metric's cross-section (§1.6), dropping nulls with MISSING_VALUES. Null on a schema problem. */
export async function loadCrossSection(
  client: DataClient,
  metric: SeriesMetric,
  ctx: ReadContext,
): Promise<CrossSection | null> {
  const src = CROSS_SECTION_SOURCES[metric];
  const table = await readSectorTable(client, src.queryId, [src.field], ctx);
  if (!table) return null;
  const points: CrossSection['points'] = [];
  for (const r of table.rows) {
    const v = r.values[src.field];
    if (v === null || v === undefined) continue;
    points.push({ sector: r.sector, value: src.complement ? complement(v) : v });
  }
  const have = new Set(points.map((p) => p.sector));
  const missing = SECTORS.filter((s) => !have.has(s));
  if (missing.length > 0 && table.rows.length > 0) {
    ctx.w.add(
      'MISSING_VALUES',
      `${ctx.what}: ${missing.length} sector(s) without a ${metric} value in ${src.queryId}: ${missing.join(', ')}`,
      { count: missing.length, metric, sectors: missing },
    );
  }
  return {
    metric,
    queryId: src.queryId,
    result: table.result,
    unit: METRIC_UNITS[metric],
    better: METRIC_BETTER[metric],
    year: table.year,
    points,
    missing,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small shared helpers
// ---------------------------------------------------------------------------------------------------------------

export function metricOf(
  key: string,
  label: string,
  value: number | string | null,
  unit: FindingMetric['unit'],
  citation: string,
): FindingMetric {
  return { key, label, value, unit, citation };
}

/** Lower-case metric wording for sentences ("average salary"). */
export function metricWords(m: SeriesMetric): string {
  return METRIC_LABELS[m].toLowerCase();
}

export function levelField(name: string, unit: DerivedField['unit']): DerivedField {
  return { name, unit, kind: 'level' };
}

export function changeField(name: string, unit: DerivedField['unit']): DerivedField {
  return { name, unit, kind: 'change' };
}

/** Unit of a difference of levels: pp for percent, else the level unit. */
export function deltaUnit(unit: LevelUnit): 'pp' | 'count' | 'qar' {
  return unit === 'percent' ? 'pp' : unit;
}

/** "a, b and c". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new AnalysisError('invalid_param', `params.${name} must be a number greater than 0`);
  }
  return v;
}

function intAtLeast(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new AnalysisError('invalid_param', `params.${name} must be an integer in ${min}..${max}`);
  }
  return v;
}

function inRange(name: string, v: unknown, lo: number, hi: number, loOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || v > hi) {
    throw new AnalysisError('invalid_param', `params.${name} must be within ${loOpen ? '(' : '['}${lo}, ${hi}]`);
  }
  return v;
}

export function checkMetric<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new AnalysisError(
      'unknown_metric',
      `unknown metric '${String(v)}' for ${name}; supported: ${allowed.join(', ')}`,
    );
  }
  return v as T;
}

/** A focus sector: null/undefined/"ALL" mean none; an unknown name is a 400 unknown_sector. */
export function checkFocus(v: unknown): Sector | null {
  if (v === null || v === undefined || v === 'ALL') return null;
  if (!isSector(v)) throw new AnalysisError('unknown_sector', `unknown sector '${String(v)}'`);
  return v;
}

/** Drops undefined members so that spreading over defaults keeps the defaults. */
export function defined<T extends object>(p: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function patternResult(
  method: string,
  intent: Intent,
  params: Record<string, unknown>,
  findings: Finding[],
  derived: DerivedResult[],
  ctx: ReadContext,
): AgentResult {
  const warnings: AgentWarning[] = ctx.w.list();
  return {
    agent: PATTERN_DETECTIVE,
    method,
    intent,
    params,
    findings,
    derived,
    sources: [...ctx.sources],
    warnings,
    frequency: 'cross_section',
  };
}

/** League-table rank (1 = best in the metric's direction, ties take the minimum rank). */
function leagueRanks(values: readonly number[], better: 'higher' | 'lower'): number[] {
  return minimumRanks(values, better === 'higher' ? 'highest' : 'lowest');
}

// ---------------------------------------------------------------------------------------------------------------
// anomalies
// ---------------------------------------------------------------------------------------------------------------

export const ANOMALY_METRICS = ['attrition', 'retention', 'qatarization', 'avg_salary', 'employment'] as const;
export type AnomalyMetric = (typeof ANOMALY_METRICS)[number];

export interface AnomaliesParams {
  metric?: AnomalyMetric;
  level?: 'sector' | 'company';
  /** Sector level: the focus sector. Company level: the sector whose companies are scored (none = all). */
  sector?: SectorOrAll | null;
  /** Alias of `sector` at sector level. */
  focus_sector?: SectorOrAll | null;
  z_threshold?: number;
  min_sample_size?: number;
  winsor_p?: number;
}

export const ANOMALIES_DEFAULTS = {
  metric: 'attrition',
  level: 'sector',
  sector: null,
  z_threshold: 2.5,
  min_sample_size: 5,
  winsor_p: 0.05,
} as const satisfies AnomaliesParams;

/** Company rows scored at company level: base ≥ this only (§1.2). */
export const COMPANY_MIN_BASE = 15;
export const COMPANY_QUERY = 'lmis_company_retention_latest';

interface Scored {
  key: string;
  label: string;
  order: number;
  value: number;
}

/**
 * PatternDetective.anomalies: winsorise, then z-score the raw values with the mean and sample SD of the winsorised
 * values; flag |z| ≥ z_threshold (§3.2).
 */
export async function anomalies(client: DataClient, params: AnomaliesParams): Promise<AgentResult> {
  const merged = { ...ANOMALIES_DEFAULTS, ...defined(params) };
  const metric = checkMetric('pattern.anomalies', merged.metric, ANOMALY_METRICS);
  const level = merged.level;
  if (level !== 'sector' && level !== 'company') {
    throw new AnalysisError('invalid_param', "params.level must be 'sector' or 'company'");
  }
  const zThreshold = positive('z_threshold', merged.z_threshold);
  const minN = intAtLeast('min_sample_size', merged.min_sample_size, 3);
  const winsorP = inRange('winsor_p', merged.winsor_p, 0, 0.25);
  const sectorParam = merged.focus_sector ?? merged.sector ?? null;
  const sector = checkFocus(sectorParam);
  if (level === 'company' && metric !== 'retention') {
    throw new AnalysisError(
      'invalid_param',
      `company-level anomalies are computed on retention only (${COMPANY_QUERY}); got metric '${metric}'`,
    );
  }
  const effective = {
    metric,
    level,
    sector,
    z_threshold: zThreshold,
    min_sample_size: minN,
    winsor_p: winsorP,
  };
  const ctx = newContext(`${PATTERN_DETECTIVE}.anomalies`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    patternResult('anomalies', 'pattern.anomalies', effective, findings, derived, ctx);

  let items: Scored[];
  let source: QueryResult;
  const unit = METRIC_UNITS[metric];
  if (level === 'sector') {
    const cs = await loadCrossSection(client, metric, ctx);
    if (!cs) return done([], []);
    source = cs.result;
    items = cs.points.map((p) => ({ key: p.sector, label: p.sector, order: sectorRank(p.sector), value: p.value }));
  } else {
    const result = await readChecked(
      client,
      COMPANY_QUERY,
      ['company_id', 'company_name', 'sector', 'base', 'value'],
      ctx,
    );
    if (!result) return done([], []);
    source = result;
    items = [];
    let nulls = 0;
    for (const r of result.rows) {
      if (sector !== null && r.get('sector') !== sector) continue;
      const base = numberCell(r.get('base'));
      if (base === null || base < COMPANY_MIN_BASE) continue;
      const value = numberCell(r.get('value'));
      if (value === null) {
        nulls++;
        continue;
      }
      const id = r.get('company_id');
      const name = r.get('company_name');
      items.push({
        key: String(id),
        label: typeof name === 'string' && name !== '' ? name : `company ${String(id)}`,
        order: numberCell(id) ?? Number.MAX_SAFE_INTEGER,
        value,
      });
    }
    items.sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (nulls > 0)
      ctx.w.add('MISSING_VALUES', `${ctx.what}: ${nulls} company row(s) without a value dropped`, { count: nulls });
  }

  const n = items.length;
  const unitWord = level === 'sector' ? 'sectors' : 'companies';
  if (n < minN) {
    ctx.w.insufficient(n, minN, `${ctx.what}: ${metric} ${unitWord}`);
    return done([], []);
  }
  const x = items.map((i) => i.value);
  const wins = winsorise(x, winsorP);
  const wMean = mean(wins)!;
  const sd = sdSample(wins);
  const rawMean = mean(x);
  const zeroVar = sd === null || sd === 0;
  if (zeroVar) {
    ctx.w.add('ZERO_VARIANCE', `${ctx.what}: the winsorised values have zero variance; no z-scores, no anomalies`, {
      n,
    });
  }
  const z = items.map((i) => (zeroVar ? null : ctx.w.finite((i.value - wMean) / sd, 'z')));
  const flaggedIdx = items
    .map((_, i) => i)
    .filter((i) => z[i] !== null && Math.abs(z[i]!) >= zThreshold)
    .sort((a, b) => Math.abs(z[b]!) - Math.abs(z[a]!) || items[a]!.order - items[b]!.order);
  const absZ = z.filter((v): v is number => v !== null).map(Math.abs);
  const maxAbsZ = absZ.length > 0 ? Math.max(...absZ) : null;
  const maxIdx = maxAbsZ === null ? -1 : z.findIndex((v) => v !== null && Math.abs(v) === maxAbsZ);
  const focusIdx = level === 'sector' && sector !== null ? items.findIndex((i) => i.key === sector) : -1;
  const k = Math.floor(n * winsorP);
  const winsLower = Math.min(...wins);
  const winsUpper = Math.max(...wins);

  const typeOf = (i: number): string | null => (flaggedIdx.includes(i) ? (z[i]! > 0 ? 'high' : 'low') : null);
  const keyField = level === 'sector' ? 'sector' : 'company_id';
  const scoreRows = items.map((it, i) => {
    const row: Record<string, Scalar> =
      level === 'sector'
        ? { sector: it.key, value: it.value, z: z[i]!, flagged: typeOf(i) !== null, type: typeOf(i) }
        : {
            company_id: numberCell(it.key) ?? it.key,
            company_name: it.label,
            value: it.value,
            z: z[i]!,
            flagged: typeOf(i) !== null,
            type: typeOf(i),
          };
    return row;
  });
  const config = { ...effective, min_base: level === 'company' ? COMPANY_MIN_BASE : null };
  const scores = derive({
    operation: 'pd_anomaly_scores',
    inputs: [source],
    params: config,
    fields: [
      levelField(keyField, level === 'sector' ? 'text' : 'count'),
      ...(level === 'company' ? [levelField('company_name', 'text')] : []),
      levelField('value', unit),
      levelField('z', 'ratio'),
      levelField('flagged', 'text'),
      levelField('type', 'text'),
    ],
    rows: scoreRows,
  });
  const meanKey = unit === 'percent' ? `mean_sector_${metric}_percent` : null;
  const summaryRow: Record<string, Scalar> = {
    total: n,
    anomaly_count: flaggedIdx.length,
    mean: rawMean,
    winsorised_mean: wMean,
    sd_winsorised: sd,
    winsor_k: k,
    winsor_lower: winsLower,
    winsor_upper: winsUpper,
    max_abs_z: maxAbsZ,
    focus_value: focusIdx >= 0 ? items[focusIdx]!.value : null,
    focus_z: focusIdx >= 0 ? z[focusIdx]! : null,
  };
  const summary = derive({
    operation: 'pd_anomalies',
    inputs: [scores],
    params: config,
    fields: [
      levelField('total', 'count'),
      levelField('anomaly_count', 'count'),
      levelField('mean', unit),
      levelField('winsorised_mean', unit),
      levelField('sd_winsorised', deltaUnit(unit)),
      levelField('winsor_k', 'count'),
      levelField('winsor_lower', unit),
      levelField('winsor_upper', unit),
      levelField('max_abs_z', 'ratio'),
      levelField('focus_value', unit),
      levelField('focus_z', 'ratio'),
    ],
    rows: [summaryRow],
  });

  const q = source.query_id;
  const S = summary.id;
  const T = scores.id;
  const label = METRIC_LABELS[metric];
  const scope = level === 'sector' ? 'sectors' : sector === null ? 'companies (all sectors)' : `companies in ${sector}`;
  const lines: string[] = [];
  const baseNote = level === 'company' ? ` with a base of at least ${formatCount(COMPANY_MIN_BASE)}` : '';
  if (zeroVar) {
    lines.push(
      `${label} across ${formatCount(n)} ${scope}${baseNote} ${cite(q, S)}: the winsorised values have zero variance, so no z-scores are computed and nothing is flagged.`,
    );
  } else {
    const count = flaggedIdx.length;
    lines.push(
      `${label} across ${formatCount(n)} ${scope}${baseNote}: ${formatCount(count)} ${count === 1 ? (level === 'sector' ? 'sector is' : 'company is') : `${unitWord} are`} flagged at an absolute z-score of at least ${formatParam(zThreshold)} ${cite(q, S)}.`,
    );
    lines.push(
      `The mean is ${formatValue(rawMean, unit)}; z-scores use the mean (${formatValue(wMean, unit)}) and sample standard deviation (${formatLevelDelta(sd, unit)}) of the values winsorised with p = ${formatParam(winsorP)} ${cite(S)}.`,
    );
    if (count > 0) {
      const shown = flaggedIdx.map(
        (i) => `${items[i]!.label} ${typeOf(i)} at ${formatValue(items[i]!.value, unit)} (z ${formatDecimal3(z[i])})`,
      );
      lines.push(`Flagged: ${shown.join('; ')} ${cite(q, T)}.`);
    } else if (maxIdx >= 0) {
      lines.push(
        `The largest absolute z-score is ${formatDecimal3(maxAbsZ)} (${items[maxIdx]!.label}, ${formatValue(items[maxIdx]!.value, unit)}) ${cite(q, S, T)}.`,
      );
    }
  }
  if (level === 'sector' && sector !== null) {
    lines.push(
      focusIdx >= 0
        ? `${sector}: ${formatValue(items[focusIdx]!.value, unit)}, z-score ${formatDecimal3(z[focusIdx])} ${cite(q, S)}.`
        : `${sector} has no ${metricWords(metric)} value in the cross-section.`,
    );
  }

  const metrics: FindingMetric[] = [
    metricOf('anomaly_count', 'Anomalies flagged', flaggedIdx.length, 'count', S),
    metricOf(
      level === 'sector' ? 'total_sectors' : 'total_companies',
      `${level === 'sector' ? 'Sectors' : 'Companies'} scored`,
      n,
      'count',
      S,
    ),
    metricOf('threshold', 'Absolute z threshold', zThreshold, 'ratio', S),
    metricOf('max_abs_z', 'Largest absolute z-score', maxAbsZ, 'ratio', S),
  ];
  if (meanKey && level === 'sector') {
    metrics.push(metricOf(meanKey, `Mean sector ${metricWords(metric)}`, rawMean, 'percent', S));
  } else {
    metrics.push(metricOf(`mean_${metric}`, `Mean ${metricWords(metric)}`, rawMean, unit, S));
  }
  if (focusIdx >= 0) metrics.push(metricOf('focus_sector_z', `${sector} z-score`, z[focusIdx]!, 'ratio', S));
  for (const i of flaggedIdx) {
    metrics.push(
      metricOf(`anomaly_${items[i]!.key}_z`, `${items[i]!.label} z-score (${typeOf(i)})`, z[i]!, 'ratio', T),
    );
  }
  const finding: Finding = {
    id: 'anomalies',
    title: `${label} anomalies, ${level === 'sector' ? 'sectors' : sector === null ? 'companies' : `companies in ${sector}`}`,
    summary: lines.join(' '),
    metrics,
    citations: [q, S, T],
  };
  return done([finding], [summary, scores]);
}

// ---------------------------------------------------------------------------------------------------------------
// correlations
// ---------------------------------------------------------------------------------------------------------------

export interface CorrelationParams {
  x_metric?: SeriesMetric;
  y_metric?: SeriesMetric;
  method?: 'spearman' | 'pearson';
  min_correlation?: number;
  min_sample_size?: number;
  focus_sector?: SectorOrAll | null;
}

export const CORRELATION_DEFAULTS = {
  x_metric: 'qatarization',
  y_metric: 'attrition',
  method: 'spearman',
  min_correlation: 0.5,
  min_sample_size: 5,
  focus_sector: null,
} as const satisfies CorrelationParams;

/** PatternDetective.correlations: spearman (or pearson) over the sectors present in both cross-sections (§3.2). */
export async function correlations(client: DataClient, params: CorrelationParams): Promise<AgentResult> {
  const merged = { ...CORRELATION_DEFAULTS, ...defined(params) };
  const xMetric = checkMetric('pattern.correlation', merged.x_metric, SERIES_METRICS);
  const yMetric = checkMetric('pattern.correlation', merged.y_metric, SERIES_METRICS);
  const method = merged.method;
  if (method !== 'spearman' && method !== 'pearson') {
    throw new AnalysisError('invalid_param', "params.method must be 'spearman' or 'pearson'");
  }
  const minCorr = inRange('min_correlation', merged.min_correlation, 0, 1, true);
  const minN = intAtLeast('min_sample_size', merged.min_sample_size, 3);
  const focus = checkFocus(merged.focus_sector);
  const effective = {
    x_metric: xMetric,
    y_metric: yMetric,
    method,
    min_correlation: minCorr,
    min_sample_size: minN,
    focus_sector: focus,
  };
  const ctx = newContext(`${PATTERN_DETECTIVE}.correlations`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    patternResult('correlations', 'pattern.correlation', effective, findings, derived, ctx);

  const xs = await loadCrossSection(client, xMetric, ctx);
  const ys = await loadCrossSection(client, yMetric, ctx);
  if (!xs || !ys) return done([], []);
  const yBy = new Map(ys.points.map((p) => [p.sector, p.value]));
  const joined = xs.points
    .filter((p) => yBy.has(p.sector))
    .map((p) => ({ sector: p.sector, x: p.value, y: yBy.get(p.sector)! }));
  const n = joined.length;
  if (n < minN) {
    ctx.w.insufficient(n, minN, `${ctx.what}: sectors with both ${xMetric} and ${yMetric}`);
    return done([], []);
  }
  const xv = joined.map((j) => j.x);
  const yv = joined.map((j) => j.y);
  let methodUsed: 'spearman' | 'pearson' = method;
  let fallbackReason: string | null = null;
  let r: number | null;
  if (method === 'pearson') {
    r = ctx.w.finite(pearson(xv, yv), 'correlation');
    if (r === null) {
      methodUsed = 'spearman';
      fallbackReason = 'zero_variance';
      r = ctx.w.finite(spearman(xv, yv), 'correlation');
    }
  } else {
    r = ctx.w.finite(spearman(xv, yv), 'correlation');
  }
  if (r === null) {
    ctx.w.add('ZERO_VARIANCE', `${ctx.what}: a metric has zero variance across the sectors; no correlation`, {
      n,
    });
  }
  const meets = r !== null && Math.abs(r) >= minCorr;
  const direction = r === null || r === 0 ? 'none' : r > 0 ? 'positive' : 'negative';
  const xRanks = leagueRanks(xv, xs.better);
  const yRanks = leagueRanks(yv, ys.better);
  const focusIdx = focus === null ? -1 : joined.findIndex((j) => j.sector === focus);

  const table = derive({
    operation: 'pd_correlation_pairs',
    inputs: [xs.result, ys.result],
    params: { x_metric: xMetric, y_metric: yMetric },
    fields: [
      levelField('sector', 'text'),
      levelField('x_value', xs.unit),
      levelField('y_value', ys.unit),
      levelField('x_rank', 'rank'),
      levelField('y_rank', 'rank'),
    ],
    rows: joined.map((j, i) => ({
      sector: j.sector,
      x_value: j.x,
      y_value: j.y,
      x_rank: xRanks[i]!,
      y_rank: yRanks[i]!,
    })),
  });
  const summary = derive({
    operation: 'pd_correlation',
    inputs: [table],
    params: effective,
    fields: [
      levelField('correlation', 'ratio'),
      levelField('sample_size', 'count'),
      levelField('method_used', 'text'),
      levelField('fallback_reason', 'text'),
      levelField('meets_threshold', 'text'),
      levelField('direction', 'text'),
    ],
    rows: [
      {
        correlation: r,
        sample_size: n,
        method_used: methodUsed,
        fallback_reason: fallbackReason,
        meets_threshold: meets,
        direction,
      },
    ],
  });
  const S = summary.id;
  const T = table.id;
  const methodName = methodUsed === 'spearman' ? 'Spearman' : 'Pearson';
  const xw = metricWords(xMetric);
  const yw = metricWords(yMetric);
  const lines: string[] = [];
  if (r === null) {
    lines.push(
      `The correlation between ${xw} and ${yw} across ${formatCount(n)} sectors is not defined because a metric does not vary ${cite(S)}.`,
    );
  } else {
    lines.push(
      `${methodName} correlation between ${xw} and ${yw} across ${formatCount(n)} sectors: ${formatDecimal3(r)} ${cite(S)}.`,
    );
    lines.push(
      `The association is ${direction === 'none' ? 'nil' : direction} and ${meets ? 'meets' : 'does not meet'} the threshold of ${formatParam(minCorr)} in absolute value ${cite(S)}.`,
    );
  }
  if (fallbackReason !== null) {
    lines.push('Pearson was requested but a metric has zero variance, so Spearman was used.');
  }
  lines.push('Association is not causation: the sectors differ in many ways at once.');
  if (focus !== null) {
    lines.push(
      focusIdx >= 0
        ? `${focus}: ${xw} ${formatValue(joined[focusIdx]!.x, xs.unit)} (rank ${formatCount(xRanks[focusIdx])}), ${yw} ${formatValue(joined[focusIdx]!.y, ys.unit)} (rank ${formatCount(yRanks[focusIdx])}), rank 1 being the best ${cite(T)}.`
        : `${focus} lacks one of the two values and is not in the sample.`,
    );
  }
  const metrics: FindingMetric[] = [
    metricOf('correlation', `${methodName} correlation`, r, 'ratio', S),
    metricOf('sample_size', 'Sectors', n, 'count', S),
    metricOf('method_used', 'Method', methodUsed, 'text', S),
    metricOf('threshold', 'Threshold (absolute)', minCorr, 'ratio', S),
    metricOf('meets_threshold', 'Meets threshold', meets ? 'yes' : 'no', 'text', S),
    metricOf('direction', 'Direction', direction, 'text', S),
  ];
  if (focusIdx >= 0) {
    metrics.push(metricOf('focus_x_rank', `${focus} rank on ${xw}`, xRanks[focusIdx]!, 'rank', T));
    metrics.push(metricOf('focus_y_rank', `${focus} rank on ${yw}`, yRanks[focusIdx]!, 'rank', T));
  }
  const finding: Finding = {
    id: 'correlation',
    title: `Correlation of ${xw} and ${yw} across sectors`,
    summary: lines.join(' '),
    metrics,
    citations: [xs.queryId, ...(ys.queryId === xs.queryId ? [] : [ys.queryId]), S, T],
  };
  return done([finding], [summary, table]);
}

// ---------------------------------------------------------------------------------------------------------------
// rootCauses
// ---------------------------------------------------------------------------------------------------------------

export const ROOT_CAUSE_OUTCOMES = ['attrition', 'retention', 'qatarization'] as const;
export type RootCauseOutcome = (typeof ROOT_CAUSE_OUTCOMES)[number];

export interface RootCausesParams {
  outcome?: RootCauseOutcome;
  /** Default: every cross-section metric except the outcome and its mirror. */
  drivers?: SeriesMetric[] | null;
  top_n?: number;
  focus_sector?: SectorOrAll | null;
}

export const ROOT_CAUSES_DEFAULTS = {
  outcome: 'attrition',
  drivers: null,
  top_n: 3,
  focus_sector: null,
} as const satisfies RootCausesParams;

/** Default drivers for an outcome: the other cross-section metrics, mirror excluded, in metric order. */
export function defaultDrivers(outcome: SeriesMetric): SeriesMetric[] {
  return SERIES_METRICS.filter((m) => m !== outcome && m !== mirrorOf(outcome));
}

interface DriverStat {
  driver: SeriesMetric;
  derived: DerivedResult;
  queryId: string;
  unit: LevelUnit;
  worst: number | null;
  best: number | null;
  diff: number | null;
  std: number | null;
  focusValue: number | null;
  focusGap: number | null;
}

/**
 * PatternDetective.rootCauses: the top_n worst vs the top_n best sectors on the outcome; per driver the difference
 * of group means and its standardisation by the driver's sample SD over all sectors (§3.2).
 */
export async function rootCauses(client: DataClient, params: RootCausesParams): Promise<AgentResult> {
  const merged = { ...ROOT_CAUSES_DEFAULTS, ...defined(params) };
  const outcome = checkMetric('pattern.root_causes', merged.outcome, ROOT_CAUSE_OUTCOMES);
  const requestedTop = intAtLeast('top_n', merged.top_n, 1, 50);
  const focus = checkFocus(merged.focus_sector);
  const requestedDrivers =
    merged.drivers === null
      ? defaultDrivers(outcome)
      : (merged.drivers as readonly unknown[]).map((d) => checkMetric('pattern.root_causes', d, SERIES_METRICS));
  const excluded = [...new Set(requestedDrivers.filter((d) => d === outcome || d === mirrorOf(outcome)))];
  const drivers = SERIES_METRICS.filter((m) => requestedDrivers.includes(m) && !excluded.includes(m));
  const effective = { outcome, drivers, top_n: requestedTop, focus_sector: focus };
  const ctx = newContext(`${PATTERN_DETECTIVE}.rootCauses`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    patternResult('rootCauses', 'pattern.root_causes', effective, findings, derived, ctx);

  const out = await loadCrossSection(client, outcome, ctx);
  if (!out) return done([], []);
  const n = out.points.length;
  if (n < 2) {
    ctx.w.insufficient(n, 2, `${ctx.what}: sectors with a ${outcome} value`);
    return done([], []);
  }
  let topN = requestedTop;
  if (n < 2 * requestedTop) {
    topN = Math.max(1, Math.floor(n / 2));
    ctx.w.add(
      'TOP_N_REDUCED',
      `${ctx.what}: ${n} sectors cannot form two groups of ${requestedTop}; top_n is ${topN}`,
      {
        requested: requestedTop,
        used: topN,
        n,
      },
    );
  }
  // Worst to best in the outcome's "better" direction; ties by canonical order (points are canonical already).
  const ordered = out.points
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => (out.better === 'higher' ? a.value - b.value : b.value - a.value) || a.i - b.i);
  const worst = ordered.slice(0, topN).map((p) => p.sector);
  // Best group listed best first.
  const best = ordered
    .slice(n - topN)
    .map((p) => p.sector)
    .reverse();
  const ranks = leagueRanks(
    out.points.map((p) => p.value),
    out.better,
  );
  const rankOf = new Map(out.points.map((p, i) => [p.sector, ranks[i]!]));
  const groupOf = (s: Sector) => (worst.includes(s) ? 'worst' : best.includes(s) ? 'best' : 'middle');

  const groups = derive({
    operation: 'pd_root_cause_groups',
    inputs: [out.result],
    params: { outcome, top_n_requested: requestedTop, top_n: topN },
    fields: [
      levelField('sector', 'text'),
      levelField('value', out.unit),
      levelField('rank', 'rank'),
      levelField('group', 'text'),
    ],
    rows: ordered.map((p) => ({
      sector: p.sector,
      value: p.value,
      rank: rankOf.get(p.sector)!,
      group: groupOf(p.sector),
    })),
  });

  const stats: DriverStat[] = [];
  for (const driver of drivers) {
    const cs = await loadCrossSection(client, driver, ctx);
    if (!cs) continue;
    const by = new Map(cs.points.map((p) => [p.sector, p.value]));
    const pick = (ss: Sector[]) => ss.map((s) => by.get(s)).filter((v): v is number => v !== undefined);
    const wm = mean(pick(worst));
    const bm = mean(pick(best));
    const diff = wm === null || bm === null ? null : ctx.w.finite(wm - bm, 'diff');
    const sd = sdSample(cs.points.map((p) => p.value));
    const std = diff === null || sd === null || sd === 0 ? null : ctx.w.finite(diff / sd, 'std_diff');
    const focusValue = focus === null ? null : (by.get(focus) ?? null);
    const focusGap = focusValue === null || bm === null ? null : focusValue - bm;
    const du = deltaUnit(cs.unit);
    const d = derive({
      operation: 'pd_root_cause_driver',
      inputs: [groups, cs.result],
      params: { outcome, driver, top_n: topN, focus_sector: focus },
      fields: [
        levelField('driver', 'text'),
        levelField('worst_group_mean', cs.unit),
        levelField('best_group_mean', cs.unit),
        changeField('diff', du),
        levelField('sd_all_sectors', du),
        changeField('std_diff', 'ratio'),
        levelField('focus_value', cs.unit),
        changeField('focus_gap_to_best', du),
      ],
      rows: [
        {
          driver,
          worst_group_mean: wm,
          best_group_mean: bm,
          diff,
          sd_all_sectors: sd,
          std_diff: std,
          focus_value: focusValue,
          focus_gap_to_best: focusGap,
        },
      ],
    });
    stats.push({
      driver,
      derived: d,
      queryId: cs.queryId,
      unit: cs.unit,
      worst: wm,
      best: bm,
      diff,
      std,
      focusValue,
      focusGap,
    });
  }
  stats.sort((a, b) => {
    const sa = a.std === null ? -1 : Math.abs(a.std);
    const sb = b.std === null ? -1 : Math.abs(b.std);
    return sb - sa || SERIES_METRICS.indexOf(a.driver) - SERIES_METRICS.indexOf(b.driver);
  });

  const G = groups.id;
  const ow = metricWords(outcome);
  const lines: string[] = [
    `${METRIC_LABELS[outcome]} over ${formatCount(n)} sectors: the ${formatCount(topN)} worst (${listWords(worst)}) are compared with the ${formatCount(topN)} best (${listWords(best)}) ${cite(G)}.`,
  ];
  for (const s of stats) {
    lines.push(
      `${METRIC_LABELS[s.driver]}: worst-group mean ${formatValue(s.worst, s.unit)} vs best-group mean ${formatValue(s.best, s.unit)}, difference ${formatLevelDelta(s.diff, s.unit)}, standardised ${formatDecimal3(s.std)} ${cite(s.derived.id)}.`,
    );
  }
  if (stats.length === 0) lines.push('No driver could be read, so no difference is reported.');
  const top = stats.find((s) => s.std !== null);
  if (top) lines.push(`The largest standardised difference is in ${metricWords(top.driver)}.`);
  if (excluded.length > 0) {
    lines.push(
      `Not used as drivers of ${ow}: ${listWords(excluded.map(metricWords))} (the outcome itself or its mirror).`,
    );
  }
  lines.push('These are differences between groups of sectors, not proven causes: association is not causation.');
  if (focus !== null) {
    const r = rankOf.get(focus);
    if (r === undefined) lines.push(`${focus} has no ${ow} value and is not ranked.`);
    else {
      const parts = stats
        .filter((s) => s.focusValue !== null)
        .map(
          (s) =>
            `${metricWords(s.driver)} ${formatValue(s.focusValue, s.unit)} (${formatLevelDelta(s.focusGap, s.unit)} against the best-group mean) ${cite(s.derived.id)}`,
        );
      lines.push(`${focus} ranks ${formatCount(r)} of ${formatCount(n)} on ${ow}, rank 1 being the best ${cite(G)}.`);
      if (parts.length > 0) lines.push(`${focus}: ${parts.join('; ')}.`);
    }
  }

  const metrics: FindingMetric[] = [];
  if (top) metrics.push(metricOf('top_driver', 'Largest standardised difference', top.driver, 'text', top.derived.id));
  for (const s of stats) {
    const D = s.derived.id;
    const du = deltaUnit(s.unit);
    metrics.push(
      metricOf(`${s.driver}_worst_group_mean`, `${METRIC_LABELS[s.driver]}, worst-group mean`, s.worst, s.unit, D),
    );
    metrics.push(
      metricOf(`${s.driver}_best_group_mean`, `${METRIC_LABELS[s.driver]}, best-group mean`, s.best, s.unit, D),
    );
    metrics.push(metricOf(`${s.driver}_diff`, `${METRIC_LABELS[s.driver]}, difference`, s.diff, du, D));
    metrics.push(
      metricOf(`${s.driver}_std_diff`, `${METRIC_LABELS[s.driver]}, standardised difference`, s.std, 'ratio', D),
    );
  }
  if (focus !== null && rankOf.has(focus)) {
    metrics.push(metricOf('focus_outcome_rank', `${focus} rank on ${ow}`, rankOf.get(focus)!, 'rank', G));
  }
  const finding: Finding = {
    id: 'root_causes',
    title: `What separates the worst and best sectors on ${ow}`,
    summary: lines.join(' '),
    metrics,
    citations: [out.queryId, G, ...stats.map((s) => s.derived.id)],
  };
  return done([finding], [groups, ...stats.map((s) => s.derived)]);
}

// ---------------------------------------------------------------------------------------------------------------
// bestPractices
// ---------------------------------------------------------------------------------------------------------------

export const BEST_PRACTICE_METRICS = ['qatarization', 'retention', 'attrition', 'avg_salary'] as const;
export type BestPracticeMetric = (typeof BEST_PRACTICE_METRICS)[number];

export interface BestPracticesParams {
  metric?: BestPracticeMetric;
  top_n?: number;
  focus_sector?: SectorOrAll | null;
}

export const BEST_PRACTICES_DEFAULTS = {
  metric: 'qatarization',
  top_n: 5,
  focus_sector: null,
} as const satisfies BestPracticesParams;

/** PatternDetective.bestPractices: the top_n sectors in the metric's better direction against the average (§3.2). */
export async function bestPractices(client: DataClient, params: BestPracticesParams): Promise<AgentResult> {
  const merged = { ...BEST_PRACTICES_DEFAULTS, ...defined(params) };
  const metric = checkMetric('pattern.best_practices', merged.metric, BEST_PRACTICE_METRICS);
  const requestedTop = intAtLeast('top_n', merged.top_n, 1, 50);
  const focus = checkFocus(merged.focus_sector);
  const effective = { metric, top_n: requestedTop, focus_sector: focus };
  const ctx = newContext(`${PATTERN_DETECTIVE}.bestPractices`);
  const done = (findings: Finding[], derived: DerivedResult[]) =>
    patternResult('bestPractices', 'pattern.best_practices', effective, findings, derived, ctx);

  const cs = await loadCrossSection(client, metric, ctx);
  if (!cs) return done([], []);
  const n = cs.points.length;
  if (n < 2) {
    ctx.w.insufficient(n, 2, `${ctx.what}: sectors with a ${metric} value`);
    return done([], []);
  }
  let topN = requestedTop;
  if (requestedTop >= n) {
    topN = Math.max(1, Math.floor(n / 2));
    ctx.w.add('TOP_N_REDUCED', `${ctx.what}: top_n must be below the ${n} sectors; top_n is ${topN}`, {
      requested: requestedTop,
      used: topN,
      n,
    });
  }
  const values = cs.points.map((p) => p.value);
  const ranks = leagueRanks(values, cs.better);
  const ordered = cs.points
    .map((p, i) => ({ ...p, rank: ranks[i]!, i }))
    .sort((a, b) => (cs.better === 'higher' ? b.value - a.value : a.value - b.value) || a.i - b.i);
  const top = ordered.slice(0, topN);
  const topAvg = mean(top.map((p) => p.value))!;
  const overall = mean(values)!;
  const gap = ctx.w.finite(cs.better === 'higher' ? topAvg - overall : overall - topAvg, 'performance_gap');
  const table = derive({
    operation: 'pd_best_practice_ranking',
    inputs: [cs.result],
    params: { metric, top_n: topN },
    fields: [
      levelField('sector', 'text'),
      levelField('value', cs.unit),
      levelField('rank', 'rank'),
      levelField('top', 'text'),
    ],
    rows: ordered.map((p, j) => ({ sector: p.sector, value: p.value, rank: p.rank, top: j < topN })),
  });
  const summary = derive({
    operation: 'pd_best_practices',
    inputs: [table],
    params: { metric, top_n_requested: requestedTop, top_n: topN, focus_sector: focus },
    fields: [
      levelField('sector_count', 'count'),
      levelField('top_n_average', cs.unit),
      levelField('overall_average', cs.unit),
      changeField('performance_gap', deltaUnit(cs.unit)),
    ],
    rows: [{ sector_count: n, top_n_average: topAvg, overall_average: overall, performance_gap: gap }],
  });
  const S = summary.id;
  const T = table.id;
  const mw = metricWords(metric);
  const direction = cs.better === 'higher' ? 'highest' : 'lowest';
  const lines = [
    `The ${formatCount(topN)} sectors with the ${direction} ${mw} average ${formatValue(topAvg, cs.unit)}, against an unweighted average of ${formatValue(overall, cs.unit)} over all ${formatCount(n)} sectors ${cite(S)}.`,
    `The performance gap is ${formatLevelDelta(gap, cs.unit)}, positive meaning better than average ${cite(S)}.`,
    `Leading sectors: ${top.map((p) => `${p.sector} ${formatValue(p.value, cs.unit)}`).join(', ')} ${cite(cs.queryId, T)}.`,
  ];
  const metrics: FindingMetric[] = [
    metricOf('top_n_average', `Top ${topN} average`, topAvg, cs.unit, S),
    metricOf('overall_average', 'Average over sectors', overall, cs.unit, S),
    metricOf('performance_gap', 'Performance gap', gap, deltaUnit(cs.unit), S),
    metricOf('top_sector', 'Best sector', top[0]!.sector, 'text', T),
  ];
  if (cs.unit === 'percent') {
    metrics.push(metricOf(`mean_sector_${metric}_percent`, `Mean sector ${mw}`, overall, 'percent', S));
  }
  if (focus !== null) {
    const f = ordered.find((p) => p.sector === focus);
    if (f) {
      lines.push(
        `${focus} ranks ${formatCount(f.rank)} of ${formatCount(n)} at ${formatValue(f.value, cs.unit)} ${cite(cs.queryId, T)}.`,
      );
      metrics.push(metricOf('focus_rank', `${focus} rank`, f.rank, 'rank', T));
    } else {
      lines.push(`${focus} has no ${mw} value and is not ranked.`);
    }
  }
  const finding: Finding = {
    id: 'best_practices',
    title: `Best-performing sectors on ${mw}`,
    summary: lines.join(' '),
    metrics,
    citations: [cs.queryId, S, T],
  };
  return done([finding], [summary, table]);
}
