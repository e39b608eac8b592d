import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DestinationWorker } from '../src/delivery/destination-worker.js';
import { RelayEventSender } from '../src/delivery/notify.js';
import { workerSettings } from '../src/delivery/runner.js';
import { DESTINATIONS } from '../src/destinations/registry.js';
import {
  FAKE_WEBHOOK_PATH,
  FAKE_WEBHOOK_SECRET,
  startFakeWebhookReceiver,
  type FakeWebhookReceiver,
} from '../src/destinations/webhook/fake-server.js';
import { notify } from '../src/destinations/webhook/notify.js';
import { WebhookSettings } from '../src/destinations/webhook/settings.js';
import { createLogger } from '../src/lib/logger.js';
import { createMetrics } from '../src/lib/metrics.js';
import { verify } from '../src/lib/standard-webhooks.js';
import { DestinationBlock } from '../src/mappings/destinations-schema.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * Relay events (`budget.allocation_changed`) to a webhook destination: one signed Standard Webhooks
 * request per event, sent through the destination's limiter and transport, every attempt in the
 * delivery log; a failing event is tried four times in all, a rejected one once, then dropped.
 */
const EVENT = {
  type: 'budget.allocation_changed',
  data: { runId: 7, allocations: [{ audience: 'a', cents: 100 }] },
};

let root: string;
let store: SqliteStore;
let receiver: FakeWebhookReceiver;
let worker: DestinationWorker;

beforeAll(async () => {
  root = makeTempDir('relay-budget-notify-');
  store = new SqliteStore({ path: `${root}/relay.db` });
  receiver = await startFakeWebhookReceiver({ port: 0 });
  const block = DestinationBlock.parse({
    type: 'webhook',
    settings: { url: `${receiver.url}${FAKE_WEBHOOK_PATH}`, secret: FAKE_WEBHOOK_SECRET },
    audiences: ['a'],
  });
  const deps = { store, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) };
  const type = DESTINATIONS.webhook;
  if (type === undefined) throw new Error('the webhook destination is not registered');
  worker = new DestinationWorker(workerSettings('hook', block, type), deps);
});

afterEach(() => receiver.reset());

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await store?.close();
  removeTempDir(root);
});

const sender = () => new RelayEventSender(createLogger({ level: 'silent' }), [1, 1, 1]);
const logOf = async () =>
  (await store.searchDeliveryLog({ destination: 'hook', limit: 100 })).map((entry) => [
    entry.status,
    entry.attempt,
    entry.items,
    entry.outcome,
  ]);

describe('relay events to a webhook destination', () => {
  it('builds one signed request whose body is the event and whose id stays the same on every attempt', () => {
    const settings = WebhookSettings.parse({
      url: 'https://hooks.example.com/relay',
      secret: FAKE_WEBHOOK_SECRET,
    });
    const first = notify(EVENT, { settings }, () => 1_700_000_000_000);
    const again = notify(EVENT, { settings }, () => 1_700_000_060_000);
    expect(first).toMatchObject({ method: 'POST', url: 'https://hooks.example.com/relay', items: [0] });
    expect(JSON.parse(first.body as string)).toEqual(EVENT);
    expect(first.headers['webhook-id']).toBe(again.headers['webhook-id']);
    expect(first.headers['webhook-signature']).not.toBe(again.headers['webhook-signature']);
    expect(verify(FAKE_WEBHOOK_SECRET, first.headers, first.body as string, 1_700_000_000)).toMatchObject({
      ok: true,
    });
  });

  it('is delivered through the worker, verified by the receiver and written to the delivery log', async () => {
    const before = (await logOf()).length;
    await sender().send(EVENT, [() => worker.eventChannel()]);
    expect(receiver.deliveries().map((delivery) => delivery.body)).toEqual([EVENT]);
    const log = await logOf();
    expect(log.slice(0, log.length - before)).toEqual([
      ['200', 1, 0, 'budget.allocation_changed: delivered'],
    ]);
  });

  it('is tried four times while the receiver fails, then dropped', async () => {
    receiver.answerWith({ status: 500 });
    const before = (await logOf()).length;
    await sender().send(EVENT, [() => worker.eventChannel()]);
    const log = await logOf();
    expect(log.slice(0, log.length - before).map(([status, attempt]) => [status, attempt])).toEqual([
      ['500', 4],
      ['500', 3],
      ['500', 2],
      ['500', 1],
    ]);
    expect(receiver.deliveries()).toEqual([]);
  });

  it('is tried once when the receiver refuses it for good', async () => {
    receiver.answerWith({ status: 400 });
    const before = (await logOf()).length;
    await sender().send(EVENT, [() => worker.eventChannel()]);
    const log = await logOf();
    expect(log.slice(0, log.length - before)).toEqual([
      ['400', 1, 0, 'budget.allocation_changed: dead: HTTP 400: the receiver refused the body'],
    ]);
  });
});
