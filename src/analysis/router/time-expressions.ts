/**
 * Time entities of a question (analysis spec §2.5). Backward expressions (ranges, quarters, months, "since",
 * relative "last N units", "N units ago", years up to the latest data year) give {kind, start, end, months};
 * forward ones ("next N units", "N units ahead", years after the latest data year) give {forward_months} and, for a
 * year, target_year. Patterns are tried in precedence order; a token used by one pattern is not used again.
 */
import type { LexiconConfig, TimeUnit } from './router-config.js';
import type { AnalysedText } from './text.js';

export type BackwardTimeKind = 'range' | 'quarter' | 'month' | 'since' | 'relative' | 'ago' | 'year';

export interface BackwardTime {
  kind: BackwardTimeKind;
  /** First and last period: "YYYY" or "YYYY-MM". */
  start: string;
  end: string;
  months: number;
}

export interface ForwardTime {
  kind: 'forward';
  forward_months: number;
  /** Only when the expression is a year. */
  target_year?: number;
}

export type TimeEntity = BackwardTime | ForwardTime;

export interface FoundTime {
  /** Token index of the expression's first token. */
  at: number;
  entity: TimeEntity;
  /** A reversed range that was swapped. */
  swapped?: { from: number; to: number };
}

/** Years accepted in explicit ranges, quarters and months. */
const YEAR_MIN = 1900;
const YEAR_MAX = 2100;
/** Bare years before this are not times (§2.5). */
const BARE_YEAR_MIN = 1990;

export class TimeExtractor {
  private readonly numberWords: ReadonlyMap<string, number>;
  private readonly months: ReadonlyMap<string, number>;
  private readonly ordinals: ReadonlyMap<string, number>;
  private readonly units: ReadonlyMap<string, TimeUnit>;
  private readonly backward: ReadonlySet<string>;
  private readonly forward: ReadonlySet<string>;
  private readonly connectors: ReadonlySet<string>;
  private readonly forwardPreps: ReadonlySet<string>;

  constructor(
    lexicon: LexiconConfig,
    readonly latestYear: number,
  ) {
    const single = (w: string) => w.toLowerCase();
    this.numberWords = new Map(Object.entries(lexicon.numbers.words).map(([w, n]) => [single(w), n]));
    this.months = new Map(Object.entries(lexicon.time.months).map(([w, n]) => [single(w), n]));
    this.ordinals = new Map(Object.entries(lexicon.time.quarter_ordinals).map(([w, n]) => [single(w), n]));
    this.units = new Map(Object.entries(lexicon.time.units).map(([w, u]) => [single(w), u]));
    this.backward = new Set(lexicon.time.backward_relative.map(single));
    this.forward = new Set(lexicon.time.forward_relative.map(single));
    this.connectors = new Set(lexicon.time.range_connectors.map(single));
    this.forwardPreps = new Set(lexicon.time.forward_year_prepositions.map(single));
  }

  /** Finds every time expression; marks its tokens in `consumed`. Results are in order of first mention. */
  extract(text: AnalysedText, consumed: boolean[]): FoundTime[] {
    const scan = new Scan(text, consumed, this);
    const found: FoundTime[] = [];
    for (const pass of [
      scan.ranges,
      scan.quarters,
      scan.monthYears,
      scan.since,
      scan.relativeBackward,
      scan.ago,
      scan.forwardRelative,
      scan.years,
    ]) {
      found.push(...pass.call(scan));
    }
    return found.sort((a, b) => a.at - b.at);
  }

  /** Lower-case unit of a folded token ("months" → month). */
  unitOf(folded: string): TimeUnit | null {
    return this.units.get(folded) ?? null;
  }

  countOf(lower: string, allowArticle: boolean): number | null {
    if (/^[0-9]+$/.test(lower)) return Number(lower);
    const w = this.numberWords.get(lower);
    if (w !== undefined) return w;
    if (allowArticle && (lower === 'a' || lower === 'an')) return 1;
    return null;
  }

  monthOf(lower: string): number | null {
    return this.months.get(lower) ?? null;
  }

  ordinalOf(lower: string): number | null {
    return this.ordinals.get(lower) ?? null;
  }

  isBackwardWord(lower: string): boolean {
    return this.backward.has(lower);
  }

  isForwardWord(lower: string): boolean {
    return this.forward.has(lower);
  }

  isConnector(lower: string): boolean {
    return this.connectors.has(lower);
  }

  isForwardPreposition(lower: string): boolean {
    return this.forwardPreps.has(lower);
  }
}

