/**
 * Maps a question's entities to an intent's parameters (analysis spec §2.4) and keeps track of what was used, so
 * that every entity the intent cannot use is listed in `entities_ignored` (never dropped silently). Values are
 * accepted only if they match the intent's parameter schema (`accepts`).
 */
import {
  GCC_COUNTRIES,
  SERIES_METRICS,
  type GccCountry,
  type Intent,
  type MetricId,
  type Sector,
  type SeriesMetric,
} from '../model.js';
import type {
  IgnoredEntity,
  IgnoredEntityKind,
  ParamClarification,
  ParamWarning,
  ResolvedParams,
} from '../intent-params.js';
import { mirrorOf, type Entities, type MethodName } from './entities.js';

/** True when `value` is a valid value of the parameter `name` for the intent being resolved. */
export type ParamAccepts = (name: string, value: unknown) => boolean;

const CROSS_SECTION_METRICS: readonly SeriesMetric[] = SERIES_METRICS;

export function isSeriesMetric(m: MetricId): m is SeriesMetric {
  return (SERIES_METRICS as readonly string[]).includes(m);
}

/** The result of a resolution that ends in a clarification: no params. */
export function clarificationOnly(clarification: ParamClarification | null): ResolvedParams {
  return { params: {}, defaults_applied: [], entities_ignored: [], warnings: [], clarification };
}

export class EntityMapper {
  readonly values = new Map<string, unknown>();
  readonly warnings: ParamWarning[] = [];
  clarification: ParamClarification | null = null;
  readonly entities: Entities;
  private readonly usedSectors = new Set<number>();
  private readonly usedMetrics = new Set<MetricId>();
  private readonly usedTimes = new Set<number>();
  private usedCountries = false;
  private usedTopN = false;
  private readonly usedMethods = new Set<MethodName>();
  private readonly reasons: IgnoredEntity[] = [];
  /** Param → the entities that produced it, released if an explicit value wins. */
  private readonly sourcesOf = new Map<string, (() => void)[]>();

  constructor(
    private readonly intent: Intent,
    entities: Entities | undefined,
    private readonly accepts: ParamAccepts,
  ) {
    this.entities = entities ?? emptyEntities();
  }

  /** Sets an entity-derived value if it matches the param's schema; otherwise records it as ignored. */
  set(name: string, value: unknown, release?: () => void): boolean {
    if (!this.accepts(name, value)) {
      release?.();
      return false;
    }
    this.values.set(name, value);
    if (release) this.sourcesOf.set(name, [...(this.sourcesOf.get(name) ?? []), release]);
    return true;
  }

  releaseOverridden(explicit: Readonly<Record<string, unknown>>): void {
    for (const name of Object.keys(explicit)) {
      for (const release of this.sourcesOf.get(name) ?? []) release();
    }
  }

  ignore(entity: IgnoredEntityKind, value: unknown, reason: string): void {
    this.reasons.push({ entity, value, reason });
  }

  useMetrics(metrics: readonly MetricId[]): void {
    for (const m of metrics) this.usedMetrics.add(m);
  }

  /** Any metric outside the five series metrics: clarification unsupported_metric (§2.4). */
  seriesOnly(): boolean {
    const bad = this.entities.metrics.find((m) => !isSeriesMetric(m));
    if (bad === undefined) return true;
    this.unsupported(bad, SERIES_METRICS);
    return false;
  }

  private unsupported(metric: MetricId, supported: readonly MetricId[]): void {
    this.clarification = { reason: 'unsupported_metric', missing: ['metric'], metric, supported };
  }

  /** Any metric without a sector cross-section (the GCC ones) with none that has one: unsupported_metric. */
  crossSectionOnly(): boolean {
    const named = this.entities.metrics;
    if (named.length === 0 || named.some((m) => isSeriesMetric(m))) return true;
    this.unsupported(named[0]!, CROSS_SECTION_METRICS);
    return false;
  }

