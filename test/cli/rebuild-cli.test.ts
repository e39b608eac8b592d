import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/relay.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { basicAuth, WRITE_KEYS } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const ADMIN_TOKEN = 'admin-token-for-rebuild-cli-01';
const root = makeTempDir('relay-rebuild-cli-');
let relay: RunningRelay;
let env: Record<string, string>;

beforeAll(async () => {
  relay = await startTestRelay({ root, adminToken: ADMIN_TOKEN });
  env = { RELAY_URL: relay.url, ADMIN_TOKEN };
  const batch = [
    {
      type: 'identify',
      userId: 'r1',
      anonymousId: 'x1',
      messageId: 'rc-1',
      traits: { email: 'r1@example.com' },
    },
    { type: 'track', anonymousId: 'x1', event: 'Clicked', messageId: 'rc-2' },
    { type: 'track', userId: 'r2', event: 'Order Completed', messageId: 'rc-3', properties: { revenue: 5 } },
  ];
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
});

afterAll(async () => {
  await relay?.close();
  removeTempDir(root);
});

describe('audience-relay rebuild', () => {
  it('--json: requests a rebuild, waits, and prints the final progress', async () => {
    const result = await runCli(['rebuild', '--json', '--interval', '100'], env);
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({
      status: 'done',
      done: true,
      events: { done: 3, total: 3 },
      profiles: { done: 2, total: 2 },
      error: null,
    });
    expect(answer.finishedAt).toEqual(expect.any(String));
    expect(await relay.store.countProfiles()).toBe(2);
  });

  it('prints progress lines, then a summary; --no-wait returns once requested', async () => {
    const human = await runCli(['rebuild', '--interval', '100'], env);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^rebuild \d+ requested$/);
    expect(lines.at(-1)).toMatch(/^rebuild \d+ done in \d+\.\d s: 3 events replayed, 2 profiles$/);

    const noWait = await runCli(['rebuild', '--no-wait', '--json'], env);
    expect(noWait.code, noWait.stderr).toBe(0);
    expect(JSON.parse(noWait.stdout)).toMatchObject({
      status: expect.stringMatching(/^(requested|replaying|folding|emitting|done)$/),
    });
    await relay.whenIdle();
    const status = await fetch(`${relay.url}/admin/api/rebuild`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await status.json()).toMatchObject({ status: 'done' });
  });

  it('fails with a one-line error without a token', async () => {
    const result = await runCli(['rebuild'], { RELAY_URL: relay.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^audience-relay: POST \/admin\/api\/rebuild: HTTP 401: .*no token given/);
  });
});
