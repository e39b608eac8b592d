import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem, HttpResult } from '../../src/delivery/destination.js';
import { createHttpClient, send } from '../../src/delivery/http-client.js';
import { classify } from '../../src/destinations/slack/classify.js';
import { describeMessage } from '../../src/destinations/slack/fake.js';
import { FAKE_SLACK_PATH, startFakeSlack, type FakeSlack } from '../../src/destinations/slack/fake-server.js';
import { buildBatch } from '../../src/destinations/slack/payload.js';
import { redactBody } from '../../src/destinations/slack/redact.js';
import { SlackMapping, SlackSettings } from '../../src/destinations/slack/settings.js';

/** Builder -> the core's HTTP client (axios) -> a fake Slack incoming webhook -> classifier. */

let slack: FakeSlack;
const client = createHttpClient(2_000);

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => {
  slack.reset();
  slack.setRateLimit({ requests: 1, windowMs: 1_000 });
});

const config = (show: 'userId' | 'email' = 'userId', path = FAKE_SLACK_PATH) => ({
  settings: SlackSettings.parse({
    webhook_url: `${slack.url}${path}`,
    admin_url: 'https://relay.example.com/admin',
  }),
  mapping: SlackMapping.parse({
    audiences: ['high_intent'],
    traits: ['lead_score', 'lead_score.reasons'],
    show,
  }),
});

function entry(n: number, overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return deliveryItem({
    profileId: `p${n}`,
    version: 1,
    identifiers: { userId: `u${n}`, email: `person${n}@example.com` },
    audiences: { high_intent: true },
    knownTraits: {
      lead_score: 80 + (n % 10),
      'lead_score.reasons': ['+60 Visited pricing', `+${n} Director title`],
    },
    ...overrides,
  });
}

function only(requests: BuiltRequest[]): BuiltRequest {
  expect(requests).toHaveLength(1);
  return requests[0] as BuiltRequest;
}

describe('slack destination against a fake incoming webhook', () => {
  it('posts one readable message for an entry: who, the score, its reasons and a link', async () => {
    const request = only(buildBatch([entry(1)], config()).requests);
    const result = await send(client, request);
    expect(result).toMatchObject({ kind: 'response', status: 200, body: 'ok' });
    expect(classify(result, request)).toEqual({ items: [{ kind: 'ok' }] });
    const [message] = slack.messages();
    expect(message?.text).toBe('1 person entered high_intent');
    expect(message?.readable).toContain('*<https://relay.example.com/admin/#/person?userId=u1|u1>*');
    expect(message?.readable).toContain('lead_score: *81*');
    expect(message?.readable).toContain('lead_score.reasons: +60 Visited pricing, +1 Director title');
    // show: userId never puts the e-mail into the message.
    expect(JSON.stringify(request.body)).not.toContain('person1@example.com');
    expect(describeMessage(slack.requests[0]!)).toBe('message: 1 person entered high_intent');
  });

  it('groups 30 entries of one batch into messages of 20 people at most', async () => {
    slack.setRateLimit({ requests: 10, windowMs: 1_000 });
    const { requests } = buildBatch(
      Array.from({ length: 30 }, (_, i) => entry(i)),
      config(),
    );
    expect(requests.map((request) => request.items.length)).toEqual([20, 10]);
    for (const request of requests) expect(await send(client, request)).toMatchObject({ status: 200 });
    expect(slack.messages().map((message) => message.text)).toEqual([
      '20 people entered high_intent',
      '10 people entered high_intent',
    ]);
    expect(slack.messages()[0]?.readable.match(/\/#\/person\?/g)).toHaveLength(20);
  });

  it('sends nothing for exits and trait changes', () => {
    const built = buildBatch(
      [
        entry(1, { audiences: { high_intent: false } }),
        entry(2, { audiences: {}, traits: { lead_score: 95 } }),
      ],
      config(),
    );
    expect(built).toEqual({ requests: [], skipped: [] });
  });

  it('never takes more than one message per second: a burst is answered 429 and throttles the destination', async () => {
    const requests = [1, 2, 3, 4, 5].map((n) => only(buildBatch([entry(n)], config()).requests));
    const results: HttpResult[] = [];
    for (const request of requests) results.push(await send(client, request));
    expect(results.map((result) => (result.kind === 'response' ? result.status : result.kind))).toEqual([
      200, 429, 429, 429, 429,
    ]);
    expect(slack.messages()).toHaveLength(1);
    const throttled = classify(results[1] as HttpResult, requests[1] as BuiltRequest);
    expect(throttled.signal).toEqual({
      kind: 'throttled',
      forMs: 1_000,
      reason:
        'HTTP 429 rate_limited: over about one message per second (https://api.slack.com/docs/rate-limits)',
    });
    expect(throttled.items).toEqual([expect.objectContaining({ kind: 'retry', afterMs: 1_000 })]);
  });

  it('answers a wrong token, an unknown webhook and malformed bodies as Slack documents', async () => {
    slack.setRateLimit({ requests: 100, windowMs: 1_000 });
    const wrongToken = only(buildBatch([entry(1)], config('userId', '/services/T000/B000/WRONG')).requests);
    const tokenAnswer = await send(client, wrongToken);
    expect(tokenAnswer).toMatchObject({ status: 403, body: 'invalid_token' });
    expect(classify(tokenAnswer, wrongToken).signal?.kind).toBe('credentials');
    const unknown = only(buildBatch([entry(1)], config('userId', '/services/T999/B999/XXXX')).requests);
    const unknownAnswer = await send(client, unknown);
    expect(unknownAnswer).toMatchObject({ status: 404, body: 'no_service' });
    expect(classify(unknownAnswer, unknown).signal?.kind).toBe('credentials');

    const postRaw = async (body: string) => {
      const response = await fetch(`${slack.url}${FAKE_SLACK_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      return [response.status, await response.text()];
    };
    expect(await postRaw('{"text":')).toEqual([400, 'invalid_payload']);
    expect(await postRaw('{"username":"relay"}')).toEqual([400, 'no_text']);
    const longHeader = { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } };
    expect(await postRaw(JSON.stringify({ text: 'hi', blocks: [longHeader] }))).toEqual([
      400,
      'invalid_blocks',
    ]);
    expect(slack.messages()).toEqual([]);
  });

  it('classifies an archived channel as dead letters', async () => {
    slack.answerWith({ status: 410, error: 'channel_is_archived' });
    const request = only(buildBatch([entry(1)], config()).requests);
    expect(classify(await send(client, request), request)).toEqual({
      items: [
        {
          kind: 'reject',
          reason:
            'HTTP 410 channel_is_archived: the channel is archived: unarchive it or create a webhook for another channel',
        },
      ],
    });
  });

  it('names people by e-mail only with show: email, and the delivery log redacts it', () => {
    const request = only(buildBatch([entry(1)], config('email')).requests);
    expect(JSON.stringify(request.body)).toContain('|person1@example.com>');
    const logged = JSON.stringify(redactBody(request.body));
    expect(logged).not.toContain('person1@example.com');
    expect(logged).toContain('sha256:');
  });
});
