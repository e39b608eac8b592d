import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent } from '../../src/store/port.js';

/**
 * The storage contract every backend must pass. A backend's test file calls this with a factory
 * that opens the backend on fresh storage, and can reopen the same storage after a close.
 */
export interface StoreHarness {
  open(): Promise<EventStore>;
  reopen(): Promise<EventStore>;
}

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
    const opened: EventStore[] = [];
    const open = async (reopen = false, h = harness()) => {
      const store = reopen ? await h.reopen() : await h.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

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

    it('resolves an empty append without a write', async () => {
      const store = await open();
      expect(await store.appendEvents([])).toEqual([]);
      await expect(store.checkWritable()).resolves.toBeUndefined();
    });
  });
}
