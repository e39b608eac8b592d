/**
 * Delivery storage: pending changes per (destination, profile), what each destination was last told,
 * dead letters and the delivery log. Every table is keyed by destination and profile (or time).
 * Read-modify-write steps take the pure merge function from the caller and run it inside one
 * transaction, so the rules live in src/delivery and atomicity in the store.
 */

export interface ChangeSet {
  version: number;
  audiences: Record<string, boolean>;
  traits: Record<string, unknown>;
}

export interface PendingChange extends ChangeSet {
  destination: string;
  profileId: string;
  /** Message ids of the events that caused it (capped). */
  causedBy: string[];
  /** Receive time of the earliest event behind it: event-to-delivery latency starts there. */
  firstReceivedAt: number | null;
  enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  firstAttemptAt: number | null;
  lastError: string | null;
}

export interface FanOutChange {
  destination: string;
  profileId: string;
  version: number;
  kind: 'audience' | 'trait';
  name: string;
  value: unknown;
  messageId: string | null;
  eventReceivedAt: number | null;
  at: number;
}

/**
 * A merge reaching one destination: what it was told of `mergedProfileId` now concerns `profileId`
 * (the survivor). Unless `keepMerged` (a rebuild moved only some of a live profile's identifiers),
 * the merged profile's pending change and delivered state are dropped.
 */
export interface FanOutFold {
  kind: 'fold';
  destination: string;
  profileId: string;
  mergedProfileId: string;
  keepMerged: boolean;
  at: number;
}

/** One fan-out step, applied in outbox order. */
export type FanOutItem = FanOutChange | FanOutFold;

/** Pure: the pending row after a change arrives (the latest value of each key wins). */
export type MergePending = (existing: PendingChange | undefined, change: FanOutChange) => PendingChange;

/**
 * What a destination was last told of a profile. An audience `null`, or a trait holding the
 * unknown marker of src/delivery/fold.ts, is unknown since a merge: the next change re-sends it.
 */
export interface DeliveredState {
  version: number;
  audiences: Record<string, boolean | null>;
  traits: Record<string, unknown>;
}

/** Pure rules (src/delivery/fold.ts) for the delivered state of merged profiles. */
export interface FoldRules {
  /** The survivor's delivered state once the merged profile's identifiers joined it. */
  fold: (
    survivor: DeliveredState | undefined,
    merged: DeliveredState | undefined,
  ) => DeliveredState | undefined;
  /** The survivor's delivered state once a request sent for the merged profile, in flight during the merge, succeeded. */
  lateDelivery: (survivor: DeliveredState | undefined, sent: ChangeSet) => DeliveredState;
}

/**
 * A set destination's key set (the platform's hashed key fields) per audience: added under it, or
 * `null` when removed. Recorded in the ledger only when the result is `delivered`.
 */
export type HoldChange = Record<string, Record<string, string> | null>;

/**
 * What a request did for one profile's keys. Several results may name one profile (a change split
 * across requests): delivered and dead keys settle first, then a retry keeps the rest pending with
 * its backoff.
 */
export type DeliveryResult =
  | {
      profileId: string;
      kind: 'delivered';
      sent: ChangeSet;
      hold?: HoldChange;
      /** Kept per (destination, profile) and given back to the destination with later changes. */
      remember?: Record<string, string>;
    }
  | { profileId: string; kind: 'retry'; sent: ChangeSet; reason: string; nextAttemptAt: number }
  | { profileId: string; kind: 'dead'; sent: ChangeSet; reason: string };

/** Pure: what is still pending after `sent` was delivered (keys sent and unchanged since are done). */
export type ReconcilePending = (pending: PendingChange, sent: ChangeSet) => PendingChange | null;

export interface DeadLetter {
  id: number;
  destination: string;
  profileId: string;
  change: ChangeSet & { causedBy: string[] };
  reason: string;
  attempts: number;
  firstAttemptAt: number | null;
  deadAt: number;
  replayedAt: number | null;
}

