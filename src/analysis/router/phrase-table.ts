/**
 * Whole-token phrase matching (analysis spec §2.2 step 5): a k-token phrase matches only k contiguous folded tokens.
 * Matches are taken longest first; a match is kept only if none of its tokens was taken by a longer one.
 */
import { phraseTokens } from './text.js';

export interface PhraseEntry<T> {
  /** The phrase as configured. */
  readonly text: string;
  readonly tokens: readonly string[];
  readonly value: T;
}

export interface PhraseMatch<T> {
  /** Token index of the first token and one past the last. */
  readonly start: number;
  readonly end: number;
  readonly entry: PhraseEntry<T>;
}

export class PhraseTable<T> {
  private readonly byFirst = new Map<string, PhraseEntry<T>[]>();
  readonly size: number;

  /** Entries keep their configuration order among phrases of one length; duplicates (same tokens) keep the first. */
  constructor(entries: readonly { text: string; value: T }[]) {
    const seen = new Set<string>();
    let size = 0;
    for (const e of entries) {
      const tokens = phraseTokens(e.text);
      const key = tokens.join(' ');
      if (tokens.length === 0 || seen.has(key)) continue;
      seen.add(key);
      const list = this.byFirst.get(tokens[0]!) ?? [];
      list.push({ text: e.text, tokens, value: e.value });
      this.byFirst.set(tokens[0]!, list);
      size += 1;
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
    this.size = size;
  }

  /** Every occurrence of every phrase at every position, overlapping or not. */
  candidates(tokens: readonly string[]): PhraseMatch<T>[] {
    const out: PhraseMatch<T>[] = [];
    for (let i = 0; i < tokens.length; i += 1) {
      const list = this.byFirst.get(tokens[i]!);
      if (!list) continue;
      for (const entry of list) {
        if (matchesAt(tokens, i, entry.tokens)) out.push({ start: i, end: i + entry.tokens.length, entry });
      }
    }
    return out;
  }

  /**
   * Non-overlapping matches chosen longest first (ties: leftmost), skipping tokens already `taken`, which this call
   * then marks. Returned in text order.
   */
  match(tokens: readonly string[], taken: boolean[]): PhraseMatch<T>[] {
    const cands = this.candidates(tokens);
    cands.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
    const chosen: PhraseMatch<T>[] = [];
    for (const c of cands) {
      let free = true;
      for (let k = c.start; k < c.end; k += 1) if (taken[k]) free = false;
      if (!free) continue;
      for (let k = c.start; k < c.end; k += 1) taken[k] = true;
      chosen.push(c);
    }
    return chosen.sort((a, b) => a.start - b.start);
  }

  /** True when `phrase tokens` occur at position i. */
  matchAt(tokens: readonly string[], i: number): PhraseMatch<T> | null {
    const list = this.byFirst.get(tokens[i] ?? '');
    if (!list) return null;
    for (const entry of list) {
      if (matchesAt(tokens, i, entry.tokens)) return { start: i, end: i + entry.tokens.length, entry };
    }
    return null;
  }

  /** True when any phrase occurs anywhere in the tokens. */
  any(tokens: readonly string[]): boolean {
    for (let i = 0; i < tokens.length; i += 1) if (this.matchAt(tokens, i)) return true;
    return false;
  }
}

function matchesAt(tokens: readonly string[], i: number, phrase: readonly string[]): boolean {
  if (i + phrase.length > tokens.length) return false;
  for (let k = 0; k < phrase.length; k += 1) if (tokens[i + k] !== phrase[k]) return false;
  return true;
}

/** A table built from a mapping value → phrases (e.g. metric id → synonyms), in mapping order. */
export function tableFromMapping<T extends string>(mapping: Readonly<Record<T, readonly string[]>>): PhraseTable<T> {
  const entries: { text: string; value: T }[] = [];
  for (const [value, phrases] of Object.entries(mapping) as [T, readonly string[]][]) {
    for (const text of phrases) entries.push({ text, value });
  }
  return new PhraseTable(entries);
}

/** A table of phrases whose value is the phrase itself. */
export function tableFromList(phrases: readonly string[]): PhraseTable<string> {
  return new PhraseTable(phrases.map((text) => ({ text, value: text })));
}
