import { describe, expect, it } from 'vitest';
import type { Row, Scalar } from '../../src/data/model.js';
import { freshnessWarnings } from '../../src/data/verify/freshness.js';
import { checkSumToOne } from '../../src/data/verify/sum-to-one.js';
import { unitWarnings } from '../../src/data/verify/unit.js';

const rows = (...list: [string, Scalar][][]): Row[] => list.map((entries) => new Map(entries));

describe('unit', () => {
  it('warns only when a known expected unit differs', () => {
    expect(unitWarnings('percent', 'percent')).toEqual([]);
    expect(unitWarnings('count', 'percent')).toEqual(['unit_mismatch:count!=percent']);
    expect(unitWarnings('unknown', 'qar')).toEqual(['unit_mismatch:unknown!=qar']);
    expect(unitWarnings('usd', 'unknown')).toEqual([]);
  });
});

describe('sum_to_one row mode', () => {
  it('accepts a gender split against its total (the reference summed 200)', () => {
    const gender = rows([
      ['year', 2024],
      ['male_percent', 69.76],
      ['female_percent', 30.24],
      ['total_percent', 100],
    ]);
    expect(checkSumToOne(gender)).toEqual([]);
  });

  it('reports |S − T| > 0.5 with the 0-based row index and toFixed(2) numbers', () => {
    const split = rows(
      [
        ['year', 2023],
        ['male_percent', 60],
        ['female_percent', 39.6],
        ['total_percent', 100],
      ],
      [
        ['year', 2024],
        ['male_percent', 60],
        ['female_percent', 39],
        ['total_percent', 100],
      ],
      [
        ['year', 2025],
        ['male_percent', 70.625],
        ['female_percent', 30],
        ['total_percent', 100],
      ],
    );
    expect(checkSumToOne(split)).toEqual([
      'sum_to_one_violation:row=1:99.00!=100.00',
      'sum_to_one_violation:row=2:100.63!=100.00',
    ]);
  });

  it('uses the first total column in key order and never sums other totals', () => {
    const first = rows([
      ['total_pct', 100],
      ['total_percent', 50],
      ['a_percent', 100],
    ]);
    expect(checkSumToOne(first)).toEqual([]);
    const swapped = rows([
      ['total_percent', 50],
      ['total_pct', 100],
      ['a_percent', 100],
    ]);
    expect(checkSumToOne(swapped)).toEqual(['sum_to_one_violation:row=0:100.00!=50.00']);
  });

  it('skips rows without a total or without other percent columns; names match case-insensitively', () => {
    const mixed = rows(
      [
        ['Total_Share%', 100],
        ['Male_PCT', 10],
      ],
      [['male_percent', 10]],
      [['total_percent', 100]],
      [
        ['total_percent', 100],
        ['male_percent', 'n/a'],
        ['count', 5],
      ],
      [
        ['total_percent', null],
        ['male_percent', 1],
      ],
    );
    expect(checkSumToOne(mixed)).toEqual(['sum_to_one_violation:row=0:10.00!=100.00']);
  });

  it('reports at most 10 violations', () => {
    const many = Array.from({ length: 12 }, (_, i) => [
      ['a_percent', i] as [string, Scalar],
      ['total_percent', 100] as [string, Scalar],
    ]);
    const warnings = checkSumToOne(rows(...many));
    expect(warnings).toHaveLength(10);
    expect(warnings[0]).toBe('sum_to_one_violation:row=0:0.00!=100.00');
    expect(warnings[9]).toBe('sum_to_one_violation:row=9:9.00!=100.00');
  });
});

