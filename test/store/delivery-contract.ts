import { describe, expect, it } from 'vitest';
import { mergePending, reconcilePending } from '../../src/delivery/pending.js';
import type { DeliveryLogEntry, FanOutChange } from '../../src/store/delivery-port.js';
import { storesClosedAfterEachTest, type StoreHarness } from './harness.js';

const change = (overrides: Partial<FanOutChange> = {}): FanOutChange => ({
  destination: 'braze',
  profileId: 'p1',
  version: 1,
  kind: 'audience',
  name: 'high_intent',
  value: true,
  messageId: 'm1',
  eventReceivedAt: 100,
  at: 1_000,
  ...overrides,
});

const logEntry = (overrides: Partial<DeliveryLogEntry> = {}): DeliveryLogEntry => ({
  destination: 'braze',
  at: 2_000,
  status: '201',
  attempt: 1,
  latencyMs: 12,
  items: 1,
  profileIds: ['p1'],
  messageIds: ['m1'],
  requestBody: '{"attributes":[{"external_id":"sha256:abc"}]}',
  responseExcerpt: '{"message":"success"}',
  outcome: '1 delivered',
  ...overrides,
});

/** The delivery part of the storage contract; every backend runs it. */
export function describeDeliveryStoreContract(backend: string, harness: () => StoreHarness): void {
  describe(`DeliveryStore contract: ${backend}`, () => {
    const open = storesClosedAfterEachTest(harness);

    it('coalesces changes per destination and profile, latest value winning, and moves the cursor', async () => {
      const store = await open();
      await store.fanOut([change(), change({ version: 2, value: false, messageId: 'm2' })], 7, mergePending);
      await store.fanOut(
        [change({ version: 3, kind: 'trait', name: 'lead_score', value: 90, messageId: 'm3' })],
        8,
        mergePending,
      );
      expect(await store.readCursor('delivery')).toBe(8);
      const [pending] = await store.duePending('braze', 5_000, 10);
      expect(pending).toMatchObject({
        profileId: 'p1',
        version: 3,
        audiences: { high_intent: false },
        traits: { lead_score: 90 },
        causedBy: ['m1', 'm2', 'm3'],
        firstReceivedAt: 100,
        attempts: 0,
      });
      expect(await store.pendingCount('braze')).toBe(1);
      expect(await store.oldestDue('braze', 5_000)).toBe(1_000);
    });

    it('settles a delivered change, a retry and a dead letter, with their log entries in the same step', async () => {
      const store = await open();
      await store.fanOut(
        [change(), change({ profileId: 'p2' }), change({ profileId: 'p3' })],
        3,
        mergePending,
      );
      const sent = { version: 1, audiences: { high_intent: true }, traits: {} };
      await store.settleDelivery(
        'braze',
        [
          { profileId: 'p1', kind: 'delivered', sent },
          { profileId: 'p2', kind: 'retry', sent, reason: 'HTTP 500', nextAttemptAt: 9_000 },
          { profileId: 'p3', kind: 'dead', sent, reason: 'HTTP 400: invalid' },
        ],
        2_000,
        reconcilePending,
        [logEntry({ status: '207', profileIds: ['p1', 'p2', 'p3'] })],
      );
      expect(await store.deliveredState('braze', 'p1')).toMatchObject({ audiences: { high_intent: true } });
      expect((await store.duePending('braze', 5_000, 10)).map((p) => p.profileId)).toEqual([]);
      expect(await store.duePending('braze', 9_000, 10)).toMatchObject([
        { profileId: 'p2', attempts: 1, lastError: 'HTTP 500' },
      ]);
      const [dead] = await store.deadLetters({ limit: 10 });
      expect(dead).toMatchObject({
        profileId: 'p3',
        reason: 'HTTP 400: invalid',
        change: { audiences: { high_intent: true } },
      });
      const found = await store.searchDeliveryLog({ profileId: 'p2', limit: 10 });
      expect(found.map((entry) => entry.status)).toEqual(['207']);
    });

    it('replays a dead letter into the queue', async () => {
      const store = await open();
      await store.fanOut([change()], 1, mergePending);
      const sent = { version: 1, audiences: { high_intent: true }, traits: {} };
      await store.settleDelivery(
        'braze',
        [{ profileId: 'p1', kind: 'dead', sent, reason: 'HTTP 401' }],
        2_000,
        reconcilePending,
        [],
      );
      expect(await store.pendingCount('braze')).toBe(0);
      expect(await store.replayDeadLetters('all', 'braze', 3_000)).toBe(1);
      expect(await store.duePending('braze', 3_000, 10)).toMatchObject([
        { profileId: 'p1', audiences: { high_intent: true } },
      ]);
      expect(await store.deadLetters({ limit: 10 })).toEqual([]);
      expect(await store.deadLetters({ limit: 10, includeReplayed: true })).toHaveLength(1);
    });

    it('searches the delivery log by destination, status, text and time, newest first, and prunes it', async () => {
      const store = await open();
      await store.fanOut([change()], 1, mergePending);
      await store.settleDelivery('braze', [], 0, reconcilePending, [
        logEntry({ at: 1_000, status: '429', outcome: '1 retry: rate limited' }),
        logEntry({ at: 2_000 }),
        logEntry({ destination: 'hubspot', at: 3_000, status: '200' }),
      ]);
      expect((await store.searchDeliveryLog({ destination: 'braze', limit: 10 })).map((e) => e.at)).toEqual([
        2_000, 1_000,
      ]);
      expect((await store.searchDeliveryLog({ status: '429', limit: 10 })).map((e) => e.at)).toEqual([1_000]);
      expect((await store.searchDeliveryLog({ text: 'rate limited', limit: 10 })).map((e) => e.at)).toEqual([
        1_000,
      ]);
      expect(
        (await store.searchDeliveryLog({ since: 1_500, until: 2_500, limit: 10 })).map((e) => e.at),
      ).toEqual([2_000]);
      expect(await store.pruneDeliveryLog(2_500)).toBe(2);
      expect(await store.searchDeliveryLog({ limit: 10 })).toHaveLength(1);
    });
  });
}
