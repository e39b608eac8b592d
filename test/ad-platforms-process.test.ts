import { Analytics } from '@segment/analytics-node';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchView } from '../src/admin/match-view.js';
import { startFakeGoogle, type FakeGoogle } from '../src/destinations/google/fake-server.js';
import { startFakeMeta, type FakeMeta } from '../src/destinations/meta/fake-server.js';
import { startFakeSlack, type FakeSlack } from '../src/destinations/slack/fake-server.js';
import {
  startFakeWebhookReceiver,
  type FakeWebhookReceiver,
} from '../src/destinations/webhook/fake-server.js';
import { startRelayProcess, WRITE_KEYS, type RelayProcess } from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * Ad platforms as `npm start` runs them: the relay as a child process (worker thread, real clock),
 * events from @segment/analytics-node, and the fake Meta, Google, webhook receiver and Slack over real
 * HTTP. A person enters an audience with an e-mail that needs each platform's normalisation, changes
 * e-mail while in it, and leaves: each platform is told to remove the hash it was given. Another
 * person enters and leaves before a flush: no platform hears of them.
 */
const ADMIN_TOKEN = 'ad-platforms-admin-token-0000001';
const WAIT_MS = 20_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const META_AUDIENCE = '2384000000000001';
const GOOGLE_LIST = '987';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The documented normalisations of " John.Doe+promo@GoogleMail.com " and "+1 (650) 555-0100". */
const META_EMAIL = sha256('john.doe+promo@googlemail.com');
const GOOGLE_EMAIL = sha256('johndoe@googlemail.com');
const META_PHONE = sha256('16505550100');

const AUDIENCE = 'audiences:\n  ads_vip:\n    rule: { trait: plan, eq: vip }\n';

function destinations(urls: { meta: string; google: string; hook: string; slack: string }): string {
  return `destinations:
  meta_vip:
    type: meta_custom_audience
    settings: { endpoint: "${urls.meta}", access_token: test-meta-token, audience_id: "${META_AUDIENCE}" }
    audience: ads_vip
    match_keys: [email, phone]
    limits: { max_wait: 2s }
  google_vip:
    type: google_customer_match
    settings:
      endpoint: "${urls.google}"
      access_token: test-google-token
      operating_account_id: "1234567890"
      user_list_id: "${GOOGLE_LIST}"
      status_poll_after: 1s
    audience: ads_vip
    match_keys: [email]
    terms_of_service_accepted: true
    limits: { max_wait: 2s }
  crm_hook:
    type: webhook
    settings: { url: "${urls.hook}/hook", secret: "${SECRET}" }
    audiences: [ads_vip]
    limits: { max_wait: 2s }
  sales_alerts:
    type: slack
    settings: { webhook_url: "${urls.slack}/services/T000/B000/XXXX", admin_url: "http://relay.test/admin" }
    audiences: [ads_vip]
    limits: { max_wait: 2s }
`;
}

const root = makeTempDir('relay-ad-platforms-');
let meta: FakeMeta;
let google: FakeGoogle;
let hook: FakeWebhookReceiver;
let slack: FakeSlack;
let relay: RelayProcess;

beforeAll(async () => {
  meta = await startFakeMeta();
  google = await startFakeGoogle({ processingPolls: 0 });
  hook = await startFakeWebhookReceiver({ secret: SECRET });
  slack = await startFakeSlack();
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, 'relay.db')}`,
    adminToken: ADMIN_TOKEN,
    root,
    mappingFiles: {
      'destinations.yaml': destinations({
        meta: meta.url,
        google: google.url,
        hook: hook.url,
        slack: slack.url,
      }),
      'ads.yaml': AUDIENCE,
    },
  });
});

afterAll(async () => {
  await relay?.stop();
  await Promise.all([meta?.close(), google?.close(), hook?.close(), slack?.close()]);
  removeTempDir(root);
});

async function identify(userId: string, traits: Record<string, unknown>): Promise<void> {
  const analytics = new Analytics({ writeKey: WRITE_KEYS.server, host: relay.url, flushAt: 1 });
  analytics.identify({ userId, traits });
  await analytics.closeAndFlush();
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${relay.stderr()}`);
    await delay(50);
  }
}

