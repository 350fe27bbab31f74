/**
 * The Markdown sections of an answer (analysis spec §4.2): Executive Summary, Key Findings, Method Notes and Evidence,
 * and the narrative they make together. Every number written here either comes from an agent's cited text or carries
 * a citation marker of its own, so the answer passes the citation layer (§5.1).
 */
import { derive, type DerivedInput } from '../derived.js';
import { cite, formatValue } from '../format.js';
import type { AgentResult, DerivedResult, Finding, FindingMetric, Frequency, MetricUnit } from '../model.js';
import type { Citation, Section, SectionId } from './envelope-types.js';

export const SECTION_TITLES: Record<SectionId, string> = {
  executive_summary: 'Executive Summary',
  key_findings: 'Key Findings',
  method_notes: 'Method Notes',
  evidence: 'Evidence',
  clarification: 'Clarification',
};

/** The fixed opening of the Executive Summary when verification fails (§5.6). */
export const VERIFICATION_FAILED_SENTENCE = 'Verification failed: some figures in this answer could not be verified.';

export const NO_FINDINGS_SUMMARY = 'No finding could be computed for this question; the warnings give the reasons.';

/** Rows echoed in tables when the request does not say (§4.1 `max_rows`). */
export const DEFAULT_MAX_ROWS = 50;

/** "## {title}\n\n{body_md}" per section, joined by blank lines (§4.2 `narrative`). */
export function narrativeOf(sections: readonly Section[]): string {
  return sections.map((s) => `## ${s.title}\n\n${s.body_md}`).join('\n\n');
}

export function section(id: SectionId, body: string): Section {
  return { id, title: SECTION_TITLES[id], body_md: body };
}

/** A table cell: one line, with "|" escaped so the row keeps its columns. */
export function tableCell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

