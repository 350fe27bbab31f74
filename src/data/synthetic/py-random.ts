/**
 * Bit-exact port of CPython's `random.Random` (MT19937 core, data-layer spec §9.2).
 * Only the methods the synthetic pack needs are provided; each follows CPython's Lib/random.py and
 * Modules/_randommodule.c step by step, because the golden pack hashes depend on every draw.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;

/** Number of bits needed to write a non-negative safe integer (Python `int.bit_length`). */
export function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n);
  return 32 + (32 - Math.clz32(Math.floor(n / TWO_POW_32)));
}

/** 32-bit little-endian words of a non-negative safe integer, as CPython's `random_seed` builds the key. */
function seedKey(seed: number): number[] {
  if (seed === 0) return [0];
  const key: number[] = [];
  let rest = seed;
  while (rest > 0) {
    key.push(rest % TWO_POW_32);
    rest = Math.floor(rest / TWO_POW_32);
  }
  return key;
}

export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private index = N;
  private gaussNext: number | null = null;

  /** `random.Random(seed)` for an integer seed; like CPython the sign is ignored (|seed| is used). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer (got ${seed})`);
    this.initByArray(seedKey(Math.abs(seed)));
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = UPPER_MASK;
    this.index = N;
    this.gaussNext = null;
  }

  /** Regenerates all 624 words (the MT19937 "twist"). */
  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.index = 0;
  }

  /** CPython `genrand_uint32`: next tempered 32-bit output as an unsigned number. */
  u32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits (`random.random()`). */
  random(): number {
    const a = this.u32() >>> 5;
    const b = this.u32() >>> 6;
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** `getrandbits(k)` for 0 ≤ k ≤ 53; words are consumed least-significant first, as CPython does. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError(`getrandbits supports 0..53 bits (got ${k})`);
    if (k === 0) return 0;
    if (k <= 32) return this.u32() >>> (32 - k);
    const low = this.u32();
    const high = this.u32() >>> (64 - k);
    return high * TWO_POW_32 + low;
  }

  /** Uniform integer in [0, n) by rejection on `bit_length(n)` bits (CPython `_randbelow_with_getrandbits`). */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`randbelow needs a positive safe integer (got ${n})`);
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** Uniform integer in [a, b], both ends included. */
  randint(a: number, b: number): number {
    if (b < a) throw new RangeError(`randint needs a ≤ b (got ${a} > ${b})`);
    return a + this.randbelow(b - a + 1);
  }

  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError('cannot choose from an empty sequence');
    return seq[this.randbelow(seq.length)]!;
  }

  /** `a + (b - a) * random()`, evaluated in exactly that order. */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /** Box–Muller normal deviate; every second call returns the cached partner value, as CPython does. */
  gauss(mu: number, sigma: number): number {
    let z = this.gaussNext;
    this.gaussNext = null;
    if (z === null) {
      const x2pi = this.random() * TWO_PI;
      const g2rad = Math.sqrt(-2.0 * Math.log(1.0 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return mu + z * sigma;
  }
}