/** Months covered by N units (§2.5): year 12, quarter 3, month 1, week max(1, ⌊N/4⌋), day max(1, ⌊N/30⌋). */
export function unitMonths(unit: TimeUnit, n: number): number {
  switch (unit) {
    case 'year':
      return 12 * n;
    case 'quarter':
      return 3 * n;
    case 'month':
      return n;
    case 'week':
      return Math.max(1, Math.floor(n / 4));
    case 'day':
      return Math.max(1, Math.floor(n / 30));
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYY-MM" label k months after year Y's December (k may be negative). */
function monthLabel(year: number, monthsAfterDecember: number): string {
  const ord = year * 12 + 11 + monthsAfterDecember;
  const y = Math.floor(ord / 12);
  return `${y}-${pad2(ord - y * 12 + 1)}`;
}

class Scan {
  private readonly lower: string[];
  private readonly folded: string[];

  constructor(
    private readonly text: AnalysedText,
    private readonly consumed: boolean[],
    private readonly x: TimeExtractor,
  ) {
    this.lower = text.tokens.map((t) => t.lower);
    this.folded = text.tokens.map((t) => t.folded);
  }

  private free(i: number, n: number): boolean {
    if (i < 0 || i + n > this.lower.length) return false;
    for (let k = i; k < i + n; k += 1) if (this.consumed[k]) return false;
    return true;
  }

  private take(i: number, n: number): void {
    for (let k = i; k < i + n; k += 1) this.consumed[k] = true;
  }

  private year(i: number, min = YEAR_MIN, max = YEAR_MAX): number | null {
    const t = this.lower[i];
    if (t === undefined || !/^[0-9]{4}$/.test(t)) return null;
    const y = Number(t);
    return y >= min && y <= max ? y : null;
  }

  private range(at: number, a: number, b: number): FoundTime {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const entity: BackwardTime = { kind: 'range', start: String(lo), end: String(hi), months: (hi - lo + 1) * 12 };
    return a > b ? { at, entity, swapped: { from: a, to: b } } : { at, entity };
  }

  /** "YYYY-YYYY", "YYYY to/until/through YYYY", "between YYYY and YYYY". */
  ranges(): FoundTime[] {
    const out: FoundTime[] = [];
    const toks = this.text.tokens;
    for (let i = 0; i < this.lower.length; i += 1) {
      const a = this.year(i);
      if (this.lower[i] === 'between' && this.free(i, 4) && this.lower[i + 2] === 'and') {
        const y1 = this.year(i + 1);
        const y2 = this.year(i + 3);
        if (y1 !== null && y2 !== null) {
          this.take(i, 4);
          out.push(this.range(i, y1, y2));
          continue;
        }
      }
      if (a === null) continue;
      const b = this.year(i + 1);
      if (b !== null && this.free(i, 2)) {
        const between = this.text.normalised.slice(toks[i]!.end, toks[i + 1]!.start);
        if (/^\s*-\s*$/.test(between)) {
          this.take(i, 2);
          out.push(this.range(i, a, b));
          continue;
        }
      }
      const c = this.year(i + 2);
      if (c !== null && this.free(i, 3) && this.x.isConnector(this.lower[i + 1]!)) {
        this.take(i, 3);
        out.push(this.range(i, a, c));
      }
    }
    return out;
  }

  /** "Q1 2024", "2024 Q1", "first quarter (of) 2024". */
  quarters(): FoundTime[] {
    const out: FoundTime[] = [];
    const q = (i: number): number | null => {
      const m = /^q([1-4])$/.exec(this.lower[i] ?? '');
      return m ? Number(m[1]) : null;
    };
    const make = (at: number, n: number, quarter: number, year: number): FoundTime => {
      this.take(at, n);
      const first = `${year}-${pad2(quarter * 3 - 2)}`;
      return { at, entity: { kind: 'quarter', start: first, end: `${year}-${pad2(quarter * 3)}`, months: 3 } };
    };
    for (let i = 0; i < this.lower.length; i += 1) {
      const qi = q(i);
      if (qi !== null && this.free(i, 2)) {
        const y = this.year(i + 1);
        if (y !== null) {
          out.push(make(i, 2, qi, y));
          continue;
        }
      }
      const y0 = this.year(i);
      const q1 = q(i + 1);
      if (y0 !== null && q1 !== null && this.free(i, 2)) {
        out.push(make(i, 2, q1, y0));
        continue;
      }
      const ord = this.x.ordinalOf(this.lower[i] ?? '');
      if (ord !== null && this.folded[i + 1] === 'quarter') {
        const withOf = this.lower[i + 2] === 'of' ? 1 : 0;
        const y = this.year(i + 2 + withOf);
        if (y !== null && this.free(i, 3 + withOf)) out.push(make(i, 3 + withOf, ord, y));
      }
    }
    return out;
  }

  /** "March 2024", "Mar 2024", "March of 2024". */
  monthYears(): FoundTime[] {
    const out: FoundTime[] = [];
    for (let i = 0; i < this.lower.length; i += 1) {
      const m = this.x.monthOf(this.lower[i]!);
      if (m === null) continue;
      const withOf = this.lower[i + 1] === 'of' ? 1 : 0;
      const y = this.year(i + 1 + withOf);
      if (y === null || !this.free(i, 2 + withOf)) continue;
      this.take(i, 2 + withOf);
      const label = `${y}-${pad2(m)}`;
      out.push({ at: i, entity: { kind: 'month', start: label, end: label, months: 1 } });
    }
    return out;
  }

  /** "since YYYY", "from YYYY" (YYYY up to the latest data year). */
  since(): FoundTime[] {
    const out: FoundTime[] = [];
    const latest = this.x.latestYear;
    for (let i = 0; i < this.lower.length; i += 1) {
      if (this.lower[i] !== 'since' && this.lower[i] !== 'from') continue;
      const y = this.year(i + 1, YEAR_MIN, latest);
      if (y === null || !this.free(i, 2)) continue;
      this.take(i, 2);
      out.push({
        at: i,
        entity: { kind: 'since', start: String(y), end: String(latest), months: (latest - y + 1) * 12 },
      });
    }
    return out;
  }

  /** "(last|past|previous|recent) [N] (day|week|month|quarter|year)s"; N defaults to 1. */
  relativeBackward(): FoundTime[] {
    const out: FoundTime[] = [];
    const latest = this.x.latestYear;
    for (let i = 0; i < this.lower.length; i += 1) {
      if (!this.x.isBackwardWord(this.lower[i]!)) continue;
      let n = 1;
      let len = 2;
      const count = this.x.countOf(this.lower[i + 1] ?? '', false);
      if (count !== null && count >= 1) {
        n = count;
        len = 3;
      }
      const unit = this.x.unitOf(this.folded[i + len - 1] ?? '');
      if (unit === null || !this.free(i, len)) continue;
      this.take(i, len);
      const months = unitMonths(unit, n);
      const entity: BackwardTime =
        unit === 'year'
          ? { kind: 'relative', start: String(latest - n + 1), end: String(latest), months }
          : { kind: 'relative', start: monthLabel(latest, -(months - 1)), end: monthLabel(latest, 0), months };
      out.push({ at: i, entity });
    }
    return out;
  }

  /** "N months ago", "N years ago" ("a year ago"). */
  ago(): FoundTime[] {
    const out: FoundTime[] = [];
    const latest = this.x.latestYear;
    for (let i = 0; i + 2 < this.lower.length; i += 1) {
      if (this.lower[i + 2] !== 'ago') continue;
      const n = this.x.countOf(this.lower[i]!, true);
      const unit = this.x.unitOf(this.folded[i + 1]!);
      if (n === null || (unit !== 'year' && unit !== 'month') || !this.free(i, 3)) continue;
      this.take(i, 3);
      if (unit === 'year') {
        const y = String(latest - n);
        out.push({ at: i, entity: { kind: 'ago', start: y, end: y, months: 12 } });
      } else {
        const label = monthLabel(latest, -n);
        out.push({ at: i, entity: { kind: 'ago', start: label, end: label, months: 1 } });
      }
    }
    return out;
  }

  /** "(next|coming) [N] units" (N defaults to 1) and "N units ahead". */
  forwardRelative(): FoundTime[] {
    const out: FoundTime[] = [];
    for (let i = 0; i < this.lower.length; i += 1) {
      if (this.x.isForwardWord(this.lower[i]!)) {
        let n = 1;
        let len = 2;
        const count = this.x.countOf(this.lower[i + 1] ?? '', false);
        if (count !== null && count >= 1) {
          n = count;
          len = 3;
        }
        const unit = this.x.unitOf(this.folded[i + len - 1] ?? '');
        if (unit !== null && this.free(i, len)) {
          this.take(i, len);
          out.push({ at: i, entity: { kind: 'forward', forward_months: unitMonths(unit, n) } });
          continue;
        }
      }
      const n = this.x.countOf(this.lower[i]!, false);
      const unit = this.x.unitOf(this.folded[i + 1] ?? '');
      if (n !== null && n >= 1 && unit !== null && this.lower[i + 2] === 'ahead' && this.free(i, 3)) {
        this.take(i, 3);
        out.push({ at: i, entity: { kind: 'forward', forward_months: unitMonths(unit, n) } });
      }
    }
    return out;
  }

  /** Bare years: 1990..latest is a backward year; after the latest data year a forward target. */
  years(): FoundTime[] {
    const out: FoundTime[] = [];
    const latest = this.x.latestYear;
    for (let i = 0; i < this.lower.length; i += 1) {
      const y = this.year(i, BARE_YEAR_MIN, YEAR_MAX);
      if (y === null || !this.free(i, 1)) continue;
      if (y <= latest) {
        const at = i > 0 && this.lower[i - 1] === 'in' && this.free(i - 1, 1) ? i - 1 : i;
        this.take(at, i - at + 1);
        out.push({ at, entity: { kind: 'year', start: String(y), end: String(y), months: 12 } });
      } else {
        const at = i > 0 && this.x.isForwardPreposition(this.lower[i - 1]!) && this.free(i - 1, 1) ? i - 1 : i;
        this.take(at, i - at + 1);
        out.push({ at, entity: { kind: 'forward', forward_months: (y - latest) * 12, target_year: y } });
      }
    }
    return out;
  }
}
