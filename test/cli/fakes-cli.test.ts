import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { requestLine } from '../../src/cli/fake-requests.js';
import type { RegisteredDestination } from '../../src/delivery/destination.js';
import type { RecordedRequest } from '../../src/destinations/fake-kit.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { FAKE_RECORD_FILE_ENV, recordingEnv } from '../helpers/fake-recording.js';
import { findRawIdentifiers } from '../helpers/raw-identifiers.js';
import { pickFreePort } from '../helpers/relay-process.js';
import { runCli, spawnCli } from './run-cli.js';

/**
 * `audience-relay fakes` as a child process: every registered destination's fake on the ports asked
 * for, each answering; every request printed with `fake.describe` (values shown, identifiers hashed);
 * Ctrl-C stops them. And the descriptions themselves, as data.
 */

const WITH_FAKES = Object.values(DESTINATIONS).filter((destination) => destination.fake);
const BRAZE = DESTINATIONS.braze as RegisteredDestination;
const HUBSPOT = DESTINATIONS.hubspot as RegisteredDestination;
const AT = Date.parse('2025-03-01T12:00:00Z');

function recorded(path: string, body: unknown, status = 200): RecordedRequest {
  return { at: AT, method: 'POST', path, headers: {}, body, status };
}

interface DescriptionCase {
  name: string;
  destination: RegisteredDestination;
  request: RecordedRequest;
  line: RegExp;
}

const DESCRIPTION_CASES: DescriptionCase[] = [
  {
    name: 'Braze: attribute values after their names, e-mails hashed, external ids as sent',
    destination: BRAZE,
    request: recorded(
      '/users/track',
      {
        attributes: [
          { external_id: 'u1', segment_high_intent: true, lead_score: 87 },
          { email: 'Ada@Example.com', lead_score: 12.5, rfm_tier: null },
        ],
        events: [],
      },
      201,
    ),
    line: /^12:00:00 {2}braze {4}201 {2}POST \/users\/track {2}2 attributes \(u1, sha256:[0-9a-f]{16}\): segment_high_intent: true, lead_score: 87, lead_score: 12\.5, rfm_tier: null$/,
  },
  {
    name: 'Braze: events by name, text values with an e-mail in them redacted, long values cut',
    destination: BRAZE,
    request: recorded('/users/track', {
      attributes: [{ external_id: 'u2', note: `ask grace@example.org ${'x'.repeat(60)}` }],
      events: [{ external_id: 'u2', name: 'Signed Up', time: '2025-03-01T12:00:00Z' }],
    }),
    line: /1 attribute \(u2\): note: ask sha256:[0-9a-f]{16} x+…; 1 event \(u2\): Signed Up$/,
  },
  {
    name: 'HubSpot: contacts by hashed e-mail, properties with their values',
    destination: HUBSPOT,
    request: recorded('/crm/v3/objects/contacts/batch/upsert', {
      inputs: [
        {
          idProperty: 'email',
          id: 'ada@example.com',
          properties: { relay_high_intent: 'true', relay_lead_score: '87' },
        },
      ],
    }),
    line: /^12:00:00 {2}hubspot {2}200 {2}POST \S+ {2}1 input \(sha256:[0-9a-f]{16}\): relay_high_intent: true, relay_lead_score: 87$/,
  },
  {
    name: 'HubSpot: an unanswered request, nothing to describe',
    destination: HUBSPOT,
    request: recorded('/x', { inputs: [{ id: 'a@b.co' }] }, 0),
    line: /^12:00:00 {2}hubspot {2}no answer {2}POST \/x {2}1 input \(sha256:[0-9a-f]{16}\)$/,
  },
];

/** Bodies full of raw identifiers in the shapes destinations send: no description may repeat one. */
const IDENTIFIER_BODIES: unknown[] = [
  { attributes: [{ email: 'Ada@Example.com', phone: '+1 (650) 555-0100', first_name: 'Ada' }] },
  { inputs: [{ idProperty: 'email', id: 'ada@example.com', properties: { email: 'ada@example.com' } }] },
  { payload: { schema: ['EMAIL', 'PHONE'], data: [['ada@example.com', '+16505550100']] } },
  { operations: [{ create: { userIdentifiers: [{ hashedEmail: 'ada@example.com' }] } }] },
  { elements: [{ action: 'ADD', userIds: [{ idType: 'SHA256_EMAIL', idValue: 'ada@example.com' }] }] },
  { text: 'ada@example.com entered high_intent', email: 'ada@example.com', phone: '+4915112345678' },
  [{ email: 'ada@example.com' }, 'ada@example.com'],
];

