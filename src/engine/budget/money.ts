/**
 * Money inside an allocation is whole cents (integers), so amounts add up exactly. Products such as
 * 333 x 0.07 x 100 come out as 2330.9999999999995 or 2331.0000000000005 in floating point: rounding
 * down first forgives that much (a millionth of a cent), so the written arithmetic holds.
 */

const FLOAT_SLACK = 1e-6;

/** An amount written in the account currency, to the nearest cent. */
export function centsOf(amount: number): number {
  return Math.round(amount * 100);
}

/** A product in cents, rounded down to a whole cent (never above what the arithmetic allows). */
export function wholeCentsDown(cents: number): number {
  if (!(cents > 0)) return 0;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.floor(cents + FLOAT_SLACK));
}