export function tableRow(cells: readonly string[]): string {
  return `| ${cells.map(tableCell).join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [tableRow(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(tableRow)].join('\n');
}

/** Unit column text of the Key Findings table. */
export function unitLabel(unit: MetricUnit): string {
  return unit === 'qar' ? 'QAR' : unit;
}

/** A Markdown text as one line: list markers at line starts removed, lines joined by single spaces. */
export function oneLine(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+\.)\s+/, '').trim())
    .filter((line) => line !== '')
    .join(' ');
}

/**
 * The first `max` sentences of the first paragraph of a Markdown text. Sentences end at ".", "!" or "?" followed by
 * whitespace, as the citation layer splits them (§5.1), so decimals and markers never split a sentence.
 */
export function leadingSentences(markdown: string, max: number): string {
  const paragraph = markdown.split(/\n\s*\n/).find((p) => p.trim() !== '') ?? '';
  const sentences = oneLine(paragraph).split(/(?<=[.!?])\s+/);
  return sentences.slice(0, Math.max(1, max)).join(' ');
}

/** One to three sentences from the primary (first) finding, or the fixed no-finding sentence. */
export function executiveSummary(findings: readonly Finding[]): string {
  const primary = findings[0];
  if (primary === undefined) return NO_FINDINGS_SUMMARY;
  const text = leadingSentences(primary.summary, 3);
  return text !== '' ? text : tableCell(primary.title);
}

/** Prefixes the Executive Summary with the verification-failed sentence (§5.6); other sections are unchanged. */
export function withVerificationFailed(sections: readonly Section[]): Section[] {
  return sections.map((s) =>
    s.id === 'executive_summary' && !s.body_md.startsWith(VERIFICATION_FAILED_SENTENCE)
      ? { ...s, body_md: `${VERIFICATION_FAILED_SENTENCE} ${s.body_md}` }
      : { ...s },
  );
}

export interface KeyFindings {
  body: string;
  /** The derived record of a truncated table (total and shown row counts), cited by the truncation note. */
  truncation: DerivedResult | null;
}

function metricRow(m: FindingMetric): string[] {
  return [m.label, formatValue(m.value, m.unit), unitLabel(m.unit), m.citation === '' ? 'none' : cite(m.citation)];
}

/**
 * One bullet per finding, then the | Metric | Value | Unit | Source | table of every finding's metrics in order.
 * Past `maxRows` rows the table is cut and a note gives the total, cited to a `table_truncation` derived result.
 */
export function keyFindings(
  findings: readonly Finding[],
  maxRows: number,
  resolve: (id: string) => DerivedInput | undefined,
): KeyFindings {
  if (findings.length === 0) return { body: 'No findings were produced.', truncation: null };
  const bullets = findings.map((f) => {
    const summary = oneLine(f.summary);
    return summary === '' ? `- **${tableCell(f.title)}**` : `- **${tableCell(f.title)}**: ${summary}`;
  });
  const metrics = findings.flatMap((f) => f.metrics);
  const parts = [bullets.join('\n')];
  let truncation: DerivedResult | null = null;
  if (metrics.length > 0) {
    const shown = metrics.slice(0, maxRows);
    parts.push(table(['Metric', 'Value', 'Unit', 'Source'], shown.map(metricRow)));
    if (shown.length < metrics.length) {
      const inputs = [...new Set(metrics.map((m) => m.citation))]
        .map(resolve)
        .filter((x): x is DerivedInput => x !== undefined);
      truncation = derive({
        operation: 'table_truncation',
        inputs,
        params: { table: 'key_findings', max_rows: maxRows, shown_rows: shown.length, total_rows: metrics.length },
        fields: [],
      });
      parts.push(`Table truncated: showing ${shown.length} of ${metrics.length} rows ${cite(truncation.id)}.`);
    }
  }
  return { body: parts.join('\n\n'), truncation };
}

const FREQUENCY_TEXT: Record<Frequency, string> = {
  monthly: 'monthly',
  annual: 'annual',
  cross_section: 'latest cross-section',
};

/** A parameter value as shown: integers without separators, other numbers in plain decimal notation. */
export function formatParamNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toString();
  const s = String(value);
  if (!/e/i.test(s)) return s;
  const fixedText = value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  return fixedText === '-0' ? '0' : fixedText;
}

/** A string the citation layer finds no number in (no digits, or a plain year, period or date). */
function numberFree(text: string): boolean {
  return !/\d/.test(text) || /^\d{4}(?:-\d{2}){0,2}$/.test(text);
}

function citingDerived(name: string, value: number, derived: readonly DerivedResult[]): DerivedResult | undefined {
  return (
    derived.find((d) => d.params[name] === value) ??
    derived.find((d) => Object.values(d.params).some((v) => v === value))
  );
}

/**
 * One parameter line, or null when it cannot be shown safely: a number is shown only with a derived result whose
 * params hold it (so it is cited and verifiable), text only when it holds no number, nested values never.
 */
export function parameterLine(name: string, value: unknown, derived: readonly DerivedResult[]): string | null {
  const label = `- Parameter ${name}`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const source = citingDerived(name, value, derived);
    return source === undefined ? null : `${label}: ${formatParamNumber(value)} ${cite(source.id)}`;
  }
  if (typeof value === 'boolean') return `${label}: ${value ? 'true' : 'false'}`;
  if (typeof value === 'string') return value !== '' && numberFree(value) ? `${label}: ${tableCell(value)}` : null;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && numberFree(v))) {
    return `${label}: ${value.map((v) => tableCell(v as string)).join(', ')}`;
  }
  return null;
}

/** The method, its parameters and the frequency; every parameter number is cited to a derived result. */
export function methodNotes(result: AgentResult): string {
  const lines = [
    `- Method: ${result.agent} ${result.method} (intent ${result.intent})`,
    `- Frequency: ${FREQUENCY_TEXT[result.frequency] ?? result.frequency}`,
  ];
  for (const [name, value] of Object.entries(result.params)) {
    const line = parameterLine(name, value, result.derived);
    if (line !== null) lines.push(line);
  }
  return lines.join('\n');
}

/** | Id | Kind | Dataset | As of | Licence |, one row per citation in id order. */
export function evidence(citations: readonly Citation[]): string {
  if (citations.length === 0) return 'No sources were cited.';
  return table(
    ['Id', 'Kind', 'Dataset', 'As of', 'Licence'],
    citations.map((c) => [c.id, c.kind, c.dataset_id, c.asof_date ?? 'unknown', c.license ?? 'not stated']),
  );
}
