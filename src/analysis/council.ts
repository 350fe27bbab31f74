/**
 * The council (analysis spec §7.1): nine agent methods with their default parameters, in a fixed order, over one
 * DataClient. Each method is rendered, verified and scored as its own answer; a method that fails is recorded as
 * failed with a warning and the rest continue. Findings are merged in run order and tagged with agent and method,
 * consensus is taken over the metric keys that two or more agents report, the merged narrative is verified like any
 * answer, and the run is audited under the endpoint "council". No wall clock enters the response except timings_ms.
 */
import { AGENT_METHODS } from './agents/catalogue.js';
import { DEFAULT_ANSWER_OPTIONS, type AnswerService, type VerifiedResult } from './answer-service.js';
import { buildEvidence } from './audit/manifest.js';
import { scoreConfidence, type Band, type ScoredConfidence } from './confidence.js';
import { buildConsensus, type ConsensusEntry, type ConsensusItem, type MetricReport } from './consensus.js';
import { jsonSafe, type DerivedInput } from './derived.js';
import { cite, formatPp, formatScore, formatValue } from './format.js';
import { resolveParams } from './intent-params.js';
import type { DataClient, DerivedResult, Finding, Intent, QueryResult } from './model.js';
import { buildCitations, buildFreshness, compareIds, dataWarnings } from './render/citations.js';
import { timingsBlock, verificationBlock, verificationWarnings } from './render/envelope.js';
import type {
  Citation,
  EnvelopeWarning,
  FreshnessBlock,
  TimingsMs,
  VerificationBlock,
} from './render/envelope-types.js';
import { evidence, oneLine, tableCell, tableRow } from './render/sections.js';
import { analysisContext, storeRunManifest } from './run-manifest.js';
import { redactText } from './verify/privacy.js';
import type { VerificationResult } from './verify/types.js';
import { verifyAnswer } from './verify/verify-answer.js';

/** One council method: the intent and the explicit params that complete its defaults. */
export interface CouncilMethod {
  agent: string;
  method: string;
  intent: Intent;
  params: Record<string, unknown>;
}

function councilMethod(intent: Intent, params: Record<string, unknown> = {}): CouncilMethod {
  const m = AGENT_METHODS[intent];
  return { agent: m.agent, method: m.method, intent, params };
}

/** §7.1, in run order. */
export const COUNCIL_METHODS: readonly CouncilMethod[] = [
  councilMethod('strategy.gcc_benchmark'),
  councilMethod('strategy.talent_competition'),
  councilMethod('strategy.vision2030'),
  councilMethod('pattern.anomalies'),
  councilMethod('pattern.correlation'),
  councilMethod('pattern.root_causes'),
  councilMethod('pattern.best_practices'),
  councilMethod('time.trend', { metric: 'qatarization', sector: 'ALL' }),
  councilMethod('time.trend', { metric: 'employment', sector: 'ALL' }),
];

export type CouncilMethodStatus = 'ok' | 'failed';

export const METHOD_FAILED = 'AGENT_METHOD_FAILED';
export const AUDIT_WRITE_FAILED = 'AUDIT_WRITE_FAILED';

/** A method as it ran. */
export interface CouncilMethodRun {
  spec: CouncilMethod;
  status: CouncilMethodStatus;
  /** Resolved parameters (null when resolution itself failed). */
  params: Record<string, unknown> | null;
  /** The verified answer of an "ok" method. */
  outcome: VerifiedResult | null;
  /** Its §5.7 score and the derived record (`derived_confidence_score_*`) that lets the briefing cite it. */
  confidence: ScoredConfidence | null;
  /** First line of the failure, redacted. */
  error: string | null;
}

export interface CouncilAgentEntry {
  agent: string;
  method: string;
  status: CouncilMethodStatus;
  confidence: { score: number; band: Band } | null;
}

/** A merged finding: the agent finding tagged with its agent and method. */
export interface CouncilFinding extends Finding {
  agent: string;
  method: string;
}

