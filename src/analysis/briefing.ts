/**
 * The minister briefing (analysis spec §7.2): one council run plus the cross-source checks, condensed into a cited
 * Markdown brief with a fixed layout — title, as-of date, headline, five key metrics, red flags, confidence,
 * provenance and licences. The Markdown is verified like any answer (§5) and scored (§5.7); that score is recorded as
 * a derived result. The run is audited under the endpoint "briefing". No wall clock enters the body except timings_ms.
 */
import type { AnswerService } from './answer-service.js';
import { buildEvidence } from './audit/manifest.js';
import { runBriefingChecks, type CheckRun, type SourceWithSla } from './briefing-checks.js';
import { scoreConfidence, type Confidence } from './confidence.js';
import type { ConsensusEntry } from './consensus.js';
import {
  AUDIT_WRITE_FAILED,
  methodConfidenceTable,
  methodName,
  runCouncil,
  type CouncilMethodRun,
  type CouncilRun,
} from './council.js';
import { derive } from './derived.js';
import { cite, formatCount, formatPercent, formatPp, formatScore, formatValue } from './format.js';
import type { DataClient, DerivedResult, FindingMetric, Intent, MetricUnit, QueryResult } from './model.js';
import { buildCitations, buildFreshness, compareIds } from './render/citations.js';
import { timingsBlock, verificationWarnings } from './render/envelope.js';
import type { Citation, EnvelopeWarning, TimingsMs } from './render/envelope-types.js';
import { evidence, tableCell, tableRow } from './render/sections.js';
import { storeRunManifest } from './run-manifest.js';
import type { VerificationResult } from './verify/types.js';
import { verifyAnswer } from './verify/verify-answer.js';

export const BRIEFING_TITLE = 'Minister Briefing: Qatar Labour Market';
export const SYNTHETIC_LICENSE = 'MIT-SYNTHETIC';
export const SYNTHETIC_SUFFIX = ' (Synthetic Data)';
export const MAX_RED_FLAGS = 8;
export const NO_RED_FLAGS = 'No cross-source red flags.';
export const CHECK_SKIPPED = 'BRIEFING_CHECK_SKIPPED';

export interface KeyMetric {
  key: string;
  label: string;
  value: number | null;
  unit: MetricUnit;
  citation: string | null;
  /** The council's consensus entry for the key, when two or more agents report it. */
  consensus?: ConsensusEntry;
}

export interface RedFlag {
  code: string;
  severity: 'error' | 'warning';
  /** Cited: how many subjects are affected, and the worst case. */
  message: string;
  citations: string[];
}

export interface ProvenanceEntry {
  id: string;
  kind: 'query' | 'derived';
  dataset_id: string;
  locator: string;
  asof_date: string | null;
  license: string | null;
}

/** The §7.2 body, members in the order of its table (warnings carry AUDIT_WRITE_FAILED and skipped checks). */
export interface BriefingResponse {
  title: string;
  as_of: string | null;
  headline: string[];
  key_metrics: KeyMetric[];
  red_flags: RedFlag[];
  red_flags_total: number;
  provenance: ProvenanceEntry[];
  licenses: string[];
  min_confidence: number | null;
  confidence: Confidence;
  markdown: string;
  warnings: EnvelopeWarning[];
  audit_id: string | null;
  request_id: string;
  timings_ms: TimingsMs;
}

export interface BriefingRun {
  response: BriefingResponse;
  council: CouncilRun;
  checks: CheckRun[];
  /** The verification of the Markdown (before its own score was known). */
  verification: VerificationResult;
  /** `derived_confidence_score_*` of the briefing itself. */
  confidenceRecord: DerivedResult;
  /** The red-flag summary record (one row per check). */
  redFlagRecord: DerivedResult;
}

export interface BriefingOptions {
  requestId: string;
  /** The one DataClient of the council and the checks (default: a fresh client of the AnswerService). */
  client?: DataClient;
  /** Store the manifest under "briefing" (default true; false for a replay, which must not write). */
  audit?: boolean;
}

