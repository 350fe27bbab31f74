/**
 * Verification of an answer's narrative (analysis spec §5): L1 citations → L2 numbers and table totals → L3
 * cross-checks → L4 privacy → L5 sanity and freshness. `passed` means no issue has severity error. Deterministic:
 * the clock date is an input; odd text never throws.
 */
import type { DataClient } from '../model.js';
import { checkCitations, locateNumbers } from './citations.js';
import { runCrossChecks } from './cross-checks.js';
import { parseNarrative } from './narrative.js';
import { checkNumbers } from './numbers.js';
import { redactNarrative, redactText, redactionIssues, smallCellIssues } from './privacy.js';
import { freshnessIssues, sanityIssues } from './sanity.js';
import {
  citableId,
  isCitedQuery,
  type Citable,
  type CitedSource,
  type VerificationIssue,
  type VerificationResult,
  type VerifyOptions,
} from './types.js';
import { defaultVerificationConfig, type VerificationConfig } from './verification-config.js';

export interface VerifyInput {
  narrative: string;
  /** The answer's citations: query results (id = query_id) and derived results. */
  citations: readonly Citable[];
  options: VerifyOptions;
  /** YYYY-MM-DD, the injected clock date (§8). */
  clockDate: string;
  /** Fetches the counterparts of the L3 cross-checks; without it a check needs both sides cited. */
  data?: DataClient;
  /** Defaults to the repository's config/verification.yaml. */
  config?: VerificationConfig;
}

function sourceOf(c: Citable): CitedSource {
  if (isCitedQuery(c)) {
    const license = c.provenance?.license;
    return {
      id: c.query_id,
      kind: 'query',
      asof_date: typeof c.freshness?.asof_date === 'string' ? c.freshness.asof_date : null,
      license: typeof license === 'string' ? license : null,
    };
  }
  return {
    id: c.id,
    kind: 'derived',
    asof_date: typeof c.asof_date === 'string' ? c.asof_date : null,
    license: typeof c.license === 'string' && c.license !== '' ? c.license : null,
  };
}

/**
 * L1 and L2 issues quote the narrative (token, context, hint, id); the quotes get the same redaction as the
 * narrative so that no personal data leaves through the issue list.
 */
function scrubQuotes(issue: VerificationIssue, config: VerificationConfig): VerificationIssue {
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(issue.details)) details[k] = typeof v === 'string' ? redactText(v, config) : v;
  return { ...issue, message: redactText(issue.message, config), details };
}

function isCitable(c: unknown): c is Citable {
  if (c === null || typeof c !== 'object') return false;
  const o = c as Record<string, unknown>;
  return typeof o.query_id === 'string' || typeof o.id === 'string';
}

export async function verifyAnswer(input: VerifyInput): Promise<VerificationResult> {
  const config = input.config ?? defaultVerificationConfig();
  const narrative = typeof input.narrative === 'string' ? input.narrative : '';
  const options: VerifyOptions = {
    enforce_citations: input.options?.enforce_citations !== false,
    verify_numbers: input.options?.verify_numbers !== false,
  };

  const byId = new Map<string, Citable>();
  for (const c of Array.isArray(input.citations) ? input.citations : []) {
    if (!isCitable(c)) continue;
    const id = citableId(c);
    if (!byId.has(id)) byId.set(id, c);
  }
  const citables = [...byId.values()];

  const issues: VerificationIssue[] = [];

  // L1
  const parsed = parseNarrative(narrative, config.skipped_sections);
  const located = locateNumbers(parsed, config);
  const l1 = checkCitations(parsed, located, new Set(byId.keys()), { enforce: options.enforce_citations, config });
  issues.push(...l1.issues.map((i) => scrubQuotes(i, config)));
  const citationReport = {
    ...l1.report,
    uncited: l1.report.uncited.map((u) => ({ ...u, token: redactText(u.token, config) })),
  };

  // L2
  let numbers = null;
  if (options.verify_numbers) {
    const l2 = checkNumbers(parsed, located, byId, config);
    issues.push(...l2.issues.map((i) => scrubQuotes(i, config)));
    numbers = l2.report;
  }

  // L3
  const l3 = await runCrossChecks(byId, input.data, config);
  issues.push(...l3.issues);

  // L4
  const redacted = redactNarrative(narrative, config);
  issues.push(...redactionIssues(redacted.redactions));
  issues.push(...smallCellIssues(citables, config));

  // L5
  for (const c of citables) issues.push(...sanityIssues(c, config));
  const fresh = freshnessIssues(citables, String(input.clockDate ?? ''), config);
  issues.push(...fresh.issues);

  return {
    passed: !issues.some((i) => i.severity === 'error'),
    issues,
    narrative: redacted.text,
    reports: {
      citations: citationReport,
      numbers,
      cross_checks: l3.report,
      redactions: redacted.redactions.length,
      freshness: fresh.report,
    },
    options,
    sources: citables.map(sourceOf),
  };
}
