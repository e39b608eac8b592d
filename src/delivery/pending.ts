import type { ChangeSet, DeliveredState, FanOutChange, PendingChange } from '../store/delivery-port.js';
import { isUnknownTrait } from './fold.js';

const MAX_CAUSES = 20;

/** A change joins the pending row of its (destination, profile): the latest value of each key wins. */
export function mergePending(existing: PendingChange | undefined, change: FanOutChange): PendingChange {
  const base: PendingChange = existing ?? {
    destination: change.destination,
    profileId: change.profileId,
    version: 0,
    audiences: {},
    traits: {},
    causedBy: [],
    firstReceivedAt: null,
    enqueuedAt: change.at,
    attempts: 0,
    nextAttemptAt: change.at,
    firstAttemptAt: null,
    lastError: null,
  };
  const next: PendingChange = {
    ...base,
    version: Math.max(base.version, change.version),
    audiences: { ...base.audiences },
    traits: { ...base.traits },
    causedBy: change.messageId ? [...base.causedBy, change.messageId].slice(-MAX_CAUSES) : base.causedBy,
    firstReceivedAt: earliest(base.firstReceivedAt, change.eventReceivedAt),
  };
  if (change.kind === 'audience') next.audiences[change.name] = change.value === true;
  else next.traits[change.name] = change.value;
  return next;
}

/**
 * What still has to be sent: the pending keys whose value differs from what the destination was
 * last told. An audience entered and exited before a flush is no change at all. A value unknown
 * since a merge (`null` audience, unknown-marker trait) differs from every value.
 */
export function netChange(pending: ChangeSet, delivered: DeliveredState | undefined): ChangeSet {
  const audiences = Object.fromEntries(
    Object.entries(pending.audiences).filter(([name, member]) => {
      const told = delivered?.audiences[name];
      return told === null || (told ?? false) !== member;
    }),
  );
  const traits = Object.fromEntries(
    Object.entries(pending.traits).filter(([name, value]) => {
      const told = delivered?.traits[name];
      return isUnknownTrait(told) || JSON.stringify(told ?? null) !== JSON.stringify(value ?? null);
    }),
  );
  return { version: pending.version, audiences, traits };
}

export function isEmpty(change: ChangeSet): boolean {
  return Object.keys(change.audiences).length === 0 && Object.keys(change.traits).length === 0;
}

/** After `sent` was handled, the keys that changed again meanwhile stay pending; the rest are done. */
export function reconcilePending(pending: PendingChange, sent: ChangeSet): PendingChange | null {
  const audiences = Object.fromEntries(
    Object.entries(pending.audiences).filter(([name, member]) => sent.audiences[name] !== member),
  );
  const traits = Object.fromEntries(
    Object.entries(pending.traits).filter(
      ([name, value]) =>
        !(name in sent.traits) || JSON.stringify(sent.traits[name]) !== JSON.stringify(value),
    ),
  );
  const rest = { ...pending, audiences, traits };
  return isEmpty(rest) ? null : rest;
}

/** Exponential backoff with full jitter: 1 s, 2 s, 4 s ... capped at 5 minutes, never below `minimumMs`. */
export function retryDelayMs(attempt: number, minimumMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(300_000, 1_000 * 2 ** Math.min(attempt, 20));
  return Math.max(minimumMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
