import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DestinationWorker } from '../src/delivery/destination-worker.js';
import { RelayEventSender } from '../src/delivery/notify.js';
import { workerSettings } from '../src/delivery/runner.js';
import {
  FAKE_GOOGLE_TOKEN,
  startFakeGoogle,
  type FakeGoogle,
} from '../src/destinations/google/fake-server.js';
import { FAKE_META_TOKEN, startFakeMeta, type FakeMeta } from '../src/destinations/meta/fake-server.js';
import { DESTINATIONS } from '../src/destinations/registry.js';
import { allocate } from '../src/engine/budget/allocate.js';
import { allocationChangedEvent } from '../src/engine/budget/allocation-event.js';
import type { AllocationInputs } from '../src/engine/budget/schema.js';
import { createLogger } from '../src/lib/logger.js';
import { createMetrics } from '../src/lib/metrics.js';
import { DestinationBlock } from '../src/mappings/destinations-schema.js';
import type { StoredBudgetRun } from '../src/store/budget-port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * The optional budget pushes (docs/budget.md "Budget pushes"): a budget split 60/40 between a Meta
 * and a Google destination that both have `budget_push` sets the Meta ad set's `daily_budget` and the
 * Google Ads campaign budget's `amountMicros` through the relay-event path, every attempt in the
 * delivery log; an unchanged amount is not sent again; without `budget_push` nothing is sent.
 */

const AD_SET = '23851000000000001';
const CUSTOMER = '1234567890';
const CAMPAIGN_BUDGET = '555';

let root: string;
let store: SqliteStore;
let meta: FakeMeta;
let google: FakeGoogle;
const workers: DestinationWorker[] = [];

beforeAll(async () => {
  root = makeTempDir('relay-budget-push-');
  store = new SqliteStore({ path: `${root}/relay.db` });
  meta = await startFakeMeta({ port: 0 });
  google = await startFakeGoogle({ port: 0 });
});

beforeEach(() => {
  meta.reset();
  google.reset();
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await meta?.close();
  await google?.close();
  await store?.close();
  removeTempDir(root);
});

function metaBlock(push: boolean): unknown {
  return {
    type: 'meta_custom_audience',
    settings: { endpoint: meta.url, access_token: FAKE_META_TOKEN, audience_id: '2384000000000001' },
    audience: 'high_intent',
    match_keys: ['email'],
    ...(push ? { budget_push: { ad_set_id: AD_SET } } : {}),
  };
}

function googleBlock(push: boolean): unknown {
  return {
    type: 'google_customer_match',
    settings: {
      endpoint: google.url,
      access_token: FAKE_GOOGLE_TOKEN,
      operating_account_id: CUSTOMER,
      user_list_id: '987',
    },
    audience: 'high_intent',
    match_keys: ['email'],
    terms_of_service_accepted: true,
    ...(push
      ? { budget_push: { customer_id: CUSTOMER, campaign_budget_id: CAMPAIGN_BUDGET, endpoint: google.url } }
      : {}),
  };
}

/** A worker for a destination block under `name`, as the delivery runner makes it. */
function workerFor(name: string, raw: unknown): DestinationWorker {
  const block = DestinationBlock.parse(raw);
  const type = DESTINATIONS[block.type];
  if (type === undefined) throw new Error(`${block.type} is not registered`);
  const deps = { store, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) };
  const worker = new DestinationWorker(workerSettings(name, block, type), deps);
  workers.push(worker);
  return worker;
}

/** Total 10,000.00 a day, one audience of `size` members, cap 2.00 each, split 60/40 by destination. */
function inputs(size: number): AllocationInputs {
  return {
    budget: {
      total: 10_000,
      period: 'day',
      minAudienceSize: 100,
      capPerMember: 2,
      channels: { meta_x: 0.6, google_x: 0.4 },
    },
    audiences: [
      {
        audience: 'high_intent',
        size,
        sumProbability: size * 0.5,
        sumOrderValue: 0,
        countOrderValue: 0,
        constantOrderValue: 100,
      },
    ],
  };
}

