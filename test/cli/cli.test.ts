import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import type { ProfileView } from '../../src/cli/api-types.js';
import { type RunningRelay } from '../../src/relay.js';
import { basicAuth, WRITE_KEYS } from '../helpers/relay-process.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { runCli, runCliHere } from './run-cli.js';

const ADMIN_TOKEN = 'admin-token-for-cli-tests-0001';
const root = mkdtempSync(join(tmpdir(), 'relay-cli-'));
let relay: RunningRelay;
let braze: FakeBraze;
let hubspot: FakeHubspot;
let env: Record<string, string>;

beforeAll(async () => {
  braze = await startFakeBraze();
  hubspot = await startFakeHubspot();
  relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    destinations: ['braze', 'hubspot'],
    processEnv: {
      DESTINATIONS_ENABLED: 'true',
      BRAZE_REST_ENDPOINT: braze.url,
      HUBSPOT_ENDPOINT: hubspot.url,
    },
  });
  env = { RELAY_URL: relay.url, ADMIN_TOKEN };

  const pricing = (n: number) => ({
    type: 'page',
    userId: 'u1',
    messageId: `cli-p${n}`,
    context: { page: { path: '/pricing' } },
  });
  const batch = [
    { type: 'identify', userId: 'u1', messageId: 'cli-i1', traits: { email: 'Ada@Example.com' } },
    pricing(1),
    pricing(2),
    pricing(3),
    {
      type: 'track',
      userId: 'u2',
      messageId: 'cli-o1',
      event: 'Order Completed',
      properties: { revenue: 300 },
    },
  ];
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
  // Delivery runs on its own (max_wait 1 s): wait for u1's first Braze request to be logged.
  for (let tries = 0; braze.accepted().length === 0 && tries < 100; tries++) await delay(100);
  await delay(200);
});

