import type { FanOutChange } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';
import type { StoredOutboxRow } from '../store/profile-port.js';
import { mergePending } from './pending.js';

export const DELIVERY_CURSOR = 'delivery';
const PAGE = 1000;

export interface Subscriber {
  name: string;
  audiences: ReadonlySet<string>;
  traits: ReadonlySet<string>;
}

/**
 * Moves outbox rows into the pending queue of every destination that syncs them, and advances the
 * delivery cursor in the same transaction: a crash replays the page, and merging is idempotent.
 */
export async function fanOutNextPage(
  store: RelayStore,
  subscribers: Subscriber[],
  now: number,
): Promise<number> {
  const cursor = await store.readCursor(DELIVERY_CURSOR);
  const rows = await store.readOutbox(cursor, PAGE);
  if (rows.length === 0) return 0;
  const changes = rows.flatMap((row) => changesFor(row, subscribers, now));
  await store.fanOut(changes, (rows[rows.length - 1] as StoredOutboxRow).id, mergePending);
  return rows.length;
}

function changesFor(row: StoredOutboxRow, subscribers: Subscriber[], now: number): FanOutChange[] {
  const wanted = subscribers.filter((s) => (row.kind === 'audience' ? s.audiences : s.traits).has(row.name));
  return wanted.map((subscriber) => ({
    destination: subscriber.name,
    profileId: row.profileId,
    version: row.profileVersion,
    kind: row.kind,
    name: row.name,
    value: JSON.parse(row.value) as unknown,
    messageId: row.messageId,
    eventReceivedAt: row.eventReceivedAt,
    at: now,
  }));
}
