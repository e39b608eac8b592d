import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RelayStore } from '../../store/port.js';
import { identifierKey, type IdentifierRef, type OutboxRow } from '../../store/profile-port.js';
import type { RebuildPage, RebuildRecord } from '../../store/rebuild-port.js';
import { TRAITS_CURSOR, type ProcessingSetup } from './processor.js';
import { parseProfileState } from './profile-state.js';

const PAGE_SIZE = 200;

export interface RebuildDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  setup: () => ProcessingSetup;
  /** False while a backfill has not reached this profile for this audience or trait yet. */
  isSettled: (key: string, profileId: string) => boolean;
  /** Called once a rebuild has started (every definition is ready now: backfills forget their work). */
  afterStart: () => Promise<void>;
}

/**
 * Rebuilds every profile from the event log without stopping intake (docs/processing.md, "Rebuild"),
 * one step at a time inside the processing loop, which is the only writer of profile state:
 *
 * 1. `requested` -> start: the derived profile tables are emptied (who owned which identifier and
 *    audience is kept aside), the processing cursor goes back to 0, fan-out holds new outbox rows;
 * 2. `replaying`: the event processor replays the log (and goes on with new events);
 * 3. `folding`, once it reached the newest event at the start: the replay's outbox rows are
 *    discarded, and for every old profile id, what destinations were told of it is folded into the
 *    live profiles that now hold its identifiers (outbox `merge` rows);
 * 4. `emitting`: every live profile's full memberships and synced traits go to the outbox, so
 *    delivery sends each destination only what differs from what it was told; then fan-out resumes.
 *
 * Every step is one transaction and the state is in the store, so a crash resumes where it stopped.
 */
export class ProfileRebuild {
  private current: RebuildRecord | undefined;

  constructor(private readonly deps: RebuildDeps) {}

  /** Reads the rebuild in progress (before the loop starts, so the first batch knows it). */
  async init(): Promise<void> {
    this.current = await this.deps.store.latestRebuild();
  }

  /** True while events are replayed: they are history, so windowed traits take them however late. */
  get replaying(): boolean {
    return this.current?.status === 'replaying';
  }

  /** One step of the rebuild in progress; returns how much it did (0: nothing to do now). */
  async step(): Promise<number> {
    const rebuild = await this.deps.store.latestRebuild();
    this.current = rebuild;
    if (!rebuild || rebuild.status === 'done') return 0;
    try {
      return await this.advance(rebuild);
    } catch (error) {
      await this.deps.store.noteRebuildError(rebuild.id, (error as Error).message).catch(() => undefined);
      throw error;
    }
  }

  private async advance(rebuild: RebuildRecord): Promise<number> {
    const { store, clock, logger } = this.deps;
    switch (rebuild.status) {
      case 'requested': {
        this.current = await store.startRebuild(rebuild.id, clock.now(), TRAITS_CURSOR);
        await this.deps.afterStart();
        logger.info({ rebuild: rebuild.id, events: this.current.targetSeq }, 'rebuild started');
        this.observeEvents(0, this.current.targetSeq ?? 0);
        return 1;
      }
      case 'replaying': {
        const target = rebuild.targetSeq ?? 0;
        const cursor = await store.readCursor(TRAITS_CURSOR);
        this.observeEvents(Math.min(cursor, target), target);
        if (cursor < target) return 0; // the event processor is replaying
        await store.endReplay(rebuild.id);
        logger.info({ rebuild: rebuild.id }, 'rebuild replayed the event log; folding delivery state');
        return 1;
      }
      case 'folding':
        return this.foldPage(rebuild);
      case 'emitting':
        return this.emitPage(rebuild);
      case 'done':
        return 0;
    }
  }

