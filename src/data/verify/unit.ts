import type { Unit } from '../model.js';

/** §7.1: `unit_mismatch:<result.unit>!=<expected_unit>` when a known expected unit differs from the result's. */
export function unitWarnings(resultUnit: Unit, expectedUnit: Unit): string[] {
  if (expectedUnit === 'unknown' || resultUnit === expectedUnit) return [];
  return [`unit_mismatch:${resultUnit}!=${expectedUnit}`];
}
