import { describe, expect, it } from 'vitest';
import { FOLD_RULES, UNKNOWN_TRAIT } from '../../src/delivery/fold.js';
import { mergePending, reconcilePending } from '../../src/delivery/pending.js';
import type { DeliveryLogEntry, FanOutChange, FanOutFold } from '../../src/store/delivery-port.js';
import type { RelayStore } from '../../src/store/port.js';
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
      await store.fanOut(
        [change(), change({ version: 2, value: false, messageId: 'm2' })],
        7,
        mergePending,
        FOLD_RULES,
      );
      await store.fanOut(
        [change({ version: 3, kind: 'trait', name: 'lead_score', value: 90, messageId: 'm3' })],
        8,
        mergePending,
        FOLD_RULES,
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
        FOLD_RULES,
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
        FOLD_RULES,
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
      await store.fanOut([change()], 1, mergePending, FOLD_RULES);
      const sent = { version: 1, audiences: { high_intent: true }, traits: {} };
      await store.settleDelivery(
        'braze',
        [{ profileId: 'p1', kind: 'dead', sent, reason: 'HTTP 401' }],
        2_000,
        reconcilePending,
        [],
        FOLD_RULES,
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
      await store.fanOut([change()], 1, mergePending, FOLD_RULES);
      await store.settleDelivery(
        'braze',
        [],
        0,
        reconcilePending,
        [
          logEntry({ at: 1_000, status: '429', outcome: '1 retry: rate limited' }),
          logEntry({ at: 2_000 }),
          logEntry({ destination: 'hubspot', at: 3_000, status: '200' }),
        ],
        FOLD_RULES,
      );
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

    it('folds a merged profile into its survivor in outbox order, in the fan-out transaction', async () => {
      const store = await open();
      await told(store, 'S', { high_intent: false }, { lead_score: 40 });
      await told(store, 'F', { high_intent: true, cart: true }, { lead_score: 40, tier: 'gold' });
      await store.fanOut(
        [change({ profileId: 'F', value: false, messageId: 'mF' })],
        3,
        mergePending,
        FOLD_RULES,
      );
      await store.fanOut(
        [
          fold('S', 'F'),
          change({ profileId: 'S', value: false, messageId: 'mS' }),
          // A change for F after its fold in the same page: outbox order holds (F is alive again).
          change({ profileId: 'F', name: 'cart', value: true, messageId: 'mF2' }),
        ],
        4,
        mergePending,
        FOLD_RULES,
      );
      expect(await store.readCursor('delivery')).toBe(4);
      expect(await store.deliveredState('braze', 'S')).toEqual({
        version: 1,
        audiences: { cart: null, high_intent: null },
        traits: { lead_score: 40, tier: UNKNOWN_TRAIT },
      });
      expect(await store.deliveredState('braze', 'F')).toBeUndefined();
      const pending = await store.duePending('braze', 5_000, 10);
      expect(pending.map((p) => [p.profileId, p.audiences, p.causedBy])).toEqual([
        ['F', { cart: true }, ['mF2']],
        ['S', { high_intent: false }, ['mS']],
      ]);
    });

    it('keeps a merged profile that lives on, and knows nothing of unknown destinations', async () => {
      const store = await open();
      await told(store, 'S', { high_intent: true }, {});
      await told(store, 'F', { high_intent: true }, { lead_score: 10 });
      await store.fanOut([change({ profileId: 'F', messageId: 'mF' })], 3, mergePending, FOLD_RULES);
      await store.fanOut(
        [{ ...fold('S', 'F'), keepMerged: true }, fold('S', 'X', 'hubspot')],
        4,
        mergePending,
        FOLD_RULES,
      );
      expect(await store.deliveredState('braze', 'S')).toMatchObject({
        audiences: { high_intent: true },
        traits: { lead_score: UNKNOWN_TRAIT },
      });
      expect(await store.deliveredState('braze', 'F')).toMatchObject({ traits: { lead_score: 10 } });
      expect((await store.duePending('braze', 5_000, 10)).map((p) => p.profileId)).toEqual(['F']);
      expect(await store.deliveredState('hubspot', 'S')).toBeUndefined();
    });

    it('settles a request for a profile folded away while it was in flight into the survivor', async () => {
      const store = await open();
      await told(store, 'S', { high_intent: false }, { lead_score: 40 });
      await store.fanOut([change({ profileId: 'F', messageId: 'mF' })], 3, mergePending, FOLD_RULES);
      const [inFlight] = await store.duePending('braze', 5_000, 10);
      expect(inFlight?.profileId).toBe('F');
      await store.fanOut([fold('S', 'F')], 4, mergePending, FOLD_RULES); // S now: high_intent unknown
      await told(store, 'S', { high_intent: false }, { lead_score: 40 }); // S's own values go out again
      const sent = { version: 1, audiences: { high_intent: true }, traits: { lead_score: 40 } };
      await store.settleDelivery(
        'braze',
        [{ profileId: 'F', kind: 'delivered', sent }],
        6_000,
        reconcilePending,
        [],
        FOLD_RULES,
      );
      expect(await store.deliveredState('braze', 'F')).toBeUndefined();
      expect(await store.deliveredState('braze', 'S')).toMatchObject({
        audiences: { high_intent: null },
        traits: { lead_score: 40 },
      });
      expect(await store.pendingCount('braze')).toBe(0);
    });
  });
}

const fold = (profileId: string, mergedProfileId: string, destination = 'braze'): FanOutFold => ({
  kind: 'fold',
  destination,
  profileId,
  mergedProfileId,
  keepMerged: false,
  at: 2_000,
});

/** Makes `braze` have been told these values of the profile (delivered, nothing left pending). */
async function told(
  store: RelayStore,
  profileId: string,
  audiences: Record<string, boolean>,
  traits: Record<string, unknown>,
): Promise<void> {
  await store.settleDelivery(
    'braze',
    [{ profileId, kind: 'delivered', sent: { version: 1, audiences, traits } }],
    1_000,
    reconcilePending,
    [],
    FOLD_RULES,
  );
}
