import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem } from '../../src/delivery/destination.js';
import { createHttpClient, send } from '../../src/delivery/http-client.js';
import { classify } from '../../src/destinations/webhook/classify.js';
import { describeDelivery } from '../../src/destinations/webhook/fake.js';
import {
  FAKE_WEBHOOK_SECRET,
  startFakeWebhookReceiver,
  type FakeWebhookReceiver,
} from '../../src/destinations/webhook/fake-server.js';
import { MAX_BODY_BYTES } from '../../src/destinations/webhook/limits.js';
import { buildBatch } from '../../src/destinations/webhook/payload.js';
import { redactBody } from '../../src/destinations/webhook/redact.js';
import { WebhookMapping, WebhookSettings } from '../../src/destinations/webhook/settings.js';

/** Builder -> the core's HTTP client (axios) -> a verifying Standard Webhooks receiver -> classifier. */

let receiver: FakeWebhookReceiver;
const client = createHttpClient(2_000);

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.reset();
});

const mapping = WebhookMapping.parse({
  identifiers: ['userId', 'email'],
  audiences: ['high_intent'],
  traits: ['lead_score'],
});
const config = () => ({
  settings: WebhookSettings.parse({ url: `${receiver.url}/hook`, secret: FAKE_WEBHOOK_SECRET }),
  mapping,
});

const threeChanges: DeliveryItem[] = [
  deliveryItem({
    profileId: 'p1',
    version: 7,
    identifiers: { userId: 'u1', email: 'ada@example.com' },
    audiences: { high_intent: true },
    traits: { lead_score: 82 },
    causedBy: ['m-101'],
  }),
  deliveryItem({
    profileId: 'p2',
    version: 3,
    identifiers: { userId: 'u2' },
    audiences: { high_intent: true },
  }),
  deliveryItem({
    profileId: 'p3',
    version: 12,
    identifiers: { userId: 'u3' },
    audiences: { high_intent: false },
  }),
];

function only(requests: BuiltRequest[]): BuiltRequest {
  expect(requests).toHaveLength(1);
  return requests[0] as BuiltRequest;
}

/** Sends a body and headers as given (bypassing the builder), for tampering. */
async function post(body: string, headers: Record<string, string>) {
  const response = await fetch(`${receiver.url}/hook`, { method: 'POST', headers, body });
  return response.status;
}

