/**
 * The dashboard's view of an answer (ui.md §5.4, §6 `POST /api/v1/ui/ask`): the analysis envelope (analysis spec
 * §4.2) reduced to plain text, a flat findings table, registry-aware citations and per-source freshness; plus the
 * `failed` reply and the suggestion chips. Pure functions: no I/O.
 */
import type { ClarificationOption } from '../analysis/router/clarification.js';
import type { RouteClarification } from '../analysis/router/router.js';
import type { AnswerEnvelope, Band } from '../analysis/render/envelope-types.js';
import type { Intent } from '../analysis/model.js';

export type UiAnswerStatus = 'answered' | 'clarification' | 'failed';

export interface UiClarificationOption {
  /** The intent to answer with when the chip is chosen (sent back as `clarification.choice_id`). */
  id: string;
  label: string;
  sector?: string;
  metric?: string;
}

export interface UiAnswer {
  status: UiAnswerStatus;
  request_id: string;
  question: string;
  intent: string | null;
  executive_summary: { text: string; primary_insight: string | null };
  findings: {
    title: string;
    summary: string;
    metrics: { name: string; value: number | string | null; unit: string | null }[];
  }[];
  citations: {
    query_id: string;
    dataset_id: string;
    locator: string;
    fields: string[];
    asof: string | null;
    in_registry: boolean;
  }[];
  confidence: { score: number; band: Band; reasons: string[] } | null;
  freshness: {
    source: string;
    last_updated: string | null;
    age_days: number | null;
    sla_days: number | null;
    stale: boolean;
  }[];
  warnings: string[];
  clarification?: { prompt: string; options: UiClarificationOption[] };
  timings_ms: { total: number };
}

/** What the view needs to know about the query registry. */
export interface RegistryView {
  has(id: string): boolean;
  /** The query's freshness SLA in days, null when it has none (only called for ids the registry has). */
  slaDays(id: string): number | null;
}

/**
 * Markdown of the analysis layer as one line of plain text: citation markers, emphasis, code ticks, table pipes and
 * list markers removed, whitespace collapsed. The dashboard shows it with textContent, never as HTML.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\s*\[cite:[^\]]*\]/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+\.|#{1,6})\s+/, ''))
    .join(' ')
    .replace(/\*\*|__|`/g, '')
    .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,;:!?])/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}

const DAY_MS = 86_400_000;

/** Whole days from `asof` to `clock` (both YYYY-MM-DD), null when either is missing or malformed. */
export function ageDays(asof: string | null, clock: string): number | null {
  if (asof === null) return null;
  const a = Date.parse(`${asof.slice(0, 10)}T00:00:00Z`);
  const c = Date.parse(`${clock.slice(0, 10)}T00:00:00Z`);
  if (!Number.isFinite(a) || !Number.isFinite(c)) return null;
  return Math.floor((c - a) / DAY_MS);
}

/** The first paragraph of a clarification message (the options follow as chips, not as a list). */
function clarificationPrompt(message: string): string {
  return plainText(message.split(/\n\s*\n/)[0] ?? message);
}

/** Chips for a clarification: one per intent the router offers, labelled with the intent's description. */
export function clarificationOptions(options: readonly ClarificationOption[]): UiClarificationOption[] {
  return options.map((o) => ({ id: o.intent, label: o.description }));
}

/** The dashboard answer of an answered or clarification envelope. */
export function uiAnswer(
  envelope: AnswerEnvelope,
  ctx: { question: string; registry: RegistryView; clarification?: RouteClarification['clarification'] },
): UiAnswer {
  const summarySection = envelope.sections.find((s) => s.id === 'executive_summary');
  const clock = envelope.freshness.clock_date;
  const base: UiAnswer = {
    status: envelope.status,
    request_id: envelope.request_id,
    question: ctx.question,
    intent: envelope.intent,
    executive_summary: {
      text: plainText(summarySection?.body_md ?? ''),
      primary_insight: envelope.findings[0] ? plainText(envelope.findings[0].title) : null,
    },
    findings: envelope.findings.map((f) => ({
      title: plainText(f.title),
      summary: plainText(f.summary),
      metrics: f.metrics.map((m) => ({
        name: m.key,
        value: m.value,
        unit: m.unit === 'text' ? null : m.unit,
      })),
    })),
    citations: envelope.citations.map((c) => ({
      query_id: c.id,
      dataset_id: c.dataset_id,
      locator: c.locator,
      fields: [...c.fields],
      asof: c.asof_date,
      in_registry: c.kind === 'query' && ctx.registry.has(c.id),
    })),
    confidence: envelope.confidence
      ? { score: envelope.confidence.score, band: envelope.confidence.band, reasons: [...envelope.confidence.reasons] }
      : null,
    freshness: Object.entries(envelope.freshness.sources).map(([source, asof]) => {
      const sla = ctx.registry.has(source) ? ctx.registry.slaDays(source) : null;
      const age = ageDays(asof, clock);
      return {
        source,
        last_updated: asof,
        age_days: age,
        sla_days: sla,
        stale: sla !== null && age !== null && age > sla,
      };
    }),
    warnings: envelope.warnings.map((w) => plainText(w.message)),
    timings_ms: { total: envelope.timings_ms.total },
  };
  if (envelope.status === 'clarification' && envelope.clarification) {
    const options = ctx.clarification ? clarificationOptions(ctx.clarification.options) : [];
    const prompt = clarificationPrompt(envelope.clarification.message);
    return { ...base, executive_summary: { text: prompt, primary_insight: null }, clarification: { prompt, options } };
  }
  return base;
}

/** A `failed` reply: the reason as the summary, no findings; the page offers the suggestion chips again. */
export function failedAnswer(req: {
  requestId: string;
  question: string;
  message: string;
  warnings?: readonly string[];
  totalMs?: number;
}): UiAnswer {
  return {
    status: 'failed',
    request_id: req.requestId,
    question: req.question,
    intent: null,
    executive_summary: { text: req.message, primary_insight: null },
    findings: [],
    citations: [],
    confidence: null,
    freshness: [],
    warnings: [...(req.warnings ?? [])],
    timings_ms: { total: Math.round((req.totalMs ?? 0) * 1000) / 1000 },
  };
}

export interface AskSuggestion {
  id: string;
  text: string;
  intent: Intent;
}

/**
 * The suggestion chips (ui.md §5.4). Each routes without clarification on the synthetic pack (tested). Questions
 * are English in this phase (the router reads English), so `lang=ar` returns the same questions.
 */
export const ASK_SUGGESTIONS: readonly AskSuggestion[] = [
  { id: 'vision2030-gap', text: 'Are we on track for the 30% Qatarization target?', intent: 'strategy.vision2030' },
  { id: 'qatarization-trend', text: 'What is the year over year trend in Qatarization?', intent: 'time.trend' },
  {
    id: 'gcc-unemployment',
    text: "How does Qatar's unemployment compare with the rest of the GCC?",
    intent: 'strategy.gcc_benchmark',
  },
  { id: 'ict-forecast', text: 'Forecast ICT employment for the next 12 months', intent: 'predict.forecast' },
  { id: 'hospitality-attrition', text: 'Why is attrition so high in Hospitality?', intent: 'pattern.root_causes' },
];
