import { describe, expect, it } from 'vitest';
import { allocate } from '../../src/engine/budget/allocate.js';
import type { AllocationInputs } from '../../src/engine/budget/schema.js';
import type { BudgetSumsDelta } from '../../src/store/budget-port.js';
import type { ProcessingCommit } from '../../src/store/profile-port.js';
import { storesClosedAfterEachTest, type StoreHarness } from './harness.js';

const delta = (
  audience: string,
  size: number,
  sumProbability: number,
  sumOrderValue = 0,
  countOrderValue = 0,
) => ({ audience, size, sumProbability, sumOrderValue, countOrderValue }) satisfies BudgetSumsDelta;

function commit(budget: BudgetSumsDelta[], profiles: ProcessingCommit['profiles'] = []): ProcessingCommit {
  return { merges: [], profiles, identifiers: [], profileEvents: [], outbox: [], memberships: [], budget };
}

const INPUTS: AllocationInputs = {
  budget: {
    total: 1000,
    period: 'day',
    minAudienceSize: 1,
    capPerMember: 2,
    channels: { meta: 0.6, google: 0.4 },
  },
  audiences: [
    {
      audience: 'a',
      size: 300,
      sumProbability: 150.3,
      sumOrderValue: 900,
      countOrderValue: 10,
      constantOrderValue: null,
    },
    {
      audience: 'b',
      size: 5,
      sumProbability: 1,
      sumOrderValue: 0,
      countOrderValue: 0,
      constantOrderValue: 40,
    },
  ],
};

/** The budget part of the storage contract: running sums, allocation runs; every backend runs it. */
export function describeBudgetStoreContract(backend: string, harness: () => StoreHarness): void {
  describe(`BudgetStore contract: ${backend}`, () => {
    const open = storesClosedAfterEachTest(harness);

    it('adds the sums a processing commit carries, in the same transaction as its profiles', async () => {
      const store = await open();
      expect(await store.budgetSums(['a', 'b'])).toEqual(new Map());
      const profile = { id: 'p1', state: '{}', version: 1, createdAt: 1, updatedAt: 1, nextWakeAt: null };
      await store.commitProcessing(commit([delta('a', 2, 0.9, 150, 2), delta('b', 1, 0.25)], [profile]));
      await store.commitProcessing(commit([delta('a', 1, 0.5, 0, 0), delta('b', 1, 0.5)]));
      expect(await store.loadProfiles(['p1'])).toHaveLength(1);
      expect(await store.budgetSums(['a', 'b', 'c'])).toEqual(
        new Map([
          ['a', { size: 3, sumProbability: 1.4, sumOrderValue: 150, countOrderValue: 2 }],
          ['b', { size: 2, sumProbability: 0.75, sumOrderValue: 0, countOrderValue: 0 }],
        ]),
      );
    });

    it('sets every sum to exactly 0 when the last member leaves, and the order value sum with the last order value', async () => {
      const store = await open();
      await store.commitProcessing(commit([delta('a', 2, 0.1 + 0.2, 0.1 + 0.2, 2)]));
      await store.commitProcessing(commit([delta('a', -1, -0.1, -0.1, -1)]));
      await store.commitProcessing(commit([delta('a', 0, 0, -0.2, -1)]));
      expect((await store.budgetSums(['a'])).get('a')).toEqual({
        size: 1,
        sumProbability: expect.closeTo(0.2, 12),
        sumOrderValue: 0,
        countOrderValue: 0,
      });
      await store.commitProcessing(commit([delta('a', -1, -0.2000000000001)]));
      expect((await store.budgetSums(['a'])).get('a')).toEqual({
        size: 0,
        sumProbability: 0,
        sumOrderValue: 0,
        countOrderValue: 0,
      });
    });

    it('empties the sums when a rebuild starts, with the profiles', async () => {
      const store = await open();
      await store.commitProcessing(commit([delta('a', 1, 0.5)]));
      const { rebuild } = await store.requestRebuild(100);
      await store.startRebuild(rebuild.id, 150, 'traits');
      expect(await store.budgetSums(['a'])).toEqual(new Map());
    });

    it('stores runs as they were made, newest first, and keeps them and the sums across a reopen', async () => {
      const storage = harness();
      const store = await open(false, storage);
      await store.commitProcessing(commit([delta('a', 1, 0.5)]));
      expect(await store.latestBudgetRun()).toBeUndefined();
      const runs = [0, 1, 2].map((i) => allocate(INPUTS, new Date(Date.UTC(2026, 0, 1, i)).toISOString()));
      const saved = [];
      for (const [i, run] of runs.entries())
        saved.push(
          await store.saveBudgetRun({
            run,
            trigger: i === 0 ? 'config' : 'schedule',
            changed: i === 0,
            atMs: Date.parse(run.at),
          }),
        );
      expect(saved.map((entry) => entry.run)).toEqual(runs);
      expect(await store.latestBudgetRun()).toEqual(saved[2]);
      expect((await store.budgetRuns(2)).map((entry) => entry.id)).toEqual([saved[2]?.id, saved[1]?.id]);
      expect((await store.budgetRuns(5, saved[1]?.id)).map((entry) => entry.id)).toEqual([saved[0]?.id]);
      expect(saved[0]).toMatchObject({ trigger: 'config', changed: true });

      const reopened = await open(true, storage);
      expect(await reopened.latestBudgetRun()).toEqual(saved[2]);
      expect(await reopened.budgetSums(['a'])).toEqual(await store.budgetSums(['a']));
    });

    it('forgets runs older than a time, never the latest', async () => {
      const store = await open();
      const at = (hour: number) => allocate(INPUTS, new Date(Date.UTC(2026, 0, 1, hour)).toISOString());
      const old = await store.saveBudgetRun({ run: at(0), trigger: 'schedule', changed: true, atMs: 0 });
      const latest = await store.saveBudgetRun({ run: at(1), trigger: 'schedule', changed: false, atMs: 1 });
      expect(await store.pruneBudgetRuns(10)).toBe(1);
      expect((await store.budgetRuns(10)).map((entry) => entry.id)).toEqual([latest.id]);
      expect(old.id).toBeLessThan(latest.id);
    });
  });
}