afterAll(async () => {
  await relay?.close();
  await braze?.close();
  await hubspot?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('audience-relay against a running relay', () => {
  it('audiences --json prints the API answer; the table lists every audience', async () => {
    const json = await runCliHere(['audiences', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout) as { audiences: { name: string; size: number }[] };
    expect(answer.audiences.map((audience) => audience.name)).toEqual(Object.keys(relay.config().audiences));

    const human = await runCliHere(['audiences'], env);
    expect(human.code, human.stderr).toBe(0);
    const [header, ...rows] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^AUDIENCE\s+SIZE\s+TREND \(last point\)\s+BACKFILL$/);
    expect(rows).toHaveLength(answer.audiences.length);
    expect(rows.find((row) => row.startsWith('high_intent '))).toMatch(/^high_intent\s+\d+\s+.+\s+ready$/);
  });

  it('explain --user: the rule tree as JSON, and as a tree with ✓/✗ and values', async () => {
    const json = await runCliHere(['explain', '--user', 'u1', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout) as {
      profileId: string;
      audiences: { audience: string; explain: { kind: string; children: unknown[] } }[];
    };
    expect(answer.profileId).toMatch(/\S/);
    const highIntent = answer.audiences.find((entry) => entry.audience === 'high_intent');
    expect(highIntent?.explain.kind).toBe('audience');

    const human = await runCliHere(['explain', '--user', 'u1', '--audience', 'high_intent'], env);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toBe(`profile ${answer.profileId}`);
    expect(lines).toContainEqual(expect.stringMatching(/^high_intent: (member|not a member)/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {6}✓ performed page where context\.page\.path = \/pricing .* count ≥?3/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}[✓✗] lead_score > 80\s+value \d/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {8}✗ is_customer = true\s+value null$/));
  });

  it('profile --email shows identifiers, traits and events', async () => {
    const result = await runCliHere(['profile', '--email', 'ada@example.com'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^identifiers\n {2}email\s+ada@example\.com\n {2}userId\s+u1$/m);
    expect(result.stdout).toMatch(/^ {2}pricing_views_48h\s+3$/m);
    expect(result.stdout).toContain('last events (4 of 4 shown)');
    expect(result.stdout).toMatch(/^memberships: none\n\nmembership history \(0 of 0 shown\)$/m);
  });

  it('deliveries search: --user and relative --since/--until reach the API; JSON and table', async () => {
    const json = await runCliHere(['deliveries', 'search', '--user', 'u1', '--since', '1h', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout) as { deliveries: { destination: string; status: string }[] };
    expect(answer.deliveries).toContainEqual(
      expect.objectContaining({ destination: 'braze', status: '201' }),
    );

    const none = await runCliHere(['deliveries', 'search', '--until', '1h', '--json'], env);
    expect((JSON.parse(none.stdout) as { deliveries: unknown[] }).deliveries).toEqual([]);
    const other = await runCliHere(['deliveries', 'search', '--user', 'nobody', '--json'], env);
    expect((JSON.parse(other.stdout) as { deliveries: unknown[] }).deliveries).toEqual([]);

    const human = await runCliHere(['deliveries', 'search', '--destination', 'braze'], env);
    expect(human.code, human.stderr).toBe(0);
    const [header, first] = human.stdout.split('\n');
    expect(header).toMatch(/^TIME\s+DESTINATION\s+STATUS\s+ITEMS\s+LATENCY\s+OUTCOME$/);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+braze\s+201\s+\d+\s+\d+ ms\s+\d+ delivered/);
  });

  it('status: processing, last reload and backfills', async () => {
    const result = await runCliHere(['status'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^processing\s+stored 5 {2}processed 5 {2}pending 0$/m);
    expect(result.stdout).toMatch(/^last reload\s+\S+ \(startup\) ok$/m);
    expect(result.stdout).toMatch(/^backfills\s+\d+ ready, 0 running$/m);

    const json = await runCliHere(['status', '--json'], env);
    const answer = JSON.parse(json.stdout) as { processing: { pending: number }; config: { dir: string } };
    expect(answer.processing.pending).toBe(0);
    expect(answer.config.dir).toBe(join(root, 'mappings'));
  });

  it('profile shows the audiences a person is in since when, and each entry with its cause', async () => {
    const res = await fetch(`${relay.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
      body: JSON.stringify({ userId: 'u3', messageId: 'cli-a3', event: 'Product Added' }),
    });
    expect(res.status).toBe(200);
    await relay.whenIdle();

    const json = await runCliHere(['profile', '--user', 'u3', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout) as ProfileView;
    const [membership] = answer.memberships;
    expect(answer.memberships).toEqual([{ audience: 'cart_abandoners', enteredAt: expect.any(String) }]);
    expect(answer.membershipHistory).toEqual([
      {
        audience: 'cart_abandoners',
        member: true,
        at: membership?.enteredAt,
        cause: 'event',
        messageId: 'cli-a3',
      },
    ]);

    const human = await runCliHere(['profile', '--user', 'u3'], env);
    expect(human.code, human.stderr).toBe(0);
    const since = (membership?.enteredAt ?? '').replace(/\.\d{3}Z$/, 'Z');
    expect(human.stdout).toContain(
      ['memberships', '  AUDIENCE         ENTERED AT', `  cart_abandoners  ${since}`, ''].join('\n'),
    );
    expect(human.stdout).toContain(
      [
        'membership history (1 of 1 shown)',
        '  TIME                  AUDIENCE         CHANGE   CAUSE  MESSAGE ID',
        `  ${since}  cart_abandoners  entered  event  cli-a3`,
      ].join('\n'),
    );
  });

  it('reload reloads the mapping files', async () => {
    const result = await runCliHere(['reload'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^reloaded \d+ files at \S+Z$/m);
  });

  it('dead-letters lists what Braze refused; replay --id queues it again', async () => {
    braze.setRejection((_array, object) => (object.external_id === 'u9' ? 'Invalid attribute' : undefined));
    const res = await fetch(`${relay.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
      body: JSON.stringify({
        userId: 'u9',
        messageId: 'cli-o9',
        event: 'Order Completed',
        properties: { revenue: 5 },
      }),
    });
    expect(res.status).toBe(200);
    const deadLetters = async () =>
      JSON.parse((await runCliHere(['dead-letters', '--destination', 'braze', '--json'], env)).stdout) as {
        deadLetters: { id: number; destination: string }[];
      };
    let answer = await deadLetters();
    for (let tries = 0; answer.deadLetters.length === 0 && tries < 10; tries++) {
      await delay(500);
      answer = await deadLetters();
    }
    const [letter] = answer.deadLetters;
    expect(letter?.destination).toBe('braze');

    const human = await runCliHere(['dead-letters'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+DEAD AT\s+DESTINATION\s+PROFILE\s+TRIES\s+CHANGE\s+REASON$/m);
    expect(human.stdout).toMatch(
      new RegExp(`^\\s*${letter?.id}\\s+\\S+Z\\s+braze\\s+.*Invalid attribute`, 'm'),
    );

    braze.setRejection(undefined);
    const replay = await runCliHere(['replay', '--id', String(letter?.id)], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe('replayed 1 dead letter\n');
    expect((await deadLetters()).deadLetters).toEqual([]);
  });

  it('fails with one line, the status and the API error, exit 1, never the token', async () => {
    const wrong = await runCli(['audiences'], { ...env, ADMIN_TOKEN: 'wrong-token-wrong-token' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'audience-relay: GET /admin/api/audiences: HTTP 401: Authorization: a valid "Bearer <ADMIN_TOKEN>" is required\n',
    );
    const missing = await runCliHere(['explain', '--user', 'nobody', '--token', ADMIN_TOKEN], {
      RELAY_URL: relay.url,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404: userId: no profile has this identifier');
    for (const output of [wrong.stdout, wrong.stderr, missing.stdout, missing.stderr]) {
      expect(output).not.toContain('wrong-token');
      expect(output).not.toContain(ADMIN_TOKEN);
    }
    const usage = await runCliHere(['replay'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'audience-relay: replay needs --destination, --id or --all\n(add --help for usage)\n',
    );
  });
});

describe('a CLI that never surprises (each case failed before its fix)', () => {
  it('audiences preview and members take --url, --token and --json wherever they are placed', async () => {
    const connection = ['--url', relay.url, '--token', ADMIN_TOKEN];
    const rule = ['--rule', '{trait: lead_score, gt: -1}'];
    // The first as the real process (it asked localhost before the fix), the rest in this process.
    for (const [index, args] of [
      ['audiences', 'preview', ...rule, ...connection, '--json'],
      ['audiences', ...connection, 'preview', '--json', ...rule],
      ['audiences', '--json', 'preview', ...rule, ...connection],
    ].entries()) {
      const result = index === 0 ? await runCli(args) : await runCliHere(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        size: expect.any(Number),
        evaluated: expect.any(Number),
      });
    }
    for (const args of [
      ['audiences', 'members', 'cart_abandoners', ...connection, '--json'],
      ['audiences', ...connection, '--json', 'members', 'cart_abandoners'],
    ]) {
      const result = await runCliHere(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ audience: 'cart_abandoners' });
    }
  });

  it('replay and deliveries search name a destination that does not exist, exit 1', async () => {
    const replay = await runCliHere(['replay', '--destination', 'nope'], env);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/destination: no destination named "nope"/);
    const search = await runCliHere(['deliveries', 'search', '--destination', 'nope'], env);
    expect(search.code).toBe(1);
    expect(search.stderr).toMatch(/destination: no destination named "nope"/);
    expect(search.stdout).toBe('');
  });

  it('validate: a missing directory, a file and an empty directory are errors naming the path, exit 1', async () => {
    const missing = join(root, 'no-such-dir');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    for (const [dir, message] of [
      [missing, 'does not exist'],
      ['README.md', 'is not a directory'],
      [empty, 'no mapping files'],
    ] as const) {
      const result = await runCliHere(['validate', dir]);
      expect(result.code, `${dir}: ${result.stdout}`).toBe(1);
      expect(result.stderr).toContain(dir);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('usage errors exit 2 with the problem and a pointer to --help', async () => {
    for (const args of [
      ['audiences', '--bogus'],
      ['nonsense'],
      ['replay'],
      ['audiences', 'members'],
      ['deliveries', 'search', '--limit', 'many'],
      ['explain'],
      ['audiences', 'bogus'],
      ['deliveries', 'bogus'],
      ['fakes', '--json'],
      ['validate', '--url', relay.url],
    ]) {
      const result = await runCliHere(args, env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/--help/);
    }
    const unknown = await runCliHere(['audiences', 'bogus'], env);
    expect(unknown.stderr).toMatch(
      /^audience-relay: unknown command 'bogus' for 'audiences' \(its commands: list, /,
    );
    for (const args of [['help'], ['--help'], ['audiences', '--help'], ['help', 'replay']]) {
      const help = await runCliHere(args);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/^Usage: audience-relay /);
    }
  });
});
