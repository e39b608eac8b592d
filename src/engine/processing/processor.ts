import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import { aliasTargetsOf, identifiersOf } from '../../identity/identifiers.js';
import { IdentityWorkingSet } from '../../identity/working-set.js';
import type { Identifier } from '../../mappings/schema.js';
import type { RelayStore, StoredEvent } from '../../store/port.js';
import type { IdentifierRef, ProcessingCommit } from '../../store/profile-port.js';
import { engineEventFromStored } from '../traits/engine-event.js';
import {
  applyToProfile,
  emptyProfileState,
  mergeProfiles,
  parseProfileState,
  type ProfileState,
  type TraitSetup,
} from './profile-state.js';

export const TRAITS_CURSOR = 'traits';

export interface ProcessingSetup {
  identifiers: readonly Identifier[];
  traits: TraitSetup;
}

export interface ProcessorDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  setup: () => ProcessingSetup;
  batchSize?: number;
}

/**
 * Consumes the event log in order. Each batch resolves identities, updates trait state and
 * advances the cursor in ONE transaction, so a crash at any point replays the batch from the
 * last committed cursor and nothing is counted twice. One loop per store: every profile is
 * processed by one worker at a time.
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
    this.observe(events, Number(process.hrtime.bigint() - started) / 1e9);
    return events.length;
  }

  private async processEvents(events: StoredEvent[]): Promise<ProcessingCommit> {
    const setup = this.deps.setup();
    const now = this.deps.clock.now();
    const refs = events.map((event) => ({
      identifiers: identifiersOf(event, setup.identifiers),
      aliases: aliasTargetsOf(event),
    }));
    const allRefs: IdentifierRef[] = refs.flatMap((r) => [...r.identifiers, ...r.aliases]);
    const owners = await this.deps.store.findProfileIds(allRefs);
    const loaded = await this.deps.store.loadProfiles([...new Set(owners.values())]);
    const workingSet = new IdentityWorkingSet<ProfileState>(owners, loaded, {
      parseState: (text) => parseProfileState(text, setup.traits),
      emptyState: () => emptyProfileState(setup.traits),
      mergeStates: (into, from) => mergeProfiles(into, from, setup.traits),
      serializeState: (state) => JSON.stringify(state),
    });
    const profileEvents: ProcessingCommit['profileEvents'] = [];
    events.forEach((event, index) => {
      const { identifiers, aliases } = refs[index] as (typeof refs)[number];
      if (identifiers.length === 0) return;
      const profile = workingSet.resolve(event, identifiers, aliases, now);
      profile.state = applyToProfile(profile.state, engineEventFromStored(event), setup.traits, now);
      profileEvents.push({ profileId: profile.id, seq: event.seq, eventTime: event.eventTime });
    });
    const last = events[events.length - 1] as StoredEvent;
    return workingSet.toCommit({ name: TRAITS_CURSOR, seq: last.seq }, profileEvents);
  }

  private observe(events: StoredEvent[], seconds: number): void {
    const { metrics, clock } = this.deps;
    metrics.eventsProcessedTotal.inc(events.length);
    metrics.processingBatchSeconds.observe(seconds);
    const last = events[events.length - 1] as StoredEvent;
    metrics.processingLagSeconds.set(Math.max(0, clock.now() - last.receivedAt) / 1000);
  }
}
