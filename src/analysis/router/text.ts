/**
 * Normalisation, tokenisation and plural folding of questions and of the router's configuration (analysis spec
 * §2.2). Both sides go through the same steps, so matching is always on whole folded tokens.
 */

/** One token of a question. Offsets index the normalised text (§2.2 step 1). */
export interface Token {
  /** Folded lower-case form used for matching (§2.2 step 3). */
  readonly folded: string;
  /** Lower-case form before folding. */
  readonly lower: string;
  /** The token as written (after normalisation), for case-sensitive synonyms such as "IT". */
  readonly cased: string;
  readonly start: number;
  readonly end: number;
}

export interface AnalysedText {
  /** The normalised text, case preserved. */
  readonly normalised: string;
  readonly tokens: readonly Token[];
}

const DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B\u2032]/g;
const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F\u2033]/g;
const DIGIT_COMMA = /(\d),(?=\d)/g;
/** Token shape of §2.2 step 2 (letters matched case-insensitively so offsets stay those of the cased text). */
const TOKEN = /[A-Za-z0-9]+(?:\.[0-9]+)?|%/g;
const NUMBER = /^[0-9]+(?:\.[0-9]+)?$/;

/** §2.2 step 1: NFKC, ASCII quotes and dashes, no commas between digits. Case is preserved. */
export function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(DASHES, '-')
    .replace(DIGIT_COMMA, '$1');
}

/** §2.2 step 3: plural folding for tokens longer than 3 characters. */
export function fold(token: string): string {
  if (token.length <= 3) return token;
  if (token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  if (token.endsWith('es')) {
    const stem = token.slice(0, -2);
    if (stem.endsWith('s') || stem.endsWith('x') || stem.endsWith('ch') || stem.endsWith('sh')) return stem;
  }
  if (token.endsWith('s') && !token.endsWith('ss') && !token.endsWith('us') && !token.endsWith('is')) {
    return token.slice(0, -1);
  }
  return token;
}

/** Normalises and tokenises a text; every token carries its folded, lower-case and cased forms. */
export function analyseText(text: string): AnalysedText {
  const normalised = normalise(text);
  const tokens: Token[] = [];
  for (const m of normalised.matchAll(TOKEN)) {
    const cased = m[0];
    let lower = cased.toLowerCase();
    if (lower === 'versus') lower = 'vs';
    tokens.push({ folded: fold(lower), lower, cased, start: m.index, end: m.index + cased.length });
  }
  return { normalised, tokens };
}

/** The folded tokens of a configuration phrase (keyword, synonym, stop-word), as a question would give them. */
export function phraseTokens(phrase: string): string[] {
  return analyseText(phrase).tokens.map((t) => t.folded);
}

/** True for a numeric token ("12", "2.5"). */
export function isNumberToken(token: string): boolean {
  return NUMBER.test(token);
}