describe('webhook destination against a verifying receiver', () => {
  it('sends signed requests the receiver verifies, through axios unchanged', async () => {
    const request = only(buildBatch(threeChanges, config()).requests);
    const result = await send(client, request);
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    expect(classify(result, request)).toEqual({ items: [{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }] });
    expect(receiver.refused()).toEqual([]);
    const [delivery] = receiver.deliveries();
    expect(delivery?.id).toBe(request.headers['webhook-id']);
    expect(delivery?.body).toEqual(JSON.parse(request.body as string));
    expect(delivery?.body).toMatchObject({
      type: 'audience.changes',
      data: [
        {
          profileId: 'p1',
          identifiers: { userId: 'u1', email: 'ada@example.com' },
          entered: ['high_intent'],
        },
        { profileId: 'p2', entered: ['high_intent'] },
        { profileId: 'p3', exited: ['high_intent'] },
      ],
    });
    expect(describeDelivery(receiver.requests[0]!)).toBe(
      `3 changes (2 entered high_intent, 1 exited high_intent) id ${request.headers['webhook-id']}`,
    );
  });

  it('refuses a tampered body and a tampered signature with 401, and classifies that as credentials', async () => {
    const request = only(buildBatch(threeChanges, config()).requests);
    const body = request.body as string;
    expect(await post(body.replace('"lead_score":82', '"lead_score":99'), request.headers)).toBe(401);
    const signature = request.headers['webhook-signature'] as string;
    const forged = `v1,${Buffer.from('not the signature').toString('base64')}`;
    expect(signature).not.toBe(forged);
    expect(await post(body, { ...request.headers, 'webhook-signature': forged })).toBe(401);
    expect(receiver.refused().map((refusal) => refusal.reason)).toEqual([
      'no matching signature',
      'no matching signature',
    ]);
    expect(receiver.deliveries()).toEqual([]);
    const answer = classify({ kind: 'response', status: 401, headers: {}, body: {} }, request);
    expect(answer.signal?.kind).toBe('credentials');
    expect(answer.items.every((outcome) => outcome.kind === 'retry')).toBe(true);
  });

  it('accepts any matching v1 entry of a rotated signature list, and refuses stale or future timestamps', async () => {
    const request = only(buildBatch(threeChanges, config()).requests);
    const rotated = `v1a,ignored v1,${Buffer.from('old secret').toString('base64')} ${request.headers['webhook-signature']}`;
    expect(await post(request.body as string, { ...request.headers, 'webhook-signature': rotated })).toBe(
      200,
    );
    for (const skew of [-310_000, 310_000]) {
      const skewed = only(buildBatch(threeChanges, config(), () => Date.now() + skew).requests);
      expect(await send(client, skewed)).toMatchObject({ status: 401 });
    }
    expect(receiver.refused().map((refusal) => refusal.reason)).toEqual([
      'timestamp out of tolerance',
      'timestamp out of tolerance',
    ]);
  });

  it('keeps the webhook-id of the same content on a retry, with a fresh timestamp; the receiver dedupes', async () => {
    const first = only(buildBatch(threeChanges, config()).requests);
    const retry = only(buildBatch(threeChanges, config(), () => Date.now() + 2_000).requests);
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(retry.headers['webhook-timestamp']).not.toBe(first.headers['webhook-timestamp']);
    expect(retry.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(retry.body).toBe(first.body);
    // The first answer was lost (a timeout, say): the sender retries the same content.
    expect(await send(client, first)).toMatchObject({ status: 200 });
    expect(await send(client, retry)).toMatchObject({
      status: 200,
      body: { received: true, duplicate: true },
    });
    expect(receiver.deliveries()).toHaveLength(1);
    expect(receiver.deliveries()[0]?.received).toBe(2);
    // A newer version of one profile is new content: a new id.
    const newer = threeChanges.map((item, index) => (index === 0 ? { ...item, version: 8 } : item));
    expect(only(buildBatch(newer, config()).requests).headers['webhook-id']).not.toBe(
      first.headers['webhook-id'],
    );
  });

  it('classifies the receiver answering 410, 429 and 500, then takes the retry once', async () => {
    const request = only(buildBatch(threeChanges, config()).requests);
    receiver.answerWith({ status: 410 });
    const gone = classify(await send(client, request), request);
    expect(gone.items).toEqual(
      Array(3).fill({
        kind: 'reject',
        reason:
          'HTTP 410: endpoint gone (410): disabled; fix settings.url or the receiver, then replay the dead letters',
      }),
    );
    receiver.answerWith({ status: 429, retryAfterSeconds: 3 });
    const throttled = classify(await send(client, request), request);
    expect(throttled.signal).toEqual({
      kind: 'throttled',
      forMs: 3_000,
      reason: 'HTTP 429: the receiver asks to slow down',
    });
    receiver.answerWith({ status: 500 });
    expect(classify(await send(client, request), request).items[0]).toEqual({
      kind: 'retry',
      reason: 'HTTP 500: receiver error',
    });
    receiver.answerWith(undefined);
    const retried = only(buildBatch(threeChanges, config()).requests);
    expect(classify(await send(client, retried), retried).items).toEqual(Array(3).fill({ kind: 'ok' }));
    expect(receiver.deliveries()).toHaveLength(1);
  });

  it('splits a batch so every body stays within 20 KB, each signed and verified', async () => {
    const heavy = Array.from({ length: 50 }, (_, i) =>
      deliveryItem({
        profileId: `p${i}`,
        version: 1,
        identifiers: { userId: `user-${i}`, email: `person${i}@example.com` },
        audiences: { high_intent: true },
        traits: { lead_score: i },
        causedBy: Array.from(
          { length: 20 },
          (_, j) => `00000000-0000-4000-8000-${String(i * 100 + j).padStart(12, '0')}`,
        ),
      }),
    );
    const { requests } = buildBatch(heavy, config());
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.flatMap((request) => request.items)).toEqual(heavy.map((_, index) => index));
    for (const request of requests) {
      expect(Buffer.byteLength(request.body as string)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(await send(client, request)).toMatchObject({ status: 200 });
    }
    expect(receiver.deliveries()).toHaveLength(requests.length);
    expect(receiver.refused()).toEqual([]);
  });

  it('keeps identifiers out of the delivery log and the secret out of the request', () => {
    const request = only(buildBatch(threeChanges, config()).requests);
    const logged = JSON.stringify(redactBody(request.body));
    expect(logged).not.toContain('ada@example.com');
    expect(logged).not.toContain('"u1"');
    expect(logged).toContain('sha256:');
    expect(JSON.stringify(request)).not.toContain(FAKE_WEBHOOK_SECRET.slice('whsec_'.length));
  });

  it('refuses a secret that is not whsec_ base64 of 24 to 64 bytes, and headers the relay sets', () => {
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c2hvcnQ=', 'whsec_not base64!']) {
      expect(WebhookSettings.safeParse({ url: 'https://x.example.com/hook', secret }).success).toBe(false);
    }
    const withHeader = (headers: Record<string, string>) =>
      WebhookSettings.safeParse({ url: 'https://x.example.com/hook', secret: FAKE_WEBHOOK_SECRET, headers });
    expect(withHeader({ 'X-Api-Key': 'k' }).success).toBe(true);
    expect(withHeader({ 'Webhook-Signature': 'v1,x' }).success).toBe(false);
  });
});
