/**
 * Clarification replies (analysis spec §2.7): a fixed message per reason that lists the options (or, for an
 * unsupported metric, the supported metrics) as an ordered list.
 */
import type { Intent, MetricId } from '../model.js';
import type { IntentConfig } from './router-config.js';

export type ClarificationReason = 'low_confidence' | 'missing_parameter' | 'unsupported_metric';

export interface ClarificationOption {
  intent: Intent;
  description: string;
  /** The intent's first catalogue example. */
  example: string;
}

export interface Clarification {
  reason: ClarificationReason;
  message: string;
  options: ClarificationOption[];
  missing: string[];
  /** unsupported_metric only: the metrics the routed intent supports. */
  supported_metrics?: MetricId[];
}

export const METRIC_LABELS: Readonly<Record<MetricId, string>> = {
  employment: 'employment',
  retention: 'retention',
  attrition: 'attrition',
  qatarization: 'Qatarization',
  avg_salary: 'average salary',
  unemployment: 'unemployment',
  labour_force_participation: 'labour force participation',
  female_labour_force_participation: 'female labour force participation',
};

export const CLARIFICATION_TEXT: Readonly<Record<ClarificationReason, string>> = {
  low_confidence:
    'I could not tell which analysis this question asks for. Please name a metric (employment, retention, ' +
    'attrition, Qatarization or salary) and a sector, or choose one of these analyses:',
  missing_parameter:
    'This analysis needs a change to apply, and the question does not give one that can be used. Please state ' +
    'the change with a number, for example "What if attrition falls by 10% in Hospitality?", or choose one of ' +
    'these analyses:',
  unsupported_metric: 'This analysis does not cover {metric}. Please ask about one of the metrics it supports:',
};

export function optionsFor(intents: readonly Intent[], catalogue: readonly IntentConfig[]): ClarificationOption[] {
  return intents.map((intent) => {
    const c = catalogue.find((x) => x.id === intent)!;
    return { intent, description: c.description, example: c.examples[0]! };
  });
}

function orderedList(lines: readonly string[]): string {
  return lines.map((l, i) => `${i + 1}. ${l}`).join('\n');
}

function optionLines(options: readonly ClarificationOption[]): string[] {
  return options.map((o) => `${o.description} (for example: "${o.example}")`);
}

export function lowConfidence(options: ClarificationOption[]): Clarification {
  return {
    reason: 'low_confidence',
    message: `${CLARIFICATION_TEXT.low_confidence}\n\n${orderedList(optionLines(options))}`,
    options,
    missing: [],
  };
}

export function missingParameter(options: ClarificationOption[], missing: string[]): Clarification {
  return {
    reason: 'missing_parameter',
    message: `${CLARIFICATION_TEXT.missing_parameter}\n\n${orderedList(optionLines(options))}`,
    options,
    missing,
  };
}

export function unsupportedMetric(
  options: ClarificationOption[],
  metric: MetricId,
  supported: readonly MetricId[],
): Clarification {
  const head = CLARIFICATION_TEXT.unsupported_metric.replace('{metric}', METRIC_LABELS[metric]);
  return {
    reason: 'unsupported_metric',
    message: `${head}\n\n${orderedList(supported.map((m) => `${METRIC_LABELS[m]} (${m})`))}`,
    options,
    missing: ['metric'],
    supported_metrics: [...supported],
  };
}
