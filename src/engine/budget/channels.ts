import { formatCents, formatShare } from './format.js';
import { wholeCentsDown } from './money.js';
import type { ChannelAmount } from './schema.js';

/**
 * An audience's amount split per channel: each channel gets its share of the amount rounded down to
 * the cent, and the cents that rounding leaves go to the channel with the largest share (the first
 * by name among equal shares), so the parts add up to the amount exactly. Shares are taken relative
 * to their sum (they add up to 1 within a billionth).
 */
export interface ChannelSplit {
  parts: ChannelAmount[];
  /** Cents the rounding down left, given to `roundingTo`. */
  rounding: number;
  roundingTo: string | undefined;
}

export function splitByChannel(cents: number, channels: Record<string, number>): ChannelSplit {
  const entries = Object.entries(channels);
  const sum = entries.reduce((total, [, share]) => total + share, 0);
  const parts = entries.map(([destination, share]) => ({
    destination,
    share,
    cents: wholeCentsDown((cents * share) / sum),
  }));
  const largest = largestShare(parts);
  if (largest === undefined) return { parts, rounding: 0, roundingTo: undefined };
  const rounding = cents - parts.reduce((total, part) => total + part.cents, 0);
  largest.cents += rounding;
  return { parts, rounding, roundingTo: largest.destination };
}

function largestShare(parts: ChannelAmount[]): ChannelAmount | undefined {
  let best: ChannelAmount | undefined;
  for (const part of parts)
    if (
      best === undefined ||
      part.share > best.share ||
      (part.share === best.share && part.destination < best.destination)
    )
      best = part;
  return best;
}

/** The split in words: `split 60% meta 984.01, 40% google 656.00 (0.01 of rounding to meta)`. */
export function describeSplit(split: ChannelSplit): string {
  const listed = split.parts
    .map((part) => `${formatShare(part.share)} ${part.destination} ${formatCents(part.cents)}`)
    .join(', ');
  const note =
    split.rounding > 0 ? ` (${formatCents(split.rounding)} of rounding to ${split.roundingTo ?? ''})` : '';
  return `split ${listed}${note}`;
}
