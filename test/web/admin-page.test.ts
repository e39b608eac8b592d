import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import { startFakeGoogle, type FakeGoogle } from '../../src/destinations/google/fake-server.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import { pickFreePort, startRelayProcess, type RelayProcess } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import {
  chromiumPath,
  collectPageErrors,
  ensurePageBuilt,
  launchChromium,
  screenshotDir,
} from './page-harness.js';
import { seedEvents, sendBatch } from './seed.js';

/**
 * The admin page as an operator uses it: the relay as `npm start` runs it (a child process, worker
 * thread, real clock) with seeded events and fake Braze, HubSpot and Google, and a webhook whose
 * receiver is down; the page in Debian's headless Chromium. Each step saves the screenshot
 * docs/operating.md shows (into docs/screenshots with UPDATE_SCREENSHOTS=true).
 */
const ADMIN_TOKEN = 'page-test-admin-token-00000001';
const WAIT_MS = 30_000;
const executablePath = chromiumPath();
if (!executablePath && process.env.CI) {
  throw new Error('Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH)');
}

function destinations(urls: { braze: string; hubspot: string; google: string; deadHook: string }): string {
  return `destinations:
  braze:
    type: braze
    settings: { endpoint: "${urls.braze}", api_key: test-braze-key }
    identify_by: userId
    audiences: [high_intent, cart_abandoners, champions]
    attribute_prefix: segment_
    traits: [lead_score]
    limits: { max_wait: 500ms }
  hubspot:
    type: hubspot
    settings: { endpoint: "${urls.hubspot}", token: test-hubspot-token }
    identify_by: email
    traits: { lead_score: relay_lead_score }
    audiences: { high_intent: { property: relay_high_intent } }
    limits: { max_wait: 500ms }
  google_high_intent:
    type: google_customer_match
    settings:
      endpoint: "${urls.google}"
      access_token: test-google-token
      operating_account_id: "1234567890"
      user_list_id: "987"
      status_poll_after: 1s
    audience: high_intent
    match_keys: [email]
    terms_of_service_accepted: true
    limits: { max_wait: 500ms }
  crm_hook:
    type: webhook
    settings: { url: "${urls.deadHook}/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }
    identifiers: [userId]
    audiences: [high_intent, cart_abandoners]
    limits: { max_wait: 500ms }
`;
}

