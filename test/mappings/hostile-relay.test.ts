import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/mappings/config-error.js';
import { formatConfigError } from '../../src/mappings/load.js';
import type { RunningRelay } from '../../src/relay.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { addCase, findCaseError, rootWithCase, RUNNABLE_CASES } from './hostile-setup.js';

/**
 * A running relay and each hostile file: dropped into its mappings directory, a reload is refused
 * with the error at file:line and the relay keeps serving on its last good configuration; a
 * restart with the file present refuses to start, with file:line, and does not hang.
 */

const ADMIN_TOKEN = 'hostile-relay-admin-token-00001';
const WRITE_KEY = 'dev-web-write-key';
let root: string;
let relay: RunningRelay & { mappingsDir: string };
let sequence = 0;

beforeAll(async () => {
  root = makeTempDir('relay-hostile-running-');
  relay = await startTestRelay({ root, adminToken: ADMIN_TOKEN });
});

afterAll(async () => {
  await relay?.close();
  removeTempDir(root);
});

async function admin<T>(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

const reload = () => admin<{ ok: boolean; errors: ConfigError[] }>('POST', '/config/reload');
const traits = async () => (await admin<{ traits: string[] }>('GET', '/config')).body.traits;

async function track(): Promise<number> {
  const res = await fetch(`${relay.url}/v1/track`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
    },
    body: JSON.stringify({ userId: 'hostile-1', event: 'Signed Up', messageId: `hostile-${++sequence}` }),
  });
  return res.status;
}

describe('a running relay and a hostile mapping file', () => {
  for (const hostile of RUNNABLE_CASES) {
    it(`keeps its last good configuration when ${hostile.name} is dropped in`, async () => {
      const before = await traits();
      const added = addCase(root, hostile);
      try {
        const refused = await reload();
        expect(refused.status).toBe(422);
        expect(refused.body.ok).toBe(false);
        const lines = refused.body.errors.map(formatConfigError);
        expect(findCaseError(lines, added.entry, hostile), lines.join('\n')).toBeDefined();
        expect(await track()).toBe(200);
        expect(await traits()).toEqual(before);
      } finally {
        await added.remove();
      }
      const accepted = await reload();
      expect(accepted.body.errors.map(formatConfigError)).toEqual([]);
      expect(accepted.status).toBe(200);
    });
  }
});

describe('a relay restarted with a hostile mapping file present', () => {
  for (const hostile of RUNNABLE_CASES) {
    it(`refuses to start with ${hostile.name}, naming file:line, without hanging`, async () => {
      const setup = rootWithCase(hostile, 'relay-hostile-start-');
      try {
        const started = Date.now();
        const outcome = await startTestRelay({ root: setup.root }).then(
          async (unexpected) => {
            await unexpected.close();
            return undefined;
          },
          (error: unknown) => error,
        );
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(outcome).toBeInstanceOf(Error);
        const lines = (outcome as Error).message.split('\n');
        expect(lines[0]).toBe('invalid mapping files:');
        expect(findCaseError(lines.slice(1), setup.entry, hostile), lines.join('\n')).toBeDefined();
      } finally {
        await setup.dispose();
      }
    });
  }
});