/** The five key metrics of §7.2, in order. */
export const KEY_METRICS: readonly { key: string; label: string; unit: MetricUnit }[] = [
  { key: 'national_qatarization_percent', label: 'National Qatarization', unit: 'percent' },
  { key: 'gap_pp', label: 'Gap to the Vision 2030 target', unit: 'pp' },
  { key: 'mean_sector_attrition_percent', label: 'Mean sector attrition', unit: 'percent' },
  { key: 'qatar_rank', label: 'Qatar rank in GCC unemployment', unit: 'rank' },
  { key: 'employment_yoy_percent', label: 'Employment year over year (national)', unit: 'percent' },
];

const elapsed = (from: number): number => performance.now() - from;

/** The first metric with this key in a run's findings, when it holds a finite number. */
function numericMetric(run: CouncilMethodRun | undefined, key: string): FindingMetric | null {
  for (const f of run?.outcome?.envelope.findings ?? []) {
    for (const m of f.metrics) {
      if (m.key === key) return typeof m.value === 'number' && Number.isFinite(m.value) ? m : null;
    }
  }
  return null;
}

function textMetric(run: CouncilMethodRun | undefined, key: string): FindingMetric | null {
  for (const f of run?.outcome?.envelope.findings ?? []) {
    for (const m of f.metrics) if (m.key === key) return m.value === null ? null : m;
  }
  return null;
}

function runOf(council: CouncilRun, intent: Intent, metric?: string): CouncilMethodRun | undefined {
  return council.methods.find(
    (r) => r.spec.intent === intent && (metric === undefined || r.spec.params.metric === metric),
  );
}

/** The key metrics: each key's first finite value in run order, with the consensus entry when there is one. */
export function keyMetrics(council: CouncilRun): KeyMetric[] {
  return KEY_METRICS.map(({ key, label, unit }) => {
    let found: FindingMetric | null = null;
    for (const run of council.methods) {
      found = numericMetric(run, key);
      if (found && found.unit === unit) break;
      found = null;
    }
    const consensus = council.response.consensus.find((c) => c.key === key);
    return {
      key,
      label,
      value: found ? (found.value as number) : null,
      unit,
      citation: found ? found.citation : null,
      ...(consensus ? { consensus: structuredClone(consensus) } : {}),
    };
  });
}

const unavailable = (topic: string): string => `${topic}: not available`;

function visionBullet(council: CouncilRun): string {
  const run = runOf(council, 'strategy.vision2030');
  const national = numericMetric(run, 'national_qatarization_percent');
  const target = numericMetric(run, 'target_percent');
  const gap = numericMetric(run, 'gap_pp');
  const year = textMetric(run, 'target_year');
  if (!national || !target || !gap || !year) return unavailable('Vision 2030');
  const required = numericMetric(run, 'required_annual_gain_pp');
  const gapValue = gap.value as number;
  const tail =
    gapValue <= 0
      ? 'the target is met'
      : required
        ? `closing it needs ${formatPp(required.value as number)} a year`
        : 'no annual gain can be required because the target year has passed';
  const ids = [national, target, gap, ...(required ? [required] : [])].map((m) => m.citation);
  return (
    `Vision 2030: national Qatarization is ${formatPercent(national.value as number)} against the ` +
    `${formatPercent(target.value as number)} target for ${String(year.value)}, a gap of ${formatPp(gapValue)}; ` +
    `${tail} ${cite(...ids)}`
  );
}

function talentBullet(council: CouncilRun): string {
  const run = runOf(council, 'strategy.talent_competition');
  const high = numericMetric(run, 'high_pressure_count');
  const mean = numericMetric(run, 'mean_sector_attrition_percent');
  if (!high || !mean) return unavailable('Talent competition');
  const n = high.value as number;
  return (
    `Talent competition: ${formatCount(n)} ${n === 1 ? 'sector is' : 'sectors are'} under high attrition pressure; ` +
    `mean sector attrition is ${formatPercent(mean.value as number)} ${cite(high.citation, mean.citation)}`
  );
}

