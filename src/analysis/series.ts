/**
 * Loading one sector's ts_<metric>_<frequency> series for the time-series agents (analysis spec §1.4): frequency
 * selection, window, nulls and suppressed cells dropped, and the longest contiguous tail.
 */
import type { DataClient, QueryResult, SectorOrAll, SeriesMetric } from './model.js';
import type { LevelUnit } from './format.js';
import type { WarningCollector } from './warnings.js';

export type SeriesFrequency = 'monthly' | 'annual';
export type FrequencyChoice = 'auto' | SeriesFrequency;

/** Display unit of each series metric's level (§1.6). */
export const METRIC_UNITS: Readonly<Record<SeriesMetric, LevelUnit>> = {
  employment: 'count',
  retention: 'percent',
  attrition: 'percent',
  qatarization: 'percent',
  avg_salary: 'qar',
};

/** Which direction is better for each series metric (§1.6). */
export const METRIC_BETTER: Readonly<Record<SeriesMetric, 'higher' | 'lower'>> = {
  employment: 'higher',
  retention: 'higher',
  attrition: 'lower',
  qatarization: 'higher',
  avg_salary: 'higher',
};

/** Human label of each series metric. */
export const METRIC_LABELS: Readonly<Record<SeriesMetric, string>> = {
  employment: 'Employment',
  retention: 'Retention',
  attrition: 'Attrition',
  qatarization: 'Qatarization',
  avg_salary: 'Average salary',
};

/** Default monthly window (§1.4): the last 36 months. */
export const DEFAULT_MONTHLY_WINDOW = 36;

/** Season length s: 12 for monthly, 1 for annual. */
export function seasonLength(frequency: SeriesFrequency): 12 | 1 {
  return frequency === 'monthly' ? 12 : 1;
}

/** The registry id of a series: ts_<metric>_<frequency>. */
export function seriesQueryId(metric: SeriesMetric, frequency: SeriesFrequency): string {
  return `ts_${metric}_${frequency}`;
}

/** Ordinal of a period label ("YYYY" → year, "YYYY-MM" → 12·year + month − 1); null when malformed. */
export function periodOrdinal(label: string): number | null {
  const m = /^(\d{4})(?:-(\d{2}))?$/.exec(label);
  if (!m) return null;
  const year = Number(m[1]);
  if (m[2] === undefined) return year;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  return year * 12 + month - 1;
}