describe('fake request lines', () => {
  it.each(DESCRIPTION_CASES)('$name', ({ destination, request, line }) => {
    const fake = destination.fake;
    if (!fake) throw new Error(`${destination.type} has no fake`);
    expect(requestLine(destination.type, request, fake.describe, 7)).toMatch(line);
  });

  it.each(WITH_FAKES.map((destination) => [destination.type, destination] as const))(
    '%s: a description never shows a raw e-mail or phone number, whatever the body',
    (_type, destination) => {
      for (const body of IDENTIFIER_BODIES) {
        const line = requestLine(
          destination.type,
          recorded('/any', body),
          destination.fake?.describe ?? String,
        );
        expect(findRawIdentifiers(line, new Set(['16505550100', '4915112345678']))).toEqual([]);
      }
    },
  );

  it('prints a request whose description fails without the description', () => {
    const line = requestLine('braze', recorded('/users/track', {}, 201), () => {
      throw new Error('ada@example.com');
    });
    expect(line).toBe('12:00:00  braze  201  POST /users/track  (body not described)');
  });
});

interface Fakes {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The banner's rows by destination title. */
  rows: Map<string, { url: string; credential: string; env: string }>;
  startCommand: string;
  stop: () => Promise<number | null>;
}

async function startFakes(args: string[]): Promise<Fakes> {
  const child = spawnCli(['fakes', ...args], recordingEnv());
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = once(child, 'close');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await closed;
    return child.exitCode;
  };
  for (let tries = 0; !stdout.includes('Ctrl-C stops') && tries < 400; tries++) {
    if (child.exitCode !== null) break;
    await delay(50);
  }
  if (!stdout.includes('Ctrl-C stops')) {
    await stop();
    throw new Error(`fakes did not start; stdout: ${stdout}; stderr: ${stderr}`);
  }
  const lines = stdout.split('\n');
  const rows = new Map<string, { url: string; credential: string; env: string }>();
  for (const line of lines.slice(lines.findIndex((text) => text.startsWith('DESTINATION')) + 1)) {
    const row = /^(.+?) {2,}(http:\/\/127\.0\.0\.1:\d+) {2,}(\S+) {2,}(\S+)$/.exec(line);
    if (!row) break;
    rows.set(row[1] ?? '', { url: row[2] ?? '', credential: row[3] ?? '', env: row[4] ?? '' });
  }
  const startCommand = lines.find((line) => line.trim().endsWith('npm start'))?.trim() ?? '';
  return { child, stdout: () => stdout, stderr: () => stderr, rows, startCommand, stop };
}

async function waitForOutput(fakes: Fakes, pattern: RegExp): Promise<void> {
  for (let tries = 0; !pattern.test(fakes.stdout()) && tries < 200; tries++) await delay(50);
  expect(fakes.stdout(), fakes.stderr()).toMatch(pattern);
}

function rowOf(fakes: Fakes, destination: RegisteredDestination) {
  const row = fakes.rows.get(destination.title);
  if (!row) throw new Error(`the banner has no row for ${destination.title}: ${fakes.stdout()}`);
  return row;
}

