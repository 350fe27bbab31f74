/**
 * Council consensus (analysis spec §7.1): for every metric key that at least two distinct agents report, each
 * agent's first numeric value in run order, their mean, range and spread, and whether the agents agree — the spread
 * is within the §5.2 tolerance of the unit. Each entry is recorded as a derived result, so that the council narrative
 * can cite its mean and spread. Pure: no I/O, no clock.
 */
import { derive, inputId, type DerivedInput } from './derived.js';
import type { DerivedField, DerivedResult, FindingMetric, MetricUnit } from './model.js';
import { defaultVerificationConfig, type VerificationConfig } from './verify/verification-config.js';

/** One metric as an agent reported it, with the result its citation names (null when that result is unknown). */
export interface MetricReport {
  agent: string;
  metric: FindingMetric;
  source: DerivedInput | null;
}

export type Agreement = 'agree' | 'diverge';

/** The response entry of §7.1. */
export interface ConsensusEntry {
  key: string;
  unit: MetricUnit;
  agents: string[];
  values: number[];
  mean: number;
  min: number;
  max: number;
  spread: number;
  agreement: Agreement;
}

export interface ConsensusItem {
  entry: ConsensusEntry;
  /** The first reporting agent's label of the key. */
  label: string;
  /** The citation of each agent's value, in `entry.agents` order. */
  citations: string[];
  /** `derived_council_consensus_<h8>`: the entry's mean, range, spread and agreement. */
  record: DerivedResult;
}

export const CONSENSUS_OPERATION = 'council_consensus';

/** Display precision of ratios (3 decimals, §4.2): half a unit of the last decimal. */
const RATIO_TOLERANCE = 0.0005;
/** Index values show 1 decimal. */
const INDEX_TOLERANCE = 0.05;

/** The §5.2 absolute tolerance of a metric unit, read from the verification config. */
export function consensusTolerance(unit: MetricUnit, config: VerificationConfig = defaultVerificationConfig()): number {
  const abs = config.numbers.abs_tol;
  switch (unit) {
    case 'percent':
      return abs.percent;
    case 'pp':
      return abs.pp;
    case 'qar':
      return abs.currency;
    case 'count':
    case 'rank':
    case 'score':
      return abs.count;
    case 'ratio':
      return RATIO_TOLERANCE;
    case 'index':
      return INDEX_TOLERANCE;
    case 'text':
      return 0;
  }
}

/**
 * "agree" when the spread is within the unit's absolute tolerance, or within the relative tolerance (§5.2, 1%) of the
 * largest absolute value; "diverge" otherwise.
 */
export function agreementOf(
  values: readonly number[],
  unit: MetricUnit,
  config: VerificationConfig = defaultVerificationConfig(),
): Agreement {
  if (values.length === 0) return 'agree';
  const spread = Math.max(...values) - Math.min(...values);
  const scale = Math.max(...values.map(Math.abs));
  const within = spread <= consensusTolerance(unit, config) || spread <= config.numbers.relative_tolerance * scale;
  return within ? 'agree' : 'diverge';
}

const CHANGE_WORDS = /(^|_)(yoy|qoq|gap|change|slope|premium|growth|delta|diff)(_|$)/;

/**
 * Whether a key names a change rather than a level, so that its record is sanity-checked as one (§5.5): pp values,
 * the verification config's change names, and keys with a change word.
 */
export function isChangeKey(key: string, unit: MetricUnit, config: VerificationConfig): boolean {
  if (unit === 'pp') return true;
  const s = config.sanity;
  return s.change_fields.includes(key) || s.change_suffixes.some((x) => key.endsWith(x)) || CHANGE_WORDS.test(key);
}

function spreadUnit(unit: MetricUnit): MetricUnit {
  return unit === 'percent' ? 'pp' : unit;
}

/**
 * Consensus over the reports, given in run order. A key enters when at least two distinct agents report a finite
 * number for it in the unit of its first report; each agent contributes its first such value. Entries come in the
 * order in which their keys first appear.
 */
export function buildConsensus(
  reports: readonly MetricReport[],
  config: VerificationConfig = defaultVerificationConfig(),
): ConsensusItem[] {
  const byKey = new Map<string, { unit: MetricUnit; label: string; firsts: Map<string, MetricReport> }>();
  for (const r of reports) {
    const { key, value, unit } = r.metric;
    if (typeof value !== 'number' || !Number.isFinite(value) || unit === 'text') continue;
    let group = byKey.get(key);
    if (!group) {
      group = { unit, label: r.metric.label, firsts: new Map() };
      byKey.set(key, group);
    }
    if (unit !== group.unit || group.firsts.has(r.agent)) continue;
    group.firsts.set(r.agent, r);
  }

  const items: ConsensusItem[] = [];
  for (const [key, group] of byKey) {
    if (group.firsts.size < 2) continue;
    const chosen = [...group.firsts.values()];
    const values = chosen.map((r) => r.metric.value as number);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const min = Math.min(...values);
    const max = Math.max(...values);
    const entry: ConsensusEntry = {
      key,
      unit: group.unit,
      agents: chosen.map((r) => r.agent),
      values,
      mean,
      min,
      max,
      spread: max - min,
      agreement: agreementOf(values, group.unit, config),
    };
    const kind: DerivedField['kind'] = isChangeKey(key, group.unit, config) ? 'change' : 'level';
    const inputs = chosen.map((r) => r.source).filter((s): s is DerivedInput => s !== null);
    const unique = [...new Map(inputs.map((s) => [inputId(s), s])).values()];
    const record = derive({
      operation: CONSENSUS_OPERATION,
      inputs: unique,
      params: {
        key,
        unit: group.unit,
        agents: entry.agents,
        abs_tol: consensusTolerance(group.unit, config),
        relative_tolerance: config.numbers.relative_tolerance,
      },
      fields: [
        { name: 'key', unit: 'text', kind: 'level' },
        { name: 'agents', unit: 'text', kind: 'level' },
        { name: 'agent_count', unit: 'count', kind: 'level' },
        { name: 'mean', unit: group.unit, kind },
        { name: 'min', unit: group.unit, kind },
        { name: 'max', unit: group.unit, kind },
        { name: 'spread', unit: spreadUnit(group.unit), kind: 'change' },
        { name: 'agreement', unit: 'text', kind: 'level' },
      ],
      rows: [
        {
          key,
          agents: entry.agents.join(', '),
          agent_count: entry.agents.length,
          mean,
          min,
          max,
          spread: entry.spread,
          agreement: entry.agreement,
        },
      ],
    });
    items.push({ entry, label: group.label, citations: chosen.map((r) => r.metric.citation), record });
  }
  return items;
}
