/**
 * Payloads of the dashboard's JSON endpoints (ui.md §5, §6): meta, KPIs, cards and charts, computed from registry
 * queries only (year-filtered specs run with a `year` override). No HTTP here; the routes shape the replies.
 */
import { HttpError } from './errors.js';
import { isDataError } from '../data/errors.js';
import type { QueryService } from '../data/query-service.js';
import type { QueryResult, Row, Scalar } from '../data/model.js';
import {
  VISION_2030_TARGET_PCT,
  isQatar,
  type CardPayload,
  type CardsPayload,
  type CategoryChartPayload,
  type ChartPayload,
  type ChartSource,
  type SeriesChartPayload,
} from '../charts/payloads.js';
import { chartTitle, sectorLabel, type ChartLang, type ChartName } from '../charts/labels.js';

/** Registry ids behind the dashboard; each per-year spec is run with a `year` override. */
export const UI_QUERIES = {
  /** Every year and sector of the employment aggregate: the candidate years of all per-year datasets. */
  years: 'syn_sector_employment_all_years',
  employment: 'syn_sector_employment_by_year',
  qatarization: 'syn_qatarization_components',
  salary: 'syn_avg_salary_by_sector',
  attrition: 'syn_attrition_rate_by_sector',
  ewi: 'syn_ewi_employment_drop',
  share: 'syn_employment_share_by_gender_2017_2024',
  gcc: 'syn_unemployment_gcc_latest',
} as const;

type PerYearDataset = 'employment' | 'qatarization' | 'salary' | 'attrition' | 'ewi' | 'share';

/** Dataset keys named in "No data available for '<key>'" messages. */
const DATASET_KEYS: Record<PerYearDataset | 'gcc', string> = {
  employment: 'sector_employment',
  qatarization: 'qatarization_by_sector',
  salary: 'avg_salary_by_sector',
  attrition: 'attrition_by_sector',
  ewi: 'ewi_employment_drop',
  share: 'employment_share_by_gender',
  gcc: 'unemployment_gcc',
};

export const SYNTHETIC_LICENSE = 'MIT-SYNTHETIC';
const YEARS_MEMO_MS = 60_000;

export interface MetaPayload {
  data_mode: 'synthetic' | 'live';
  registry_version: string;
  years: number[];
  latest_common_year: number | null;
  sectors: string[];
  countries: string[];
  vision2030_target_pct: number;
  service_version: string;
}

export type KpiId = 'total_employment' | 'qatarization_pct' | 'avg_salary_qar' | 'attrition_pct';

export interface KpiCard {
  id: KpiId;
  title: string;
  kpi: number | null;
  unit: 'persons' | 'percent' | 'qar';
  meta: {
    year: number;
    query_id: string;
    asof: string | null;
    previous: number | null;
    change: number | null;
    change_unit: 'pp' | 'percent';
  };
}

export interface KpisPayload {
  year: number;
  cards: KpiCard[];
  warnings: string[];
}

export interface EmploymentSharePayload {
  year: number;
  male: number | null;
  female: number | null;
  total: number | null;
}

export function noData(key: string): HttpError {
  return new HttpError(404, 'no_data', `No data available for '${key}'`);
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f + (value >= 0 ? 1e-9 : -1e-9)) / f;
  return Object.is(r, -0) ? 0 : r;
}

