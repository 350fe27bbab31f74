/**
 * Collects an agent method's warnings (analysis spec §3.0.3) in emission order, and turns non-finite numbers into
 * null with NON_FINITE_RESULT (§3.0.2).
 */
import type { AgentWarning, WarningCode } from './model.js';

export class WarningCollector {
  private readonly items: AgentWarning[] = [];

  /** Appends a warning; details are omitted from the record when not given. */
  add(code: WarningCode, message: string, details?: Record<string, unknown>): void {
    this.items.push(details === undefined ? { code, message } : { code, message, details });
  }

  /** Appends a warning unless one with the same code and message was already emitted. */
  addOnce(code: WarningCode, message: string, details?: Record<string, unknown>): void {
    if (this.items.some((w) => w.code === code && w.message === message)) return;
    this.add(code, message, details);
  }

  /** Appends already-built warnings (e.g. from the forecasting engine), keeping their order. */
  addAll(warnings: readonly AgentWarning[]): void {
    for (const w of warnings) this.items.push(w);
  }

  has(code: WarningCode): boolean {
    return this.items.some((w) => w.code === code);
  }

  /** INSUFFICIENT_DATA with details {have, need}. */
  insufficient(have: number, need: number, what: string): void {
    this.add('INSUFFICIENT_DATA', `${what}: ${have} usable points, at least ${need} needed`, { have, need });
  }

  /**
   * Returns x when finite; null (with a NON_FINITE_RESULT warning naming `field`) for NaN or ±Infinity.
   * null and undefined pass through as null without a warning: they are "undefined by definition", not faults.
   */
  finite(x: number | null | undefined, field: string): number | null {
    if (x === null || x === undefined) return null;
    if (Number.isFinite(x)) return x;
    this.add('NON_FINITE_RESULT', `${field} is not a finite number and is reported as null`, { field });
    return null;
  }

  /** A copy of the warnings in emission order. */
  list(): AgentWarning[] {
    return this.items.map((w) => ({ ...w }));
  }
}