  /**
   * For a page of old profile ids: each live profile now holding some of an old profile's identifiers
   * takes over what destinations were told of it. The old profile's own delivery state is kept while
   * it lives on or has further heirs; the last heir of a gone profile drops it.
   */
  private async foldPage(rebuild: RebuildRecord): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const ids = await store.oldProfileIds(rebuild.phaseAfter, PAGE_SIZE);
    if (ids.length === 0) {
      await store.beginEmitting(rebuild.id);
      return 1;
    }
    const page: RebuildPage = {
      phaseAfter: ids.at(-1) as string,
      profilesDone: rebuild.profilesDone + ids.length,
      outbox: [],
      memberships: [],
      moveHistory: [],
    };
    const oldMembers = await store.oldMembershipsOf(ids);
    for (const id of ids) {
      const heirs = await this.heirsOf(await store.oldIdentifiersOf(id));
      const lives = heirs.includes(id) || (await store.loadProfiles([id])).length > 0;
      const others = heirs.filter((heir) => heir !== id);
      others.forEach((heir, i) => {
        const keep = lives || i < others.length - 1;
        page.outbox.push(outboxRow(heir, 'merge', id, keep ? '{"keep":true}' : 'null', 0, now));
      });
      if (lives) continue;
      for (const audience of oldMembers.get(id) ?? [])
        page.memberships.push({ profileId: id, audience, member: false, at: now });
      const last = others.at(-1);
      if (last !== undefined) page.moveHistory.push({ from: id, to: last });
    }
    await store.commitRebuildPage(rebuild.id, page);
    this.observeProfiles(page.profilesDone, rebuild.profilesTotal);
    this.deps.metrics.outboxRowsTotal.inc({ cause: 'rebuild' }, page.outbox.length);
    return ids.length;
  }

  /**
   * For a page of live profiles: every audience (member or not) and every synced trait, so each
   * destination's pending change holds the rebuilt state; delivery sends only what differs.
   */
  private async emitPage(rebuild: RebuildRecord): Promise<number> {
    const { store, clock, logger } = this.deps;
    const now = clock.now();
    const ids = await store.listProfileIds(rebuild.phaseAfter, PAGE_SIZE);
    if (ids.length === 0) {
      await store.completeRebuild(rebuild.id, now);
      this.current = await store.latestRebuild();
      logger.info({ rebuild: rebuild.id }, 'rebuild done');
      return 1;
    }
    const setup = this.deps.setup();
    const page: RebuildPage = {
      phaseAfter: ids.at(-1) as string,
      profilesDone: rebuild.profilesDone + ids.length,
      outbox: [],
      memberships: [],
      moveHistory: [],
    };
    const oldMembers = await store.oldMembershipsOf(ids);
    for (const record of await store.loadProfiles(ids)) {
      const state = parseProfileState(record.state, setup.traits);
      const settled = (key: string) => this.deps.isSettled(key, record.id);
      for (const audience of setup.rules.names) {
        if (!settled(`audience:${audience}`)) continue;
        const member = state.memberships[audience] === true;
        page.outbox.push(outboxRow(record.id, 'audience', audience, String(member), record.version, now));
      }
      for (const name of setup.syncedTraits) {
        if (!settled(`trait:${name.split('.')[0]}`)) continue;
        const value = state.synced[name] ?? 'null';
        page.outbox.push(outboxRow(record.id, 'trait', name, value, record.version, now));
      }
      const before = new Set(oldMembers.get(record.id) ?? []);
      const after = new Set(Object.keys(state.memberships).filter((name) => state.memberships[name]));
      for (const audience of after)
        if (!before.has(audience))
          page.memberships.push({ profileId: record.id, audience, member: true, at: now });
      for (const audience of before)
        if (!after.has(audience))
          page.memberships.push({ profileId: record.id, audience, member: false, at: now });
    }
    await store.commitRebuildPage(rebuild.id, page);
    this.observeProfiles(page.profilesDone, rebuild.profilesTotal);
    this.deps.metrics.outboxRowsTotal.inc({ cause: 'rebuild' }, page.outbox.length);
    return ids.length;
  }

  /** The live profiles owning these identifiers now (a userId or anonymousId may be held as an alias). */
  private async heirsOf(identifiers: IdentifierRef[]): Promise<string[]> {
    const keys = identifiers.flatMap((ref): IdentifierRef[] =>
      ref.kind === 'userId' || ref.kind === 'anonymousId'
        ? [ref, { kind: 'alias', value: ref.value }]
        : [ref],
    );
    const owners = await this.deps.store.findProfileIds(keys);
    return [
      ...new Set(keys.map((ref) => owners.get(identifierKey(ref))).filter((id) => id !== undefined)),
    ].sort();
  }

  private observeEvents(done: number, total: number): void {
    this.deps.metrics.rebuildEvents.set({ state: 'done' }, done);
    this.deps.metrics.rebuildEvents.set({ state: 'total' }, total);
  }

  private observeProfiles(done: number, total: number): void {
    this.deps.metrics.rebuildProfiles.set({ state: 'done' }, done);
    this.deps.metrics.rebuildProfiles.set({ state: 'total' }, total);
  }
}

function outboxRow(
  profileId: string,
  kind: OutboxRow['kind'],
  name: string,
  value: string,
  profileVersion: number,
  at: number,
): OutboxRow {
  return { profileId, kind, name, value, profileVersion, at, eventReceivedAt: null, messageId: null };
}
