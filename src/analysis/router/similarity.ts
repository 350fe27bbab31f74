/**
 * TF-IDF similarity of a question to each intent's catalogue examples (analysis spec §2.6 step 2). Vocabulary: the
 * folded tokens of the examples minus stop-words and numbers; tf = 1 + ln(count); idf = ln((1 + N)/(1 + df)) + 1
 * with N the number of examples; vectors L2-normalised; sim_i = the maximum cosine over intent i's examples.
 */
import type { IntentConfig } from './router-config.js';
import { analyseText, isNumberToken } from './text.js';

interface Posting {
  readonly example: number;
  readonly weight: number;
}

export class SimilarityIndex {
  private readonly idf = new Map<string, number>();
  private readonly postings = new Map<string, Posting[]>();
  /** Intent index (catalogue order) of each example. */
  private readonly exampleIntent: number[] = [];
  private readonly intentCount: number;
  /** Number of examples (N). */
  readonly size: number;

  constructor(
    intents: readonly IntentConfig[],
    private readonly stopWords: ReadonlySet<string>,
  ) {
    this.intentCount = intents.length;
    const docs: Map<string, number>[] = [];
    intents.forEach((intent, i) => {
      for (const example of intent.examples) {
        docs.push(this.termCounts(analyseText(example).tokens.map((t) => t.folded)));
        this.exampleIntent.push(i);
      }
    });
    this.size = docs.length;
    const df = new Map<string, number>();
    for (const d of docs) for (const term of d.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    for (const [term, n] of df) this.idf.set(term, Math.log((1 + this.size) / (1 + n)) + 1);
    docs.forEach((d, example) => {
      const vec = this.weigh(d);
      for (const [term, weight] of vec) {
        const list = this.postings.get(term) ?? [];
        list.push({ example, weight });
        this.postings.set(term, list);
      }
    });
  }

  /** Vocabulary size (distinct terms of the examples). */
  get vocabularySize(): number {
    return this.idf.size;
  }

  /** sim_i for every intent, in catalogue order; all zero when no token is in the vocabulary. */
  similarity(foldedTokens: readonly string[]): number[] {
    const sims = new Array<number>(this.intentCount).fill(0);
    const counts = new Map<string, number>();
    for (const t of foldedTokens) {
      if (this.idf.has(t) && !this.stopWords.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    if (counts.size === 0) return sims;
    const query = this.weigh(counts);
    const dots = new Float64Array(this.size);
    for (const [term, qw] of query) {
      for (const p of this.postings.get(term) ?? []) dots[p.example] = dots[p.example]! + qw * p.weight;
    }
    for (let e = 0; e < this.size; e += 1) {
      const i = this.exampleIntent[e]!;
      const d = Math.min(1, dots[e]!);
      if (d > sims[i]!) sims[i] = d;
    }
    return sims;
  }

  private termCounts(tokens: readonly string[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const t of tokens) {
      if (this.stopWords.has(t) || isNumberToken(t)) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return counts;
  }

  /** tf·idf weights, L2-normalised (terms outside the vocabulary are dropped first). */
  private weigh(counts: ReadonlyMap<string, number>): [string, number][] {
    const out: [string, number][] = [];
    let norm = 0;
    for (const [term, c] of counts) {
      const idf = this.idf.get(term);
      if (idf === undefined) continue;
      const w = (1 + Math.log(c)) * idf;
      out.push([term, w]);
      norm += w * w;
    }
    const len = Math.sqrt(norm);
    return len > 0 ? out.map(([t, w]) => [t, w / len]) : [];
  }
}
