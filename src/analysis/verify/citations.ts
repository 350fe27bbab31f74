/**
 * L1 — citation format and enforcement (analysis spec §5.1): every numeric token must sit in a unit covered by a
 * `[cite:ID]` marker, and every marker id must name a cited result.
 */
import { CITATION_ID, coveringIds, type ParsedNarrative, type TextUnit } from './narrative.js';
import { numericTokens, type NumericToken } from './numeric-tokens.js';
import { redactText } from './privacy.js';
import type { CitationReport, Severity, UncitedNumber, VerificationIssue } from './types.js';
import type { VerificationConfig } from './verification-config.js';

/** A numeric token in its unit, with the ids covering it (empty when uncited). */
export interface LocatedNumber {
  token: NumericToken;
  unit: TextUnit;
  line: number;
  ids: string[];
}

const CONTEXT_CHARS = 40;

/** Line numbers of offsets in a unit, for offsets asked in ascending order. */
function lineCounter(unit: TextUnit): (offset: number) => number {
  let line = unit.line;
  let counted = 0;
  return (offset) => {
    for (; counted < offset; counted += 1) if (unit.text[counted] === '\n') line += 1;
    return line;
  };
}

/** Every numeric token of the parsed narrative that needs a citation, in text order. */
export function locateNumbers(parsed: ParsedNarrative, config: VerificationConfig): LocatedNumber[] {
  const out: LocatedNumber[] = [];
  for (const unit of parsed.units) {
    const tokens = numericTokens(unit.text, {
      listMarkers: unit.kind === 'list_item',
      yearMin: config.citations.year_min,
      yearMax: config.citations.year_max,
    });
    if (tokens.length === 0) continue;
    const ids = coveringIds(unit);
    const lineAt = lineCounter(unit);
    for (const token of tokens) out.push({ token, unit, line: lineAt(token.start), ids });
  }
  return out;
}

/**
 * The unit text around a token, whitespace collapsed and redacted (L4) before it is cut, so that a quote never
 * carries personal data, not even half a name.
 */
export function contextOf(n: LocatedNumber, config: VerificationConfig): string {
  const text = n.unit.text;
  const quoted = redactText(text.replace(/\s+/g, ' ').trim(), config);
  const span = n.token.end - n.token.start;
  if (quoted.length <= 2 * CONTEXT_CHARS + span) return quoted;
  const centre = Math.round((n.token.start / Math.max(1, text.length)) * quoted.length);
  let from = Math.max(0, centre - CONTEXT_CHARS);
  let to = Math.min(quoted.length, centre + span + CONTEXT_CHARS);
  while (from > 0 && quoted[from - 1] !== ' ') from -= 1;
  while (to < quoted.length && quoted[to] !== ' ') to += 1;
  return (from > 0 ? '…' : '') + quoted.slice(from, to).trim() + (to < quoted.length ? '…' : '');
}

export interface CitationLayer {
  issues: VerificationIssue[];
  report: CitationReport;
}

export function checkCitations(
  parsed: ParsedNarrative,
  numbers: readonly LocatedNumber[],
  knownIds: ReadonlySet<string>,
  opts: { enforce: boolean; config: VerificationConfig },
): CitationLayer {
  const severity: Severity = opts.enforce ? 'error' : 'warning';
  const issues: VerificationIssue[] = [];

  const unknown = new Map<string, number[]>();
  for (const unit of parsed.units) {
    const lineAt = lineCounter(unit);
    for (const marker of unit.markers) {
      const line = lineAt(marker.start);
      for (const id of marker.ids) {
        if (CITATION_ID.test(id) && knownIds.has(id)) continue;
        const lines = unknown.get(id) ?? [];
        if (!lines.includes(line)) lines.push(line);
        unknown.set(id, lines);
      }
    }
  }
  for (const [id, lines] of unknown) {
    const malformed = !CITATION_ID.test(id);
    issues.push({
      layer: 'L1',
      code: 'CITATION_UNKNOWN_ID',
      severity,
      message: malformed
        ? `citation marker id ${JSON.stringify(id)} is not a valid id`
        : `citation id "${id}" is not among the answer's citations`,
      details: { id, lines, malformed },
    });
  }

  const uncited: UncitedNumber[] = [];
  let total = 0;
  let cited = 0;
  for (const n of numbers) {
    total += 1;
    if (n.ids.length > 0) {
      cited += 1;
      continue;
    }
    const context = contextOf(n, opts.config);
    if (uncited.length < opts.config.citations.uncited_report_limit) {
      uncited.push({ token: n.token.raw, line: n.line, context });
    }
    issues.push({
      layer: 'L1',
      code: 'UNCITED_NUMBER',
      severity,
      message: `number ${n.token.raw} on line ${n.line} has no citation marker`,
      details: { token: n.token.raw, line: n.line, context },
    });
  }
  return { issues, report: { total_numbers: total, cited_numbers: cited, uncited } };
}