/** The label k periods after `label`, in the label's own format ("YYYY" or "YYYY-MM"); null when malformed. */
export function shiftPeriod(label: string, k: number): string | null {
  const ord = periodOrdinal(label);
  if (ord === null) return null;
  if (/^\d{4}$/.test(label)) return String(ord + k).padStart(4, '0');
  const t = ord + k;
  const year = Math.floor(t / 12);
  const month = t - year * 12 + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/** Calendar month (1..12) of a "YYYY-MM" label; null for annual or malformed labels. */
export function periodMonth(label: string): number | null {
  const m = /^\d{4}-(\d{2})$/.exec(label);
  return m ? Number(m[1]) : null;
}

/** Brings a start/end period to the frequency's format; null when absent or unparseable. */
export function normalisePeriod(
  value: string | null | undefined,
  frequency: SeriesFrequency,
  side: 'start' | 'end',
): string | null {
  if (value === null || value === undefined) return null;
  const m = /^(\d{4})(?:-(\d{2}))?(?:-\d{2})?$/.exec(String(value).trim());
  if (!m) return null;
  if (frequency === 'annual') return m[1]!;
  if (m[2] !== undefined) return `${m[1]}-${m[2]}`;
  return `${m[1]}-${side === 'start' ? '01' : '12'}`;
}

export interface SeriesRequest {
  metric: SeriesMetric;
  sector: SectorOrAll;
  /** Default auto. */
  frequency?: FrequencyChoice;
  /** First and last period of the window ("YYYY", "YYYY-MM" or an ISO date); defaults per §1.4. */
  start?: string | null;
  end?: string | null;
  /** The method minimum of non-null points, per frequency or one number for both. */
  minPoints: number | { monthly: number; annual: number };
  /** Keep only the longest contiguous tail (SERIES_GAP). Default true. */
  contiguous?: boolean;
  /** Default monthly window length; 36. */
  monthlyWindow?: number;
  /** Name used in warning messages, e.g. "TimeMachine.trend". */
  what?: string;
}

export interface LoadedSeries {
  metric: SeriesMetric;
  sector: SectorOrAll;
  frequency: SeriesFrequency;
  queryId: string;
  /** The query result read, for citing (its id goes into sources and citations). */
  result: QueryResult;
  unit: LevelUnit;
  seasonLength: 12 | 1;
  /** Period labels and values, oldest first, nulls dropped. */
  periods: string[];
  values: number[];
  /** values.length ≥ minPoints. When false, INSUFFICIENT_DATA was raised. */
  sufficient: boolean;
  minPoints: number;
  /** Nulls or suppressed cells dropped inside the final window. */
  missing: number;
}

const REQUIRED_FIELDS = ['period', 'sector', 'value'];

interface RawPoint {
  period: string;
  value: number | null;
}

function minFor(req: SeriesRequest, frequency: SeriesFrequency): number {
  return typeof req.minPoints === 'number' ? req.minPoints : req.minPoints[frequency];
}

/** The sector's points of a series result, period ascending; null when the rows lack the required fields. */
function sectorPoints(result: QueryResult, sector: SectorOrAll): RawPoint[] | null {
  const first = result.rows[0];
  if (first && REQUIRED_FIELDS.some((f) => !first.has(f))) return null;
  const points: RawPoint[] = [];
  for (const row of result.rows) {
    if (row.get('sector') !== sector) continue;
    const period = row.get('period');
    if (period === null || period === undefined) continue;
    const label = String(period);
    if (periodOrdinal(label) === null) continue;
    const v = row.get('value');
    const suppressed = row.get('suppressed') === true;
    points.push({ period: label, value: typeof v === 'number' && Number.isFinite(v) && !suppressed ? v : null });
  }
  return points.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}

function countValues(points: readonly RawPoint[]): number {
  return points.filter((p) => p.value !== null).length;
}

/**
 * Loads the series for one sector. Returns null only when no ts id for the metric is registered at all (with
 * INSUFFICIENT_DATA); otherwise a LoadedSeries whose `sufficient` says whether the method minimum was met.
 */
export async function loadSeries(
  client: DataClient,
  req: SeriesRequest,
  warnings: WarningCollector,
): Promise<LoadedSeries | null> {
  const what = req.what ?? 'series';
  const monthlyId = seriesQueryId(req.metric, 'monthly');
  const annualId = seriesQueryId(req.metric, 'annual');
  const choice = req.frequency ?? 'auto';

  let frequency: SeriesFrequency = 'annual';
  let result: QueryResult | null = null;
  let points: RawPoint[] | null = null;
  if (choice !== 'annual' && client.has(monthlyId)) {
    const monthly = await client.run(monthlyId);
    const mp = sectorPoints(monthly, req.sector);
    if (choice === 'monthly' || (mp !== null && countValues(mp) >= minFor(req, 'monthly'))) {
      frequency = 'monthly';
      result = monthly;
      points = mp;
    } else {
      warnings.add(
        'FREQ_FALLBACK_ANNUAL',
        `${what}: the monthly series has fewer than ${minFor(req, 'monthly')} usable points for ${req.sector}; using the annual series`,
        { monthly_points: mp === null ? 0 : countValues(mp), need: minFor(req, 'monthly') },
      );
    }
  } else if (choice === 'monthly') {
    warnings.add('FREQ_FALLBACK_ANNUAL', `${what}: no monthly series is registered; using the annual series`, {
      monthly_points: 0,
    });
  }
  if (result === null) {
    if (!client.has(annualId)) {
      warnings.insufficient(0, minFor(req, 'annual'), `${what}: no series registered for ${req.metric}`);
      return null;
    }
    result = await client.run(annualId);
    points = sectorPoints(result, req.sector);
  }

  const need = minFor(req, frequency);
  const base: Omit<LoadedSeries, 'periods' | 'values' | 'sufficient' | 'missing'> = {
    metric: req.metric,
    sector: req.sector,
    frequency,
    queryId: result.query_id,
    result,
    unit: METRIC_UNITS[req.metric],
    seasonLength: seasonLength(frequency),
    minPoints: need,
  };

  if (points === null) {
    const available = result.rows[0] ? [...result.rows[0].keys()] : [];
    warnings.add('DATA_SCHEMA_MISMATCH', `${what}: ${result.query_id} rows lack the series fields`, {
      expected: REQUIRED_FIELDS,
      available,
    });
    warnings.insufficient(0, need, what);
    return { ...base, periods: [], values: [], sufficient: false, missing: 0 };
  }
  if (points.length === 0) {
    warnings.insufficient(0, need, `${what}: no rows for sector ${req.sector} in ${result.query_id}`);
    return { ...base, periods: [], values: [], sufficient: false, missing: 0 };
  }

  // Window (§1.4): full series for annual data, the last `monthlyWindow` months for monthly data.
  const lastPeriod = points[points.length - 1]!.period;
  const end = normalisePeriod(req.end, frequency, 'end') ?? lastPeriod;
  const explicitStart = normalisePeriod(req.start, frequency, 'start');
  const start =
    explicitStart ??
    (frequency === 'monthly'
      ? (shiftPeriod(end, -((req.monthlyWindow ?? DEFAULT_MONTHLY_WINDOW) - 1)) ?? points[0]!.period)
      : points[0]!.period);
  const upToEnd = points.filter((p) => p.period <= end);
  let firstIdx = upToEnd.findIndex((p) => p.period >= start);
  if (firstIdx < 0) firstIdx = upToEnd.length;

  if (countValues(upToEnd.slice(firstIdx)) < need && firstIdx > 0) {
    let idx = firstIdx;
    while (idx > 0 && countValues(upToEnd.slice(idx)) < need) idx--;
    if (idx < firstIdx) {
      warnings.add(
        'WINDOW_EXTENDED',
        `${what}: the window holds fewer than ${need} points; extended back to ${upToEnd[idx]!.period}`,
        { requested_start: start, start: upToEnd[idx]!.period, need },
      );
      firstIdx = idx;
    }
  }
  const windowPoints = upToEnd.slice(firstIdx);
  const missing = windowPoints.length - countValues(windowPoints);
  if (missing > 0) {
    warnings.add('MISSING_VALUES', `${what}: ${missing} null or suppressed value(s) dropped`, { count: missing });
  }
  let kept = windowPoints.filter((p): p is { period: string; value: number } => p.value !== null);

  if (req.contiguous !== false && kept.length > 1) {
    let t = kept.length - 1;
    while (t > 0 && periodOrdinal(kept[t]!.period)! - periodOrdinal(kept[t - 1]!.period)! === 1) t--;
    if (t > 0) {
      warnings.add(
        'SERIES_GAP',
        `${what}: the series has a gap before ${kept[t]!.period}; using the contiguous tail from there`,
        { dropped: t, tail_start: kept[t]!.period },
      );
      kept = kept.slice(t);
    }
  }

  const sufficient = kept.length >= need;
  if (!sufficient) warnings.insufficient(kept.length, need, what);
  return {
    ...base,
    periods: kept.map((p) => p.period),
    values: kept.map((p) => p.value),
    sufficient,
    missing,
  };
}

/** A number-free heading for a loaded series, e.g. "Employment, national (ALL), annual 2017 to 2024". */
export function describeSeries(series: LoadedSeries): string {
  const who = series.sector === 'ALL' ? 'national (ALL)' : series.sector;
  const first = series.periods[0];
  const last = series.periods[series.periods.length - 1];
  const span = first === undefined || last === undefined ? '' : ` ${first} to ${last}`;
  return `${METRIC_LABELS[series.metric]}, ${who}, ${series.frequency}${span}`;
}
