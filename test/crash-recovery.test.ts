import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import PQueue from 'p-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  fetchStoredEvent,
  startRelayProcess,
  WRITE_KEYS,
  type RelayProcess,
  type SourceName,
} from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

const ADMIN_TOKEN = 'crash-recovery-admin-token-32chr';
const CYCLES = 3;
const SENDERS = 20;
const BATCH_SIZE = 5;
/** Acknowledged requests a cycle waits for before killing, so every cycle has something to lose. */
const MIN_ACKS_BEFORE_KILL = 20;

/** One intake request and the (source, messageId) keys of the events it carries. */
interface IntakeRequest {
  path: '/v1/track' | '/v1/batch';
  source: SourceName;
  body: string;
  keys: string[];
}

type Delivery = 'acked' | 'lost' | `unexpected ${number}: ${string}`;

interface LoadRecord {
  issued: IntakeRequest[];
  acked: IntakeRequest[];
  lost: IntakeRequest[];
  unexpected: string[];
}

const keyOf = (source: SourceName, messageId: string) => `${source}/${messageId}`;

/** Even requests: one `/v1/track` for `web`; odd ones: a `/v1/batch` of five events for `server`. */
function buildRequest(cycle: number, sender: number, n: number): IntakeRequest {
  const messageId = (k: number) => `crash-c${cycle}-s${sender}-r${n}-e${k}`;
  const userId = `user-${sender}`;
  if (n % 2 === 0) {
    const event = { userId, event: 'Checkout Started', properties: { cycle, n }, messageId: messageId(0) };
    return {
      path: '/v1/track',
      source: 'web',
      body: JSON.stringify(event),
      keys: [keyOf('web', messageId(0))],
    };
  }
  const batch = Array.from({ length: BATCH_SIZE }, (_, k) =>
    k % 2 === 0
      ? { type: 'track', userId, event: 'Item Viewed', properties: { k }, messageId: messageId(k) }
      : { type: 'identify', userId, traits: { n, k }, messageId: messageId(k) },
  );
  return {
    path: '/v1/batch',
    source: 'server',
    body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    keys: batch.map((event) => keyOf('server', event.messageId)),
  };
}

/** Posts one request: 'acked' on 200, 'lost' when the connection failed (reset, refused). */
async function deliver(url: string, request: IntakeRequest): Promise<Delivery> {
  try {
    const response = await fetch(url + request.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS[request.source]) },
      body: request.body,
    });
    const text = await response.text();
    return response.status === 200 ? 'acked' : `unexpected ${response.status}: ${text}`;
  } catch {
    return 'lost';
  }
}

/** SENDERS concurrent loops, each posting new events until its connection fails or `stop()` says so. */
async function runLoad(url: string, cycle: number, record: LoadRecord, stop: () => boolean): Promise<void> {
  const sender = async (index: number) => {
    for (let n = 0; !stop(); n++) {
      const request = buildRequest(cycle, index, n);
      record.issued.push(request);
      const outcome = await deliver(url, request);
      if (outcome === 'acked') record.acked.push(request);
      else if (outcome === 'lost') return void record.lost.push(request);
      else record.unexpected.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, (_, index) => sender(index)));
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** Rows per (source, messageId), read from the database file with a separate read-only connection. */
function storedCounts(dbPath: string): Map<string, number> {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        'SELECT source, message_id AS messageId, count(*) AS n FROM events GROUP BY source, message_id',
      )
      .all() as { source: SourceName; messageId: string; n: number }[];
    return new Map(rows.map((row) => [keyOf(row.source, row.messageId), row.n]));
  } finally {
    db.close();
  }
}

/** The keys of `requests` not stored exactly once, with their row count (at most 20 shown). */
function notStoredOnce(counts: Map<string, number>, requests: IntakeRequest[]): string[] {
  const wrong = requests.flatMap((request) => request.keys).filter((key) => counts.get(key) !== 1);
  return wrong.slice(0, 20).map((key) => `${key}: ${counts.get(key) ?? 0} rows`);
}

function sample<T>(items: T[], size: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, size);
}

describe('crash recovery: SIGKILL under load, then restart on the same database', () => {
  let dir: string | undefined;
  let dbPath = '';
  let storeUrl = '';
  let relay: RelayProcess | undefined;

  beforeAll(() => {
    dir = makeTempDir('relay-crash-');
    dbPath = join(dir, 'relay.db');
    storeUrl = `sqlite:${dbPath}`;
  });

  afterAll(async () => {
    await relay?.kill();
    removeTempDir(dir);
  });

  it(`keeps every acknowledged event exactly once across ${CYCLES} kill/restart cycles`, async ({
    annotate,
  }) => {
    relay = await startRelayProcess({ storeUrl, adminToken: ADMIN_TOKEN });
    const allIssued: IntakeRequest[] = [];

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const running: RelayProcess = relay;
      const record: LoadRecord = { issued: [], acked: [], lost: [], unexpected: [] };
      let killed = false;
      const load = runLoad(running.url, cycle, record, () => killed);
      const killAfterMs = 300 + Math.floor(Math.random() * 900);
      await delay(killAfterMs);
      await waitUntil(
        () => record.acked.length >= MIN_ACKS_BEFORE_KILL,
        10_000,
        'the first acknowledgements',
      );
      killed = true;
      await running.kill();
      await load;
      allIssued.push(...record.issued);

      expect(record.unexpected, running.stderr()).toEqual([]);
      expect(record.acked.length + record.lost.length).toBe(record.issued.length);

      relay = await startRelayProcess({ storeUrl, adminToken: ADMIN_TOKEN });
      // Everything answered 200 before the kill survived it, once.
      expect(notStoredOnce(storedCounts(dbPath), record.acked)).toEqual([]);
      const restarted: RelayProcess = relay;
      for (const request of sample(record.acked, 30)) {
        const messageId = request.keys[0]?.split('/')[1] ?? '';
        const reply = await fetchStoredEvent(restarted.url, ADMIN_TOKEN, messageId, request.source);
        expect({ status: reply.status, others: reply.event?.others }).toEqual({ status: 200, others: 0 });
      }

      // The senders retry everything: lost responses and acknowledged ones alike.
      const queue = new PQueue({ concurrency: SENDERS });
      const retries = await queue.addAll(
        record.issued.map((request) => () => deliver(restarted.url, request)),
      );
      expect(retries.filter((outcome) => outcome !== 'acked')).toEqual([]);
      expect(notStoredOnce(storedCounts(dbPath), record.issued)).toEqual([]);

      await annotate(
        `cycle ${cycle}: killed ${killAfterMs} ms into the load; ${record.acked.length} requests acknowledged, ` +
          `${record.lost.length} lost, ${record.issued.length} re-sent`,
      );
    }

    const exitCode = await relay.stop();
    relay = undefined;
    expect(exitCode).toBe(0);

    const counts = storedCounts(dbPath);
    const issuedKeys = new Set(allIssued.flatMap((request) => request.keys));
    expect(notStoredOnce(counts, allIssued)).toEqual([]);
    expect(counts.size).toBe(issuedKeys.size);
    const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const events = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
      const dedupeKeys = db.prepare('SELECT count(*) AS n FROM dedupe_keys').get() as { n: number };
      expect(events.n).toBe(issuedKeys.size);
      expect(dedupeKeys.n).toBe(issuedKeys.size);
    } finally {
      db.close();
    }
  });
});
