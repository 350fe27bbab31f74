import { describe, expect, it } from 'vitest';
import {
  cite,
  cited,
  fixed,
  formatCount,
  formatDecimal3,
  formatIndex,
  formatLevelDelta,
  formatParam,
  formatPercent,
  formatPp,
  formatQar,
  formatScore,
  formatValue,
  groupThousands,
} from '../../src/analysis/format.js';

describe('display formats (§4.2)', () => {
  it('percent: 1 decimal and "%"', () => {
    expect(formatPercent(14.49)).toBe('14.5%');
    expect(formatPercent(-4.16358)).toBe('-4.2%');
    expect(formatPercent(0)).toBe('0.0%');
  });

  it('a value rounding to zero has no sign', () => {
    expect(formatPercent(-0.04)).toBe('0.0%');
    expect(fixed(-0.0001, 3)).toBe('0.000');
    expect(fixed(-0, 0)).toBe('0');
  });

  it('pp: 2 decimals and " pp", with ECMAScript toFixed rounding', () => {
    expect(formatPp(20.664)).toBe('20.66 pp');
    // 1.005 is 1.00499999… in binary, so toFixed gives 1.00.
    expect(formatPp(1.005)).toBe('1.00 pp');
    expect(formatPp(-2.375)).toBe('-2.38 pp');
  });

  it('QAR and counts: integers with thousands separators', () => {
    expect(formatQar(27712.02)).toBe('27,712 QAR');
    expect(formatQar(999.5)).toBe('1,000 QAR');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1234.5)).toBe('-1,235');
    expect(formatCount(12)).toBe('12');
    expect(groupThousands('-1234567.25')).toBe('-1,234,567.25');
  });

  it('correlations, z and slopes: 3 decimals; scores: integers; index: 1 decimal', () => {
    expect(formatDecimal3(-0.66943)).toBe('-0.669');
    expect(formatDecimal3(-490)).toBe('-490.000');
    expect(formatScore(49.6)).toBe('50');
    expect(formatScore(30)).toBe('30');
    expect(formatIndex(64.6337)).toBe('64.6');
  });

  it('parameters drop trailing zeros', () => {
    expect(formatParam(1.5)).toBe('1.5');
    expect(formatParam(0.25)).toBe('0.25');
    expect(formatParam(1)).toBe('1');
    expect(formatParam(0.123456)).toBe('0.123');
  });

  it('null and non-finite values show as n/a', () => {
    expect(formatPercent(null)).toBe('n/a');
    expect(formatQar(Number.NaN)).toBe('n/a');
    expect(formatCount(undefined)).toBe('n/a');
    expect(formatPp(Number.POSITIVE_INFINITY)).toBe('n/a');
  });

  it('formats by unit', () => {
    expect(formatValue(14.49, 'percent')).toBe('14.5%');
    expect(formatValue(1.234, 'pp')).toBe('1.23 pp');
    expect(formatValue(27712.02, 'qar')).toBe('27,712 QAR');
    expect(formatValue(11647, 'count')).toBe('11,647');
    expect(formatValue(0.5, 'ratio')).toBe('0.500');
    expect(formatValue(3, 'rank')).toBe('3');
    expect(formatValue('down', 'text')).toBe('down');
    expect(formatLevelDelta(0.2803, 'percent')).toBe('0.28 pp');
    expect(formatLevelDelta(615.75, 'count')).toBe('616');
    expect(formatLevelDelta(615.75, 'qar')).toBe('616 QAR');
  });
});

describe('citation markers (§5.1)', () => {
  it('one or several ids, duplicates dropped, order kept', () => {
    expect(cite('ts_employment_annual')).toBe('[cite:ts_employment_annual]');
    expect(cite('b', 'a', 'b')).toBe('[cite:b,a]');
    expect(cited('14.5%', 'ts_qatarization_annual')).toBe('14.5% [cite:ts_qatarization_annual]');
  });
});
