import { timingSafeEqual } from 'node:crypto';

/** String equality without an early exit on the first differing byte; strings of different lengths are unequal. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
