/**
 * Assembly of the §4.2 answer envelope from the rendered answer and the results of routing, verification and
 * confidence, with members in schema order; and the clarification envelope of §2.7.
 */
import { jsonSafe } from '../derived.js';
import type {
  AnswerEnvelope,
  ClarificationLike,
  ConfidenceBlock,
  ConfidenceLike,
  EnvelopeIssue,
  EnvelopeWarning,
  RouterBlock,
  RouterLike,
  Section,
  TimingsMs,
  VerificationBlock,
  VerificationLike,
} from './envelope-types.js';
import type { RenderedAnswer } from './render-answer.js';
import { narrativeOf, section, withVerificationFailed } from './sections.js';

/** The narrative returned by verification cannot be split back into the rendered sections (a programming error). */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

export interface AnswerAssembly {
  request_id: string;
  /** Null on the agent endpoints (§4.4). */
  router: RouterLike | null;
  rendered: RenderedAnswer;
  verification: VerificationLike;
  confidence: ConfidenceLike | null;
  /** Warnings of the router (e.g. DEFAULT_APPLIED); they come first. */
  routerWarnings?: readonly Omit<EnvelopeWarning, 'source'>[];
  audit_id?: string | null;
  timings_ms: TimingsMs;
}

export interface ClarificationAssembly {
  request_id: string;
  router: RouterLike | null;
  clarification: ClarificationLike;
  /** YYYY-MM-DD, the injected clock date. */
  clockDate: string;
  routerWarnings?: readonly Omit<EnvelopeWarning, 'source'>[];
  audit_id?: string | null;
  timings_ms: TimingsMs;
}

/** Milliseconds with 3 decimals. */
export function roundMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.round(ms * 1000) / 1000;
}

export function timingsBlock(t: TimingsMs): TimingsMs {
  return {
    route: roundMs(t.route),
    agent: roundMs(t.agent),
    render: roundMs(t.render),
    verify: roundMs(t.verify),
    audit: roundMs(t.audit),
    total: roundMs(t.total),
  };
}

export function routerBlock(r: RouterLike | null): RouterBlock | null {
  if (r === null) return null;
  const e = r.entities;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? [...(jsonSafe(v) as unknown[])] : []);
  const scalar = (v: unknown): unknown => (v === undefined ? null : jsonSafe(v));
  return {
    method: r.method,
    confidence: r.confidence,
    threshold: r.threshold,
    entities: {
      sectors: list(e.sectors),
      metrics: list(e.metrics),
      countries: list(e.countries),
      time: scalar(e.time),
      numbers: list(e.numbers),
      changes: list(e.changes),
      top_n: scalar(e.top_n),
    },
    entities_ignored: list(r.entities_ignored),
    alternatives: r.alternatives.map((a) => ({ intent: a.intent, score: a.score })),
    params_used: jsonSafe(r.params_used) as Record<string, unknown>,
    defaults_applied: list(r.defaults_applied),
  };
}

export function verificationBlock(v: VerificationLike): VerificationBlock {
  return {
    passed: v.passed,
    issues: v.issues.map((i): EnvelopeIssue => ({
      layer: i.layer,
      code: i.code,
      severity: i.severity,
      message: i.message,
      details: jsonSafe(i.details ?? {}) as Record<string, unknown>,
    })),
  };
}

/** {score, band, components, reasons}; the band is RED whenever verification failed (§5.6). */
export function confidenceBlock(c: ConfidenceLike | null, passed: boolean): ConfidenceBlock | null {
  if (c === null) return null;
  const part = (v: number | null | undefined): number | null => (v === undefined ? null : v);
  return {
    score: c.score,
    band: passed ? c.band : 'RED',
    components: {
      citation: part(c.components.citation),
      numbers: part(c.components.numbers),
      cross_check: part(c.components.cross_check),
      privacy: part(c.components.privacy),
      freshness: part(c.components.freshness),
    },
    reasons: [...c.reasons],
  };
}