/** The §7.1 response body, members in schema order. */
export interface CouncilResponse {
  request_id: string;
  agents: CouncilAgentEntry[];
  findings: CouncilFinding[];
  consensus: ConsensusEntry[];
  citations: Citation[];
  freshness: FreshnessBlock;
  verification: VerificationBlock;
  min_confidence: number | null;
  warnings: EnvelopeWarning[];
  audit_id: string | null;
  timings_ms: TimingsMs;
}

/** A council run: the response plus what the briefing and the CLI build on. */
export interface CouncilRun {
  response: CouncilResponse;
  /** The merged narrative as verified (L4 redactions applied). */
  narrative: string;
  methods: CouncilMethodRun[];
  consensus: ConsensusItem[];
  verification: VerificationResult;
  /** Every result behind `response.citations`, sorted by id. */
  cited: { queries: QueryResult[]; derived: DerivedResult[] };
  client: DataClient;
  clockDate: string;
}

export interface CouncilOptions {
  requestId: string;
  /** The one DataClient of the run (default: a fresh client of the AnswerService). */
  client?: DataClient;
  /** Store the manifest under "council" (default true). The briefing stores its own manifest instead. */
  audit?: boolean;
}

const elapsed = (from: number): number => performance.now() - from;

/** "trend" or, when the method has explicit text params, "trend (qatarization, ALL)". */
export function methodName(spec: CouncilMethod): string {
  const args = Object.values(spec.params).filter((v) => typeof v === 'string');
  return `${spec.method}${args.length > 0 ? ` (${args.join(', ')})` : ''}`;
}

/** "TimeMachine trend (qatarization, ALL)". */
export function methodLabel(spec: CouncilMethod): string {
  return `${spec.agent} ${methodName(spec)}`;
}

function failureText(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const line = (raw.split('\n')[0] ?? '').slice(0, 300);
  return redactText(line === '' ? 'unknown error' : line);
}

async function runMethod(
  answers: AnswerService,
  spec: CouncilMethod,
  client: DataClient,
  requestId: string,
): Promise<CouncilMethodRun> {
  let params: Record<string, unknown> | null = null;
  try {
    const resolved = resolveParams(spec.intent, { explicit: spec.params, mode: 'endpoint' });
    params = resolved.params;
    const outcome = await answers.verified(spec.intent, resolved.params, {
      requestId,
      options: DEFAULT_ANSWER_OPTIONS,
      router: null,
      routerWarnings: resolved.warnings,
      client,
    });
    return {
      spec,
      status: 'ok',
      params,
      outcome,
      confidence: scoreConfidence(outcome.verification),
      error: null,
    };
  } catch (err) {
    return { spec, status: 'failed', params, outcome: null, confidence: null, error: failureText(err) };
  }
}

/** The result a citation id names among a method's cited results, or null. */
function citedResult(outcome: VerifiedResult, id: string): DerivedInput | null {
  return (
    outcome.cited.queries.find((q) => q.query_id === id) ??
    outcome.cited.derived.find((d) => d.id === id) ??
    outcome.result.derived.find((d) => d.id === id) ??
    null
  );
}

function metricReports(runs: readonly CouncilMethodRun[]): MetricReport[] {
  const out: MetricReport[] = [];
  for (const run of runs) {
    if (run.outcome === null) continue;
    for (const f of run.outcome.envelope.findings) {
      for (const metric of f.metrics) {
        out.push({ agent: run.spec.agent, metric, source: citedResult(run.outcome, metric.citation) });
      }
    }
  }
  return out;
}

/** The union of the methods' cited results, the confidence records and the consensus records, sorted by id. */
function collectCited(
  runs: readonly CouncilMethodRun[],
  consensus: readonly ConsensusItem[],
): { queries: QueryResult[]; derived: DerivedResult[] } {
  const queries = new Map<string, QueryResult>();
  const derived = new Map<string, DerivedResult>();
  for (const run of runs) {
    if (run.outcome === null) continue;
    for (const q of run.outcome.cited.queries) if (!queries.has(q.query_id)) queries.set(q.query_id, q);
    for (const d of run.outcome.cited.derived) if (!derived.has(d.id)) derived.set(d.id, d);
    const c = run.confidence?.derived;
    if (c && !derived.has(c.id)) derived.set(c.id, c);
  }
  for (const item of consensus) if (!derived.has(item.record.id)) derived.set(item.record.id, item.record);
  return {
    queries: [...queries.values()].sort((a, b) => compareIds(a.query_id, b.query_id)),
    derived: [...derived.values()].sort((a, b) => compareIds(a.id, b.id)),
  };
}

