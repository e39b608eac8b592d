import type { FanOutItem } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';
import type { StoredOutboxRow } from '../store/profile-port.js';
import { FOLD_RULES } from './fold.js';
import { mergePending } from './pending.js';

export const DELIVERY_CURSOR = 'delivery';
const PAGE = 1000;

export interface Subscriber {
  name: string;
  audiences: ReadonlySet<string>;
  traits: ReadonlySet<string>;
}

/**
 * Moves outbox rows into the pending queue of every destination that syncs them, and folds merged
 * profiles' delivered state into their survivors, in outbox order, advancing the delivery cursor in
 * the same transaction: a crash replays the page, and applying it is idempotent. Rows held by a
 * running rebuild are left for later.
 */
export async function fanOutNextPage(
  store: RelayStore,
  subscribers: Subscriber[],
  now: number,
): Promise<number> {
  const cursor = await store.readCursor(DELIVERY_CURSOR);
  const rows = await store.readDeliverableOutbox(cursor, PAGE);
  if (rows.length === 0) return 0;
  const items = rows.flatMap((row) => itemsFor(row, subscribers, now));
  await store.fanOut(items, (rows[rows.length - 1] as StoredOutboxRow).id, mergePending, FOLD_RULES);
  return rows.length;
}

function itemsFor(row: StoredOutboxRow, subscribers: Subscriber[], now: number): FanOutItem[] {
  const kind = row.kind;
  switch (kind) {
    case 'audience':
    case 'trait':
      return subscribers
        .filter((s) => (kind === 'audience' ? s.audiences : s.traits).has(row.name))
        .map((subscriber) => ({
          destination: subscriber.name,
          profileId: row.profileId,
          version: row.profileVersion,
          kind,
          name: row.name,
          value: JSON.parse(row.value) as unknown,
          messageId: row.messageId,
          eventReceivedAt: row.eventReceivedAt,
          at: now,
        }));
    case 'merge':
      // Every destination, subscribed or not to what changed: each keeps its own delivered state.
      return subscribers.map((subscriber) => ({
        kind: 'fold',
        destination: subscriber.name,
        profileId: row.profileId,
        mergedProfileId: row.name,
        keepMerged: keepsMerged(row.value),
        at: now,
      }));
    default:
      return ignoreUnknownKind(kind);
  }
}

/**
 * A kind this version does not know (written by a newer one) is skipped; the compiler proves every
 * known kind is handled above.
 */
function ignoreUnknownKind(kind: never): FanOutItem[] {
  void kind;
  return [];
}

/** A merge row's value: `null` (the merged profile is gone), or `{"keep":true}` (it lives on). */
function keepsMerged(value: string): boolean {
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && (parsed as { keep?: unknown }).keep === true;
  } catch {
    return false;
  }
}
