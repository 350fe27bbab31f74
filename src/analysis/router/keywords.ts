/**
 * Keyword score K_i of each intent (analysis spec §2.6 step 1). Keywords match whole folded tokens, longest first; a
 * match counts only if none of its tokens was taken by a longer keyword of the same intent (keywords of equal length
 * may overlap), and each keyword counts at most once, at its first free position. A keyword word ending in "*"
 * matches any token starting with it.
 */
import type { Intent } from '../model.js';
import type { IntentConfig, RouterSettings } from './router-config.js';
import { phraseTokens, type Token } from './text.js';

interface KeywordPart {
  readonly text: string;
  readonly prefix: boolean;
}

export interface CompiledKeyword {
  readonly keyword: string;
  readonly parts: readonly KeywordPart[];
  readonly weak: boolean;
  readonly weight: number;
}

export interface KeywordHit {
  readonly keyword: string;
  readonly weight: number;
  /** Token index of the first matched token. */
  readonly start: number;
}

/** Splits a configured keyword into parts: folded tokens, or a lower-case prefix for a word ending in "*". */
export function compileKeyword(keyword: string, weak: boolean, settings: RouterSettings): CompiledKeyword {
  const parts: KeywordPart[] = [];
  for (const word of keyword.trim().split(/\s+/)) {
    if (word.endsWith('*')) parts.push({ text: word.slice(0, -1).toLowerCase(), prefix: true });
    else for (const t of phraseTokens(word)) parts.push({ text: t, prefix: false });
  }
  const base = settings.keyword_token_weights[Math.min(parts.length, 3) - 1] ?? 0;
  return { keyword, parts, weak, weight: weak ? base * settings.weak_factor : base };
}

function partMatches(part: KeywordPart, token: Token): boolean {
  return part.prefix
    ? token.folded.startsWith(part.text) || token.lower.startsWith(part.text)
    : token.folded === part.text;
}

export class KeywordScorer {
  /** Per intent, catalogue order; keywords longest first, configuration order within one length. */
  private readonly lists: readonly (readonly CompiledKeyword[])[];

  constructor(
    readonly intents: readonly IntentConfig[],
    settings: RouterSettings,
  ) {
    this.lists = intents.map((intent) => {
      const seen = new Set<string>();
      const list: CompiledKeyword[] = [];
      for (const k of intent.keywords) {
        const compiled = compileKeyword(k.keyword, k.weak, settings);
        const key = compiled.parts.map((p) => (p.prefix ? `${p.text}*` : p.text)).join(' ');
        if (compiled.parts.length === 0 || seen.has(key)) continue;
        seen.add(key);
        list.push(compiled);
      }
      return list.sort((a, b) => b.parts.length - a.parts.length);
    });
  }

  /** The compiled keywords of one intent (longest first). */
  keywordsOf(intent: Intent): readonly CompiledKeyword[] {
    const i = this.intents.findIndex((x) => x.id === intent);
    return i < 0 ? [] : this.lists[i]!;
  }

  /** K_i for every intent (catalogue order) and the keywords that counted. */
  score(tokens: readonly Token[]): { scores: number[]; hits: KeywordHit[][] } {
    const positions = new Map<string, number[]>();
    tokens.forEach((t, i) => {
      const list = positions.get(t.folded);
      if (list) list.push(i);
      else positions.set(t.folded, [i]);
    });
    const scores: number[] = [];
    const hits: KeywordHit[][] = [];
    // `taken`: tokens of longer keywords, which block a match; `takenNow`: tokens of keywords of the current
    // length, which block only shorter keywords (§2.6: "taken by a longer keyword").
    const taken = new Array<boolean>(tokens.length);
    const takenNow = new Array<boolean>(tokens.length);
    for (const list of this.lists) {
      taken.fill(false);
      takenNow.fill(false);
      let k = 0;
      let length = Infinity;
      const intentHits: KeywordHit[] = [];
      for (const kw of list) {
        if (kw.parts.length < length) {
          for (let i = 0; i < tokens.length; i += 1) taken[i] = taken[i] || takenNow[i]!;
          length = kw.parts.length;
        }
        const at = findFree(kw, tokens, taken, positions);
        if (at < 0) continue;
        for (let j = 0; j < kw.parts.length; j += 1) takenNow[at + j] = true;
        k += kw.weight;
        intentHits.push({ keyword: kw.keyword, weight: kw.weight, start: at });
      }
      scores.push(k);
      hits.push(intentHits);
    }
    return { scores, hits };
  }
}

const EVERY_POSITION: readonly number[] = [];

/** First position where every part matches a token not yet taken; −1 if none. */
function findFree(
  kw: CompiledKeyword,
  tokens: readonly Token[],
  taken: readonly boolean[],
  positions: ReadonlyMap<string, readonly number[]>,
): number {
  const first = kw.parts[0]!;
  const starts = first.prefix ? EVERY_POSITION : positions.get(first.text);
  if (starts === undefined) return -1;
  const n = kw.parts.length;
  const count = first.prefix ? tokens.length : starts.length;
  outer: for (let s = 0; s < count; s += 1) {
    const i = first.prefix ? s : starts[s]!;
    if (i + n > tokens.length) continue;
    for (let j = 0; j < n; j += 1) {
      if (taken[i + j] || !partMatches(kw.parts[j]!, tokens[i + j]!)) continue outer;
    }
    return i;
  }
  return -1;
}
