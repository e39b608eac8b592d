import type { Clock } from '../../lib/clock.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RelayStore } from '../../store/port.js';
import type { ProcessingSetup } from './processor.js';
import { profileWorkingSet } from './profile-working-set.js';
import { settleProfile, type Settled } from './settle.js';

const PAGE_SIZE = 500;

/**
 * Wakes profiles whose audiences or synced traits can change with time alone (a window passing, a
 * score decaying, a date coming within range) and re-evaluates them with no new event.
 */
export class TimeScheduler {
  constructor(
    private readonly deps: {
      store: RelayStore;
      clock: Clock;
      metrics: Metrics;
      setup: () => ProcessingSetup;
      isSettled: (key: string, profileId: string) => boolean;
    },
  ) {}

  /** Re-evaluates one page of due profiles; returns how many. */
  async step(): Promise<number> {
    const { store, clock, metrics } = this.deps;
    const now = clock.now();
    const due = await store.dueProfiles(now, PAGE_SIZE);
    if (due.length === 0) return 0;
    const setup = this.deps.setup();
    const loaded = await store.loadProfiles(due);
    const settled: Settled = { outbox: [], memberships: [] };
    const workingSet = profileWorkingSet(new Map(), loaded, setup);
    for (const record of loaded) {
      const profile = workingSet.touch(record.id, now);
      if (!profile) continue;
      metrics.schedulerLatenessSeconds.observe(Math.max(0, now - (record.nextWakeAt ?? now)) / 1000);
      settleProfile(
        profile,
        { ...setup, isSettled: this.deps.isSettled },
        now,
        { kind: 'time', eventReceivedAt: null, messageId: null },
        settled,
      );
    }
    const commit = workingSet.toCommit(undefined, []);
    await store.commitProcessing({ ...commit, outbox: settled.outbox, memberships: settled.memberships });
    metrics.outboxRowsTotal.inc({ cause: 'time' }, settled.outbox.length);
    return due.length;
  }

  /** Milliseconds until the next profile is due (undefined when none is scheduled). */
  async msUntilNext(): Promise<number | undefined> {
    const next = await this.deps.store.nextWakeAt();
    return next === undefined ? undefined : Math.max(0, next - this.deps.clock.now());
  }
}
