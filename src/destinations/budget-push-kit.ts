import type { RelayEvent } from '../delivery/destination.js';
import { ALLOCATION_CHANGED, AllocationChangedData } from '../engine/budget/allocation-event.js';

/**
 * What an ad platform's optional budget push (`budget_push:` in its mapping, docs/budget.md "Budget
 * pushes") sends for a `budget.allocation_changed` event: this destination's daily amount, in cents,
 * or nothing. Pure.
 *
 * A destination's amount is the sum, over the budget audiences it syncs, of its channel's part of
 * each audience's amount (`budget.channels` names it). It is pushed only when it differs from the
 * previous run's: ad platforms restart their learning on budget changes, so an unchanged budget is
 * never written again.
 */

type Period = AllocationChangedData['period'];

/** An average month, so a monthly budget spreads over the year's days. */
const DAYS_PER_MONTH = 365 / 12;

/** A period's amount per day, in whole cents rounded down (a platform never gets more than the budget). */
export function dailyCents(cents: number, period: Period): number {
  if (period === 'day') return cents;
  return Math.floor(cents / (period === 'week' ? 7 : DAYS_PER_MONTH));
}

/**
 * The daily amount to push to `destination` for its `audiences`, or undefined: the event is not an
 * allocation change, the budget does not split to this destination, or its amount did not change.
 */
export function budgetPushCents(
  event: RelayEvent,
  destination: string,
  audiences: readonly string[],
): number | undefined {
  if (event.type !== ALLOCATION_CHANGED) return undefined;
  const parsed = AllocationChangedData.safeParse(event.data);
  if (!parsed.success) return undefined;
  const data = parsed.data;
  const mine = data.allocations.filter((allocation) => audiences.includes(allocation.audience));
  const now = channelCents(
    mine.map((allocation) => allocation.channels),
    destination,
  );
  if (now === undefined) return undefined;
  const today = dailyCents(now, data.period);
  if (data.previousPeriod === null) return today;
  const before = channelCents(
    mine.map((allocation) => allocation.previousChannels ?? []),
    destination,
  );
  if (before !== undefined && dailyCents(before, data.previousPeriod) === today) return undefined;
  return today;
}

/** The destination's cents over these splits; undefined when no split names it. */
function channelCents(
  splits: readonly { destination: string; cents: number }[][],
  destination: string,
): number | undefined {
  const parts = splits.flat().filter((channel) => channel.destination === destination);
  return parts.length === 0 ? undefined : parts.reduce((sum, channel) => sum + channel.cents, 0);
}