async function matches(): Promise<MatchView> {
  const response = await fetch(`${relay.url}/admin/api/matches`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return MatchView.parse(await response.json());
}

const metaHolds = (hash: string) => meta.members(META_AUDIENCE).some((row) => row.EMAIL === hash);
const googleHolds = (hash: string) => google.identifiers(GOOGLE_LIST).includes(`emailAddress:${hash}`);

describe('the relay process delivering to ad platforms', () => {
  it('adds under each platform’s normalised hash and removes under the hash of the add after the e-mail changed', async () => {
    await identify('ada', {
      email: ' John.Doe+promo@GoogleMail.com ',
      phone: '+1 (650) 555-0100',
      plan: 'vip',
    });
    await waitFor('Meta and Google to hold ada', () => metaHolds(META_EMAIL) && googleHolds(GOOGLE_EMAIL));
    expect(meta.members(META_AUDIENCE)).toEqual([
      expect.objectContaining({ EMAIL: META_EMAIL, PHONE: META_PHONE }),
    ]);

    await identify('ada', { email: 'ada.new@example.com' });
    await identify('ada', { plan: 'free' });
    await waitFor('both to remove ada', () => !metaHolds(META_EMAIL) && !googleHolds(GOOGLE_EMAIL));
    expect(meta.members(META_AUDIENCE)).toEqual([]);
    expect(google.identifiers(GOOGLE_LIST)).toEqual([]);
    const removals = meta.accepted().filter((request) => request.method === 'DELETE');
    expect(JSON.stringify(removals.map((request) => request.body))).toContain(META_EMAIL);
  });

  it('sends nothing to an ad platform for a person who enters and leaves before a flush', async () => {
    const before =
      meta.requests.length + google.requests.filter((r) => r.path.includes('audienceMembers')).length;
    await identify('bob', { email: 'bob@example.com', plan: 'vip' });
    await identify('bob', { plan: 'free' });
    // A later change flushes both platforms' queues; bob's enter and leave cancelled out before it.
    await identify('cy', { email: 'cy@example.com', plan: 'vip' });
    await waitFor(
      'Meta and Google to hold cy',
      () => metaHolds(sha256('cy@example.com')) && googleHolds(sha256('cy@example.com')),
    );
    const sent = [...meta.requests, ...google.requests].map((request) =>
      JSON.stringify(request.body ?? null),
    );
    expect(sent.filter((body) => body.includes(sha256('bob@example.com')))).toEqual([]);
    expect(
      meta.requests.length + google.requests.filter((r) => r.path.includes('audienceMembers')).length,
    ).toBeGreaterThan(before);
  });

  it('signs every webhook delivery, alerts Slack once per entry, and never sends a raw e-mail to an ad platform', async () => {
    await waitFor('the webhook to hear cy', () =>
      hook.deliveries().some((delivery) => JSON.stringify(delivery.body).includes('"cy"')),
    );
    expect(hook.refused()).toEqual([]);
    await waitFor('Slack to announce cy', () =>
      slack.messages().some((message) => message.readable.includes('cy')),
    );
    const announced = slack.messages().map((message) => message.readable);
    expect(announced.filter((text) => text.includes('ada'))).toHaveLength(1);
    for (const request of [...meta.requests, ...google.requests]) {
      expect(JSON.stringify(request.body ?? null)).not.toMatch(/@|\+1 \(650\)/);
    }
  });

  it('shows what each platform holds, what was sent and Google’s final result in the admin API', async () => {
    await waitFor('Google’s result', async () => {
      const view = await matches();
      return view.matches.some((match) => match.recent.some((request) => request.asyncStatus === 'SUCCESS'));
    });
    const view = await matches();
    const metaView = view.matches.find((match) => match.destination === 'meta_vip');
    expect(metaView).toMatchObject({ audience: 'ads_vip', held: 1, added: 2, removed: 1 });
    const googleView = view.matches.find((match) => match.destination === 'google_vip');
    expect(googleView?.held).toBe(1);
    expect(googleView?.warning).toMatch(/under its minimum of 100/);
  });
});