/** Issues of severity warning become envelope warnings with source "verification", in issue order. */
export function verificationWarnings(v: VerificationLike): EnvelopeWarning[] {
  return v.issues
    .filter((i) => i.severity === 'warning')
    .map((i) => ({ code: i.code, message: i.message, source: 'verification' as const }));
}

/**
 * Splits a narrative made by narrativeOf back into sections with the same ids and titles as `template`. Used to carry
 * the L4 redactions of the verified narrative into the sections; headings are never redacted.
 */
export function splitNarrative(narrative: string, template: readonly Section[]): Section[] {
  const heads = template.map((s, i) => (i === 0 ? `## ${s.title}\n\n` : `\n\n## ${s.title}\n\n`));
  if (!narrative.startsWith(heads[0] ?? '')) {
    throw new RenderError('the verified narrative does not start with the first section heading');
  }
  const starts: number[] = [];
  let from = 0;
  for (const head of heads) {
    const at = narrative.indexOf(head, from);
    if (at < 0) throw new RenderError('the verified narrative lost a section heading');
    starts.push(at);
    from = at + head.length;
  }
  return template.map((s, i) => {
    const bodyStart = (starts[i] ?? 0) + (heads[i] ?? '').length;
    const bodyEnd = i + 1 < starts.length ? (starts[i + 1] ?? narrative.length) : narrative.length;
    return { id: s.id, title: s.title, body_md: narrative.slice(bodyStart, bodyEnd) };
  });
}

function routerWarnings(list: readonly Omit<EnvelopeWarning, 'source'>[] | undefined): EnvelopeWarning[] {
  return (list ?? []).map((w) => ({ code: w.code, message: w.message, source: 'router' }));
}

/**
 * The answered envelope. Sections take the redactions of the verified narrative; when verification failed, the
 * Executive Summary opens with the fixed sentence of §5.6 and the band is RED. Warnings: router, agent, data, then
 * verification.
 */
export function assembleAnswer(a: AnswerAssembly): AnswerEnvelope {
  const { rendered, verification } = a;
  let sections =
    verification.narrative !== undefined && verification.narrative !== rendered.narrative
      ? splitNarrative(verification.narrative, rendered.sections)
      : rendered.sections.map((s) => ({ ...s }));
  if (!verification.passed) sections = withVerificationFailed(sections);
  return {
    request_id: a.request_id,
    status: 'answered',
    intent: rendered.intent,
    router: routerBlock(a.router),
    sections,
    narrative: narrativeOf(sections),
    findings: structuredClone(rendered.findings),
    citations: structuredClone(rendered.citations),
    freshness: structuredClone(rendered.freshness),
    verification: verificationBlock(verification),
    confidence: confidenceBlock(a.confidence, verification.passed),
    warnings: [...routerWarnings(a.routerWarnings), ...rendered.warnings, ...verificationWarnings(verification)],
    audit_id: a.audit_id ?? null,
    timings_ms: timingsBlock(a.timings_ms),
  };
}

/**
 * The clarification envelope (§2.7): intent and confidence null, no findings or citations, verification passed, and
 * only the `clarification` section, whose body is the clarification message.
 */
export function buildClarificationEnvelope(a: ClarificationAssembly): AnswerEnvelope {
  const sections = [section('clarification', a.clarification.message)];
  return {
    request_id: a.request_id,
    status: 'clarification',
    intent: null,
    router: routerBlock(a.router),
    sections,
    narrative: narrativeOf(sections),
    findings: [],
    citations: [],
    freshness: { asof_min: null, asof_max: null, clock_date: a.clockDate, sources: {} },
    verification: { passed: true, issues: [] },
    confidence: null,
    warnings: routerWarnings(a.routerWarnings),
    clarification: {
      reason: a.clarification.reason,
      message: a.clarification.message,
      options: jsonSafe([...a.clarification.options]) as unknown[],
      missing: [...a.clarification.missing],
    },
    audit_id: a.audit_id ?? null,
    timings_ms: timingsBlock(a.timings_ms),
  };
}
