/**
 * Entity extraction (analysis spec §2.5): sectors, metrics, countries, times, numbers with units, top-N, change
 * expressions and cues, all matched on whole folded tokens and listed in order of first mention.
 */
import { GCC_COUNTRIES, type GccCountry, type MetricId, type Sector, type SectorOrAll } from '../model.js';
import {
  ChangeExtractor,
  type ChangeMode,
  type FoundChange,
  type FoundNumber,
  type MetricMention,
  type NumberUnit,
} from './change-expressions.js';
import { PhraseTable, tableFromList, tableFromMapping } from './phrase-table.js';
import type { CorrelationMethodName, ForecastMethodName, LexiconConfig } from './router-config.js';
import { isNumberToken, type AnalysedText } from './text.js';
import { TimeExtractor, type FoundTime, type TimeEntity } from './time-expressions.js';

export type { NumberUnit, ChangeMode, TimeEntity };

/** "Better" direction of every metric (§1.6). */
export const METRIC_DIRECTION: Readonly<Record<MetricId, 'higher' | 'lower'>> = {
  employment: 'higher',
  retention: 'higher',
  attrition: 'lower',
  qatarization: 'higher',
  avg_salary: 'higher',
  unemployment: 'lower',
  labour_force_participation: 'higher',
  female_labour_force_participation: 'higher',
};

/** Retention and attrition mirror each other; neither is ever a driver of the other (§1.6). */
export function mirrorOf(metric: MetricId): MetricId | null {
  return metric === 'retention' ? 'attrition' : metric === 'attrition' ? 'retention' : null;
}

export interface NumberEntity {
  value: number;
  unit: NumberUnit;
  /** [start, end) character offsets in the normalised question. */
  span: [number, number];
}

export interface ChangeEntity {
  /** The metric named in or next to the expression; null when none is. */
  metric: MetricId | null;
  /** +1 up, −1 down; "improve"/"worsen" resolved with the expression's metric, else the question's first metric. */
  direction: 1 | -1;
  magnitude: number;
  unit: NumberUnit;
  mode: ChangeMode;
  rate_period?: 'year' | 'month';
  /** Present for "improve"/"worsen": the direction follows the metric's "better" direction. */
  relative?: 'better' | 'worse';
  /** The words as written. */
  text: string;
}

export type MethodName = ForecastMethodName | CorrelationMethodName;

export interface EntityCues {
  /** what if, if, suppose, assume, imagine, scenario, simulate. */
  conditional: boolean;
  /** company, employer or firm. */
  company: boolean;
  /** optimistic, pessimistic, best case, worst case. */
  scenario_cases: boolean;
  world_bank: boolean;
  vision_2030: boolean;
  /** A percentage next to a target word ("the 30% target"). */
  target_percent: number | null;
}

export interface Entities {
  sectors: SectorOrAll[];
  metrics: MetricId[];
  countries: GccCountry[];
  time: TimeEntity[];
  numbers: NumberEntity[];
  changes: ChangeEntity[];
  top_n: number | null;
  /** Forecast and correlation method names, in order of first mention. */
  methods: MethodName[];
  cues: EntityCues;
}

/** Extraction details the router needs beyond the public entities. */
export interface Extraction {
  entities: Entities;
  /** The change expressions with their raw polarity (for direction resolution against the final metric). */
  changes: FoundChange[];
  /** Reversed ranges that were swapped. */
  swappedRanges: { from: number; to: number }[];
}

type SectorValue = Sector | 'ALL' | null;
const TARGET_REACH = 3;

export class EntityExtractor {
  private readonly named: PhraseTable<string>;
  private readonly consumedSectors: PhraseTable<null>;
  private readonly sectors: PhraseTable<SectorValue>;
  private readonly caseSensitiveSectors: ReadonlyMap<string, Sector>;
  private readonly metrics: PhraseTable<MetricId>;
  private readonly countries: PhraseTable<readonly GccCountry[]>;
  private readonly percentUnits: PhraseTable<string>;
  private readonly ppUnits: PhraseTable<string>;
  private readonly qarUnits: PhraseTable<string>;
  private readonly qarPrefix: ReadonlySet<string>;
  private readonly numberWords: ReadonlyMap<string, number>;
  private readonly topPrefix: ReadonlySet<string>;
  private readonly topSuffix: ReadonlySet<string>;
  private readonly conditional: PhraseTable<string>;
  private readonly company: PhraseTable<string>;
  private readonly cases: PhraseTable<string>;
  private readonly worldBank: PhraseTable<string>;
  private readonly targets: PhraseTable<string>;
  private readonly methods: PhraseTable<MethodName>;
  private readonly time: TimeExtractor;
  private readonly change: ChangeExtractor;

