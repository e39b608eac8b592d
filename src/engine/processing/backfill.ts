import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RelayStore, StoredEvent } from '../../store/port.js';
import type { TraitDefinitionRow } from '../../store/profile-port.js';
import { engineEventFromStored } from '../traits/engine-event.js';
import type { ProcessingSetup } from './processor.js';
import type { ProfileState } from './profile-state.js';
import { profileWorkingSet } from './profile-working-set.js';
import { settleProfile, type Cause, type Settled } from './settle.js';

const PAGE_SIZE = 100;

export interface BackfillDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  setup: () => ProcessingSetup;
  /** Hash of every definition in force, keyed `trait:<name>` and `audience:<name>`. */
  definitions: () => Record<string, string>;
}

/**
 * Computes a new or changed trait, or evaluates a new or changed audience, for every existing profile
 * from its stored events: a page of profiles at a time between processing batches, so intake and
 * processing go on meanwhile. Until the backfill has passed a profile, that audience or trait is
 * not diffed for it (`isSettled`), so partial history never causes a false entry.
 */
export class DefinitionBackfill {
  /** Pending backfills: key -> the last profile id done (profiles are walked in id order). */
  private readonly pending = new Map<string, string>();

  constructor(private readonly deps: BackfillDeps) {}

  isSettled = (key: string, profileId: string): boolean => {
    const after = this.pending.get(key);
    return after === undefined || profileId <= after;
  };

  /** Compares the definitions in force with the stored ones and starts a backfill for each new or changed one. */
  async reconcile(): Promise<void> {
    const { store, clock } = this.deps;
    const hashes = this.deps.definitions();
    const stored = new Map((await store.traitDefinitions()).map((row) => [row.name, row]));
    const total = await store.countProfiles();
    const changed: TraitDefinitionRow[] = [];
    for (const [name, hash] of Object.entries(hashes)) {
      if (stored.get(name)?.hash === hash) continue;
      const status = total === 0 ? 'ready' : 'backfilling';
      changed.push({ name, hash, status, afterProfile: '', done: 0, total, updatedAt: clock.now() });
      if (status === 'backfilling')
        this.deps.logger.info({ definition: name, profiles: total }, 'backfill started');
    }
    const removed = [...stored.keys()].filter((name) => hashes[name] === undefined);
    if (changed.length > 0 || removed.length > 0) await store.saveTraitDefinitions(changed, removed);
    await this.refresh();
  }

  /** Rebuilds one page of profiles for the first pending definition; returns how many profiles it rebuilt. */
  async step(): Promise<number> {
    const pending = (await this.deps.store.traitDefinitions()).find((row) => row.status === 'backfilling');
    if (!pending || this.deps.definitions()[pending.name] !== pending.hash) return 0;
    const { store, clock } = this.deps;
    const now = clock.now();
    const setup = this.deps.setup();
    const ids = await store.listProfileIds(pending.afterProfile, PAGE_SIZE);
    const loaded = await store.loadProfiles(ids);
    const settled: Settled = { outbox: [], memberships: [] };
    const workingSet = profileWorkingSet(new Map(), loaded, setup);
    for (const record of loaded) {
      const profile = workingSet.touch(record.id, now);
      if (!profile) continue;
      // Budget value specs need no history: settling recomputes the profile's contributions.
      if (!pending.name.startsWith('budget:')) {
        const events = await store.readEventsBySeq(await store.profileEventSeqs(record.id));
        profile.state = rebuild(profile.state, pending.name, events, setup, now);
      }
      this.pending.set(pending.name, record.id);
      const cause: Cause = { kind: 'backfill', eventReceivedAt: null, messageId: null };
      settleProfile(profile, { ...setup, isSettled: this.isSettled }, now, cause, settled);
    }
    const commit = workingSet.toCommit(undefined, []);
    await store.commitProcessing({ ...commit, outbox: settled.outbox, memberships: settled.memberships });
    this.deps.metrics.outboxRowsTotal.inc({ cause: 'backfill' }, settled.outbox.length);
    await this.saveProgress(pending, ids);
    return Math.max(ids.length, 1);
  }

  async status(): Promise<TraitDefinitionRow[]> {
    return this.deps.store.traitDefinitions();
  }

  private async saveProgress(pending: TraitDefinitionRow, ids: string[]): Promise<void> {
    const finished = ids.length < PAGE_SIZE;
    const row: TraitDefinitionRow = {
      ...pending,
      afterProfile: ids.at(-1) ?? pending.afterProfile,
      done: pending.done + ids.length,
      total: Math.max(pending.total, pending.done + ids.length),
      status: finished ? 'ready' : 'backfilling',
      updatedAt: this.deps.clock.now(),
    };
    await this.deps.store.saveTraitDefinitions([row], []);
    if (finished) this.deps.logger.info({ definition: row.name, profiles: row.done }, 'backfill finished');
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    this.pending.clear();
    for (const row of await this.deps.store.traitDefinitions()) {
      if (row.status === 'backfilling') this.pending.set(row.name, row.afterProfile);
      this.deps.metrics.backfillProfiles.set({ definition: row.name, state: 'done' }, row.done);
      this.deps.metrics.backfillProfiles.set({ definition: row.name, state: 'total' }, row.total);
    }
  }
}

/** A trait's state, or the audiences' `performed` state, recomputed from the profile's whole timeline. */
function rebuild(
  state: ProfileState,
  key: string,
  events: StoredEvent[],
  setup: ProcessingSetup,
  now: number,
): ProfileState {
  const [kind, name = ''] = key.split(':', 2) as [string, string];
  if (kind === 'audience') {
    let performed = setup.rules.emptyPerformed();
    for (const event of events)
      performed = setup.rules.applyEvent(performed, engineEventFromStored(event), now);
    return { ...state, performed };
  }
  const engine = setup.traits.single[name];
  if (!engine) return state;
  let rebuilt = engine.emptyState();
  for (const event of events) {
    rebuilt = engine.applyEvent(rebuilt, engineEventFromStored(event), { now, allowedLatenessMs: Infinity });
  }
  state.computed[name] = rebuilt.computed[name];
  state.definitions[name] = setup.traits.hashes[name] as string;
  return state;
}