const BUDGET = `budget:
  total: 1000
  period: day
  refresh: 15m
  audiences: [high_intent, cart_abandoners, champions]
  min_audience_size: 1
  cap_per_member: 200
  probability_from_score: { logistic: { midpoint: 50, scale: 10 } }
`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const root = makeTempDir('relay-admin-page-');
let braze: FakeBraze;
let hubspot: FakeHubspot;
let google: FakeGoogle;
let relay: RelayProcess;
let relayWithoutToken: RelayProcess;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let shots: string;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${relay.url}/admin/api/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  return (await response.json()) as T;
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${relay.stderr()}`);
    await delay(100);
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

describe.skipIf(!executablePath)('the admin page in headless Chromium', () => {
  beforeAll(async () => {
    ensurePageBuilt();
    shots = screenshotDir(root);
    [braze, hubspot, google] = await Promise.all([
      startFakeBraze(),
      startFakeHubspot(),
      startFakeGoogle({ processingPolls: 0 }),
    ]);
    // Dora's object is refused inside Braze's 201: her change becomes a dead letter.
    braze.setRejection((_array, object) =>
      object.external_id === 'dora' ? 'Invalid external_id' : undefined,
    );
    const deadHook = `http://127.0.0.1:${await pickFreePort()}`;
    [relay, relayWithoutToken] = await Promise.all([
      startRelayProcess({
        storeUrl: `sqlite:${join(root, 'relay.db')}`,
        adminToken: ADMIN_TOKEN,
        root: join(root, 'with-token'),
        mappingFiles: {
          // The example's minimum of 100 members would give every seeded audience nothing.
          'budget.yaml': BUDGET,
          'destinations.yaml': destinations({
            braze: braze.url,
            hubspot: hubspot.url,
            google: google.url,
            deadHook,
          }),
        },
        env: { DESTINATION_FAILING_ALERT_MS: '1000' },
        startTimeoutMs: 30_000,
      }),
      startRelayProcess({ storeUrl: `sqlite:${join(root, 'off.db')}`, startTimeoutMs: 30_000 }),
    ]);
    await sendBatch(relay.url, seedEvents(Date.now()));
    await waitFor(
      'Braze to hear that ada is in high_intent',
      () => braze.attributesFor('ada').segment_high_intent === true,
    );
    await waitFor('dora’s dead letter', async () => {
      const { deadLetters } = await api<{ deadLetters: unknown[] }>('dead-letters?destination=braze');
      return deadLetters.length > 0;
    });
    await waitFor('the failing webhook to raise its alert', async () => {
      const overview = await api<{ alerts: { destination: string }[] }>('overview');
      return overview.alerts.some((alert) => alert.destination === 'crm_hook');
    });
    browser = await launchChromium(executablePath as string);
    page = await browser.newPage({ viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
    pageErrors = collectPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([relay?.stop(), relayWithoutToken?.stop()]);
    await Promise.all([braze?.close(), hubspot?.close(), google?.close()]);
    removeTempDir(root);
  });

  it('says the admin API is off when the relay has no ADMIN_TOKEN', async () => {
    const other = await browser.newPage();
    await other.goto(`${relayWithoutToken.url}/admin`);
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('The admin API is off');
    await other.close();
  });

  it('logs in with the token typed into the form, never putting it in a URL', async () => {
    await page.goto(`${relay.url}/admin`);
    expect(page.url()).toBe(`${relay.url}/admin/`);
    const token = page.getByLabel('Admin token');
    await token.fill('not-the-admin-token-at-all');
    await token.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused this token');

    await token.fill(ADMIN_TOKEN);
    await screenshot('login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('audience-relay.admin-token'))).toBe(ADMIN_TOKEN);
  });

  it('shows each destination’s health and the failing webhook in a banner', async () => {
    const banner = page.getByRole('alert', { name: 'Failing destinations' });
    await expect.poll(() => banner.textContent()).toContain('crm_hook is failing');
    const brazeRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^braze/ }) });
    await expect.poll(() => brazeRow.textContent()).toMatch(/ok.*100\.0 %/);
    const hookRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^crm_hook/ }) });
    await expect.poll(() => hookRow.textContent()).toMatch(/failing since.*network/);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toContain('relay_destination_failing{destination="crm_hook"} 1');
    expect(metrics).toContain('relay_destination_failing{destination="braze"} 0');
    await screenshot('overview');
  });

  it('looks a person up and shows why bob is not in high_intent', async () => {
    await page.keyboard.press('3');
    await page.getByRole('heading', { name: 'Person' }).waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type('bob');
    await page.keyboard.press('Enter');
    await page.getByText('+25 Visited pricing').waitFor();
    await page.getByRole('button', { name: 'Why not in high_intent?' }).click();
    const why = page.getByRole('region', { name: 'Why not in high_intent' });
    await why.waitFor();
    const failing = why.locator('.tree-row.fails');
    await expect
      .poll(() => failing.allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/lead_score > 80\s*value 2\d/)]));
    expect(await why.locator('.tree-row.holds').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/not/)]),
    );
    await screenshot('person-why-not');
  });

  it('filters the delivery log and shows what was sent to Braze and what it answered', async () => {
    await page.keyboard.press('4');
    const search = page.getByRole('search', { name: 'Filter the delivery log' });
    await search.getByLabel('Destination').selectOption('braze');
    await search.getByLabel('Person').fill('userId:ada');
    await search.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/destination=braze/);
    const rows = page.locator('table.log tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    expect(await rows.first().textContent()).toMatch(/braze\s*201/);
    await rows.first().getByRole('button', { name: 'Show' }).click();
    const body = page.getByRole('figure').filter({ hasText: 'Request body' });
    expect(await body.textContent()).toContain('"segment_high_intent": true');
    expect(await page.getByRole('figure').filter({ hasText: 'Response' }).textContent()).toContain('success');
    await screenshot('delivery-log');

    await search.getByLabel('Destination').selectOption('google_high_intent');
    await search.getByLabel('Person').fill('');
    await search.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/destination=google_high_intent/);
    await expect
      .poll(() => rows.first().textContent(), { timeout: WAIT_MS })
      .toMatch(/async: SUCCESS|async: pending/);
  });

  it('replays a dead letter, which then reaches Braze', async () => {
    braze.setRejection(undefined);
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByLabel('Destination', { exact: true }).selectOption('braze');
    // Profiles without a userId are dead letters too (skipped: Braze needs one); dora's was refused.
    const refused = page.locator('table.log tbody tr').filter({ hasText: 'Invalid external_id' });
    await expect.poll(() => refused.count()).toBe(1);
    expect(await refused.textContent()).toMatch(/braze.*cart_abandoners: in/);
    await refused.getByRole('checkbox').check();
    await screenshot('dead-letters');
    await page.getByRole('button', { name: 'Replay selected (1)' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Replayed 1 dead letter');
    await waitFor('Braze to accept dora', () => braze.attributesFor('dora').segment_cart_abandoners === true);
  });

  it('shows audience sizes with their trend and previews a rule typed in the page', async () => {
    await page.keyboard.press('2');
    const highIntent = page.getByRole('article', { name: 'high_intent', exact: true });
    await expect
      .poll(() => highIntent.getByLabel('high_intent size', { exact: true }).textContent())
      .toBe('1');
    await page.getByLabel(/^Rule/).fill('{ trait: lead_score, gt: 20 }');
    await page.getByRole('button', { name: 'Preview' }).click();
    const result = page.getByRole('status', { name: 'Preview result' });
    await expect.poll(() => result.textContent()).toMatch(/^2 of \d+ profiles match/);
    expect(await result.textContent()).toContain('userId:bob');
    await screenshot('audiences');

    await highIntent.getByRole('button', { name: 'Export CSV…' }).click();
    const form = highIntent.getByRole('form', { name: 'Export high_intent' });
    await form.getByLabel('Hashed for').selectOption('google');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('high_intent-google.csv');
    const csv = await readFile((await download.path()) as string, 'utf8');
    expect(csv).toBe(`email\n${sha256('ada@example.com')}\n`);
  });

  it('shows the budget’s ranking and allocation with the arithmetic', async () => {
    await page.keyboard.press('5');
    await page.getByRole('heading', { name: 'Budget' }).waitFor();
    const table = page.getByRole('table', { name: 'Ranking and allocation' });
    if (!(await table.isVisible())) {
      await page.getByRole('button', { name: 'Run the allocation now' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Run \d+ made/);
    }
    const highIntent = table
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'high_intent' }) });
    await expect.poll(() => highIntent.textContent()).toMatch(/high_intent.*mean probability.*x/);
    expect(await page.getByRole('img', { name: 'Amount per audience' }).isVisible()).toBe(true);
    await screenshot('budget');
  });

  it('shows each score’s histogram and PSI', async () => {
    await page.keyboard.press('6');
    await page.getByRole('heading', { name: 'Scores' }).waitFor();
    await page.getByRole('button', { name: 'Take today’s snapshot now' }).click();
    const leadScore = page.getByRole('article', { name: /^lead_score/ });
    await expect.poll(() => leadScore.textContent()).toMatch(/[1-9]\d* scored/);
    expect(await leadScore.getByRole('img', { name: /lead_score histogram/ }).isVisible()).toBe(true);
    await screenshot('scores');
  });

  it('logged no script error and no refused content', () => {
    expect(pageErrors).toEqual([]);
  });
});
