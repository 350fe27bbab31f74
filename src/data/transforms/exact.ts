/**
 * Exact rational helpers so transforms reproduce CPython's numeric results bit for bit:
 * `int / int` and `statistics.mean` both round the exact rational once to the nearest double (ties to even).
 */

const scratch = new DataView(new ArrayBuffer(8));

/** A finite double as `mantissa × 2^exponent` (both exact; mantissa carries the sign). */
export function doubleToExact(x: number): { mantissa: bigint; exponent: number } {
  scratch.setFloat64(0, x);
  const bits = scratch.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // Subnormals have no implicit leading bit and the fixed exponent of the smallest normal.
  const magnitude = field === 0 ? fraction : fraction | (1n << 52n);
  const exponent = field === 0 ? -1074 : field - 1075;
  return { mantissa: negative ? -magnitude : magnitude, exponent };
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * The double nearest to `p / q × 2^scale` (q > 0), ties to even, subnormals included: the one rounding step
 * CPython performs in `int.__truediv__` and `float(Fraction)`.
 */
export function ratioToDouble(p: bigint, q: bigint, scale = 0): number {
  if (q <= 0n) throw new RangeError('ratioToDouble needs a positive denominator');
  if (p === 0n) return 0;
  const negative = p < 0n;
  const num = negative ? -p : p;
  // floor(log2(num / q)) is d or d - 1.
  let d = bitLength(num) - bitLength(q);
  const atLeast = d >= 0 ? num >= q << BigInt(d) : num << BigInt(-d) >= q;
  if (!atLeast) d -= 1;
  const topExponent = d + scale;
  // Weight of the last mantissa bit: 53 significant bits, but never below the subnormal step 2^-1074.
  let lsb = Math.max(topExponent - 52, -1074);
  const shift = scale - lsb;
  const n = shift >= 0 ? num << BigInt(shift) : num;
  const den = shift >= 0 ? q : q << BigInt(-shift);
  let quotient = n / den;
  const twiceRemainder = (n % den) * 2n;
  if (twiceRemainder > den || (twiceRemainder === den && (quotient & 1n) === 1n)) quotient += 1n;
  if (quotient === 1n << 53n) {
    quotient = 1n << 52n;
    lsb += 1;
  }
  let bits: bigint;
  if (quotient < 1n << 52n) {
    // Subnormal (lsb is -1074 here): exponent field 0.
    bits = quotient;
  } else {
    const field = lsb + 52 + 1023;
    bits = field >= 2047 ? 0x7ffn << 52n : (BigInt(field) << 52n) | (quotient - (1n << 52n));
  }
  if (negative) bits |= 1n << 63n;
  scratch.setBigUint64(0, bits);
  return scratch.getFloat64(0);
}

/** CPython `a / b` for two ints (exact quotient rounded once). */
export function intTrueDivide(a: bigint, b: bigint): number {
  if (b === 0n) throw new RangeError('division by zero');
  // Python gives 0 / -5 == -0.0.
  if (a === 0n) return b < 0n ? -0 : 0;
  return b < 0n ? ratioToDouble(-a, -b) : ratioToDouble(a, b);
}

/**
 * CPython `statistics.mean` of finite doubles: the exact mean rounded once. For safe integers whose every
 * partial sum stays a safe integer the double sum is exact and IEEE division rounds the exact quotient once,
 * which is the same result, so that common case skips BigInt arithmetic.
 */
export function exactMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no values');
  let sum = 0;
  let fast = true;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) {
      fast = false;
      break;
    }
    sum += v;
    // A true sum beyond 2^53 - 1 either is not representable or rounds to a non-safe value, so this catches it.
    if (!Number.isSafeInteger(sum)) {
      fast = false;
      break;
    }
  }
  if (fast) return sum / values.length;
  const parts = values.map(doubleToExact);
  let minExponent = 0;
  for (const x of parts) minExponent = Math.min(minExponent, x.exponent);
  let total = 0n;
  for (const x of parts) total += x.mantissa << BigInt(x.exponent - minExponent);
  return ratioToDouble(total, BigInt(values.length), minExponent);
}
