/**
 * Change expressions (analysis spec §2.5): an up-word or a down-word within `change_window` tokens of a number, with
 * optional "by"/"to", an optional rate cue ("per year", "annually", "at N%") and an optional metric next to it.
 * "Improve" and "worsen" follow the metric's "better" direction, so they are resolved once the metric is known.
 */
import type { MetricId } from '../model.js';
import { PhraseTable, type PhraseMatch } from './phrase-table.js';
import type { LexiconConfig } from './router-config.js';
import type { AnalysedText } from './text.js';

export type NumberUnit = 'percent' | 'pp' | 'qar' | 'plain';
export type ChangeMode = 'by' | 'to' | 'rate';
/** Raw polarity of the change word: up/down, or better/worse for the metric. */
export type ChangePolarity = 'up' | 'down' | 'better' | 'worse';

/** A number of the question with its unit; token indices are internal, span indexes the normalised text. */
export interface FoundNumber {
  value: number;
  unit: NumberUnit;
  /** Token index of the numeral and one past its last unit token. */
  index: number;
  endIndex: number;
  /** First token of the whole expression (a currency prefix may come first). */
  startIndex: number;
  span: [number, number];
}

export interface FoundChange {
  /** Token index where the expression starts. */
  at: number;
  polarity: ChangePolarity;
  magnitude: number;
  unit: NumberUnit;
  mode: ChangeMode;
  /** Only for mode "rate". */
  rate_period?: 'year' | 'month';
  /** The metric named inside or next to the expression, if any. */
  metric: MetricId | null;
  /** The expression as written (normalised text). */
  text: string;
}

export interface MetricMention {
  metric: MetricId;
  start: number;
  end: number;
}

/** Tokens a metric may sit away from the change word and still belong to the expression. */
const METRIC_REACH = 3;
/** Punctuation that ends a clause: a change word and a number on either side of it are not paired. */
const CLAUSE_BREAK = /[,;:.!?()]/;

export class ChangeExtractor {
  private readonly words: PhraseTable<ChangePolarity>;
  private readonly perYear: PhraseTable<string>;
  private readonly perMonth: PhraseTable<string>;
  private readonly ratePrefix: ReadonlySet<string>;

  constructor(
    lexicon: LexiconConfig,
    private readonly window: number,
  ) {
    const c = lexicon.changes;
    this.words = new PhraseTable<ChangePolarity>([
      ...c.better.map((text) => ({ text, value: 'better' as const })),
      ...c.worse.map((text) => ({ text, value: 'worse' as const })),
      ...c.up.map((text) => ({ text, value: 'up' as const })),
      ...c.down.map((text) => ({ text, value: 'down' as const })),
    ]);
    this.perYear = new PhraseTable(c.rate_per_year.map((text) => ({ text, value: text })));
    this.perMonth = new PhraseTable(c.rate_per_month.map((text) => ({ text, value: text })));
    this.ratePrefix = new Set(c.rate_prefix.map((w) => w.toLowerCase()));
  }

  /** Change expressions in order of first mention. */
  extract(text: AnalysedText, numbers: readonly FoundNumber[], metrics: readonly MetricMention[]): FoundChange[] {
    const folded = text.tokens.map((t) => t.folded);
    const words = this.words.match(folded, new Array<boolean>(folded.length).fill(false));
    if (words.length === 0 || numbers.length === 0) return [];
    const usable = numbers.filter((n) => folded[n.startIndex - 1] !== 'from');
    const toks = text.tokens;
    const pairs: { w: PhraseMatch<ChangePolarity>; n: FoundNumber; d: number; after: boolean; rank: number }[] = [];
    for (const w of words) {
      for (const n of usable) {
        const after = n.startIndex >= w.end;
        const d = after ? n.startIndex - (w.end - 1) : w.start - (n.endIndex - 1);
        if (d < 1 || d > this.window) continue;
        // Clause punctuation between the word and the number separates them ("rise by 5%, cut of 3 pp").
        const from = after ? toks[w.end - 1]!.end : toks[n.endIndex - 1]!.end;
        const to = after ? toks[n.startIndex]!.start : toks[w.start]!.start;
        if (CLAUSE_BREAK.test(text.normalised.slice(from, to))) continue;
        // A number introduced by "by"/"to" belongs to the word before it.
        const attached = after && (folded[n.startIndex - 1] === 'by' || folded[n.startIndex - 1] === 'to');
        pairs.push({ w, n, d, after, rank: attached ? d - 0.5 : d });
      }
    }
    pairs.sort((a, b) => a.rank - b.rank || Number(b.after) - Number(a.after) || a.n.index - b.n.index);
    const usedWords = new Set<number>();
    const usedNumbers = new Set<number>();
    const out: FoundChange[] = [];
    for (const p of pairs) {
      if (usedWords.has(p.w.start) || usedNumbers.has(p.n.index)) continue;
      usedWords.add(p.w.start);
      usedNumbers.add(p.n.index);
      out.push(this.build(text, folded, p.w, p.n, metrics));
    }
    return out.sort((a, b) => a.at - b.at);
  }

  private build(
    text: AnalysedText,
    folded: readonly string[],
    w: PhraseMatch<ChangePolarity>,
    n: FoundNumber,
    metrics: readonly MetricMention[],
  ): FoundChange {
    const before = n.startIndex > w.start ? folded[n.startIndex - 1] : undefined;
    let mode: ChangeMode = before === 'to' ? 'to' : 'by';
    let ratePeriod: 'year' | 'month' | undefined;
    let end = Math.max(w.end, n.endIndex);
    const year = this.perYear.matchAt(folded, n.endIndex);
    const month = year ? null : this.perMonth.matchAt(folded, n.endIndex);
    if (n.unit === 'percent' && mode === 'by') {
      if (year || month) {
        mode = 'rate';
        ratePeriod = year ? 'year' : 'month';
        end = Math.max(end, (year ?? month)!.end);
      } else if (before !== undefined && this.ratePrefix.has(before)) {
        mode = 'rate';
        ratePeriod = 'year';
      }
    }
    const start = Math.min(w.start, n.startIndex);
    const metric = nearestMetric(metrics, start, end);
    const first = metric ? Math.min(start, metric.start) : start;
    const last = metric ? Math.max(end, metric.end) : end;
    const toks = text.tokens;
    const change: FoundChange = {
      at: first,
      polarity: w.entry.value,
      magnitude: n.value,
      unit: n.unit,
      mode,
      metric: metric?.metric ?? null,
      text: text.normalised.slice(toks[first]!.start, toks[last - 1]!.end),
    };
    if (ratePeriod) change.rate_period = ratePeriod;
    return change;
  }
}

/** The metric mention inside [start, end) or closest to it within METRIC_REACH tokens; ties go to the earlier. */
function nearestMetric(metrics: readonly MetricMention[], start: number, end: number): MetricMention | null {
  let best: MetricMention | null = null;
  let bestD = Infinity;
  for (const m of metrics) {
    const d = m.end <= start ? start - m.end + 1 : m.start >= end ? m.start - end + 1 : 0;
    if (d <= METRIC_REACH && d < bestD) {
      best = m;
      bestD = d;
    }
  }
  return best;
}