describe('sum_to_one group mode', () => {
  it('sums the one share column per year, in first-appearance order', () => {
    const shares = rows(
      [
        ['year', 2024],
        ['sector', 'A'],
        ['share_percent', 50],
      ],
      [
        ['year', 2023],
        ['sector', 'A'],
        ['share_percent', 60.5],
      ],
      [
        ['year', 2024],
        ['sector', 'B'],
        ['share_percent', 40],
      ],
      [
        ['year', 2023],
        ['sector', 'B'],
        ['share_percent', 39.5],
      ],
      [
        ['year', 2022],
        ['sector', 'A'],
        ['share_percent', 100.4],
      ],
    );
    expect(checkSumToOne(shares)).toEqual(['sum_to_one_violation:year=2024:90.00!=100.00']);
  });

  it('uses one group "all" without any year key (#15: shares of sectors)', () => {
    const fine = rows(
      [
        ['sector', 'A'],
        ['share_percent', 33.333333333333336],
      ],
      [
        ['sector', 'B'],
        ['share_percent', 66.66666666666667],
      ],
    );
    expect(checkSumToOne(fine)).toEqual([]);
    const off = rows([['share_percent', 33.3]], [['share_percent', 66.1]]);
    expect(checkSumToOne(off)).toEqual(['sum_to_one_violation:year=all:99.40!=100.00']);
  });

  it('puts rows lacking a year (or with a null year) into group null; non-numeric shares add nothing', () => {
    const partial = rows(
      [
        ['year', 2024],
        ['share_pct', 100],
      ],
      [['share_pct', 30]],
      [
        ['year', null],
        ['share_pct', 20],
      ],
      [
        ['year', 2024],
        ['share_pct', 'n/a'],
      ],
    );
    expect(checkSumToOne(partial)).toEqual(['sum_to_one_violation:year=null:50.00!=100.00']);
  });

  it('keeps 2024 and "2024" apart', () => {
    const typed = rows(
      [
        ['year', 2024],
        ['share_percent', 100],
      ],
      [
        ['year', '2024'],
        ['share_percent', 10],
      ],
    );
    expect(checkSumToOne(typed)).toEqual(['sum_to_one_violation:year=2024:10.00!=100.00']);
  });

  it('is unverifiable with no or several percent columns', () => {
    expect(checkSumToOne([])).toEqual(['sum_to_one_unverifiable']);
    expect(checkSumToOne(rows([['employees', 5]]))).toEqual(['sum_to_one_unverifiable']);
    expect(checkSumToOne(rows([['share_percent', 'x']]))).toEqual(['sum_to_one_unverifiable']);
    expect(
      checkSumToOne(
        rows(
          [
            ['male_percent', 60],
            ['female_percent', 40],
          ],
          [['male_percent', 50]],
        ),
      ),
    ).toEqual(['sum_to_one_unverifiable']);
    expect(checkSumToOne(rows([['a_percent', 100]], [['b_pct', 100]]))).toEqual(['sum_to_one_unverifiable']);
  });

  it('reports at most 10 groups', () => {
    const years = Array.from({ length: 11 }, (_, i) => [
      ['year', 2000 + i] as [string, Scalar],
      ['share_percent', 1] as [string, Scalar],
    ]);
    const warnings = checkSumToOne(rows(...years));
    expect(warnings).toHaveLength(10);
    expect(warnings[9]).toBe('sum_to_one_violation:year=2009:1.00!=100.00');
  });
});

describe('freshness', () => {
  const today = new Date('2024-02-05T10:00:00Z');

  it('warns stale_data:<age>><sla> in whole UTC days', () => {
    // 2023-01-01 → 2024-01-01 is 365 days, then 35 more.
    expect(freshnessWarnings(365, '2023-01-01', today)).toEqual(['stale_data:400>365']);
    expect(freshnessWarnings(400, '2023-01-01', today)).toEqual([]);
    expect(freshnessWarnings(399, '2023-01-01', new Date('2024-02-05T23:59:59.999Z'))).toEqual(['stale_data:400>399']);
    // 00:30 in UTC+05:00 is still the previous day in UTC.
    expect(freshnessWarnings(399, '2023-01-01', new Date('2024-02-05T00:30:00+05:00'))).toEqual([]);
    expect(freshnessWarnings(0, '2024-02-05', today)).toEqual([]);
    expect(freshnessWarnings(0, '2024-02-04', today)).toEqual(['stale_data:1>0']);
    expect(freshnessWarnings(0, '2024-12-31', today)).toEqual([]);
    expect(freshnessWarnings(3650, '2024-12-31', today)).toEqual([]);
  });

  it('counts leap days', () => {
    expect(freshnessWarnings(0, '2024-02-28', new Date('2024-03-01T00:00:00Z'))).toEqual(['stale_data:2>0']);
  });

  it('is silent without an SLA, flags invalid SLAs, and reports unknown as-of dates', () => {
    expect(freshnessWarnings(undefined, null, today)).toEqual([]);
    expect(freshnessWarnings(null, '2000-01-01', today)).toEqual([]);
    for (const bad of [-1, 1.5, '365', true, Infinity, NaN, {}]) {
      expect(freshnessWarnings(bad, '2000-01-01', today)).toEqual(['freshness_invalid_sla']);
    }
    expect(freshnessWarnings(365, null, today)).toEqual(['freshness_unknown']);
    expect(freshnessWarnings(365, '2023-02-30', today)).toEqual(['freshness_unknown']);
    expect(freshnessWarnings(365, '2023-1-1', today)).toEqual(['freshness_unknown']);
  });

  it('handles years below 100 literally', () => {
    expect(freshnessWarnings(0, '0099-12-31', new Date('0100-01-01T00:00:00Z'))).toEqual(['stale_data:1>0']);
  });
});
