import { describe, expect, it } from 'vitest';
import type { RelayStore } from '../../src/store/port.js';
import type { OutboxRow } from '../../src/store/profile-port.js';
import { newEvent } from './contract.js';
import { storesClosedAfterEachTest, type StoreHarness } from './harness.js';

const row = (profileId: string, name: string, value = 'true'): OutboxRow => ({
  profileId,
  kind: 'audience',
  name,
  value,
  profileVersion: 1,
  at: 10,
  eventReceivedAt: null,
  messageId: null,
});

/** p1 (u1, a1) in high_intent, p2 (u2); events 1..3; two outbox rows; processed up to 3. */
async function seed(store: RelayStore): Promise<void> {
  await store.appendEvents([newEvent(), newEvent(), newEvent()]);
  await store.commitProcessing({
    cursor: { name: 'traits', seq: 3 },
    merges: [],
    profiles: ['p1', 'p2'].map((id) => ({
      id,
      state: '{}',
      version: 1,
      createdAt: 1,
      updatedAt: 1,
      nextWakeAt: null,
    })),
    identifiers: [
      { kind: 'userId', value: 'u1', profileId: 'p1' },
      { kind: 'anonymousId', value: 'a1', profileId: 'p1' },
      { kind: 'userId', value: 'u2', profileId: 'p2' },
    ],
    profileEvents: [{ profileId: 'p1', seq: 1, eventTime: 1 }],
    outbox: [row('p1', 'high_intent'), row('p2', 'cart')],
    memberships: [
      { audience: 'high_intent', profileId: 'p1', member: true, at: 1, cause: 'event', messageId: 'm1' },
    ],
  });
}

/** The rebuild part of the storage contract; every backend runs it. */
export function describeRebuildStoreContract(backend: string, harness: () => StoreHarness): void {
  describe(`RebuildStore contract: ${backend}`, () => {
    const open = storesClosedAfterEachTest(harness);

    it('records one request at a time and answers the running one', async () => {
      const store = await open();
      expect(await store.latestRebuild()).toBeUndefined();
      const first = await store.requestRebuild(100);
      expect(first).toMatchObject({ created: true, rebuild: { status: 'requested', requestedAt: 100 } });
      const second = await store.requestRebuild(200);
      expect(second).toMatchObject({ created: false, rebuild: { id: first.rebuild.id } });
      expect(await store.latestRebuild()).toEqual(first.rebuild);
    });

    it('starts in one step: keeps old owners and members aside, empties profiles, rewinds, holds fan-out', async () => {
      const store = await open();
      await seed(store);
      const { rebuild } = await store.requestRebuild(100);
      const started = await store.startRebuild(rebuild.id, 150, 'traits');
      expect(started).toMatchObject({ status: 'replaying', startedAt: 150, targetSeq: 3, holdFrom: 3 });
      expect(await store.startRebuild(rebuild.id, 999, 'traits')).toEqual(started); // idempotent
      expect(await store.readCursor('traits')).toBe(0);
      expect(await store.countProfiles()).toBe(0);
      expect(await store.findProfileIds([{ kind: 'userId', value: 'u1' }])).toEqual(new Map());
      expect(await store.audienceSizes()).toEqual({});
      expect(await store.oldProfileIds('', 10)).toEqual(['p1', 'p2']);
      expect(await store.oldProfileIds('p1', 10)).toEqual(['p2']);
      expect(await store.oldIdentifiersOf('p1')).toEqual([
        { kind: 'anonymousId', value: 'a1' },
        { kind: 'userId', value: 'u1' },
      ]);
      expect(await store.oldMembershipsOf(['p1', 'p2'])).toEqual(new Map([['p1', ['high_intent']]]));
      expect(await store.countEvents()).toBe(3); // the log is never touched

      // Rows written from now on are held; the ones before the hold go on.
      await store.commitProcessing({
        cursor: { name: 'traits', seq: 3 },
        merges: [],
        profiles: [],
        identifiers: [],
        profileEvents: [],
        outbox: [row('p1', 'replayed')],
        memberships: [],
      });
      expect((await store.readDeliverableOutbox(0, 10)).map((r) => r.name)).toEqual(['high_intent', 'cart']);
      expect(await store.readDeliverableOutbox(2, 10)).toEqual([]);
      expect(await store.readOutbox(2, 10)).toHaveLength(1);

      // The replay's rows are discarded when it ends; the rebuild's own rows flow once it is done.
      await store.endReplay(rebuild.id);
      expect(await store.readOutbox(2, 10)).toEqual([]);
      expect(await store.latestRebuild()).toMatchObject({ status: 'folding', profilesTotal: 2 });
      await store.commitRebuildPage(rebuild.id, {
        phaseAfter: 'p2',
        profilesDone: 2,
        outbox: [{ ...row('p1', 'p2', 'null'), kind: 'merge' }],
        memberships: [],
        moveHistory: [],
      });
      await store.beginEmitting(rebuild.id);
      expect(await store.latestRebuild()).toMatchObject({
        status: 'emitting',
        phaseAfter: '',
        profilesDone: 0,
      });
      await store.commitRebuildPage(rebuild.id, {
        phaseAfter: 'p1',
        profilesDone: 1,
        outbox: [row('p1', 'high_intent', 'false')],
        memberships: [{ profileId: 'p1', audience: 'high_intent', member: false, at: 160 }],
        moveHistory: [],
      });
      expect(await store.readDeliverableOutbox(2, 10)).toEqual([]);
      await store.completeRebuild(rebuild.id, 170);
      expect(await store.latestRebuild()).toMatchObject({ status: 'done', finishedAt: 170 });
      expect((await store.readDeliverableOutbox(2, 10)).map((r) => [r.kind, r.name, r.value])).toEqual([
        ['merge', 'p2', 'null'],
        ['audience', 'high_intent', 'false'],
      ]);
      expect(await store.oldProfileIds('', 10)).toEqual([]);
      expect((await store.requestRebuild(200)).created).toBe(true);
    });

    it('keeps the last error a step met', async () => {
      const store = await open();
      const { rebuild } = await store.requestRebuild(100);
      await store.noteRebuildError(rebuild.id, 'disk full');
      expect(await store.latestRebuild()).toMatchObject({ status: 'requested', error: 'disk full' });
    });
  });
}
