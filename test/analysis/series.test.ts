import { describe, expect, it } from 'vitest';
import {
  describeSeries,
  loadSeries,
  normalisePeriod,
  periodMonth,
  periodOrdinal,
  shiftPeriod,
} from '../../src/analysis/series.js';
import { WarningCollector } from '../../src/analysis/warnings.js';
import type { Scalar } from '../../src/analysis/model.js';
import { fakeClient, months, seriesResult, years } from './agents/series-fixtures.js';

describe('period labels', () => {
  it('ordinals, shifts and months', () => {
    expect(periodOrdinal('2024')).toBe(2024);
    expect(periodOrdinal('2024-01')).toBe(2024 * 12);
    expect(periodOrdinal('2024-13')).toBeNull();
    expect(periodOrdinal('24')).toBeNull();
    expect(shiftPeriod('2024-12', 1)).toBe('2025-01');
    expect(shiftPeriod('2024-01', -1)).toBe('2023-12');
    expect(shiftPeriod('2024-06', 18)).toBe('2025-12');
    expect(shiftPeriod('2024', 2)).toBe('2026');
    expect(shiftPeriod('bad', 1)).toBeNull();
    expect(periodMonth('2024-03')).toBe(3);
    expect(periodMonth('2024')).toBeNull();
  });

  it('normalises start and end to the frequency', () => {
    expect(normalisePeriod('2020', 'monthly', 'start')).toBe('2020-01');
    expect(normalisePeriod('2020', 'monthly', 'end')).toBe('2020-12');
    expect(normalisePeriod('2020-05-17', 'monthly', 'end')).toBe('2020-05');
    expect(normalisePeriod('2020-05', 'annual', 'start')).toBe('2020');
    expect(normalisePeriod('next year', 'annual', 'start')).toBeNull();
    expect(normalisePeriod(null, 'annual', 'start')).toBeNull();
  });
});

const annual = (sector: string, values: (number | null | 's')[], first = 2017) =>
  seriesResult('ts_employment_annual', 'count', [{ sector, periods: years(first, values.length), values }]);