export interface DeliveryLogEntry {
  id?: number;
  destination: string;
  at: number;
  /** HTTP status, or `timeout`, `network`, `skipped`. */
  status: string;
  attempt: number;
  latencyMs: number;
  items: number;
  profileIds: string[];
  messageIds: string[];
  requestBody: string;
  responseExcerpt: string;
  /** Per-item outcomes, summarized (e.g. `2 ok, 1 retry: 429`). */
  outcome: string;
  /** The ad audience the request wrote to. */
  audience?: string;
  /** What the platform reported (invalid entries, an id to poll), as JSON-able values. */
  report?: { invalidEntries?: number; received?: number; asyncId?: string; note?: string };
  /** The asynchronous result: `pending` until polled to its end. */
  asyncState?: 'pending' | 'done';
  asyncResult?: { status: string; detail: string; at: number };
  nextPollAt?: number;
}

/** Per (destination, audience): what we believe the platform holds and what it was sent. */
export interface MatchStats {
  destination: string;
  audience: string;
  /** People in the ledger: what we believe the platform holds. */
  held: number;
  added: number;
  removed: number;
  invalidEntries: number;
  updatedAt: number | null;
}

export interface DeliveryLogQuery {
  destination?: string;
  status?: string;
  profileId?: string;
  text?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface DeliveryStore {
  /**
   * Applies outbox changes (merged into pending rows) and folds (merges of profiles), in order, and
   * advances the `delivery` cursor, atomically. A fold also remembers where the merged profile went,
   * so a request for it still in flight settles into the survivor.
   */
  fanOut(items: FanOutItem[], outboxId: number, merge: MergePending, folds: FoldRules): Promise<void>;
  duePending(destination: string, now: number, limit: number): Promise<PendingChange[]>;
  /** Enqueue time of the oldest pending change that is due, for the max-wait flush. */
  oldestDue(destination: string, now: number): Promise<number | undefined>;
  pendingCount(destination: string): Promise<number>;
  /**
   * Records a request's results (delivered state, retries, dead letters) and its delivery-log entries
   * in one transaction: a request that changed the queue is always in the log. A delivered result for
   * a profile folded away meanwhile updates the survivor's delivered state (`folds.lateDelivery`).
   */
  settleDelivery(
    destination: string,
    results: DeliveryResult[],
    now: number,
    reconcile: ReconcilePending,
    log: DeliveryLogEntry[],
    folds: FoldRules,
  ): Promise<void>;
  searchDeliveryLog(query: DeliveryLogQuery): Promise<DeliveryLogEntry[]>;
  pruneDeliveryLog(before: number): Promise<number>;
  deadLetters(query: {
    destination?: string;
    includeReplayed?: boolean;
    limit: number;
  }): Promise<DeadLetter[]>;
  /**
   * Puts dead letters back in the queue (merged with anything pending, whose values win) and marks
   * them replayed; returns how many. Audiences and traits the destination has been sent at a newer
   * profile version since are left out: a replay never sends an older state after a newer one.
   */
  replayDeadLetters(ids: number[] | 'all', destination: string | undefined, now: number): Promise<number>;
  deliveredState(destination: string, profileId: string): Promise<DeliveredState | undefined>;
  /** Per profile, per audience: the key sets a set destination holds the person under. */
  heldKeys(
    destination: string,
    profileIds: string[],
  ): Promise<Map<string, Record<string, Record<string, string>[]>>>;
  /** Per profile: what the destination's answers taught (`remember`). */
  destinationMemory(destination: string, profileIds: string[]): Promise<Map<string, Record<string, string>>>;
  /** Delivery-log entries whose asynchronous result is due to be polled. */
  dueAsyncPolls(destination: string, now: number, limit: number): Promise<DeliveryLogEntry[]>;
  /** Records a poll: the final result (`done`), or when to poll again. */
  recordAsyncPoll(
    id: number,
    result:
      | { state: 'pending'; nextPollAt: number }
      | { state: 'done'; status: string; detail: string; at: number },
  ): Promise<void>;
  /** The match view of every set destination (or one). */
  matchStats(destination?: string): Promise<MatchStats[]>;
}
