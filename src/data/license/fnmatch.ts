/**
 * Python `fnmatch.fnmatchcase` (what `fnmatch` is on POSIX), data-layer spec §8.3: whole string, case-sensitive,
 * `*` any run including `/`, `?` one character, `[seq]` / `[!seq]` classes with ranges, everything else literal.
 * Ported from CPython's `fnmatch.translate` class handling (unclosed `[` is a literal, reversed ranges are
 * dropped, `[!]`-style edge cases) but matched directly on code points instead of through a regex.
 */

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'none' }
  | { kind: 'literal'; cp: number }
  | { kind: 'class'; negate: boolean; singles: Set<number>; ranges: [number, number][] };

const cp = (ch: string): number => ch.codePointAt(0)!;

/** Builds the class CPython would from the characters between `[` and `]` (`stuff`, as a code-point array). */
function classToken(stuff: string[]): Token {
  let chunks: string[][];
  if (!stuff.includes('-')) {
    chunks = [stuff];
  } else {
    // Split at range hyphens exactly as CPython does: never the first member, never right after a hyphen.
    chunks = [];
    let start = 0;
    let k = stuff[0] === '!' ? 2 : 1;
    for (;;) {
      let found = -1;
      for (let x = k; x < stuff.length; x++) {
        if (stuff[x] === '-') {
          found = x;
          break;
        }
      }
      if (found < 0) break;
      chunks.push(stuff.slice(start, found));
      start = found + 1;
      k = found + 3;
    }
    const last = stuff.slice(start);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1]!.push('-');
    // Remove empty ranges (a > b): both end points go, as in CPython.
    for (let k2 = chunks.length - 1; k2 > 0; k2--) {
      const prev = chunks[k2 - 1]!;
      const next = chunks[k2]!;
      if (cp(prev[prev.length - 1]!) > cp(next[0]!)) {
        chunks[k2 - 1] = [...prev.slice(0, -1), ...next.slice(1)];
        chunks.splice(k2, 1);
      }
    }
  }
  const flat = chunks.flat();
  if (flat.length === 0) return { kind: 'none' };
  if (flat.length === 1 && flat[0] === '!') return { kind: 'any' };
  const negate = flat[0] === '!';
  const singles = new Set<number>();
  const ranges: [number, number][] = [];
  chunks.forEach((chunk, c) => {
    chunk.forEach((ch, i) => {
      if (c === 0 && i === 0 && negate) return;
      const endsRange = i === chunk.length - 1 && c < chunks.length - 1;
      const startsRange = i === 0 && c > 0;
      if (endsRange) ranges.push([cp(ch), cp(chunks[c + 1]![0]!)]);
      else if (!startsRange) singles.add(cp(ch));
    });
  });
  return { kind: 'class', negate, singles, ranges };
}

function compile(pattern: string): Token[] {
  const pat = Array.from(pattern);
  const n = pat.length;
  const tokens: Token[] = [];
  let i = 0;
  while (i < n) {
    const c = pat[i]!;
    i += 1;
    if (c === '*') {
      if (tokens.length === 0 || tokens[tokens.length - 1]!.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j += 1;
      if (j < n && pat[j] === ']') j += 1;
      while (j < n && pat[j] !== ']') j += 1;
      if (j >= n) {
        tokens.push({ kind: 'literal', cp: cp('[') });
      } else {
        tokens.push(classToken(pat.slice(i, j)));
        i = j + 1;
      }
    } else {
      tokens.push({ kind: 'literal', cp: cp(c) });
    }
  }
  return tokens;
}

function matchesOne(token: Token, ch: number): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'none':
    case 'star':
      return false;
    case 'literal':
      return token.cp === ch;
    case 'class': {
      const inSet = token.singles.has(ch) || token.ranges.some(([lo, hi]) => lo <= ch && ch <= hi);
      return inSet !== token.negate;
    }
  }
}

const compiled = new Map<string, Token[]>();

export function fnmatch(name: string, pattern: string): boolean {
  let tokens = compiled.get(pattern);
  if (!tokens) {
    tokens = compile(pattern);
    // Catalogue patterns are few; the bound only guards against unbounded growth.
    if (compiled.size < 1024) compiled.set(pattern, tokens);
  }
  const text = Array.from(name, cp);
  // Every non-star token consumes exactly one code point, so greedy matching with one star backtrack point is exact.
  let t = 0;
  let s = 0;
  let starToken = -1;
  let starText = 0;
  while (s < text.length) {
    const token = tokens[t];
    if (token && token.kind === 'star') {
      starToken = t;
      starText = s;
      t += 1;
    } else if (token && matchesOne(token, text[s]!)) {
      t += 1;
      s += 1;
    } else if (starToken >= 0) {
      t = starToken + 1;
      starText += 1;
      s = starText;
    } else {
      return false;
    }
  }
  while (t < tokens.length && tokens[t]!.kind === 'star') t += 1;
  return t === tokens.length;
}