describe('loadSeries', () => {
  it('filters to the sector, keeps period order and reports the query for citing', async () => {
    const result = seriesResult('ts_employment_annual', 'count', [
      { sector: 'Energy', periods: years(2017, 3), values: [1, 2, 3] },
      { sector: 'ALL', periods: ['2019', '2017', '2018'], values: [30, 10, 20] },
    ]);
    const w = new WarningCollector();
    const s = (await loadSeries(fakeClient([result]), { metric: 'employment', sector: 'ALL', minPoints: 3 }, w))!;
    expect(s.frequency).toBe('annual');
    expect(s.queryId).toBe('ts_employment_annual');
    expect(s.result).toBe(result);
    expect(s.periods).toEqual(['2017', '2018', '2019']);
    expect(s.values).toEqual([10, 20, 30]);
    expect(s.unit).toBe('count');
    expect(s.seasonLength).toBe(1);
    expect(s.sufficient).toBe(true);
    expect(w.list()).toEqual([]);
    expect(describeSeries(s)).toBe('Employment, national (ALL), annual 2017 to 2019');
  });

  it('auto uses the monthly series when it has the minimum, with the last 36 months by default', async () => {
    const monthly = seriesResult('ts_employment_monthly', 'count', [
      { sector: 'ALL', periods: months(2021, 1, 48), values: Array.from({ length: 48 }, (_, i) => i) },
    ]);
    const client = fakeClient([monthly, annual('ALL', [1, 2, 3])]);
    const w = new WarningCollector();
    const s = (await loadSeries(client, { metric: 'employment', sector: 'ALL', minPoints: 13 }, w))!;
    expect(s.frequency).toBe('monthly');
    expect(s.seasonLength).toBe(12);
    expect(s.periods[0]).toBe('2022-01');
    expect(s.periods).toHaveLength(36);
    expect(s.values[35]).toBe(47);
    expect(client.calls).toEqual(['ts_employment_monthly']);
    expect(w.list()).toEqual([]);
  });

  it('auto falls back to annual with FREQ_FALLBACK_ANNUAL when the monthly series is too short', async () => {
    const monthly = seriesResult('ts_employment_monthly', 'count', [
      { sector: 'ALL', periods: months(2024, 1, 6), values: [1, 2, 3, 4, 5, 6] },
    ]);
    const w = new WarningCollector();
    const s = (await loadSeries(
      fakeClient([monthly, annual('ALL', [1, 2, 3, 4])]),
      { metric: 'employment', sector: 'ALL', minPoints: { monthly: 13, annual: 3 } },
      w,
    ))!;
    expect(s.frequency).toBe('annual');
    expect(s.minPoints).toBe(3);
    expect(w.list().map((x) => [x.code, x.details])).toEqual([
      ['FREQ_FALLBACK_ANNUAL', { monthly_points: 6, need: 13 }],
    ]);
  });

  it('annual without a monthly id registered: no warning for auto, FREQ_FALLBACK_ANNUAL for monthly', async () => {
    const client = fakeClient([annual('ALL', [1, 2, 3])]);
    const w1 = new WarningCollector();
    expect((await loadSeries(client, { metric: 'employment', sector: 'ALL', minPoints: 3 }, w1))!.frequency).toBe(
      'annual',
    );
    expect(w1.list()).toEqual([]);
    const w2 = new WarningCollector();
    const s = (await loadSeries(
      client,
      { metric: 'employment', sector: 'ALL', frequency: 'monthly', minPoints: 3 },
      w2,
    ))!;
    expect(s.frequency).toBe('annual');
    expect(w2.list().map((x) => x.code)).toEqual(['FREQ_FALLBACK_ANNUAL']);
  });

  it('applies start and end, and extends a short window backwards (WINDOW_EXTENDED)', async () => {
    const client = fakeClient([annual('ALL', [1, 2, 3, 4, 5, 6, 7, 8])]);
    const w1 = new WarningCollector();
    const s1 = (await loadSeries(
      client,
      { metric: 'employment', sector: 'ALL', start: '2019', end: '2022', minPoints: 3 },
      w1,
    ))!;
    expect(s1.periods).toEqual(['2019', '2020', '2021', '2022']);
    expect(w1.list()).toEqual([]);
    const w2 = new WarningCollector();
    const s2 = (await loadSeries(client, { metric: 'employment', sector: 'ALL', start: '2023', minPoints: 4 }, w2))!;
    expect(s2.periods).toEqual(['2021', '2022', '2023', '2024']);
    expect(w2.list()).toEqual([
      {
        code: 'WINDOW_EXTENDED',
        message: 'series: the window holds fewer than 4 points; extended back to 2021',
        details: { requested_start: '2023', start: '2021', need: 4 },
      },
    ]);
  });

  it('drops nulls and suppressed cells (MISSING_VALUES) and keeps the contiguous tail (SERIES_GAP)', async () => {
    const client = fakeClient([annual('ALL', [1, null, 3, 4, 's', 6, 7, 8])]);
    const w = new WarningCollector();
    const s = (await loadSeries(client, { metric: 'employment', sector: 'ALL', minPoints: 3 }, w))!;
    expect(s.values).toEqual([6, 7, 8]);
    expect(s.periods).toEqual(['2022', '2023', '2024']);
    expect(s.missing).toBe(2);
    expect(w.list().map((x) => [x.code, x.details])).toEqual([
      ['MISSING_VALUES', { count: 2 }],
      ['SERIES_GAP', { dropped: 3, tail_start: '2022' }],
    ]);
    const w2 = new WarningCollector();
    const s2 = (await loadSeries(
      client,
      { metric: 'employment', sector: 'ALL', minPoints: 3, contiguous: false },
      w2,
    ))!;
    expect(s2.values).toEqual([1, 3, 4, 6, 7, 8]);
    expect(w2.list().map((x) => x.code)).toEqual(['MISSING_VALUES']);
  });

  it('too few points after dropping: INSUFFICIENT_DATA {have, need}, never a throw', async () => {
    const w = new WarningCollector();
    const s = (await loadSeries(
      fakeClient([annual('ALL', [1, null, 3])]),
      { metric: 'employment', sector: 'ALL', minPoints: 4 },
      w,
    ))!;
    expect(s.sufficient).toBe(false);
    expect(s.values).toEqual([3]);
    expect(w.list().map((x) => [x.code, x.details])).toEqual([
      ['MISSING_VALUES', { count: 1 }],
      ['SERIES_GAP', { dropped: 1, tail_start: '2019' }],
      ['INSUFFICIENT_DATA', { have: 1, need: 4 }],
    ]);
  });

  it('a sector without rows, and a metric without any registered id', async () => {
    const w = new WarningCollector();
    const s = (await loadSeries(
      fakeClient([annual('ALL', [1, 2, 3])]),
      { metric: 'employment', sector: 'ICT', minPoints: 3 },
      w,
    ))!;
    expect(s.sufficient).toBe(false);
    expect(s.values).toEqual([]);
    expect(w.list().map((x) => [x.code, x.details])).toEqual([['INSUFFICIENT_DATA', { have: 0, need: 3 }]]);
    const w2 = new WarningCollector();
    expect(await loadSeries(fakeClient([]), { metric: 'retention', sector: 'ALL', minPoints: 3 }, w2)).toBeNull();
    expect(w2.list().map((x) => x.code)).toEqual(['INSUFFICIENT_DATA']);
  });

  it('rows without the series fields raise DATA_SCHEMA_MISMATCH', async () => {
    const result = annual('ALL', [1, 2, 3]);
    result.rows = result.rows.map(
      (r) =>
        new Map<string, Scalar>([
          ['period', r.get('period')!],
          ['sector', 'ALL'],
          ['employees', 5],
        ]),
    );
    const w = new WarningCollector();
    const s = (await loadSeries(fakeClient([result]), { metric: 'employment', sector: 'ALL', minPoints: 3 }, w))!;
    expect(s.sufficient).toBe(false);
    expect(w.list()[0]).toEqual({
      code: 'DATA_SCHEMA_MISMATCH',
      message: 'series: ts_employment_annual rows lack the series fields',
      details: { expected: ['period', 'sector', 'value'], available: ['period', 'sector', 'employees'] },
    });
  });
});
