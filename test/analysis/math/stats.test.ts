import { describe, expect, it } from 'vitest';
import {
  averageRanks,
  cusum,
  ewma,
  finiteOrNull,
  mad,
  mean,
  median,
  minimumRanks,
  olsSlope,
  pctChange,
  pearson,
  sdPopulation,
  sdSample,
  slopeLast,
  spearman,
  sum,
  theilSen,
  winsorise,
  zScores,
} from '../../../src/analysis/math/stats.js';

describe('mean, median, SDs, MAD', () => {
  it('computes hand-checked values', () => {
    expect(sum([1, 2, 3.5])).toBe(6.5);
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // Σ(x − 5)² = 32 over [2,4,4,4,5,5,7,9]: population 32/8 = 4, sample 32/7.
    expect(sdPopulation([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(sdSample([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    // median 2; |x − 2| = [1,1,0,0,2,4,7] → median 1.
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
  });

  it('returns null for empty input and too few points, 0 for zero variance', () => {
    expect(mean([])).toBeNull();
    expect(median([])).toBeNull();
    expect(mad([])).toBeNull();
    expect(sdPopulation([])).toBeNull();
    expect(sdSample([5])).toBeNull();
    expect(sdSample([3, 3, 3])).toBe(0);
    expect(mad([7, 7, 7])).toBe(0);
  });

  it('never returns a non-finite number', () => {
    expect(mean([Number.MAX_VALUE, Number.MAX_VALUE])).toBeNull();
    expect(finiteOrNull(Number.NaN)).toBeNull();
    expect(finiteOrNull(Number.POSITIVE_INFINITY)).toBeNull();
    expect(finiteOrNull(undefined)).toBeNull();
    expect(finiteOrNull(-2.5)).toBe(-2.5);
  });
});

describe('slopes and pct_change', () => {
  it('OLS slope against 0..n−1 and slope_w of the last w points', () => {
    expect(olsSlope([1, 3, 5, 7])).toBe(2);
    expect(olsSlope([4, 4, 4])).toBe(0);
    // last three of [10, 1, 2, 3] are 1, 2, 3.
    expect(slopeLast([10, 1, 2, 3], 3)).toBe(1);
    // x̄ = 2.5, Σ(x − x̄)(y − ȳ) = 152.5, Σ(x − x̄)² = 17.5.
    expect(slopeLast([100, 110, 120, 130, 125, 150], 6)).toBeCloseTo(152.5 / 17.5, 12);
  });

  it('slope is null when w exceeds n or fewer than two points', () => {
    expect(slopeLast([1, 2, 3, 4], 5)).toBeNull();
    expect(slopeLast([1, 2, 3, 4], 1)).toBeNull();
    expect(olsSlope([1])).toBeNull();
    expect(olsSlope([])).toBeNull();
  });

  it('pct_change uses |p| and is null on division by zero or nulls', () => {
    expect(pctChange(110, 100)).toBeCloseTo(10, 12);
    expect(pctChange(90, -100)).toBeCloseTo(190, 12);
    expect(pctChange(5, 0)).toBeNull();
    expect(pctChange(null, 3)).toBeNull();
    expect(pctChange(3, null)).toBeNull();
    expect(pctChange(Number.NaN, 3)).toBeNull();
  });
});

describe('ranks and correlations', () => {
  it('average ranks for ties, minimum ranks for league tables', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([3, 3, 3])).toEqual([2, 2, 2]);
    expect(minimumRanks([10, 20, 20, 5], 'highest')).toEqual([3, 1, 1, 4]);
    expect(minimumRanks([10, 20, 20, 5], 'lowest')).toEqual([2, 3, 3, 1]);
  });

  it('pearson: hand example and the ±1 extremes', () => {
    // dx = [-1.5,-0.5,0.5,1.5], dy = [-0.5,-1.5,1.5,0.5]: Σdxdy = 3, Σdx² = Σdy² = 5.
    expect(pearson([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('pearson is null for n < 3, zero variance or unequal lengths', () => {
    expect(pearson([1, 2], [1, 2])).toBeNull();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearson([1, 2, 3], [1, 2])).toBeNull();
  });

  it('spearman is pearson of average ranks', () => {
    expect(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 25])).toBeCloseTo(1, 12);
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    expect(spearman([2, 2, 2], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
});

describe('theil_sen, winsorise, ewma', () => {
  it('Theil–Sen slope and intercept by hand', () => {
    // pairwise slopes [-1, 0.5, 1, 4/3, 2, 3] → β = (1 + 4/3)/2; a = median(y_i − β·i) = 1.25.
    const fit = theilSen([1, 3, 2, 5])!;
    expect(fit.slope).toBeCloseTo(7 / 6, 12);
    expect(fit.intercept).toBeCloseTo(1.25, 12);
    expect(theilSen([2, 4])).toEqual({ slope: 2, intercept: 2 });
    expect(theilSen([5, 5, 5])).toEqual({ slope: 0, intercept: 5 });
  });

  it('Theil–Sen needs two points', () => {
    expect(theilSen([5])).toBeNull();
    expect(theilSen([])).toBeNull();
  });

  it('winsorise clips to [s_k, s_{n−1−k}] keeping input order', () => {
    expect(winsorise([1, 2, 3, 4, 100, 5, 6, 7, 8, 9], 0.1)).toEqual([2, 2, 3, 4, 9, 5, 6, 7, 8, 9]);
    expect(winsorise([3, 1, 2], 0)).toEqual([3, 1, 2]);
    // n·p < 1 → k = 0, nothing clipped.
    expect(winsorise([3, 1, 2], 0.25)).toEqual([3, 1, 2]);
    expect(winsorise([], 0.1)).toEqual([]);
  });

  it('EWMA recursion', () => {
    expect(ewma([10, 20, 30], 0.5)).toEqual([10, 15, 22.5]);
    expect(ewma([10, 20], 0.3)[1]).toBeCloseTo(13, 12);
    expect(ewma([7], 0.25)).toEqual([7]);
    expect(ewma([], 0.3)).toEqual([]);
  });
});

describe('cusum and z-scores', () => {
  it('flags an upward break and resets both sums', () => {
    // s⁺: 0, 0, 2, 4 → at t = 3, 2 + 3 − 1 = 4 > 3: break, reset; then 2, 1.
    expect(cusum([0, 0, 3, 3, 3, 0], 1, 3)).toEqual([{ index: 3, direction: 'up' }]);
  });

  it('flags a downward break', () => {
    // s⁻: 1.5, 3, 4.5 > 4 at t = 2, reset, then 1.5.
    expect(cusum([-2, -2, -2, -2], 0.5, 4)).toEqual([{ index: 2, direction: 'down' }]);
  });

  it('finds nothing on a flat or empty z series', () => {
    expect(cusum([0, 0, 0, 0], 1, 5)).toEqual([]);
    expect(cusum([], 1, 5)).toEqual([]);
  });

  it('z-scores use the sample SD; zero variance gives null', () => {
    const z = zScores([1, 3])!;
    expect(z[0]).toBeCloseTo(-1 / Math.SQRT2, 12);
    expect(z[1]).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(zScores([4, 4, 4])).toBeNull();
    expect(zScores([4])).toBeNull();
  });
});
