import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RelayStore } from '../../store/port.js';
import type { TraitDefinitionRow } from '../../store/profile-port.js';
import { engineEventFromStored } from '../traits/engine-event.js';
import { parseProfileState, type TraitSetup } from './profile-state.js';

const PAGE_SIZE = 100;

export interface BackfillDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  traits: () => TraitSetup;
}

/**
 * Computes a new or changed trait for every existing profile from its stored events, a page of
 * profiles at a time between processing batches, so intake and processing go on meanwhile.
 */
export class TraitBackfill {
  constructor(private readonly deps: BackfillDeps) {}

  /** Compares the definitions in force with the stored ones and starts a backfill for each new or changed one. */
  async reconcile(): Promise<void> {
    const { store, clock } = this.deps;
    const hashes = this.deps.traits().hashes;
    const stored = new Map((await store.traitDefinitions()).map((row) => [row.name, row]));
    const total = await store.countProfiles();
    const changed: TraitDefinitionRow[] = [];
    for (const [name, hash] of Object.entries(hashes)) {
      if (stored.get(name)?.hash === hash) continue;
      const status = total === 0 ? 'ready' : 'backfilling';
      changed.push({ name, hash, status, afterProfile: '', done: 0, total, updatedAt: clock.now() });
      if (status === 'backfilling')
        this.deps.logger.info({ trait: name, profiles: total }, 'trait backfill started');
    }
    const removed = [...stored.keys()].filter((name) => hashes[name] === undefined);
    if (changed.length > 0 || removed.length > 0) await store.saveTraitDefinitions(changed, removed);
    await this.publish();
  }

  /** Rebuilds one page of profiles for the first pending trait; returns how many profiles it rebuilt. */
  async step(): Promise<number> {
    const pending = (await this.deps.store.traitDefinitions()).find((row) => row.status === 'backfilling');
    if (!pending) return 0;
    const setup = this.deps.traits();
    if (setup.hashes[pending.name] !== pending.hash) return 0; // superseded; reconcile restarts it
    const ids = await this.deps.store.listProfileIds(pending.afterProfile, PAGE_SIZE);
    const updates = [];
    for (const id of ids) {
      const update = await this.rebuild(id, pending.name, setup);
      if (update) updates.push(update);
    }
    await this.deps.store.saveProfileStates(updates);
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
    if (finished) this.deps.logger.info({ trait: row.name, profiles: row.done }, 'trait backfill finished');
    await this.publish();
    return Math.max(ids.length, 1);
  }

  async status(): Promise<TraitDefinitionRow[]> {
    return this.deps.store.traitDefinitions();
  }

  private async rebuild(profileId: string, trait: string, setup: TraitSetup) {
    const { store } = this.deps;
    const [profile] = await store.loadProfiles([profileId]);
    const engine = setup.single[trait];
    if (!profile || !engine) return undefined;
    const events = await store.readEventsBySeq(await store.profileEventSeqs(profileId));
    const now = this.deps.clock.now();
    let rebuilt = engine.emptyState();
    for (const event of events) {
      rebuilt = engine.applyEvent(rebuilt, engineEventFromStored(event), {
        now,
        allowedLatenessMs: Infinity,
      });
    }
    const state = parseProfileState(profile.state, setup);
    state.computed[trait] = rebuilt.computed[trait];
    state.definitions[trait] = setup.hashes[trait] as string;
    return { id: profileId, state: JSON.stringify(state), version: profile.version };
  }

  private async publish(): Promise<void> {
    for (const row of await this.deps.store.traitDefinitions()) {
      this.deps.metrics.backfillProfiles.set({ trait: row.name, state: 'done' }, row.done);
      this.deps.metrics.backfillProfiles.set({ trait: row.name, state: 'total' }, row.total);
    }
  }
}
