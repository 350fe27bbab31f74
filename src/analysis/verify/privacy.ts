/**
 * L4 — privacy (analysis spec §5.4): e-mail addresses, long identifiers (Qatar ID numbers), phone numbers and
 * person names are redacted; cited company-level rows below the small-cell threshold are an error.
 *
 * A person name is a run of two or more capitalised words, optionally joined by a connector (bin, bint, al, abu,
 * abd; "Al-" as a prefix), outside headings, table header rows and citation markers. Protected words (sectors,
 * nationalities, places, months, metrics, institutional and method words, function words) never belong to a name:
 * they break a run, so a candidate never contains one.
 */
import { cell, finite } from './citable-values.js';
import { headingOf, isTableLine, isTableSeparator, narrativeLines } from './narrative.js';
import { citableId, type Citable, type VerificationIssue } from './types.js';
import { defaultVerificationConfig, type VerificationConfig } from './verification-config.js';

export type PiiCode = 'PII_EMAIL' | 'PII_ID' | 'PII_PHONE' | 'PII_NAME';

export interface Redaction {
  code: PiiCode;
  /** 1-based line of the narrative. */
  line: number;
}

export const REPLACEMENT: Readonly<Record<PiiCode, string>> = {
  PII_EMAIL: '[REDACTED_EMAIL]',
  PII_ID: '[REDACTED_ID]',
  PII_PHONE: '[REDACTED_PHONE]',
  PII_NAME: '[REDACTED_NAME]',
};

