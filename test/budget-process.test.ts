import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetHistory, BudgetView } from '../src/admin/budget-view.js';
import {
  FAKE_WEBHOOK_PATH,
  FAKE_WEBHOOK_SECRET,
  startFakeWebhookReceiver,
  type FakeWebhookReceiver,
} from '../src/destinations/webhook/fake-server.js';
import { AllocationChangedData } from '../src/engine/budget/allocation-event.js';
import { runCli } from './cli/run-cli.js';
import { SEGMENT_AUDIENCES_YAML } from './engine/budget/harness.js';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * The budget as `npm start` runs it (the relay as a child process, processing and the refresh loop
 * in the worker thread): events put people into two budget audiences, `POST /admin/api/budget/refresh`
 * allocates from the running sums, `GET /admin/api/budget` shows the ranking and amounts computed by
 * hand below, the webhook receiver gets a verified `budget.allocation_changed`, and the CLI prints it.
 */
const ADMIN_TOKEN = 'budget-process-admin-token-0001';
const WAIT_MS = 20_000;

const MAPPINGS = {
  'budget-test.yaml': SEGMENT_AUDIENCES_YAML,
  'budget.yaml': `budget:
  total: 500
  period: day
  audiences: [seg_a, seg_b]
  min_audience_size: 3
  cap_per_member: 100
`,
};

/** Only a webhook destination: it takes the relay's events. */
const destinations = (url: string) => `destinations:
  budget_hook:
    type: webhook
    settings: { url: ${url}${FAKE_WEBHOOK_PATH}, secret: ${FAKE_WEBHOOK_SECRET} }
    audiences: [seg_a]
`;

/**
 * By hand: seg_a holds a1 (p 0.8, order value 100), a2 (0.6, 50) and a3 (0.4, none): mean probability
 * 1.8 / 3 = 0.6, average order value (100 + 50) / 2 = 75, 45.00 per member, 135.00 in total; its cap
 * is 3 x 100 = 300.00, which fits in 500.00: saturated, 200.00 left. seg_b holds b1 (0.9) and b2
 * (0.7): mean 0.8 x the constant 50 = 40.00 per member, ranked second, but 2 members are below the
 * minimum size 3: nothing. 300.00 of 500.00 allocated, 200.00 unallocated.
 */
const PEOPLE: [string, string, Record<string, number>][] = [
  ['a1', 'a', { p: 0.8, order_value: 100 }],
  ['a2', 'a', { p: 0.6, order_value: 50 }],
  ['a3', 'a', { p: 0.4 }],
  ['b1', 'b', { p: 0.9 }],
  ['b2', 'b', { p: 0.7 }],
];

const root = makeTempDir('relay-budget-process-');
let receiver: FakeWebhookReceiver;
let relay: RelayProcess;

async function admin(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${WAIT_MS} ms\n${relay.stderr().slice(-2000)}`);
    await delay(100);
  }
}

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver({ port: 0 });
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, 'relay.db')}`,
    adminToken: ADMIN_TOKEN,
    root,
    mappingFiles: { ...MAPPINGS, 'destinations.yaml': destinations(receiver.url) },
  });
  const now = Date.now();
  const batch = PEOPLE.flatMap(([userId, segment, properties], index) => [
    {
      type: 'track',
      event: 'Scored',
      userId,
      properties,
      messageId: `bp-s-${userId}`,
      timestamp: new Date(now - 60_000 + index).toISOString(),
    },
    {
      type: 'identify',
      userId,
      traits: { segment },
      messageId: `bp-i-${userId}`,
      timestamp: new Date(now - 30_000 + index).toISOString(),
    },
  ]);
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await until('processing', async () => {
    const { body } = await admin('GET', '/processing');
    const progress = body as { storedSeq: number; processedSeq: number };
    return progress.storedSeq === batch.length && progress.processedSeq === progress.storedSeq
      ? true
      : undefined;
  });
});

afterAll(async () => {
  await relay?.stop();
  await receiver?.close();
  removeTempDir(root);
});