describe('audience-relay fakes', () => {
  it('starts every registered fake on a free port, prints each request with values and hashed identifiers, stops on Ctrl-C', async () => {
    const fakes = await startFakes(['--ports-from', '0']);
    try {
      expect([...fakes.rows.keys()].sort()).toEqual(
        WITH_FAKES.map((destination) => destination.title).sort(),
      );
      for (const destination of WITH_FAKES) {
        const row = rowOf(fakes, destination);
        expect(row).toMatchObject({
          credential: destination.fake?.credential || '-',
          env: destination.fake?.endpointEnv,
        });
        // Any HTTP answer (a 404 or 401 for this probe) shows the fake is up.
        const answer = await fetch(`${row.url}/`);
        expect(answer.status, `${destination.type} at ${row.url}`).toBeGreaterThanOrEqual(200);
        await answer.arrayBuffer();
        if (row.url !== `http://127.0.0.1:${destination.fake?.port}`)
          expect(fakes.startCommand).toContain(`${destination.fake?.endpointEnv}=${row.url} `);
      }
      expect(fakes.startCommand).toMatch(/^DESTINATIONS_ENABLED=true .*npm start$/);

      const braze = rowOf(fakes, BRAZE);
      const tracked = await fetch(`${braze.url}/users/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${braze.credential}` },
        body: JSON.stringify({
          attributes: [{ email: 'Ada.Fakes@Example.com', segment_high_intent: true, lead_score: 87 }],
        }),
      });
      expect(tracked.status).toBe(201);
      const hubspot = rowOf(fakes, HUBSPOT);
      const upserted = await fetch(`${hubspot.url}/crm/v3/objects/contacts/batch/upsert`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${hubspot.credential}` },
        body: JSON.stringify({
          inputs: [
            {
              idProperty: 'email',
              id: 'ada.fakes@example.com',
              objectWriteTraceId: 't1',
              properties: { a: '1' },
            },
          ],
        }),
      });
      expect(upserted.status).toBe(200);

      await waitForOutput(
        fakes,
        /braze +201 {2}POST \/users\/track {2}1 attribute \(sha256:[0-9a-f]{16}\): segment_high_intent: true, lead_score: 87$/m,
      );
      await waitForOutput(fakes, /hubspot +200 {2}POST \S+ {2}1 input \(sha256:[0-9a-f]{16}\): a: 1$/m);
      expect(fakes.stdout().toLowerCase()).not.toContain('ada.fakes@example.com');
      expect(fakes.stdout()).not.toContain(`Bearer`);

      // The suite records what the CLI's fakes received too (test/global-setup.ts), credentials left out.
      const recordFile = process.env[FAKE_RECORD_FILE_ENV];
      if (recordFile) {
        const lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
        const mine = lines
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((record) => String(JSON.stringify(record.body)).includes('Ada.Fakes@Example.com'));
        expect(mine).toEqual([
          expect.objectContaining({ type: 'braze', method: 'POST', path: '/users/track' }),
        ]);
        expect(Object.keys(mine[0]?.headers as object)).not.toContain('authorization');
      }
    } finally {
      const code = await fakes.stop();
      expect(code, fakes.stderr()).toBe(0);
    }
    expect(fakes.stdout().trimEnd().split('\n').pop()).toBe('fakes stopped');
    await expect(fetch(`${rowOf(fakes, BRAZE).url}/users/track`)).rejects.toThrow();
  });

  it('takes a port per destination (--port type=port, --<type>-port) over --ports-from, and names the moved endpoints', async () => {
    const [brazePort, hubspotPort] = [await pickFreePort(), await pickFreePort()];
    const fakes = await startFakes([
      '--ports-from',
      '0',
      '--braze-port',
      String(brazePort),
      '--port',
      `hubspot=${hubspotPort}`,
    ]);
    try {
      expect(rowOf(fakes, BRAZE).url).toBe(`http://127.0.0.1:${brazePort}`);
      expect(rowOf(fakes, HUBSPOT).url).toBe(`http://127.0.0.1:${hubspotPort}`);
      expect(fakes.startCommand).toContain(`BRAZE_REST_ENDPOINT=http://127.0.0.1:${brazePort} `);
      expect(fakes.startCommand).toContain(`HUBSPOT_ENDPOINT=http://127.0.0.1:${hubspotPort} `);
    } finally {
      expect(await fakes.stop(), fakes.stderr()).toBe(0);
    }
  });

  it('refuses a busy port (exit 1), an unknown destination type and two fakes on one port (usage: exit 2), starting nothing', async () => {
    const busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const busyPort = (busy.address() as { port: number }).port;
    try {
      const taken = await runCli(['fakes', '--ports-from', '0', '--port', `braze=${busyPort}`]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`braze: cannot listen on 127.0.0.1:${busyPort} (EADDRINUSE)`);
    } finally {
      busy.close();
    }
    const unknown = await runCli(['fakes', '--port', 'nowhere=5000']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no fake for destination type "nowhere"');
    const shared = await runCli(['fakes', '--port', 'braze=5000', '--port', 'hubspot=5000']);
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/cannot both use port 5000/);
  });
});