  constructor(lexicon: LexiconConfig, latestDataYear: number, changeWindow: number) {
    this.named = tableFromList(lexicon.named_phrases);
    this.consumedSectors = new PhraseTable(lexicon.sector_consumed.map((text) => ({ text, value: null })));
    this.sectors = new PhraseTable<SectorValue>([
      ...Object.entries(lexicon.sectors).flatMap(([sector, phrases]) =>
        phrases.map((text) => ({ text, value: sector as Sector })),
      ),
      ...lexicon.all_sectors.map((text) => ({ text, value: 'ALL' as const })),
    ]);
    const cs = new Map<string, Sector>();
    for (const [sector, words] of Object.entries(lexicon.sector_case_sensitive)) {
      for (const w of words ?? []) cs.set(w, sector as Sector);
    }
    this.caseSensitiveSectors = cs;
    this.metrics = tableFromMapping(lexicon.metrics);
    this.countries = new PhraseTable<readonly GccCountry[]>([
      ...Object.entries(lexicon.countries).flatMap(([iso, phrases]) =>
        phrases.map((text) => ({ text, value: [iso as GccCountry] })),
      ),
      ...lexicon.country_groups.map((text) => ({ text, value: GCC_COUNTRIES })),
    ]);
    this.percentUnits = tableFromList(lexicon.numbers.percent);
    this.ppUnits = tableFromList(lexicon.numbers.pp);
    this.qarUnits = tableFromList(lexicon.numbers.qar);
    this.qarPrefix = new Set(lexicon.numbers.qar_prefix.map((w) => w.toLowerCase()));
    this.numberWords = new Map(Object.entries(lexicon.numbers.words).map(([w, n]) => [w.toLowerCase(), n]));
    this.topPrefix = new Set(lexicon.top_n.prefix.map((w) => w.toLowerCase()));
    this.topSuffix = new Set(lexicon.top_n.suffix.map((w) => w.toLowerCase()));
    this.conditional = tableFromList(lexicon.conditional_cues);
    this.company = tableFromList(lexicon.company_words);
    this.cases = tableFromList(lexicon.scenario_case_words);
    this.worldBank = tableFromList(lexicon.world_bank_phrases);
    this.targets = tableFromList(lexicon.target_words);
    this.methods = new PhraseTable<MethodName>(
      [...Object.entries(lexicon.forecast_methods), ...Object.entries(lexicon.correlation_methods)].flatMap(
        ([name, phrases]) => phrases.map((text) => ({ text, value: name as MethodName })),
      ),
    );
    this.time = new TimeExtractor(lexicon, latestDataYear);
    this.change = new ChangeExtractor(lexicon, changeWindow);
  }

  extract(text: AnalysedText): Extraction {
    const folded = text.tokens.map((t) => t.folded);
    const n = folded.length;

    // Named phrases ("Vision 2030") are neither times nor numbers.
    const consumed = new Array<boolean>(n).fill(false);
    const named = this.named.match(folded, consumed);

    const sectors = this.extractSectors(text, folded);
    const metricMatches = this.metrics.match(folded, new Array<boolean>(n).fill(false));
    const metrics = unique(metricMatches.map((m) => m.entry.value));
    const countries = unique(
      this.countries.match(folded, new Array<boolean>(n).fill(false)).flatMap((m) => [...m.entry.value]),
    );

    const times: FoundTime[] = this.time.extract(text, consumed);
    const topN = this.extractTopN(text, consumed);
    const numbers = this.extractNumbers(text, consumed);
    const mentions: MetricMention[] = metricMatches.map((m) => ({
      metric: m.entry.value,
      start: m.start,
      end: m.end,
    }));
    const changes = this.change.extract(text, numbers, mentions);
    const methods = unique(this.methods.match(folded, new Array<boolean>(n).fill(false)).map((m) => m.entry.value));

    const entities: Entities = {
      sectors,
      metrics,
      countries,
      time: times.map((t) => t.entity),
      numbers: numbers.map((x) => ({ value: x.value, unit: x.unit, span: x.span })),
      changes: changes.map((c) => publicChange(c, c.metric ?? metrics[0] ?? null)),
      top_n: topN,
      methods,
      cues: {
        conditional: this.conditional.any(folded),
        company: this.company.any(folded),
        scenario_cases: this.cases.any(folded),
        world_bank: this.worldBank.any(folded),
        vision_2030: named.length > 0,
        target_percent: this.targetPercent(folded, numbers),
      },
    };
    const swappedRanges = times.flatMap((t) => (t.swapped ? [t.swapped] : []));
    return { entities, changes, swappedRanges };
  }