const MARKER = /(\[cite:[^\]\n]*\])/;
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const LONG_ID = /(?<![\p{L}\p{N}_])(?<!\p{N}[.,])\p{N}{10,}(?![\p{L}\p{N}_])/gu;
const PHONE = /(?<![\p{L}\p{N}_+])(?<!\p{N}[.,])(\+974[ -]?)?(\d{4})([ -]?)(\d{4})(?![\p{L}\p{N}_])(?![.,]\d)/gu;
const WORD = /\p{L}[\p{L}'’-]*/gu;
const CAPITALISED = /^(?:[Aa]l-|[Ee]l-)?\p{Lu}\p{Ll}+(?:\p{Lu}\p{Ll}+)*(?:-\p{Lu}?\p{Ll}+)*$/u;

const isYearish = (digits: string): boolean => Number(digits) >= 1900 && Number(digits) <= 2100;

/** The word without a possessive or trailing punctuation that the word pattern admits. */
function bare(word: string): string {
  return word.replace(/['’]s$/u, '').replace(/['’-]+$/u, '');
}

const protectedMemo = new WeakMap<ReadonlySet<string>, Map<string, boolean>>();

function isProtected(word: string, words: ReadonlySet<string>): boolean {
  let memo = protectedMemo.get(words);
  if (!memo) {
    memo = new Map();
    protectedMemo.set(words, memo);
  }
  let known = memo.get(word);
  if (known === undefined) {
    known = lookupProtected(word, words);
    if (memo.size < 10_000) memo.set(word, known);
  }
  return known;
}

function lookupProtected(word: string, words: ReadonlySet<string>): boolean {
  const w = bare(word).toLowerCase();
  const forms = new Set<string>([w, w.replace(/^(?:al|el)-/, '')]);
  for (const part of w.split('-')) if (part.length > 0) forms.add(part);
  for (const f of [...forms]) {
    if (f.endsWith('ies')) forms.add(`${f.slice(0, -3)}y`);
    if (f.endsWith('s')) forms.add(f.slice(0, -1));
  }
  for (const f of forms) if (words.has(f)) return true;
  return false;
}

/** Spans [start, end) of person names in a piece of text. */
export function nameSpans(text: string, config: VerificationConfig): [number, number][] {
  const { protected_words: words, name_connectors: connectors } = config.privacy;
  const spans: [number, number][] = [];
  let run: { start: number; end: number; caps: number } | null = null;
  let lastEnd = -1;
  const close = (): void => {
    if (run && run.caps >= 2) spans.push([run.start, run.end]);
    run = null;
  };
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    const end = start + m[0].length;
    const before = text[start - 1] ?? '';
    const after = text[end] ?? '';
    const gapOk = run !== null && /^[ \t]+$/.test(text.slice(lastEnd, start));
    const word = m[0];
    const core = bare(word);
    if (/[\p{N}_]/u.test(before) || /[\p{N}_]/u.test(after)) {
      close(); // part of an identifier
    } else if (CAPITALISED.test(core) && !isProtected(word, words)) {
      if (run !== null && gapOk) {
        run.end = start + word.replace(/['’-]+$/u, '').length;
        run.caps += 1;
      } else {
        close();
        run = { start, end: start + word.replace(/['’-]+$/u, '').length, caps: 1 };
      }
    } else if (run !== null && gapOk && connectors.has(core.toLowerCase())) {
      // a connector joins the run only if a capitalised word follows (the run's end does not move)
    } else {
      close();
    }
    lastEnd = end;
  }
  close();
  return spans;
}

function replaceSpans(text: string, spans: readonly [number, number][], by: string): string {
  let out = text;
  for (let i = spans.length - 1; i >= 0; i -= 1) {
    const [s, e] = spans[i]!;
    out = out.slice(0, s) + by + out.slice(e);
  }
  return out;
}

/** Redacts one piece of text outside markers; `names` is false in headings and table header rows. */
function redactPiece(piece: string, names: boolean, config: VerificationConfig, found: PiiCode[]): string {
  let out = piece.replace(EMAIL, () => {
    found.push('PII_EMAIL');
    return REPLACEMENT.PII_EMAIL;
  });
  out = out.replace(LONG_ID, () => {
    found.push('PII_ID');
    return REPLACEMENT.PII_ID;
  });
  out = out.replace(PHONE, (m: string, prefix: string | undefined, a: string, sep: string, b: string) => {
    if (!prefix && sep !== '' && isYearish(a) && isYearish(b)) return m; // a year range such as 2017-2024
    found.push('PII_PHONE');
    return REPLACEMENT.PII_PHONE;
  });
  if (names) {
    const spans = nameSpans(out, config);
    for (let i = 0; i < spans.length; i += 1) found.push('PII_NAME');
    out = replaceSpans(out, spans, REPLACEMENT.PII_NAME);
  }
  return out;
}

/** Redacts a narrative line by line (markers untouched), returning the redactions in text order. */
export function redactNarrative(
  text: string,
  config: VerificationConfig = defaultVerificationConfig(),
): { text: string; redactions: Redaction[] } {
  const lines = narrativeLines(text);
  const crlf = text.includes('\r\n');
  const redactions: Redaction[] = [];
  const out = lines.map((line, i) => {
    const header = isTableLine(line) && isTableSeparator(lines[i + 1] ?? '') && !isTableSeparator(line);
    const names = headingOf(line) === null && !header;
    const found: PiiCode[] = [];
    const redacted = line
      .split(MARKER)
      .map((piece, k) => (k % 2 === 1 ? piece : redactPiece(piece, names, config, found)))
      .join('');
    for (const code of found) redactions.push({ code, line: i + 1 });
    return redacted;
  });
  return { text: out.join(crlf ? '\r\n' : '\n'), redactions };
}

/** Redacts free text such as a question before it is stored in a manifest or a log (§5.4). */
export function redactText(text: string, config: VerificationConfig = defaultVerificationConfig()): string {
  if (typeof text !== 'string') return '';
  return redactNarrative(text, config).text;
}

const WHAT: Readonly<Record<PiiCode, string>> = {
  PII_EMAIL: 'an e-mail address',
  PII_ID: 'a long identifier',
  PII_PHONE: 'a phone number',
  PII_NAME: 'a person name',
};

/** One warning per redaction; the details never hold the redacted text. */
export function redactionIssues(redactions: readonly Redaction[]): VerificationIssue[] {
  return redactions.map((r) => ({
    layer: 'L4',
    code: r.code,
    severity: 'warning',
    message: `redacted ${WHAT[r.code]} on line ${r.line}`,
    details: { line: r.line, replacement: REPLACEMENT[r.code] },
  }));
}

/** SMALL_CELL (error): a cited company-level row with base below the threshold; one issue per result. */
export function smallCellIssues(citables: readonly Citable[], config: VerificationConfig): VerificationIssue[] {
  const { small_cell_min_base: k, company_fields: companyFields } = config.privacy;
  const issues: VerificationIssue[] = [];
  for (const c of citables) {
    const rows = Array.isArray(c.rows) ? (c.rows as unknown[]) : [];
    let count = 0;
    let minBase: number | null = null;
    const companies: unknown[] = [];
    rows.forEach((row) => {
      if (!companyFields.some((f) => cell(row, f) !== undefined)) return;
      const base = cell(row, 'base');
      if (!finite(base) || base >= k) return;
      count += 1;
      minBase = minBase === null ? base : Math.min(minBase, base);
      if (companies.length < 10) companies.push(cell(row, companyFields[0] ?? 'company_id') ?? null);
    });
    if (count === 0) continue;
    const id = citableId(c);
    issues.push({
      layer: 'L4',
      code: 'SMALL_CELL',
      severity: 'error',
      message: `${id} cites ${count} company-level row(s) with base below ${k}`,
      details: { id, rows: count, min_base: minBase, threshold: k, company_ids: companies },
    });
  }
  return issues;
}