function findingBullets(runs: readonly CouncilMethodRun[]): string {
  const lines: string[] = [];
  for (const run of runs) {
    const who = methodLabel(run.spec);
    if (run.outcome === null) {
      lines.push(`- **${who}**: the method failed; its findings are not available.`);
      continue;
    }
    const findings = run.outcome.envelope.findings;
    if (findings.length === 0) {
      lines.push(`- **${who}**: no finding could be computed; the warnings give the reasons.`);
      continue;
    }
    for (const f of findings) {
      const summary = oneLine(f.summary);
      const head = `**${who}, ${tableCell(f.title)}**`;
      lines.push(summary === '' ? `- ${head}` : `- ${head}: ${summary}`);
    }
  }
  return lines.join('\n');
}

/** One consensus line: each agent's value with its citation, then the mean and spread cited to the record. */
export function consensusLine(item: ConsensusItem): string {
  const { entry } = item;
  const values = entry.agents
    .map((agent, i) => `${agent} ${formatValue(entry.values[i]!, entry.unit)} ${cite(item.citations[i] ?? '')}`)
    .join(', ');
  const spread =
    entry.unit === 'percent' || entry.unit === 'pp' ? formatPp(entry.spread) : formatValue(entry.spread, entry.unit);
  const verdict = entry.agreement === 'agree' ? 'the agents agree' : 'the agents diverge';
  return (
    `- ${tableCell(item.label)} (${entry.key}): ${values}; mean ${formatValue(entry.mean, entry.unit)}, ` +
    `spread ${spread}, so ${verdict} ${cite(item.record.id)}`
  );
}

function consensusBody(items: readonly ConsensusItem[]): string {
  if (items.length === 0) return 'No metric key is reported by two or more agents.';
  return items.map(consensusLine).join('\n');
}