function numberOf(row: Row, key: string): number | null {
  const v: Scalar | undefined = row.get(key);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function textOf(row: Row, key: string): string {
  const v = row.get(key);
  return v === null || v === undefined ? '' : String(v);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Descending by value, ties by name: the order of the sorted bar charts. */
function descending<T extends { name: string; value: number }>(items: T[]): T[] {
  return [...items].sort((a, b) => b.value - a.value || byName(a.name, b.name));
}

function sourceOf(results: readonly QueryResult[]): ChartSource {
  const asofs = results.map((r) => r.freshness.asof_date).filter((d): d is string => d !== null);
  const licenses = [...new Set(results.map((r) => r.provenance.license).filter((l): l is string => l !== null))];
  return {
    query_ids: [...new Set(results.map((r) => r.query_id))],
    asof: asofs.length > 0 ? asofs.sort()[asofs.length - 1]! : null,
    license: licenses.length > 0 ? licenses.join('; ') : null,
    warnings: [...new Set(results.flatMap((r) => r.warnings))],
  };
}

interface SectorValue {
  name: string;
  value: number;
}

export interface UiDataOptions {
  queries: QueryService;
  serviceVersion: string;
  /** Overrides the data mode derived from the licence of the employment data. */
  dataMode?: 'synthetic' | 'live';
  now?: () => number;
}

/** The dashboard's data, read through the query service (cached there) with a short memo of the years per dataset. */
export class UiData {
  private readonly queries: QueryService;
  private readonly opts: UiDataOptions;
  private readonly yearsMemo = new Map<string, { at: number; years: Promise<number[]> }>();

  constructor(opts: UiDataOptions) {
    this.queries = opts.queries;
    this.opts = opts;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** The per-year dataset for one year, or null when that year has no rows. */
  async forYear(dataset: PerYearDataset, year: number): Promise<QueryResult | null> {
    try {
      const result = await this.queries.run(UI_QUERIES[dataset], { overrides: { year }, mode: 'json' });
      return result.rows.length > 0 ? result : null;
    } catch (err) {
      if (isDataError(err) && (err.code === 'no_rows_matched' || err.code === 'source_not_found')) return null;
      throw err;
    }
  }

  private async requireYear(dataset: PerYearDataset, year: number): Promise<QueryResult> {
    const result = await this.forYear(dataset, year);
    if (result === null) throw noData(`${DATASET_KEYS[dataset]}/${year}`);
    return result;
  }

  /** Years of the employment aggregate (ascending): the candidates for every per-year dataset. */
  async candidateYears(): Promise<number[]> {
    let result: QueryResult;
    try {
      result = await this.queries.run(UI_QUERIES.years, { mode: 'json' });
    } catch (err) {
      if (isDataError(err) && (err.code === 'no_rows_matched' || err.code === 'source_not_found')) return [];
      throw err;
    }
    const years = new Set<number>();
    for (const row of result.rows) {
      const y = numberOf(row, 'year');
      if (y !== null && Number.isInteger(y)) years.add(y);
    }
    return [...years].sort((a, b) => a - b);
  }

  /** Years present in a dataset (ascending), memoised for a minute per registry version. */
  yearsOf(dataset: PerYearDataset): Promise<number[]> {
    const key = `${this.queries.registry.version()}:${dataset}`;
    const known = this.yearsMemo.get(key);
    if (known && this.now() - known.at < YEARS_MEMO_MS) return known.years;
    const years = (async () => {
      const candidates = await this.candidateYears();
      const present = await Promise.all(candidates.map(async (y) => ((await this.forYear(dataset, y)) ? y : null)));
      return present.filter((y): y is number => y !== null);
    })();
    this.yearsMemo.set(key, { at: this.now(), years });
    years.catch(() => this.yearsMemo.delete(key));
    return years;
  }

  /** The requested year, or the latest year present in the dataset (ui.md §6 latest-year defaulting). */
  async resolveYear(dataset: PerYearDataset, year: number | undefined): Promise<number> {
    if (year !== undefined) return year;
    const years = await this.yearsOf(dataset);
    if (years.length === 0) throw noData(DATASET_KEYS[dataset]);
    return years[years.length - 1]!;
  }

  private sectorValues(result: QueryResult, column: string): SectorValue[] {
    const out: SectorValue[] = [];
    for (const row of result.rows) {
      const value = numberOf(row, column);
      const name = textOf(row, 'sector');
      if (value !== null && name !== '') out.push({ name, value });
    }
    return out;
  }

  async meta(): Promise<MetaPayload> {
    const datasets: PerYearDataset[] = ['employment', 'qatarization', 'salary', 'attrition'];
    const perDataset = await Promise.all(datasets.map((d) => this.yearsOf(d)));
    const all = [...new Set(perDataset.flat())].sort((a, b) => a - b);
    const common = all.filter((y) => perDataset.every((ys) => ys.includes(y)));
    const latestCommon = common.length > 0 ? common[common.length - 1]! : null;
    const employmentYears = perDataset[0]!;
    const sectorYear = latestCommon ?? employmentYears[employmentYears.length - 1];
    let sectors: string[] = [];
    let license: string | null = null;
    if (sectorYear !== undefined) {
      const employment = await this.forYear('employment', sectorYear);
      if (employment) {
        sectors = descending(this.sectorValues(employment, 'employees')).map((s) => s.name);
        license = employment.provenance.license;
      }
    }
    let countries: string[] = [];
    try {
      const gcc = await this.queries.run(UI_QUERIES.gcc, { mode: 'json' });
      countries = [...new Set(gcc.rows.map((r) => textOf(r, 'country')).filter((c) => c !== ''))];
    } catch (err) {
      if (!isDataError(err)) throw err;
    }
    return {
      data_mode: this.opts.dataMode ?? (license === SYNTHETIC_LICENSE ? 'synthetic' : 'live'),
      registry_version: this.queries.registry.version(),
      years: all,
      latest_common_year: latestCommon,
      sectors,
      countries,
      vision2030_target_pct: VISION_2030_TARGET_PCT,
      service_version: this.opts.serviceVersion,
    };
  }

  async kpis(requested: number | undefined): Promise<KpisPayload> {
    const year = requested ?? (await this.meta()).latest_common_year;
    if (year === null) throw noData('kpis');
    const load = (dataset: PerYearDataset, y: number) => this.forYear(dataset, y);
    const [emp, empPrev, qat, qatPrev, sal, salPrev, att, attPrev] = await Promise.all([
      load('employment', year),
      load('employment', year - 1),
      load('qatarization', year),
      load('qatarization', year - 1),
      load('salary', year),
      load('salary', year - 1),
      load('attrition', year),
      load('attrition', year - 1),
    ]);
    const warnings: string[] = [];
    const total = (r: QueryResult | null): number | null =>
      r === null ? null : this.sectorValues(r, 'employees').reduce((s, v) => s + v.value, 0);
    const qatarization = (r: QueryResult | null): number | null => {
      if (r === null) return null;
      let q = 0;
      let all = 0;
      for (const row of r.rows) {
        const qa = numberOf(row, 'qataris');
        const nq = numberOf(row, 'non_qataris');
        if (qa === null || nq === null) continue;
        q += qa;
        all += qa + nq;
      }
      return all > 0 ? round((100 * q) / all, 2) : null;
    };
    const weighted = (
      r: QueryResult | null,
      employment: QueryResult | null,
      column: string,
      fallbackWarning: string,
      decimals: number,
      collect: boolean,
    ): number | null => {
      if (r === null) return null;
      const values = this.sectorValues(r, column);
      if (values.length === 0) return null;
      if (employment !== null) {
        const weights = new Map(this.sectorValues(employment, 'employees').map((s) => [s.name, s.value]));
        let num = 0;
        let den = 0;
        for (const v of values) {
          const w = weights.get(v.name);
          if (w === undefined) continue;
          num += v.value * w;
          den += w;
        }
        if (den > 0) return round(num / den, decimals);
      }
      if (collect) warnings.push(fallbackWarning);
      return round(values.reduce((s, v) => s + v.value, 0) / values.length, decimals);
    };
    const card = (
      id: KpiId,
      title: string,
      unit: KpiCard['unit'],
      result: QueryResult | null,
      queryId: string,
      value: number | null,
      previous: number | null,
    ): KpiCard => {
      if (result === null) warnings.push(`no_data:${id}`);
      const changeUnit = unit === 'percent' ? 'pp' : 'percent';
      let change: number | null = null;
      if (value !== null && previous !== null) {
        if (changeUnit === 'pp') change = round(value - previous, 2);
        else if (previous !== 0) change = round(((value - previous) / previous) * 100, 2);
      }
      return {
        id,
        title,
        kpi: value,
        unit,
        meta: {
          year,
          query_id: queryId,
          asof: result?.freshness.asof_date ?? null,
          previous,
          change,
          change_unit: changeUnit,
        },
      };
    };
    const cards = [
      card('total_employment', 'Total employment', 'persons', emp, UI_QUERIES.employment, total(emp), total(empPrev)),
      card(
        'qatarization_pct',
        'Qatarization',
        'percent',
        qat,
        UI_QUERIES.qatarization,
        qatarization(qat),
        qatarization(qatPrev),
      ),
      card(
        'avg_salary_qar',
        'Average salary',
        'qar',
        sal,
        UI_QUERIES.salary,
        weighted(sal, emp, 'avg_salary_qr', 'avg_salary_unweighted', 2, true),
        weighted(salPrev, empPrev, 'avg_salary_qr', 'avg_salary_unweighted', 2, false),
      ),
      card(
        'attrition_pct',
        'Attrition',
        'percent',
        att,
        UI_QUERIES.attrition,
        weighted(att, emp, 'attrition_percent', 'attrition_unweighted', 2, true),
        weighted(attPrev, empPrev, 'attrition_percent', 'attrition_unweighted', 2, false),
      ),
    ];
    if (cards.every((c) => c.kpi === null)) throw noData(`kpis/${year}`);
    return { year, cards, warnings };
  }

  async topSectors(requested: number | undefined, n: number): Promise<CardsPayload> {
    const year = await this.resolveYear('employment', requested);
    const result = await this.requireYear('employment', year);
    const values = descending(this.sectorValues(result, 'employees'));
    const total = values.reduce((s, v) => s + v.value, 0);
    const cards: CardPayload[] = values.slice(0, n).map((v) => ({
      title: v.name,
      subtitle: `Employment ${year}`,
      kpi: Math.round(v.value),
      unit: 'persons',
      meta: { year, share_pct: total > 0 ? round((100 * v.value) / total, 1) : null },
    }));
    return { cards, source: sourceOf([result]) };
  }

  async ewi(requested: number | undefined, threshold: number, n: number): Promise<CardsPayload> {
    const year = await this.resolveYear('ewi', requested);
    const result = await this.requireYear('ewi', year);
    const cards: CardPayload[] = descending(this.sectorValues(result, 'drop_percent'))
      .filter((v) => v.value >= threshold)
      .slice(0, n)
      .map((v) => ({
        title: v.name,
        subtitle: `EWI drop ${year}`,
        kpi: v.value,
        unit: 'percent',
        meta: { year, threshold },
      }));
    return { cards, source: sourceOf([result]) };
  }

  async sectorEmployment(requested: number | undefined, lang: ChartLang): Promise<CategoryChartPayload> {
    const year = await this.resolveYear('employment', requested);
    const result = await this.requireYear('employment', year);
    const values = descending(this.sectorValues(result, 'employees'));
    return {
      title: chartTitle('sector-employment', lang, { year }),
      year,
      categories: values.map((v) => v.name),
      values: values.map((v) => Math.round(v.value)),
      unit: 'persons',
      source: sourceOf([result]),
    };
  }

  async qatarization(requested: number | undefined, lang: ChartLang): Promise<CategoryChartPayload> {
    const year = await this.resolveYear('qatarization', requested);
    const result = await this.requireYear('qatarization', year);
    const rows: { name: string; value: number; q: number; nq: number }[] = [];
    for (const row of result.rows) {
      const name = textOf(row, 'sector');
      const q = numberOf(row, 'qataris');
      const nq = numberOf(row, 'non_qataris');
      let value = numberOf(row, 'qatarization_percent');
      if (value === null && q !== null && nq !== null && q + nq > 0) value = round((100 * q) / (q + nq), 2);
      if (name === '' || value === null) continue;
      rows.push({ name, value, q: q ?? 0, nq: nq ?? 0 });
    }
    const sorted = descending(rows);
    return {
      title: chartTitle('qatarization-by-sector', lang, { year }),
      year,
      categories: sorted.map((r) => r.name),
      values: sorted.map((r) => r.value),
      qataris: sorted.map((r) => Math.round(r.q)),
      non_qataris: sorted.map((r) => Math.round(r.nq)),
      unit: 'percent',
      reference_lines: [{ label: 'Vision 2030 target', value: VISION_2030_TARGET_PCT }],
      source: sourceOf([result]),
    };
  }

  /** Average salary of one sector for every year of the salary dataset (the all-years series). */
  private async salarySeries(sector: string): Promise<{ points: { x: number; y: number }[]; results: QueryResult[] }> {
    const years = await this.yearsOf('salary');
    const results = (await Promise.all(years.map((y) => this.forYear('salary', y)))).filter(
      (r): r is QueryResult => r !== null,
    );
    const points: { x: number; y: number }[] = [];
    const used: QueryResult[] = [];
    for (const result of results) {
      for (const row of result.rows) {
        if (textOf(row, 'sector') !== sector) continue;
        const x = numberOf(row, 'year');
        const y = numberOf(row, 'avg_salary_qr');
        if (x === null || y === null) continue;
        points.push({ x, y });
        used.push(result);
      }
    }
    if (points.length === 0) throw noData(`${DATASET_KEYS.salary}/${sector}`);
    points.sort((a, b) => a.x - b.x);
    return { points, results: used };
  }

  async salaryTrend(sector: string, lang: ChartLang): Promise<SeriesChartPayload> {
    const { points, results } = await this.salarySeries(sector);
    return {
      title: chartTitle('salary-trend', lang, { sector: sectorLabel(sector, lang) }),
      sector,
      unit: 'qar',
      series: points,
      source: sourceOf(results),
    };
  }

  async salaryYoy(sector: string, lang: ChartLang): Promise<SeriesChartPayload> {
    const { points, results } = await this.salarySeries(sector);
    const series = points.map((p, i) => {
      const prev = i > 0 ? points[i - 1]! : undefined;
      const y = prev && prev.x === p.x - 1 && prev.y !== 0 ? round(((p.y - prev.y) / prev.y) * 100, 2) : null;
      return { x: p.x, y };
    });
    return {
      title: chartTitle('salary-yoy', lang, { sector: sectorLabel(sector, lang) }),
      sector,
      unit: 'percent',
      series,
      source: sourceOf(results),
    };
  }

  async attrition(requested: number | undefined, lang: ChartLang): Promise<CategoryChartPayload> {
    const year = await this.resolveYear('attrition', requested);
    const result = await this.requireYear('attrition', year);
    const employment = await this.forYear('employment', year);
    const values = descending(this.sectorValues(result, 'attrition_percent'));
    const weights = new Map(employment ? this.sectorValues(employment, 'employees').map((s) => [s.name, s.value]) : []);
    let num = 0;
    let den = 0;
    for (const v of values) {
      const w = weights.get(v.name);
      if (w === undefined) continue;
      num += v.value * w;
      den += w;
    }
    const source = sourceOf(employment ? [result, employment] : [result]);
    let average: number;
    if (den > 0) average = round(num / den, 2);
    else {
      average = round(values.reduce((s, v) => s + v.value, 0) / Math.max(1, values.length), 2);
      source.warnings.push('attrition_unweighted');
    }
    return {
      title: chartTitle('attrition-by-sector', lang, { year }),
      year,
      categories: values.map((v) => v.name),
      values: values.map((v) => v.value),
      unit: 'percent',
      reference_lines: [{ label: 'Average', value: average }],
      flags: values.map((v) => (v.value > 1.5 * average ? 'high' : v.value >= average ? 'moderate' : 'low')),
      source,
    };
  }

  async employmentShare(requested: number | undefined): Promise<EmploymentSharePayload> {
    const year = await this.resolveYear('share', requested);
    const result = await this.requireYear('share', year);
    const row = result.rows[0]!;
    return {
      year,
      male: numberOf(row, 'male_percent'),
      female: numberOf(row, 'female_percent'),
      total: numberOf(row, 'total_percent'),
    };
  }

  async gcc(lang: ChartLang): Promise<CategoryChartPayload> {
    let result: QueryResult;
    try {
      result = await this.queries.run(UI_QUERIES.gcc, { mode: 'json' });
    } catch (err) {
      if (isDataError(err) && (err.code === 'no_rows_matched' || err.code === 'source_not_found')) {
        throw noData(DATASET_KEYS.gcc);
      }
      throw err;
    }
    const rows: { name: string; value: number; year: number | null }[] = [];
    for (const row of result.rows) {
      const name = textOf(row, 'country');
      const value = numberOf(row, 'value') ?? numberOf(row, 'unemployment_percent');
      if (name === '' || value === null) continue;
      rows.push({ name, value, year: numberOf(row, 'year') });
    }
    if (rows.length < 2) throw noData(DATASET_KEYS.gcc);
    rows.sort((a, b) => a.value - b.value || byName(a.name, b.name));
    const average = round(rows.reduce((s, r) => s + r.value, 0) / rows.length, 2);
    const qatarIndex = rows.findIndex((r) => isQatar(r.name));
    const qatar = qatarIndex >= 0 ? rows[qatarIndex]! : null;
    const years = rows.map((r) => r.year).filter((y): y is number => y !== null);
    const year = years.length > 0 ? Math.max(...years) : 0;
    return {
      title: chartTitle('gcc-unemployment', lang, { year }),
      year,
      categories: rows.map((r) => r.name),
      values: rows.map((r) => r.value),
      unit: 'percent',
      ranking: {
        qatar_rank: qatar ? qatarIndex + 1 : null,
        of: rows.length,
        qatar_rate: qatar ? qatar.value : null,
        gcc_average: average,
        gap_pp: qatar ? round(qatar.value - average, 2) : null,
      },
      reference_lines: [{ label: 'GCC average', value: average }],
      source: sourceOf([result]),
    };
  }

  /** The payload behind a chart export (ui.md §7.1), with the chart endpoint's parameters. */
  async chart(
    chart: ChartName,
    params: { year?: number; sector?: string; n?: number; threshold?: number },
    lang: ChartLang,
  ): Promise<ChartPayload> {
    switch (chart) {
      case 'sector-employment':
        return this.sectorEmployment(params.year, lang);
      case 'qatarization-by-sector':
        return this.qatarization(params.year, lang);
      case 'attrition-by-sector':
        return this.attrition(params.year, lang);
      case 'gcc-unemployment':
        return this.gcc(lang);
      case 'salary-trend':
      case 'salary-yoy': {
        if (params.sector === undefined) {
          throw new HttpError(422, 'validation_failed', 'request does not match the schema', {
            details: [{ path: 'querystring.sector', message: "must have required property 'sector'" }],
          });
        }
        return chart === 'salary-trend' ? this.salaryTrend(params.sector, lang) : this.salaryYoy(params.sector, lang);
      }
      case 'top-sectors':
        return this.topSectors(params.year, params.n ?? 5);
      case 'ewi':
        return this.ewi(params.year, params.threshold ?? 3, params.n ?? 5);
    }
  }
}