function storedRun(id: number, size: number): StoredBudgetRun {
  const run = allocate(inputs(size), '2026-11-27T09:00:00.000Z');
  return { id, run, trigger: 'schedule', changed: true, atMs: 0 };
}

async function send(event: ReturnType<typeof allocationChangedEvent>, ...targets: DestinationWorker[]) {
  const sender = new RelayEventSender(createLogger({ level: 'silent' }), [1, 1, 1]);
  await sender.send(
    event,
    targets.map((worker) => () => worker.eventChannel()),
  );
}

const logOf = async (destination: string) =>
  (await store.searchDeliveryLog({ destination, limit: 100 })).map((entry) => [
    entry.status,
    entry.items,
    entry.requestBody,
    entry.outcome,
  ]);

describe('budget pushes to Meta ad sets and Google Ads campaign budgets', () => {
  it('pushes each destination its daily share when the allocation changes, once per change', async () => {
    const metaX = workerFor('meta_x', metaBlock(true));
    const googleX = workerFor('google_x', googleBlock(true));
    const first = storedRun(1, 820);
    const second = storedRun(2, 1_000);

    // 820 members x 2.00 = 1,640.00 (saturated): meta_x 60% = 984.00, google_x 40% = 656.00.
    await send(allocationChangedEvent(first, undefined), metaX, googleX);
    expect(meta.adSetBudget(AD_SET)).toBe(98_400);
    expect(google.campaignBudget(CUSTOMER, CAMPAIGN_BUDGET)).toBe('656000000');

    // 1,000 members x 2.00 = 2,000.00: meta_x 1,200.00, google_x 800.00.
    await send(allocationChangedEvent(second, first), metaX, googleX);
    expect(meta.adSetBudget(AD_SET)).toBe(120_000);
    expect(google.campaignBudget(CUSTOMER, CAMPAIGN_BUDGET)).toBe('800000000');

    // The same amounts again: nothing is sent.
    const requestsBefore = meta.requests.length + google.requests.length;
    await send(allocationChangedEvent(storedRun(3, 1_000), second), metaX, googleX);
    expect(meta.requests.length + google.requests.length).toBe(requestsBefore);

    const delivered = 'budget.allocation_changed: delivered';
    expect(await logOf('meta_x')).toEqual([
      ['200', 0, JSON.stringify({ daily_budget: 120_000 }), delivered],
      ['200', 0, JSON.stringify({ daily_budget: 98_400 }), delivered],
    ]);
    const mutate = (micros: string) =>
      JSON.stringify({
        operations: [
          {
            update: {
              resourceName: `customers/${CUSTOMER}/campaignBudgets/${CAMPAIGN_BUDGET}`,
              amountMicros: micros,
            },
            updateMask: 'amount_micros',
          },
        ],
      });
    expect(await logOf('google_x')).toEqual([
      ['200', 0, mutate('800000000'), delivered],
      ['200', 0, mutate('656000000'), delivered],
    ]);
  });

  it('sends nothing without budget_push', async () => {
    const metaPlain = workerFor('meta_x', metaBlock(false));
    const googlePlain = workerFor('google_x', googleBlock(false));
    const logged = (await logOf('meta_x')).length + (await logOf('google_x')).length;
    await send(allocationChangedEvent(storedRun(4, 820), undefined), metaPlain, googlePlain);
    expect(meta.requests).toEqual([]);
    expect(google.requests).toEqual([]);
    expect((await logOf('meta_x')).length + (await logOf('google_x')).length).toBe(logged);
  });

  it('logs the refusal of an amount the platform does not take (Meta: a daily budget of 0)', async () => {
    const metaX = workerFor('meta_x', metaBlock(true));
    // 50 members, under the minimum size 100: the audience gets 0, and so does each channel.
    await send(allocationChangedEvent(storedRun(5, 50), undefined), metaX);
    const [latest] = await logOf('meta_x');
    expect(latest?.[0]).toBe('400');
    expect(latest?.[2]).toBe(JSON.stringify({ daily_budget: 0 }));
    expect(latest?.[3]).toMatch(/^budget\.allocation_changed: dead: .*Meta error 100: .*daily_budget/);
    expect(meta.adSetBudget(AD_SET)).toBeUndefined();
  });
});