  /**
   * The first named metric the param allows. If metrics are named but none is allowed: unsupported_metric, unless
   * `strict` is false (the default then stands).
   */
  firstAllowed(name: string, allowed: readonly MetricId[], strict = true): MetricId | null {
    const named = this.entities.metrics;
    const m = named.find((x) => allowed.includes(x));
    if (m === undefined) {
      if (named.length > 0 && strict) this.unsupported(named[0]!, allowed);
      return null;
    }
    this.usedMetrics.add(m);
    this.set(name, m, () => this.usedMetrics.delete(m));
    return m;
  }

  /** Up to two allowed metrics that are not a mirror pair; the second is null when only one is usable. */
  metricPair(allowed: readonly MetricId[]): [MetricId, MetricId | null] | null {
    const named = this.entities.metrics;
    const ok = named.filter((x) => allowed.includes(x));
    if (ok.length === 0) {
      if (named.length > 0) this.unsupported(named[0]!, allowed);
      return null;
    }
    const a = ok[0]!;
    this.usedMetrics.add(a);
    const b = ok.slice(1).find((x) => x !== mirrorOf(a)) ?? null;
    if (b !== null) this.usedMetrics.add(b);
    for (const x of ok.slice(1)) {
      if (x === mirrorOf(a)) this.ignore('metrics', x, `mirror of ${a}: the pair is never analysed together`);
    }
    return [a, b];
  }

  /** Other named metrics (mirror and outcome excluded) as drivers. */
  drivers(name: string, outcome: MetricId, pool: readonly MetricId[]): void {
    const drivers: MetricId[] = [];
    for (const m of this.entities.metrics) {
      if (m === outcome || !pool.includes(m)) continue;
      if (m === mirrorOf(outcome)) {
        this.ignore('metrics', m, `mirror of ${outcome}: never a driver of it`);
        continue;
      }
      drivers.push(m);
    }
    if (drivers.length === 0) return;
    for (const d of drivers) this.usedMetrics.add(d);
    this.set(name, drivers, () => drivers.forEach((d) => this.usedMetrics.delete(d)));
  }

  /** Cross-sectional focus: the first named sector other than ALL (ALL is the default view). */
  focusSector(name: string): Sector | null {
    const idx = this.entities.sectors.findIndex((s) => s !== 'ALL');
    const allIdx = this.entities.sectors.indexOf('ALL');
    if (allIdx >= 0) this.usedSectors.add(allIdx);
    if (idx < 0) return null;
    const s = this.entities.sectors[idx] as Sector;
    this.usedSectors.add(idx);
    this.set(name, s, () => this.usedSectors.delete(idx));
    return s;
  }

  /** Time-series sector: the first named sector, ALL included. */
  seriesSector(name: string): void {
    if (this.entities.sectors.length === 0) return;
    const s = this.entities.sectors[0]!;
    this.usedSectors.add(0);
    this.set(name, s, () => this.usedSectors.delete(0));
  }

  /** driver_screen cohorts: the named sectors (ALL means all ten, the default). */
  cohorts(name: string): void {
    const named: Sector[] = [];
    this.entities.sectors.forEach((s, i) => {
      this.usedSectors.add(i);
      if (s !== 'ALL') named.push(s);
    });
    if (named.length > 0) this.set(name, named);
  }

  topN(name: string): void {
    const n = this.entities.top_n;
    if (n === null) return;
    if (this.set(name, n, () => (this.usedTopN = false))) this.usedTopN = true;
    else this.ignore('top_n', n, `outside the range of ${name}`);
  }

  method(name: string, allowed: readonly string[]): void {
    const m = this.entities.methods.find((x) => allowed.includes(x));
    if (m === undefined) return;
    this.usedMethods.add(m);
    this.set(name, m, () => this.usedMethods.delete(m));
  }

  methodList(name: string, allowed: readonly string[]): void {
    const ms = this.entities.methods.filter((x) => allowed.includes(x));
    if (ms.length === 0) return;
    for (const m of ms) this.usedMethods.add(m);
    this.set(name, ms, () => ms.forEach((m) => this.usedMethods.delete(m)));
  }

