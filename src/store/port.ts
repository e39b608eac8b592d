/**
 * The storage contract every backend (SQLite embedded, PostgreSQL scale-out) implements.
 * Asynchronous and free of backend details; every table is keyed so it can be partitioned
 * (events and their dedupe rows by `shardKey`, profile state later by profile id).
 * The contract test suite in test/store/contract.ts proves a backend against it.
 */

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  source: string;
  messageId: string;
  type: EventType;
  /** Stable key an event is distributed by: derived from its first identifier (see docs/storage.md). */
  shardKey: string;
  userId: string | null;
  anonymousId: string | null;
  /** Event time in epoch ms (docs/intake.md "Normalisation"). */
  eventTime: number;
  receivedAt: number;
  /** The normalized event as JSON text. */
  body: string;
}

export interface StoredEvent extends Omit<NewEvent, 'body'> {
  seq: number;
  body: Record<string, unknown>;
}

export type AppendOutcome = 'stored' | 'duplicate';

/** Thrown (as a value the intake maps to 503) when the store cannot write right now. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

import type { BudgetStore } from './budget-port.js';
import type { DeliveryStore } from './delivery-port.js';
import type { ProfileStore } from './profile-port.js';
import type { RebuildStore } from './rebuild-port.js';
import type { ScoreStore } from './score-port.js';

/** What a backend implements: the event log, the profiles built from it, and their delivery. */
export interface RelayStore
  extends EventStore, ProfileStore, DeliveryStore, RebuildStore, BudgetStore, ScoreStore {}

export interface EventStore {
  readonly backend: string;
  /**
   * Appends events durably. Resolves once they are committed, one outcome per input in order;
   * an event whose (source, messageId) was seen within the dedupe window is a 'duplicate'.
   * Either every event of the call is committed or none is (rejects with StoreUnavailableError).
   */
  appendEvents(events: NewEvent[]): Promise<AppendOutcome[]>;
  /** Stored events with this messageId (one per source that sent it), oldest first. */
  findEventsByMessageId(messageId: string, source?: string): Promise<StoredEvent[]>;
  /** Events with seq greater than `afterSeq`, in seq order: the processing feed. */
  readEventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Stored events by seq (a profile's timeline), in the order asked; missing seqs are left out. */
  readEventsBySeq(seqs: number[]): Promise<StoredEvent[]>;
  countEvents(): Promise<number>;
  /** The highest seq stored so far (0 when empty). */
  lastSeq(): Promise<number>;
  /** Forgets dedupe keys received before `receivedBefore`; returns how many. */
  pruneDedupeKeys(receivedBefore: number): Promise<number>;
  /**
   * Deletes processed events (seq <= `processedSeq`) whose event time is before `eventTimeBefore`,
   * with their timeline rows; returns how many.
   */
  pruneEvents(eventTimeBefore: number, processedSeq: number): Promise<number>;
  /** Throws StoreUnavailableError when a write would fail now (readiness). */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}