  private extractSectors(text: AnalysedText, folded: readonly string[]): SectorOrAll[] {
    const taken = new Array<boolean>(folded.length).fill(false);
    this.consumedSectors.match(folded, taken);
    const found: { at: number; sector: SectorOrAll }[] = [];
    for (const m of this.sectors.match(folded, taken)) {
      if (m.entry.value !== null) found.push({ at: m.start, sector: m.entry.value });
    }
    // Case-sensitive synonyms ("IT") count only where the writer used lower case elsewhere.
    if (/[a-z]/.test(text.normalised)) {
      text.tokens.forEach((t, i) => {
        const sector = this.caseSensitiveSectors.get(t.cased);
        if (sector && !taken[i]) found.push({ at: i, sector });
      });
    }
    found.sort((a, b) => a.at - b.at);
    return unique(found.map((f) => f.sector));
  }

  /** "top N", "bottom N", "N best/worst/largest/highest/lowest": every one is consumed; the first is top_n. */
  private extractTopN(text: AnalysedText, consumed: boolean[]): number | null {
    const lower = text.tokens.map((t) => t.lower);
    let first: number | null = null;
    for (let i = 0; i + 1 < lower.length; i += 1) {
      if (consumed[i] || consumed[i + 1]) continue;
      const prefixed = this.topPrefix.has(lower[i]!) ? this.count(lower[i + 1]!) : null;
      const suffixed = prefixed === null && this.topSuffix.has(lower[i + 1]!) ? this.count(lower[i]!) : null;
      const v = prefixed ?? suffixed;
      if (v === null) continue;
      consumed[i] = consumed[i + 1] = true;
      first ??= v;
      i += 1;
    }
    return first;
  }

  private count(lower: string): number | null {
    if (/^[0-9]+$/.test(lower)) {
      const v = Number(lower);
      return v >= 1 ? v : null;
    }
    return this.numberWords.get(lower) ?? null;
  }

  /**
   * Numbers outside times, named phrases and top-N, with the unit written after them (or a currency word before).
   * Number words ("five") count only with a unit or after "by", "to", "plus" or "minus".
   */
  private extractNumbers(text: AnalysedText, consumed: readonly boolean[]): FoundNumber[] {
    const toks = text.tokens;
    const folded = toks.map((t) => t.folded);
    const out: FoundNumber[] = [];
    for (let i = 0; i < toks.length; i += 1) {
      if (consumed[i]) continue;
      const lower = toks[i]!.lower;
      const numeric = isNumberToken(lower);
      const word = numeric ? undefined : this.numberWords.get(lower);
      if (!numeric && word === undefined) continue;
      const value = numeric ? Number(lower) : word!;
      let unit: NumberUnit = 'plain';
      let endIndex = i + 1;
      let startIndex = i;
      const prev = i > 0 && !consumed[i - 1] ? toks[i - 1]!.lower : undefined;
      if (prev !== undefined && this.qarPrefix.has(prev)) {
        unit = 'qar';
        startIndex = i - 1;
      } else {
        for (const [u, table] of [
          ['pp', this.ppUnits],
          ['percent', this.percentUnits],
          ['qar', this.qarUnits],
        ] as const) {
          const m = table.matchAt(folded, i + 1);
          if (m) {
            unit = u;
            endIndex = m.end;
            break;
          }
        }
      }
      if (!numeric && unit === 'plain' && !['by', 'to', 'plus', 'minus'].includes(prev ?? '')) continue;
      out.push({
        value,
        unit,
        index: i,
        endIndex,
        startIndex,
        span: [toks[startIndex]!.start, toks[endIndex - 1]!.end],
      });
      i = endIndex - 1;
    }
    return out;
  }

  /** The first percentage within TARGET_REACH tokens of a target word. */
  private targetPercent(folded: readonly string[], numbers: readonly FoundNumber[]): number | null {
    const targets = this.targets.match(folded, new Array<boolean>(folded.length).fill(false));
    for (const n of numbers) {
      if (n.unit !== 'percent') continue;
      for (const t of targets) {
        const d =
          t.start >= n.endIndex ? t.start - n.endIndex + 1 : n.startIndex >= t.end ? n.startIndex - t.end + 1 : 0;
        if (d <= TARGET_REACH) return n.value;
      }
    }
    return null;
  }
}

/** Direction of a change for a metric (unknown metric: higher is better). */
export function changeDirection(polarity: FoundChange['polarity'], metric: MetricId | null): 1 | -1 {
  if (polarity === 'up') return 1;
  if (polarity === 'down') return -1;
  const higherBetter = metric === null || METRIC_DIRECTION[metric] === 'higher';
  return (polarity === 'better') === higherBetter ? 1 : -1;
}

function publicChange(c: FoundChange, metricForDirection: MetricId | null): ChangeEntity {
  const out: ChangeEntity = {
    metric: c.metric,
    direction: changeDirection(c.polarity, metricForDirection),
    magnitude: c.magnitude,
    unit: c.unit,
    mode: c.mode,
    text: c.text,
  };
  if (c.rate_period) out.rate_period = c.rate_period;
  if (c.polarity === 'better' || c.polarity === 'worse') out.relative = c.polarity;
  return out;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
