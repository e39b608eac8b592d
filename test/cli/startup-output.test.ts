import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/lib/logger.js';
import { startRelay } from '../../src/relay.js';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * What the relay process tells its operator: at start-up, one block on stdout (where it listens, the
 * admin page, whether the admin API is on, which destinations are on and off and why, the store) and
 * the same as a log line; a start refused on missing mapping files; refused intake requests as
 * rate-limited warn lines with the reason and field, never the body.
 */

const root = makeTempDir('relay-startup-');
const started: RelayProcess[] = [];
/** With ADMIN_TOKEN and the example mappings; without ADMIN_TOKEN, Braze on and HubSpot off. */
let withToken: RelayProcess;
let withoutToken: RelayProcess;

beforeAll(async () => {
  [withToken, withoutToken] = await Promise.all([
    start('on', { adminToken: 'admin-token-for-startup-test-1' }),
    start('off', { mappingFiles: { 'destinations.yaml': DESTINATIONS_YAML } }),
  ]);
});

afterAll(async () => {
  await Promise.all(started.map((relay) => relay.stop()));
  removeTempDir(root);
});

/** Braze on, HubSpot off: the rest of the example destinations left out. */
const DESTINATIONS_YAML = `destinations:
  braze:
    type: braze
    settings: { endpoint: 'http://127.0.0.1:9', api_key: test-braze-key }
    identify_by: userId
    audiences: [high_intent]
  hubspot:
    type: hubspot
    enabled: false
    settings: { endpoint: 'http://127.0.0.1:9', token: test-hubspot-token }
    identify_by: email
    audiences: { high_intent: { property: relay_high_intent } }
`;

async function start(name: string, options: { adminToken?: string; mappingFiles?: Record<string, string> }) {
  const relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, `${name}.db`)}`,
    root: join(root, name),
    env: { LOG_LEVEL: 'info' },
    ...options,
  });
  started.push(relay);
  return relay;
}

/** The start-up block's lines, once written (the process may answer /healthz a moment before). */
async function startupBlock(relay: RelayProcess): Promise<string[]> {
  for (let tries = 0; tries < 100 && !/^ {2}health /m.test(relay.stdout()); tries++) await delay(50);
  return relay
    .stdout()
    .split('\n')
    .filter((line) => !line.startsWith('{'));
}

async function logLines(relay: RelayProcess, until: (lines: Record<string, unknown>[]) => boolean) {
  const parse = () =>
    relay
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  for (let tries = 0; tries < 100 && !until(parse()); tries++) await delay(50);
  return parse();
}

describe('start-up output', () => {
  it('prints where it listens, the admin page, the admin API, destinations on and off, the store', async () => {
    const relay = withToken;
    const url = `http://127.0.0.1:${relay.port}`;
    const block = await startupBlock(relay);
    expect(block[0]).toBe(`audience-relay listening on ${url} (127.0.0.1:${relay.port})`);
    expect(block).toContainEqual(expect.stringMatching(new RegExp(`^ {2}admin page +${url}/admin$`)));
    expect(block).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}admin API +${url}/admin/api \\(bearer ADMIN_TOKEN\\)$`)),
    );
    expect(block).toContainEqual(expect.stringMatching(/^ {2}destinations on +none$/));
    expect(block).toContainEqual(
      expect.stringMatching(/^ {2}destinations off +braze, hubspot, .*\(enabled: false\)$/),
    );
    expect(block).toContainEqual(expect.stringMatching(/^ {2}store +sqlite:\S+on\.db$/));
    expect(relay.stdout()).not.toContain('admin-token-for-startup-test-1');

    const [listening] = (
      await logLines(relay, (lines) => lines.some((l) => l.msg === 'relay listening'))
    ).filter((line) => line.msg === 'relay listening');
    expect(listening).toMatchObject({ level: 30, url, adminApi: 'on', destinationsOn: [] });
  });

  it('says the admin API is off without ADMIN_TOKEN, and which destinations are on', async () => {
    const relay = withoutToken;
    const url = `http://127.0.0.1:${relay.port}`;
    const block = await startupBlock(relay);
    expect(block).toContainEqual(
      `  admin page        ${url}/admin (off: set ADMIN_TOKEN to turn on the admin API)`,
    );
    expect(block).toContainEqual('  admin API         off (no ADMIN_TOKEN)');
    expect(block).toContainEqual('  destinations on   braze');
    expect(block).toContainEqual('  destinations off  hubspot (enabled: false)');
  });

  it('refuses to start on a missing mappings directory (exit 1) or an empty one, naming it', async () => {
    const missing = join(root, 'no-such-dir');
    const refused = startRelayProcess({
      storeUrl: `sqlite:${join(root, 'refused.db')}`,
      env: { MAPPINGS_DIR: missing },
    });
    await expect(refused).rejects.toThrow(/relay exited during start-up \(code 1\)/);
    await expect(refused).rejects.toThrow(`${missing}:1:1: the mappings directory does not exist`);

    const empty = join(root, 'empty-mappings');
    mkdirSync(empty);
    const env = readEnv({ PORT: '0', MAPPINGS_DIR: empty, STORE_URL: `sqlite:${join(root, 'empty.db')}` });
    await expect(startRelay({ env, logger: createLogger({ level: 'silent' }) })).rejects.toThrow(
      `MAPPINGS_DIR ${empty}: no mapping files (*.yaml, *.yml) in this directory`,
    );
  });
});

describe('refused intake requests', () => {
  it('are logged at warn, once per reason within 10 s, with the reason and field but never the body', async () => {
    const relay = withToken;
    const send = (body: string, key: string = WRITE_KEYS.web) =>
      fetch(`${relay.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(key) },
        body,
      });
    const invalid = JSON.stringify({ batch: [{ type: 'bogus', userId: 'secret-user-4711' }] });
    for (let i = 0; i < 3; i++) expect((await send(invalid)).status).toBe(400);
    expect((await send('{}', 'not-a-write-key')).status).toBe(401);

    const warned = (lines: Record<string, unknown>[]) =>
      lines.filter((line) => line.msg === 'intake request rejected');
    const lines = warned(await logLines(relay, (all) => warned(all).length >= 2));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        route: 'v1',
        status: 400,
        reason: 'invalid_event',
        field: 'batch[0].type',
        source: 'web',
        suppressed: 0,
      }),
      expect.objectContaining({ level: 40, status: 401, reason: 'unauthorized', field: 'Authorization' }),
    ]);
    expect(relay.stdout()).not.toContain('secret-user-4711');
    expect(relay.stdout()).not.toContain('not-a-write-key');
  });
});
