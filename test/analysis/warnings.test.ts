import { describe, expect, it } from 'vitest';
import { WarningCollector } from '../../src/analysis/warnings.js';

describe('WarningCollector', () => {
  it('keeps emission order and details', () => {
    const w = new WarningCollector();
    w.add('MISSING_VALUES', 'two dropped', { count: 2 });
    w.insufficient(3, 4, 'TimeMachine.baseline');
    w.add('SERIES_GAP', 'gap');
    expect(w.list()).toEqual([
      { code: 'MISSING_VALUES', message: 'two dropped', details: { count: 2 } },
      {
        code: 'INSUFFICIENT_DATA',
        message: 'TimeMachine.baseline: 3 usable points, at least 4 needed',
        details: { have: 3, need: 4 },
      },
      { code: 'SERIES_GAP', message: 'gap' },
    ]);
    expect(w.has('SERIES_GAP')).toBe(true);
    expect(w.has('ZERO_VARIANCE')).toBe(false);
  });

  it('addOnce skips an identical warning', () => {
    const w = new WarningCollector();
    w.addOnce('BOUND_APPLIED', 'clamped');
    w.addOnce('BOUND_APPLIED', 'clamped');
    w.addOnce('BOUND_APPLIED', 'clamped again');
    expect(w.list().map((x) => x.message)).toEqual(['clamped', 'clamped again']);
  });

  it('finite() turns NaN and ±Infinity into null with NON_FINITE_RESULT; null passes silently', () => {
    const w = new WarningCollector();
    expect(w.finite(1.5, 'a')).toBe(1.5);
    expect(w.finite(null, 'b')).toBeNull();
    expect(w.finite(Number.NaN, 'c')).toBeNull();
    expect(w.finite(Number.NEGATIVE_INFINITY, 'd')).toBeNull();
    expect(w.list().map((x) => [x.code, x.details])).toEqual([
      ['NON_FINITE_RESULT', { field: 'c' }],
      ['NON_FINITE_RESULT', { field: 'd' }],
    ]);
  });
});
