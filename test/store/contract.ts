import { describe, expect, it } from 'vitest';
import type { MembershipCause, MembershipChange, ProcessingCommit } from '../../src/store/profile-port.js';
import { describeBudgetStoreContract } from './budget-contract.js';
import { describeDeliveryStoreContract } from './delivery-contract.js';
import { describeRebuildStoreContract } from './rebuild-contract.js';
import type { NewEvent } from '../../src/store/port.js';
import { storesClosedAfterEachTest, type StoreHarness } from './harness.js';

/**
 * The storage contract every backend must pass: events, profiles and delivery. A backend's test file
 * calls `describeEventStoreContract` with a harness (harness.ts).
 */
export type { StoreHarness };

let counter = 0;
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  counter++;
  const messageId = overrides.messageId ?? `m-${counter}`;
  return {
    source: 'web',
    messageId,
    type: 'track',
    shardKey: 'a1b2c3d4e5f60718',
    userId: 'u-1',
    anonymousId: null,
    eventTime: 1_700_000_000_000 + counter,
    receivedAt: 1_700_000_000_500 + counter,
    body: JSON.stringify({ type: 'track', event: 'Order Completed', messageId, userId: 'u-1' }),
    ...overrides,
  };
}

export function describeEventStoreContract(backend: string, harness: () => StoreHarness): void {
  describe(`EventStore contract: ${backend}`, () => {
    const open = storesClosedAfterEachTest(harness);

    it('stores a new event and answers a retry of it as a duplicate', async () => {
      const store = await open();
      const event = newEvent();
      expect(await store.appendEvents([event])).toEqual(['stored']);
      expect(await store.appendEvents([{ ...event, receivedAt: event.receivedAt + 1000 }])).toEqual([
        'duplicate',
      ]);
      expect(await store.countEvents()).toBe(1);
    });

    it('dedupes per source: the same messageId from two sources is two events', async () => {
      const store = await open();
      const event = newEvent();
      expect(await store.appendEvents([event, { ...event, source: 'server' }])).toEqual(['stored', 'stored']);
      expect(await store.findEventsByMessageId(event.messageId)).toHaveLength(2);
      expect(await store.findEventsByMessageId(event.messageId, 'server')).toHaveLength(1);
    });

    it('answers a duplicate inside one append call', async () => {
      const store = await open();
      const event = newEvent();
      expect(await store.appendEvents([event, event])).toEqual(['stored', 'duplicate']);
    });

    it('stores exactly one of many concurrent appends of the same event', async () => {
      const store = await open();
      const event = newEvent();
      const outcomes = (
        await Promise.all(Array.from({ length: 50 }, () => store.appendEvents([event])))
      ).flat();
      expect(outcomes.filter((outcome) => outcome === 'stored')).toHaveLength(1);
      expect(await store.countEvents()).toBe(1);
    });

    it('returns stored events with their columns and parsed body', async () => {
      const store = await open();
      const event = newEvent({ userId: null, anonymousId: 'anon-9', type: 'page' });
      await store.appendEvents([event]);
      const [found] = await store.findEventsByMessageId(event.messageId);
      expect(found).toMatchObject({
        source: event.source,
        messageId: event.messageId,
        type: 'page',
        userId: null,
        anonymousId: 'anon-9',
        eventTime: event.eventTime,
        receivedAt: event.receivedAt,
        shardKey: event.shardKey,
        body: JSON.parse(event.body),
      });
      expect(found?.seq).toBeGreaterThan(0);
      expect(await store.findEventsByMessageId('no-such-id')).toEqual([]);
    });

    it('feeds events in append order after a cursor', async () => {
      const store = await open();
      const events = Array.from({ length: 7 }, () => newEvent());
      await store.appendEvents(events.slice(0, 3));
      await store.appendEvents(events.slice(3));
      const firstPage = await store.readEventsAfter(0, 4);
      expect(firstPage.map((event) => event.messageId)).toEqual(events.slice(0, 4).map((e) => e.messageId));
      const rest = await store.readEventsAfter(firstPage.at(-1)?.seq ?? 0, 100);
      expect(rest.map((event) => event.messageId)).toEqual(events.slice(4).map((e) => e.messageId));
    });

    it('forgets dedupe keys older than the window, keeping the events', async () => {
      const store = await open();
      const old = newEvent({ receivedAt: 1_000 });
      const recent = newEvent({ receivedAt: 5_000 });
      await store.appendEvents([old, recent]);
      expect(await store.pruneDedupeKeys(2_000)).toBe(1);
      expect(await store.appendEvents([old, recent])).toEqual(['stored', 'duplicate']);
      expect(await store.countEvents()).toBe(3);
    });

    it('keeps committed events and dedupe keys across a close and reopen', async () => {
      const h = harness();
      const store = await open(false, h);
      const event = newEvent();
      await store.appendEvents([event]);
      await store.close();
      const reopened = await open(true, h);
      expect(await reopened.countEvents()).toBe(1);
      expect(await reopened.appendEvents([event])).toEqual(['duplicate']);
    });

    it('commits appends still pending when it is closed', async () => {
      const h = harness();
      const store = await open(false, h);
      const pending = store.appendEvents([newEvent(), newEvent()]);
      await store.close();
      expect(await pending).toEqual(['stored', 'stored']);
      const reopened = await open(true, h);
      expect(await reopened.countEvents()).toBe(2);
    });

    it('prunes only processed events older than the retention', async () => {
      const store = await open();
      const events = [
        newEvent({ eventTime: 1_000 }),
        newEvent({ eventTime: 2_000 }),
        newEvent({ eventTime: 9_000 }),
      ];
      await store.appendEvents(events);
      const [first] = await store.readEventsAfter(0, 1);
      expect(await store.pruneEvents(5_000, first?.seq ?? 0)).toBe(1);
      expect((await store.readEventsAfter(0, 10)).map((event) => event.eventTime)).toEqual([2_000, 9_000]);
    });

    it('reports the last stored seq', async () => {
      const store = await open();
      expect(await store.lastSeq()).toBe(0);
      await store.appendEvents([newEvent(), newEvent()]);
      const [last] = await store.readEventsAfter(1, 10);
      expect(await store.lastSeq()).toBe(last?.seq);
    });

    it('resolves an empty append without a write', async () => {
      const store = await open();
      expect(await store.appendEvents([])).toEqual([]);
      await expect(store.checkWritable()).resolves.toBeUndefined();
    });
  });

  describeProfileStoreContract(backend, harness);
  describeDeliveryStoreContract(backend, harness);
  describeRebuildStoreContract(backend, harness);
  describeBudgetStoreContract(backend, harness);
}