/** | Agent | Method | Status | Confidence | Band | Source |: each score cited to its `derived_confidence_score_*`. */
export function methodConfidenceTable(runs: readonly CouncilMethodRun[]): string {
  const header = ['Agent', 'Method', 'Status', 'Confidence', 'Band', 'Source'];
  const rows = runs.map((run) => {
    const c = run.outcome?.envelope.confidence ?? null;
    const record = run.confidence?.derived ?? null;
    const name = [run.spec.agent, methodName(run.spec), run.status];
    return c === null || record === null
      ? [...name, 'not available', 'not available', 'none']
      : [...name, formatScore(c.score), c.band, cite(record.id)];
  });
  return [tableRow(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(tableRow)].join('\n');
}

/** The merged narrative: findings, consensus, each method's confidence, and the evidence table. */
export function councilNarrative(
  runs: readonly CouncilMethodRun[],
  consensus: readonly ConsensusItem[],
  citations: readonly Citation[],
): string {
  return [
    `## Council Findings\n\n${findingBullets(runs)}`,
    `## Consensus\n\n${consensusBody(consensus)}`,
    `## Method Confidence\n\n${methodConfidenceTable(runs)}`,
    `## Evidence\n\n${evidence(citations)}`,
  ].join('\n\n');
}

function councilWarnings(
  runs: readonly CouncilMethodRun[],
  queries: readonly QueryResult[],
  verification: VerificationResult,
): EnvelopeWarning[] {
  const out: EnvelopeWarning[] = [];
  for (const run of runs) {
    const who = `${run.spec.agent}.${run.spec.method}`;
    if (run.outcome === null) {
      out.push({ code: METHOD_FAILED, message: `${who} failed: ${run.error ?? 'unknown error'}`, source: 'agent' });
      continue;
    }
    for (const w of run.outcome.envelope.warnings) {
      if (w.source === 'agent' || w.source === 'router') {
        out.push({ code: w.code, message: `${who}: ${w.message}`, source: 'agent' });
      }
    }
  }
  return [...out, ...dataWarnings(queries), ...verificationWarnings(verification)];
}

function agentEntries(runs: readonly CouncilMethodRun[]): CouncilAgentEntry[] {
  return runs.map((run) => {
    const c = run.outcome?.envelope.confidence ?? null;
    return {
      agent: run.spec.agent,
      method: run.spec.method,
      status: run.status,
      confidence: c === null ? null : { score: c.score, band: c.band },
    };
  });
}

/** The lowest score of the methods that ran, or null when none did. */
export function minimumConfidence(runs: readonly CouncilMethodRun[]): number | null {
  const scores = runs
    .map((r) => r.outcome?.envelope.confidence?.score)
    .filter((s): s is number => typeof s === 'number');
  return scores.length === 0 ? null : Math.min(...scores);
}

/** Runs the council (§7.1). Never throws for a failing method; the manifest is stored unless `audit` is false. */
export async function runCouncil(answers: AnswerService, opts: CouncilOptions): Promise<CouncilRun> {
  const started = performance.now();
  const ctx = analysisContext(answers);
  const clockDate = ctx.clockDate();
  const client = opts.client ?? answers.dataClient();

  let t = performance.now();
  const runs: CouncilMethodRun[] = [];
  for (const spec of COUNCIL_METHODS) runs.push(await runMethod(answers, spec, client, opts.requestId));
  const agentMs = elapsed(t);

  t = performance.now();
  const consensus = buildConsensus(metricReports(runs));
  const cited = collectCited(runs, consensus);
  const citations = buildCitations(cited.queries, cited.derived);
  const narrative = councilNarrative(runs, consensus, citations);
  const findings: CouncilFinding[] = runs.flatMap((run) =>
    (run.outcome?.envelope.findings ?? []).map((f) => ({ agent: run.spec.agent, method: run.spec.method, ...f })),
  );
  const renderMs = elapsed(t);

  t = performance.now();
  const verification = await verifyAnswer({
    narrative,
    citations: answers.citables(cited),
    options: { enforce_citations: true, verify_numbers: true },
    clockDate,
    data: client,
  });
  const verifyMs = elapsed(t);

  const minConfidence = minimumConfidence(runs);
  const response: CouncilResponse = {
    request_id: opts.requestId,
    agents: agentEntries(runs),
    findings: jsonSafe(findings) as CouncilFinding[],
    consensus: consensus.map((c) => ({ ...c.entry, agents: [...c.entry.agents], values: [...c.entry.values] })),
    citations,
    freshness: buildFreshness(citations, clockDate),
    verification: verificationBlock(verification),
    min_confidence: minConfidence,
    warnings: councilWarnings(runs, cited.queries, verification),
    audit_id: null,
    timings_ms: timingsBlock({ route: 0, agent: agentMs, render: renderMs, verify: verifyMs, audit: 0, total: 0 }),
  };

  t = performance.now();
  if (opts.audit !== false) {
    const lowest = runs
      .map((r) => r.outcome?.envelope.confidence ?? null)
      .filter((c) => c !== null)
      .reduce<{ score: number; band: Band } | null>((a, c) => (a === null || c.score < a.score ? c : a), null);
    const auditId = await storeRunManifest(answers, {
      requestId: opts.requestId,
      endpoint: 'council',
      paramsUsed: { methods: runs.map((r) => ({ agent: r.spec.agent, method: r.spec.method, params: r.params })) },
      clockDate,
      citations,
      verification,
      confidence: lowest === null ? null : { score: lowest.score, band: lowest.band },
      answer: response,
      evidence: buildEvidence(cited.queries, cited.derived),
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

  return {
    response,
    narrative: verification.narrative,
    methods: runs,
    consensus,
    verification,
    cited,
    client,
    clockDate,
  };
}
