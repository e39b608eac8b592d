/**
 * Numbers as the budget's explanations write them, the same on every machine (no locale): amounts
 * `8,360.00`, counts `5,000`, probabilities `0.8200`.
 */

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Whole cents as an amount: 836000 -> `8,360.00`. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const whole = Math.abs(cents);
  const units = Math.floor(whole / 100);
  const rest = String(whole % 100).padStart(2, '0');
  return `${sign}${groupThousands(String(units))}.${rest}`;
}

/** An amount in the account currency, to the cent: 98.4 -> `98.40`. */
export function formatAmount(amount: number): string {
  const cents = Math.round(amount * 100);
  return Number.isSafeInteger(cents) ? formatCents(cents) : amount.toExponential(6);
}

/** A count of members: 5000 -> `5,000`. */
export function formatCount(count: number): string {
  return groupThousands(String(count));
}

/** A per-member cap as written, at least two decimals: 2 -> `2.00`, 0.005 -> `0.005`. */
export function formatRate(rate: number): string {
  const text = rate.toFixed(6).replace(/0+$/, '');
  const [units = '0', decimals = ''] = text.split('.');
  return `${groupThousands(units)}.${decimals.padEnd(2, '0')}`;
}

export function formatProbability(probability: number): string {
  return probability.toFixed(4);
}

/** A share as a percentage: 0.6 -> `60%`, 0.125 -> `12.5%`. */
export function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(4))}%`;
}