function commit(overrides: Partial<ProcessingCommit>): ProcessingCommit {
  return {
    cursor: { name: 'traits', seq: 1 },
    merges: [],
    profiles: [],
    identifiers: [],
    profileEvents: [],
    outbox: [],
    memberships: [],
    ...overrides,
  };
}

const byEvent = (messageId: string) => ({ cause: 'event' as const, messageId });
const byTime = { cause: 'time' as const, messageId: null };

const profile = (id: string, version = 1, nextWakeAt: number | null = null) => ({
  id,
  nextWakeAt,
  state: `{"n":${version}}`,
  version,
  createdAt: 1,
  updatedAt: 2,
});

function describeProfileStoreContract(backend: string, harness: () => StoreHarness): void {
  describe(`ProfileStore contract: ${backend}`, () => {
    const open = storesClosedAfterEachTest(harness);

    it('commits profiles, identifiers, timeline and cursor together', async () => {
      const store = await open();
      expect(await store.readCursor('traits')).toBe(0);
      await store.commitProcessing(
        commit({
          cursor: { name: 'traits', seq: 7 },
          profiles: [profile('p1')],
          identifiers: [{ kind: 'userId', value: 'u1', profileId: 'p1' }],
          profileEvents: [{ profileId: 'p1', seq: 7, eventTime: 100 }],
        }),
      );
      expect(await store.readCursor('traits')).toBe(7);
      expect(await store.findProfileIds([{ kind: 'userId', value: 'u1' }])).toEqual(
        new Map([['userId:u1', 'p1']]),
      );
      const [loaded] = await store.loadProfiles(['p1']);
      expect(loaded).toMatchObject({
        id: 'p1',
        state: '{"n":1}',
        version: 1,
        identifiers: [{ kind: 'userId', value: 'u1' }],
      });
      expect(await store.profileEventSeqs('p1')).toEqual([7]);
      expect(await store.countProfiles()).toBe(1);
    });

    it('moves identifiers, timeline and merges of a merged profile to the one it merged into', async () => {
      const store = await open();
      await store.commitProcessing(
        commit({
          profiles: [profile('winner'), profile('loser')],
          identifiers: [
            { kind: 'userId', value: 'u1', profileId: 'winner' },
            { kind: 'anonymousId', value: 'a1', profileId: 'loser' },
          ],
          profileEvents: [
            { profileId: 'winner', seq: 2, eventTime: 200 },
            { profileId: 'loser', seq: 1, eventTime: 100 },
          ],
        }),
      );
      await store.commitProcessing(
        commit({
          cursor: { name: 'traits', seq: 3 },
          merges: [
            { profileId: 'winner', mergedProfileId: 'loser', at: 5, messageId: 'm3', reason: 'alias' },
          ],
          profiles: [profile('winner', 2)],
        }),
      );
      expect(await store.findProfileIds([{ kind: 'anonymousId', value: 'a1' }])).toEqual(
        new Map([['anonymousId:a1', 'winner']]),
      );
      expect(await store.profileEventSeqs('winner')).toEqual([1, 2]);
      expect(await store.profileEventSeqs('winner', 1)).toEqual([2]);
      expect(await store.loadProfiles(['loser'])).toEqual([]);
      expect(await store.mergesOf('winner')).toEqual([
        { profileId: 'winner', mergedProfileId: 'loser', at: 5, messageId: 'm3', reason: 'alias' },
      ]);
      expect(await store.listProfileIds('', 10)).toEqual(['winner']);
    });

    it('writes outbox rows and memberships with the state, and finds profiles due for time-driven work', async () => {
      const store = await open();
      const row = {
        profileId: 'p1',
        kind: 'audience' as const,
        name: 'high_intent',
        value: 'true',
        profileVersion: 1,
        at: 10,
        eventReceivedAt: 9,
        messageId: 'm1',
      };
      await store.commitProcessing(
        commit({
          profiles: [profile('p1', 1, 500), profile('p2', 1, 100), profile('p3')],
          outbox: [row, { ...row, profileId: 'p2' }],
          memberships: [
            { audience: 'high_intent', profileId: 'p1', member: true, at: 10, ...byEvent('m1') },
            { audience: 'high_intent', profileId: 'p2', member: true, at: 11, ...byEvent('m1') },
          ],
        }),
      );
      expect((await store.readOutbox(0, 10)).map((r) => [r.profileId, r.name, r.value])).toEqual([
        ['p1', 'high_intent', 'true'],
        ['p2', 'high_intent', 'true'],
      ]);
      const [first] = await store.readOutbox(0, 1);
      expect(await store.readOutbox(first?.id ?? 0, 10)).toHaveLength(1);
      expect(await store.audienceSizes()).toEqual({ high_intent: 2 });
      expect(await store.audienceMembers('high_intent', 1)).toEqual(['p2']);
      expect(await store.dueProfiles(200, 10)).toEqual(['p2']);
      expect(await store.nextWakeAt()).toBe(100);
      await store.commitProcessing(
        commit({
          cursor: undefined,
          memberships: [{ audience: 'high_intent', profileId: 'p1', member: false, at: 12, ...byTime }],
        }),
      );
      expect(await store.audienceSizes()).toEqual({ high_intent: 1 });
      expect(await store.readCursor('traits')).toBe(1);
    });

    it('keeps every entry and exit with its cause, newest first, and current memberships with since', async () => {
      const store = await open();
      const change = (
        audience: string,
        member: boolean,
        at: number,
        cause: MembershipCause,
        messageId: string | null = null,
      ): MembershipChange => ({ audience, profileId: 'p1', member, at, cause, messageId });
      await store.commitProcessing(
        commit({
          profiles: [profile('p1')],
          memberships: [
            change('high_intent', true, 10, 'event', 'm1'),
            change('cart_abandoners', true, 10, 'event', 'm1'),
          ],
        }),
      );
      await store.commitProcessing(
        commit({
          cursor: undefined,
          memberships: [change('cart_abandoners', false, 20, 'time'), change('old', true, 20, 'backfill')],
        }),
      );
      await store.commitProcessing(
        commit({ cursor: undefined, memberships: [change('old', false, 30, 'config')] }),
      );
      expect(await store.membershipHistory('p1', 10)).toEqual([
        change('old', false, 30, 'config'),
        change('old', true, 20, 'backfill'),
        change('cart_abandoners', false, 20, 'time'),
        change('cart_abandoners', true, 10, 'event', 'm1'),
        change('high_intent', true, 10, 'event', 'm1'),
      ]);
      expect(await store.membershipHistory('p1', 2)).toEqual([
        change('old', false, 30, 'config'),
        change('old', true, 20, 'backfill'),
      ]);
      expect(await store.membershipsOf('p1')).toEqual([{ audience: 'high_intent', since: 10 }]);
      expect(await store.membershipHistory('p2', 10)).toEqual([]);
      expect(await store.membershipsOf('p2')).toEqual([]);
    });

    it('records only changes that change a membership: a repeated entry or exit is no history', async () => {
      const store = await open();
      const enter = { audience: 'a', profileId: 'p1', member: true, at: 10, ...byEvent('m1') };
      await store.commitProcessing(commit({ profiles: [profile('p1')], memberships: [enter] }));
      await store.commitProcessing(
        commit({
          cursor: undefined,
          memberships: [
            { ...enter, at: 20, ...byEvent('m2') },
            { ...enter, member: false, at: 30, ...byTime },
            { ...enter, member: false, at: 30, ...byTime },
          ],
        }),
      );
      expect((await store.membershipHistory('p1', 10)).map((row) => [row.member, row.at])).toEqual([
        [false, 30],
        [true, 10],
      ]);
    });

    it("moves a merged profile's membership history to the one it merged into, with its exits", async () => {
      const store = await open();
      const member = (profileId: string, audience: string, at: number, messageId: string) => ({
        audience,
        profileId,
        member: true,
        at,
        ...byEvent(messageId),
      });
      await store.commitProcessing(
        commit({
          profiles: [profile('winner'), profile('loser')],
          memberships: [member('winner', 'a', 10, 'm1'), member('loser', 'b', 11, 'm2')],
        }),
      );
      await store.commitProcessing(
        commit({
          cursor: { name: 'traits', seq: 3 },
          merges: [
            { profileId: 'winner', mergedProfileId: 'loser', at: 20, messageId: 'm3', reason: 'alias' },
          ],
          profiles: [profile('winner', 2)],
          memberships: [member('winner', 'b', 20, 'm3')],
        }),
      );
      expect(await store.membershipHistory('winner', 10)).toEqual([
        member('winner', 'b', 20, 'm3'),
        { audience: 'b', profileId: 'winner', member: false, at: 20, cause: 'merge', messageId: 'm3' },
        member('winner', 'b', 11, 'm2'),
        member('winner', 'a', 10, 'm1'),
      ]);
      expect(await store.membershipsOf('winner')).toEqual([
        { audience: 'a', since: 10 },
        { audience: 'b', since: 20 },
      ]);
      expect(await store.membershipHistory('loser', 10)).toEqual([]);
      expect(await store.membershipsOf('loser')).toEqual([]);
    });

    it('leaves no membership behind for a profile that entered an audience in the commit that merged it away', async () => {
      const store = await open();
      await store.commitProcessing(commit({ profiles: [profile('winner'), profile('loser')] }));
      await store.commitProcessing(
        commit({
          merges: [
            { profileId: 'winner', mergedProfileId: 'loser', at: 20, messageId: 'm3', reason: 'alias' },
          ],
          profiles: [profile('winner', 2)],
          memberships: [{ audience: 'a', profileId: 'loser', member: true, at: 20, ...byEvent('m2') }],
        }),
      );
      expect(await store.audienceSizes()).toEqual({});
      expect(await store.membershipsOf('loser')).toEqual([]);
      expect((await store.membershipHistory('winner', 10)).map((row) => [row.member, row.cause])).toEqual([
        [false, 'merge'],
        [true, 'event'],
      ]);
    });

    it('keeps audience sizes over time', async () => {
      const store = await open();
      await store.recordAudienceSizes(1_000, { a: 3, b: 1 });
      await store.recordAudienceSizes(2_000, { a: 4 });
      expect(await store.audienceSizeHistory('a', 0)).toEqual([
        { at: 1_000, size: 3 },
        { at: 2_000, size: 4 },
      ]);
      expect(await store.audienceSizeHistory('a', 1_500)).toEqual([{ at: 2_000, size: 4 }]);
    });

    it('keeps trait definitions and their backfill progress', async () => {
      const store = await open();
      const row = {
        name: 't',
        hash: 'h1',
        status: 'backfilling' as const,
        afterProfile: '',
        done: 0,
        total: 5,
        updatedAt: 1,
      };
      await store.saveTraitDefinitions([row, { ...row, name: 'old' }], []);
      await store.saveTraitDefinitions([{ ...row, status: 'ready', done: 5, afterProfile: 'p9' }], ['old']);
      expect(await store.traitDefinitions()).toEqual([
        { ...row, status: 'ready', done: 5, afterProfile: 'p9' },
      ]);
    });
  });
}