function gccBullet(council: CouncilRun): string {
  const run = runOf(council, 'strategy.gcc_benchmark');
  const rank = numericMetric(run, 'qatar_rank');
  const count = numericMetric(run, 'country_count');
  const gap = numericMetric(run, 'gap_to_average');
  if (!rank || !count || !gap) return unavailable('GCC unemployment');
  return (
    `GCC unemployment: Qatar ranks ${formatScore(rank.value as number)} of ${formatCount(count.value as number)}, ` +
    `${formatPp(gap.value as number)} from the GCC average ${cite(rank.citation, count.citation, gap.citation)}`
  );
}

function employmentBullet(council: CouncilRun): string {
  const run = runOf(council, 'time.trend', 'employment');
  const yoy = numericMetric(run, 'employment_yoy_percent');
  if (!yoy) return unavailable('Employment');
  return `Employment: ${formatPercent(yoy.value as number)} year over year nationally ${cite(yoy.citation)}`;
}

/** The council method with the lowest score (first in run order on ties) and its confidence record. */
function lowestMethod(council: CouncilRun): { run: CouncilMethodRun; score: number; record: DerivedResult } | null {
  let best: { run: CouncilMethodRun; score: number; record: DerivedResult } | null = null;
  for (const run of council.methods) {
    const score = run.outcome?.envelope.confidence?.score;
    const record = run.confidence?.derived;
    if (typeof score !== 'number' || !record) continue;
    if (best === null || score < best.score) best = { run, score, record };
  }
  return best;
}

function redFlagBullet(total: number, redFlagRecord: DerivedResult, council: CouncilRun): string {
  const lowest = lowestMethod(council);
  const flags = `${formatCount(total)} cross-source ${total === 1 ? 'flag' : 'flags'} raised`;
  if (lowest === null) {
    return `Red flags and confidence: ${flags}; council confidence not available ${cite(redFlagRecord.id)}`;
  }
  return (
    `Red flags and confidence: ${flags}; minimum council confidence ${formatScore(lowest.score)} ` +
    `${cite(redFlagRecord.id, lowest.record.id)}`
  );
}

/** The red-flag summary: one row per check in order, and the total before capping. */
function redFlagSummary(checks: readonly CheckRun[]): DerivedResult {
  const raised = checks.filter((c) => c.status === 'flagged').length;
  return derive({
    operation: 'briefing_red_flags',
    inputs: checks.flatMap((c) => (c.check ? [c.check.record] : [])),
    params: { max_red_flags: MAX_RED_FLAGS, red_flags_total: raised, red_flags_shown: Math.min(raised, MAX_RED_FLAGS) },
    fields: [
      { name: 'check', unit: 'text', kind: 'level' },
      { name: 'severity', unit: 'text', kind: 'level' },
      { name: 'status', unit: 'text', kind: 'level' },
      { name: 'checked', unit: 'count', kind: 'level' },
      { name: 'flagged', unit: 'count', kind: 'level' },
    ],
    rows: checks.map((c) => ({
      check: c.code,
      severity: c.severity,
      status: c.status,
      checked: c.check?.checked ?? 0,
      flagged: c.check?.flagged ?? 0,
    })),
  });
}