describe('the budget in the running relay', () => {
  it('allocates on demand from the running sums, as computed by hand', async () => {
    const refreshed = await admin('POST', '/budget/refresh');
    expect(refreshed.status).toBe(200);
    const view = BudgetView.parse((await admin('GET', '/budget')).body);
    const latest = view.latest;
    expect(latest?.trigger).toBe('api');
    expect(latest?.rows.map((row) => [row.rank, row.audience, row.size, row.cents, row.reason])).toEqual([
      [1, 'seg_a', 3, 30_000, 'saturated'],
      [2, 'seg_b', 2, 0, 'below_minimum_size'],
    ]);
    const [segA, segB] = latest?.rows ?? [];
    expect(segA?.meanProbability).toBeCloseTo(0.6, 12);
    expect(segA?.averageOrderValue).toBe(75);
    expect(segA?.expectedValuePerMember).toBeCloseTo(45, 9);
    expect(segB?.meanProbability).toBeCloseTo(0.8, 12);
    expect(segB?.averageOrderValue).toBe(50);
    expect(segA?.explanation).toBe('seg_a: 300.00 = size 3 x cap 100.00 (saturated); 200.00 left');
    expect(segB?.explanation).toBe('seg_b: 0, below the minimum size 3 (has 2)');
    expect([latest?.allocated, latest?.unallocated, latest?.total]).toEqual(['300.00', '200.00', '500.00']);
    expect(Date.parse(view.nextRefreshAt) - Date.parse(latest?.at ?? '')).toBe(15 * 60_000);

    const history = BudgetHistory.parse((await admin('GET', '/budget/history?limit=5')).body);
    expect(history.runs[0]?.id).toBe(latest?.id);
    expect(history.runs.every((run) => run.replayMatches)).toBe(true);
  });

  it('sends the webhook destination a verified budget.allocation_changed with the new amounts', async () => {
    const event = await until('the allocation event', async () => {
      const bodies = receiver
        .deliveries()
        .map((delivery) => delivery.body as { type?: string; data?: unknown });
      return bodies
        .filter((body) => body.type === 'budget.allocation_changed')
        .map((body) => AllocationChangedData.parse(body.data))
        .find((data) => data.allocations.some((a) => a.audience === 'seg_a' && a.cents === 30_000));
    });
    expect(event.allocations.map((a) => [a.audience, a.cents, a.reason])).toEqual([
      ['seg_a', 30_000, 'saturated'],
      ['seg_b', 0, 'below_minimum_size'],
    ]);
    expect([event.totalCents, event.allocatedCents, event.unallocatedCents]).toEqual([
      50_000, 30_000, 20_000,
    ]);
    expect(receiver.refused()).toEqual([]);
    const log = await until('the delivery-log entry', async () => {
      const { body } = await admin('GET', '/deliveries?destination=budget_hook&limit=50');
      const entries = (body as { deliveries: { outcome: string; items: number }[] }).deliveries;
      return entries.find((entry) => entry.outcome === 'budget.allocation_changed: delivered');
    });
    expect(log.items).toBe(0);
  });

  it('prints the allocation with the CLI, as a table and as JSON', async () => {
    const env = { RELAY_URL: relay.url, ADMIN_TOKEN };
    const text = await runCli(['budget'], env);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^run \d+ at \S+ \(api, allocation changed\): 300\.00 of 500\.00 per day allocated, 200\.00 left$/,
    );
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      'RANK',
      'AUDIENCE',
      'SIZE',
      'MEAN P',
      'AOV',
      'EV/MEMBER',
      'EV TOTAL',
      'AMOUNT',
      'REASON',
    ]);
    expect(lines[2]?.trim().split(/\s+/)).toEqual([
      '1',
      'seg_a',
      '3',
      '0.6000',
      '75.00',
      '45.00',
      '135.00',
      '300.00',
      'saturated',
    ]);
    expect(lines[3]?.trim().split(/\s+/)).toEqual([
      '2',
      'seg_b',
      '2',
      '0.8000',
      '50.00*',
      '40.00',
      '80.00',
      '0.00',
      'below_minimum_size',
    ]);
    expect(text.stdout).toContain('  seg_b: 0, below the minimum size 3 (has 2)\n');

    const json = await runCli(['budget', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(BudgetView.parse(JSON.parse(json.stdout))).toEqual(
      BudgetView.parse((await admin('GET', '/budget')).body),
    );

    const history = await runCli(['budget', '--history', '--limit', '3'], env);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout.split('\n')[1]).toMatch(
      / api +yes +300\.00 +200\.00 +same +seg_a 300\.00, seg_b 0\.00$/,
    );
  });
});
