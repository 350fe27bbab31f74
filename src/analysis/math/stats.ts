/**
 * The shared mathematics of analysis spec §3.0.2. Every function is total: where a quantity is undefined (empty input,
 * too few points, zero variance, division by zero) it returns null, never NaN or ±Infinity. Sums run in input order.
 */

/** A finite number, or null for NaN, ±Infinity, null and undefined. */
export function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Σx in input order (0 for an empty list). */
export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Σx / n; null when empty or not finite. */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  return finiteOrNull(sum(xs) / xs.length);
}

/** Middle value; for even n the mean of the two middle values. Null when empty. */
export function median(xs: readonly number[]): number | null {
  const n = xs.length;
  if (n === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const v = n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return finiteOrNull(v);
}

/** Sample standard deviation (divisor n − 1); null when n < 2. */
export function sdSample(xs: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const m = mean(xs);
  if (m === null) return null;
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return finiteOrNull(Math.sqrt(ss / (n - 1)));
}

/** Population standard deviation (divisor n); null when empty. */
export function sdPopulation(xs: readonly number[]): number | null {
  const n = xs.length;
  if (n === 0) return null;
  const m = mean(xs);
  if (m === null) return null;
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return finiteOrNull(Math.sqrt(ss / n));
}

/** Median absolute deviation: median(|x_i − median(x)|); null when empty. */
export function mad(xs: readonly number[]): number | null {
  const m = median(xs);
  if (m === null) return null;
  return median(xs.map((x) => Math.abs(x - m)));
}

/** OLS slope of ys against x = 0..n−1: Σ(x − x̄)(y − ȳ) / Σ(x − x̄)². Null when n < 2. */
export function olsSlope(ys: readonly number[]): number | null {
  const n = ys.length;
  if (n < 2) return null;
  const xbar = (n - 1) / 2;
  const ybar = mean(ys);
  if (ybar === null) return null;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - xbar) * (ys[i]! - ybar);
    den += (i - xbar) * (i - xbar);
  }
  return den === 0 ? null : finiteOrNull(num / den);
}

/** slope_w: the OLS slope of the last w points; null when w > n or w < 2. */
export function slopeLast(ys: readonly number[], w: number): number | null {
  if (!Number.isInteger(w) || w < 2 || w > ys.length) return null;
  return olsSlope(ys.slice(ys.length - w));
}

/** pct_change(c, p) = (c − p) / |p| · 100; null if p = 0 or either value is null. */
export function pctChange(c: number | null | undefined, p: number | null | undefined): number | null {
  const cc = finiteOrNull(c);
  const pp = finiteOrNull(p);
  if (cc === null || pp === null || pp === 0) return null;
  return finiteOrNull(((cc - pp) / Math.abs(pp)) * 100);
}

/** 1-based average ranks (ties share the mean of their positions), ascending values get ascending ranks. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v || a.i - b.i);
  const ranks = new Array<number>(xs.length).fill(0);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && order[j + 1]!.v === order[k]!.v) j++;
    const r = (k + 1 + (j + 1)) / 2;
    for (let t = k; t <= j; t++) ranks[order[t]!.i] = r;
    k = j + 1;
  }
  return ranks;
}

/**
 * League-table ranks ("1224"): 1-based, ties take the minimum rank. `best` says which end ranks first:
 * 'highest' for higher-is-better, 'lowest' for lower-is-better.
 */
export function minimumRanks(xs: readonly number[], best: 'highest' | 'lowest'): number[] {
  return xs.map((x) => 1 + xs.filter((y) => (best === 'highest' ? y > x : y < x)).length);
}

/** Pearson correlation: cov / (sd_x · sd_y); null if lengths differ, n < 3, or either variance is 0. */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n !== y.length || n < 3) return null;
  const mx = mean(x);
  const my = mean(y);
  if (mx === null || my === null) return null;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = finiteOrNull(sxy / Math.sqrt(sxx * syy));
  return r === null ? null : Math.max(-1, Math.min(1, r));
}

/** Spearman correlation: Pearson of the average ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) return null;
  return pearson(averageRanks(x), averageRanks(y));
}

export interface TheilSenFit {
  /** β = median over i < j of (y_j − y_i)/(j − i). */
  slope: number;
  /** a = median(y_i − β·i). */
  intercept: number;
}

/** Theil–Sen line against x = 0..n−1; null when n < 2. */
export function theilSen(ys: readonly number[]): TheilSenFit | null {
  const n = ys.length;
  if (n < 2) return null;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) slopes.push((ys[j]! - ys[i]!) / (j - i));
  const slope = median(slopes);
  if (slope === null) return null;
  const intercept = median(ys.map((y, i) => y - slope * i));
  if (intercept === null) return null;
  return { slope, intercept };
}

/** winsorise(x, p): sort into s, k = ⌊n·p⌋, clip each value to [s_k, s_{n−1−k}]. Input order is kept. */
export function winsorise(xs: readonly number[], p: number): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const s = [...xs].sort((a, b) => a - b);
  const pp = Number.isFinite(p) ? Math.max(0, Math.min(0.5, p)) : 0;
  let k = Math.floor(n * pp);
  if (k > n - 1 - k) k = Math.floor((n - 1) / 2);
  const lo = s[k]!;
  const hi = s[n - 1 - k]!;
  return xs.map((x) => Math.min(Math.max(x, lo), hi));
}

/** EWMA levels: S_0 = y_0; S_t = α·y_t + (1 − α)·S_{t−1}. Empty input gives an empty list. */
export function ewma(ys: readonly number[], alpha: number): number[] {
  const out: number[] = [];
  let s = 0;
  ys.forEach((y, t) => {
    s = t === 0 ? y : alpha * y + (1 - alpha) * s;
    out.push(s);
  });
  return out;
}

export interface CusumBreak {
  /** Index t into the z series at which s⁺ or s⁻ exceeded h. */
  index: number;
  direction: 'up' | 'down';
}

/**
 * Two-sided CUSUM: s⁺ = max(0, s⁺ + z_t − k), s⁻ = max(0, s⁻ − z_t − k). A break at t when s⁺ > h or s⁻ > h (up if
 * s⁺ > s⁻, else down); both sums reset to 0 after a break.
 */
export function cusum(z: readonly number[], k: number, h: number): CusumBreak[] {
  const breaks: CusumBreak[] = [];
  let sp = 0;
  let sn = 0;
  z.forEach((zt, t) => {
    sp = Math.max(0, sp + zt - k);
    sn = Math.max(0, sn - zt - k);
    if (sp > h || sn > h) {
      breaks.push({ index: t, direction: sp > sn ? 'up' : 'down' });
      sp = 0;
      sn = 0;
    }
  });
  return breaks;
}

/** z-scores (y − mean)/sd_s; null when n < 2 or sd_s = 0. */
export function zScores(ys: readonly number[]): number[] | null {
  const m = mean(ys);
  const sd = sdSample(ys);
  if (m === null || sd === null || sd === 0) return null;
  return ys.map((y) => (y - m) / sd);
}