/** Red flags: errors first, then check order; at most MAX_RED_FLAGS. */
function redFlags(checks: readonly CheckRun[], summary: DerivedResult): RedFlag[] {
  const raised = checks.filter((c) => c.status === 'flagged' && c.check?.text);
  const ordered = [...raised.filter((c) => c.severity === 'error'), ...raised.filter((c) => c.severity !== 'error')];
  return ordered.map((c) => {
    const ids = [c.check!.record.id, summary.id];
    return { code: c.code, severity: c.severity, message: `${c.check!.text} ${cite(...ids)}`, citations: ids };
  });
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [tableRow(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(tableRow)].join('\n');
}

function keyMetricsTable(metrics: readonly KeyMetric[]): string {
  return table(
    ['Metric', 'Value', 'Source'],
    metrics.map((m) =>
      m.value === null || m.citation === null
        ? [m.label, 'not available', 'none']
        : [m.label, formatValue(m.value, m.unit), cite(m.citation)],
    ),
  );
}

function confidenceSection(council: CouncilRun): string {
  const lowest = lowestMethod(council);
  const first =
    lowest === null
      ? 'Minimum council confidence: not available, no council method ran.'
      : `Minimum council confidence: ${formatScore(lowest.score)} (${lowest.run.spec.agent} ` +
        `${methodName(lowest.run.spec)}) ${cite(lowest.record.id)}.`;
  return `${first}\n\n${methodConfidenceTable(council.methods)}`;
}

/** Sorted unique licence strings of the citations ("; "-joined derived licences are split). */
export function licensesOf(citations: readonly Citation[]): string[] {
  const set = new Set<string>();
  for (const c of citations) {
    for (const part of (c.license ?? '').split('; ')) if (part.trim() !== '') set.add(part.trim());
  }
  return [...set].sort(compareIds);
}

export function provenanceOf(citations: readonly Citation[]): ProvenanceEntry[] {
  return citations.map((c) => ({
    id: c.id,
    kind: c.kind,
    dataset_id: c.dataset_id,
    locator: c.locator,
    asof_date: c.asof_date,
    license: c.license,
  }));
}

export interface BriefingMarkdownParts {
  title: string;
  asOf: string | null;
  headline: readonly string[];
  keyMetrics: readonly KeyMetric[];
  redFlags: readonly RedFlag[];
  confidence: string;
  citations: readonly Citation[];
  licenses: readonly string[];
}

/** The Markdown of §7.2 with its exact headings. */
export function briefingMarkdown(p: BriefingMarkdownParts): string {
  const flags =
    p.redFlags.length === 0
      ? NO_RED_FLAGS
      : p.redFlags.map((f) => `- **${f.code}** (${f.severity}): ${f.message}`).join('\n');
  return [
    `# ${p.title}`,
    `_As of ${p.asOf ?? 'unknown'}_`,
    `## Headline\n\n${p.headline.map((h) => `- ${h}`).join('\n')}`,
    `## Key Metrics\n\n${keyMetricsTable(p.keyMetrics)}`,
    `## Red Flags\n\n${flags}`,
    `## Confidence\n\n${p.confidence}`,
    `## Provenance\n\n${evidence(p.citations)}`,
    `## Licences\n\n${p.licenses.length === 0 ? 'No licence is stated.' : p.licenses.map((l) => `- ${tableCell(l)}`).join('\n')}`,
  ].join('\n\n');
}

function briefingWarnings(
  council: CouncilRun,
  checks: readonly CheckRun[],
  verification: VerificationResult,
): EnvelopeWarning[] {
  const out = council.response.warnings.filter((w) => w.source !== 'verification');
  for (const c of checks) {
    if (c.status === 'skipped') {
      out.push({
        code: CHECK_SKIPPED,
        message: `${c.code} skipped: ${c.reason ?? 'input unavailable'}`,
        source: 'data',
      });
    }
  }
  return [...out, ...verificationWarnings(verification)];
}

/** Builds the briefing (§7.2) from one council run and the cross-source checks; stores its manifest. */
export async function runBriefing(answers: AnswerService, opts: BriefingOptions): Promise<BriefingRun> {
  const started = performance.now();
  const client = opts.client ?? answers.dataClient();

  let t = performance.now();
  const council = await runCouncil(answers, { requestId: opts.requestId, client, audit: false });
  const clockDate = council.clockDate;
  const { runs: checks, inputs } = await runBriefingChecks({
    client,
    clockDate,
    councilQueries: council.cited.queries,
    withSla: (q) => answers.citables({ queries: [q], derived: [] })[0] as SourceWithSla,
  });
  const agentMs = elapsed(t);

  t = performance.now();
  const summary = redFlagSummary(checks);
  const allFlags = redFlags(checks, summary);
  const shownFlags = allFlags.slice(0, MAX_RED_FLAGS);

  const queries = new Map<string, QueryResult>();
  for (const q of [...council.cited.queries, ...inputs]) if (!queries.has(q.query_id)) queries.set(q.query_id, q);
  const derived = new Map<string, DerivedResult>();
  for (const d of [...council.cited.derived, ...checks.flatMap((c) => (c.check ? [c.check.record] : [])), summary]) {
    if (!derived.has(d.id)) derived.set(d.id, d);
  }
  const cited = {
    queries: [...queries.values()].sort((a, b) => compareIds(a.query_id, b.query_id)),
    derived: [...derived.values()].sort((a, b) => compareIds(a.id, b.id)),
  };
  const citations = buildCitations(cited.queries, cited.derived);
  const licenses = licensesOf(citations);
  const title = BRIEFING_TITLE + (licenses.includes(SYNTHETIC_LICENSE) ? SYNTHETIC_SUFFIX : '');
  const asOf = buildFreshness(citations, clockDate).asof_max;
  const headline = [
    visionBullet(council),
    talentBullet(council),
    gccBullet(council),
    employmentBullet(council),
    redFlagBullet(allFlags.length, summary, council),
  ];
  const metrics = keyMetrics(council);
  const markdown = briefingMarkdown({
    title,
    asOf,
    headline,
    keyMetrics: metrics,
    redFlags: shownFlags,
    confidence: confidenceSection(council),
    citations,
    licenses,
  });
  const renderMs = elapsed(t);

  t = performance.now();
  const verification = await verifyAnswer({
    narrative: markdown,
    citations: answers.citables(cited),
    options: { enforce_citations: true, verify_numbers: true },
    clockDate,
    data: client,
  });
  const scored = scoreConfidence(verification);
  const verifyMs = elapsed(t);

  const councilMin = council.response.min_confidence;
  const minConfidence = councilMin === null ? scored.confidence.score : Math.min(councilMin, scored.confidence.score);
  const allCitations = buildCitations(cited.queries, [...cited.derived, scored.derived]);
  const response: BriefingResponse = {
    title,
    as_of: asOf,
    headline,
    key_metrics: metrics,
    red_flags: shownFlags,
    red_flags_total: allFlags.length,
    provenance: provenanceOf(allCitations),
    licenses,
    min_confidence: minConfidence,
    confidence: structuredClone(scored.confidence),
    markdown: verification.narrative,
    warnings: briefingWarnings(council, checks, verification),
    audit_id: null,
    request_id: opts.requestId,
    timings_ms: timingsBlock({ route: 0, agent: agentMs, render: renderMs, verify: verifyMs, audit: 0, total: 0 }),
  };

  t = performance.now();
  if (opts.audit !== false) {
    const auditId = await storeRunManifest(answers, {
      requestId: opts.requestId,
      endpoint: 'briefing',
      paramsUsed: {
        methods: council.methods.map((r) => ({ agent: r.spec.agent, method: r.spec.method, params: r.params })),
        checks: checks.map((c) => c.code),
      },
      clockDate,
      citations: allCitations,
      verification,
      confidence: { score: scored.confidence.score, band: scored.confidence.band },
      answer: response,
      evidence: buildEvidence(cited.queries, [...cited.derived, scored.derived]),
    });
    response.audit_id = auditId;
    if (auditId === null) {
      response.warnings.push({
        code: AUDIT_WRITE_FAILED,
        message: 'the audit manifest could not be stored',
        source: 'agent',
      });
    }
  }
  response.timings_ms = timingsBlock({
    route: 0,
    agent: agentMs,
    render: renderMs,
    verify: verifyMs,
    audit: opts.audit !== false ? elapsed(t) : 0,
    total: elapsed(started),
  });
  return { response, council, checks, verification, confidenceRecord: scored.derived, redFlagRecord: summary };
}
