import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import { aliasTargetsOf, identifiersOf } from '../../identity/identifiers.js';
import { lookupKeysOf } from '../../identity/working-set.js';
import { sentByRelay } from '../../ingest/loop-guard.js';
import type { Identifier } from '../../mappings/schema.js';
import type { RelayStore, StoredEvent } from '../../store/port.js';
import type { IdentifierRef, ProcessingCommit } from '../../store/profile-port.js';
import type { BudgetValueSpec } from '../budget/contribution.js';
import { engineEventFromStored } from '../traits/engine-event.js';
import { applyToProfile, type AudienceRules, type TraitSetup } from './profile-state.js';
import { profileWorkingSet } from './profile-working-set.js';
import { fullStateRows, mergeRows } from './merge-outbox.js';
import { settleProfile, type Cause, type Settled, type SettleSetup } from './settle.js';

export const TRAITS_CURSOR = 'traits';

export interface ProcessingSetup {
  identifiers: readonly Identifier[];
  traits: TraitSetup;
  rules: AudienceRules;
  syncedTraits: readonly string[];
  /** How the budget audiences read their members' values (none without `budget:`). */
  budget?: readonly BudgetValueSpec[];
}

export interface ProcessorDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  setup: () => ProcessingSetup;
  /** False while a backfill has not yet reached this profile for this audience or trait. */
  isSettled: (key: string, profileId: string) => boolean;
  batchSize?: number;
}

/**
 * Consumes the event log in order. Each batch resolves identities, updates trait and rule state,
 * re-evaluates audiences, writes the outbox and advances the cursor in ONE transaction, so a crash
 * at any point replays the batch from the last committed cursor: nothing is counted or queued twice.
 * One loop per store, so every profile is processed by one worker at a time.
 */
export class EventProcessor {
  private readonly batchSize: number;

  constructor(private readonly deps: ProcessorDeps) {
    this.batchSize = deps.batchSize ?? 500;
  }

  /** Processes the next batch of stored events; returns how many it consumed (0 = caught up). */
  async processNextBatch(): Promise<number> {
    const { store } = this.deps;
    const cursor = await store.readCursor(TRAITS_CURSOR);
    const events = await store.readEventsAfter(cursor, this.batchSize);
    if (events.length === 0) return 0;
    const started = process.hrtime.bigint();
    const commit = await this.processEvents(events);
    await store.commitProcessing(commit);
    this.observe(events, commit, Number(process.hrtime.bigint() - started) / 1e9);
    return events.length;
  }

  private async processEvents(stored: StoredEvent[]): Promise<ProcessingCommit> {
    // Loop guard (docs/processing.md): what the relay sent itself is stored but applied to nobody.
    const events = stored.filter((event) => !this.isRelayEcho(event));
    const setup = this.deps.setup();
    const now = this.deps.clock.now();
    const refs = events.map((event) => ({
      identifiers: identifiersOf(event, setup.identifiers),
      aliases: aliasTargetsOf(event),
    }));
    const allRefs: IdentifierRef[] = lookupKeysOf(refs.flatMap((r) => [...r.identifiers, ...r.aliases]));
    const owners = await this.deps.store.findProfileIds(allRefs);
    const loaded = await this.deps.store.loadProfiles([...new Set(owners.values())]);
    const settled: Settled = { outbox: [], memberships: [] };
    const workingSet = profileWorkingSet(owners, loaded, setup);
    const settleSetup: SettleSetup = { ...setup, isSettled: this.deps.isSettled };
    const profileEvents: ProcessingCommit['profileEvents'] = [];
    events.forEach((event, index) => {
      const { identifiers, aliases } = refs[index] as (typeof refs)[number];
      const resolved = workingSet.resolve(event, identifiers, aliases, now);
      if (!resolved) {
        this.deps.metrics.eventsUnattributedTotal.inc({ source: event.source });
        return;
      }
      const { profile, mergedAway } = resolved;
      const cause: Cause = {
        kind: mergedAway.length > 0 ? 'merge' : 'event',
        eventReceivedAt: event.receivedAt,
        messageId: event.messageId,
      };
      const before = Object.keys(profile.state.memberships);
      settled.outbox.push(...mergeRows(profile, mergedAway, now, cause));
      this.noteIfLate(event, now, setup.traits.allowedLatenessMs);
      profile.state = applyToProfile(
        profile.state,
        engineEventFromStored(event),
        setup.traits,
        setup.rules,
        now,
      );
      settleProfile(profile, settleSetup, now, cause, settled);
      if (mergedAway.length > 0) {
        settled.outbox.push(...fullStateRows(profile, mergedAway, before, settleSetup, now, cause));
      }
      profileEvents.push({ profileId: profile.id, seq: event.seq, eventTime: event.eventTime });
    });
    const last = stored[stored.length - 1] as StoredEvent;
    const commit = workingSet.toCommit({ name: TRAITS_CURSOR, seq: last.seq }, profileEvents);
    // A profile merged away later in the batch is in no audience: its earlier changes are void.
    const memberships = settled.memberships.filter((c) => workingSet.liveId(c.profileId) === c.profileId);
    return { ...commit, outbox: settled.outbox, memberships };
  }

  private isRelayEcho(event: StoredEvent): boolean {
    if (!sentByRelay(event.body)) return false;
    this.deps.metrics.relayEchoEventsTotal.inc({ source: event.source });
    return true;
  }

  /** Late events are kept and counted but skip windowed traits (the engine decides that). */
  private noteIfLate(event: StoredEvent, now: number, allowedLatenessMs: number): void {
    const lateByMs = now - allowedLatenessMs - event.eventTime;
    if (lateByMs <= 0) return;
    this.deps.metrics.lateEventsTotal.inc({ source: event.source });
    this.deps.logger.debug({ messageId: event.messageId, lateByMs }, 'event older than allowed lateness');
  }

  private observe(events: StoredEvent[], commit: ProcessingCommit, seconds: number): void {
    const { metrics, clock } = this.deps;
    metrics.eventsProcessedTotal.inc(events.length);
    metrics.outboxRowsTotal.inc({ cause: 'event' }, commit.outbox.length);
    for (const merge of commit.merges) metrics.mergesTotal.inc({ reason: merge.reason });
    metrics.processingBatchSeconds.observe(seconds);
    const last = events[events.length - 1] as StoredEvent;
    metrics.processingLagSeconds.set(Math.max(0, clock.now() - last.receivedAt) / 1000);
  }
}
