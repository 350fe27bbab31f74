/**
 * CPython `round(x, 2)` (data-layer spec §6): the exact binary value rounded to 2 decimals, ties to even,
 * returned as the nearest double.
 */
export function round2(x: number): number {
  if (!Number.isFinite(x)) return x;
  const eighths = 8 * x;
  // Exact ties (x·100 ending in exactly .5) are precisely the doubles where 8·x is an odd integer.
  if (Number.isInteger(eighths) && eighths % 2 !== 0) {
    // x = m/8 has at most 3 decimals, so toFixed(3) is its exact decimal value; round that to even in integers.
    const thousandths = BigInt(Math.abs(x).toFixed(3).replace('.', ''));
    let hundredths = thousandths / 10n;
    if (hundredths % 2n !== 0n) hundredths += 1n;
    // Parsing the decimal string rounds once, exactly as CPython converts its rounded digits back to a double.
    const magnitude = Number(`${hundredths}e-2`);
    return x < 0 ? -magnitude : magnitude;
  }
  // toFixed rounds the exact binary value, so away from ties it is already correct.
  return Number(x.toFixed(2));
}