  /** GCC countries: the named ones plus Qatar; fewer than 3 lowers min_countries to their number. */
  countries(): void {
    const named = this.entities.countries;
    if (named.length === 0) return;
    this.usedCountries = true;
    if (!named.some((c) => c !== 'QAT')) return;
    const set = new Set<GccCountry>([...named, 'QAT']);
    const list = GCC_COUNTRIES.filter((c) => set.has(c));
    this.set('countries', list);
    if (list.length < 3) this.set('min_countries', Math.max(2, list.length));
  }

  /** The first backward time → start/end. */
  window(): void {
    const i = this.entities.time.findIndex((t) => t.kind !== 'forward');
    if (i < 0) return;
    const t = this.entities.time[i]!;
    if (t.kind === 'forward') return;
    this.usedTimes.add(i);
    this.set('start', t.start);
    this.set('end', t.end);
  }

  /** The first forward time → horizon in months, capped (HORIZON_CAPPED). */
  horizon(name: string, cap: number): void {
    const i = this.entities.time.findIndex((t) => t.kind === 'forward');
    if (i < 0) return;
    const t = this.entities.time[i]!;
    if (t.kind !== 'forward') return;
    this.usedTimes.add(i);
    let months = t.forward_months;
    if (months > cap) {
      this.warnings.push({
        code: 'HORIZON_CAPPED',
        message: `The question asks for ${months} months ahead; the horizon is capped at ${cap} months.`,
        details: { requested_months: months, horizon_months: cap },
      });
      months = cap;
    }
    this.set(name, months, () => this.usedTimes.delete(i));
  }

  /** A forward year → target_year. */
  targetYear(name: string): void {
    const i = this.entities.time.findIndex((t) => t.kind === 'forward' && t.target_year !== undefined);
    if (i < 0) return;
    const t = this.entities.time[i]!;
    if (t.kind !== 'forward' || t.target_year === undefined) return;
    if (this.set(name, t.target_year, () => this.usedTimes.delete(i))) this.usedTimes.add(i);
  }

  /** Every entity the intent did not use, with the reasons recorded on the way. */
  ignoredList(usedChanges: ReadonlySet<number> = new Set()): IgnoredEntity[] {
    const e = this.entities;
    const out: IgnoredEntity[] = [...this.reasons];
    const generic = `not used by ${this.intent}`;
    e.sectors.forEach((s, i) => {
      if (!this.usedSectors.has(i)) out.push({ entity: 'sectors', value: s, reason: generic });
    });
    for (const m of e.metrics) {
      if (!this.usedMetrics.has(m) && !this.reasons.some((r) => r.entity === 'metrics' && r.value === m)) {
        out.push({ entity: 'metrics', value: m, reason: generic });
      }
    }
    if (e.countries.length > 0 && !this.usedCountries)
      out.push({ entity: 'countries', value: e.countries, reason: generic });
    e.time.forEach((t, i) => {
      if (!this.usedTimes.has(i)) out.push({ entity: 'time', value: t, reason: generic });
    });
    e.changes.forEach((c, i) => {
      if (!usedChanges.has(i) && !this.reasons.some((r) => r.entity === 'changes' && r.value === c)) {
        out.push({ entity: 'changes', value: c, reason: generic });
      }
    });
    if (e.top_n !== null && !this.usedTopN && !this.reasons.some((r) => r.entity === 'top_n')) {
      out.push({ entity: 'top_n', value: e.top_n, reason: generic });
    }
    for (const m of e.methods) {
      if (!this.usedMethods.has(m)) out.push({ entity: 'methods', value: m, reason: generic });
    }
    return out;
  }

  useSector(i: number): void {
    this.usedSectors.add(i);
  }

  useTime(i: number): void {
    this.usedTimes.add(i);
  }

  useMetric(m: MetricId): void {
    this.usedMetrics.add(m);
  }
}

export function emptyEntities(): Entities {
  return {
    sectors: [],
    metrics: [],
    countries: [],
    time: [],
    numbers: [],
    changes: [],
    top_n: null,
    methods: [],
    cues: {
      conditional: false,
      company: false,
      scenario_cases: false,
      world_bank: false,
      vision_2030: false,
      target_percent: null,
    },
  };
}
