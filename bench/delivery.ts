/**
 * Event-to-delivery latency to the fake Braze at a sustained event rate: each event makes a new
 * person's `lead_score` change, which Braze syncs. Latency runs from the intake's 200 to the fake's
 * receipt of the request carrying that person. Measured for the example `max_wait` (1 s, batches fill)
 * and for a short one (50 ms, latency first).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnv } from '../src/config/env.js';
import { startFakeBraze } from '../src/destinations/braze/fake-server.js';
import { createLogger } from '../src/lib/logger.js';
import { startRelay } from '../src/relay.js';
import type { BenchSection } from './lib/section.js';
import { formatNumber, renderTable } from './lib/table.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RATE = Number(process.env.BENCH_DELIVERY_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_DELIVERY_SECONDS ?? 10);
/** Under load: the sustained rate tried (the box may not reach it: the sent rate is reported). */
const LOAD_RATE = Number(
  process.env.BENCH_DELIVERY_LOAD_RATE ?? (process.env.BENCH_SMOKE === '1' ? 200 : 5_000),
);
const FULL_BATCH = 75;
const AUTH = `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`;

interface Row {
  maxWait: string;
  events: number;
  delivered: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  meanBatch: number;
  /** Events acknowledged per second over the sending time (what the box sustained). */
  sentRate: number;
  /** Share of accepted requests carrying a full batch (75 objects). */
  fullShare: number;
  /** Requests the fake answered with 429 (its documented limit). */
  throttled: number;
}

export const deliverySection: BenchSection = {
  key: 'delivery',
  title: `event-to-delivery latency to the fake Braze (${RATE} events/s for ${SECONDS} s)`,
  run: async () => {
    const rows = [await measure('1s', RATE), await measure('50ms', RATE), await measure('250ms', LOAD_RATE)];
    process.stdout.write(
      `${renderTable(rows, [
        { title: 'max_wait', value: (r) => r.maxWait, align: 'left' },
        { title: 'sent/s', value: (r) => formatNumber(r.sentRate) },
        { title: 'events', value: (r) => formatNumber(r.events) },
        { title: 'delivered', value: (r) => formatNumber(r.delivered) },
        { title: 'p50 ms', value: (r) => formatNumber(r.p50) },
        { title: 'p90 ms', value: (r) => formatNumber(r.p90) },
        { title: 'p99 ms', value: (r) => formatNumber(r.p99) },
        { title: 'max ms', value: (r) => formatNumber(r.max) },
        { title: 'requests', value: (r) => formatNumber(r.requests) },
        { title: 'items/request', value: (r) => formatNumber(r.meanBatch, 1) },
        { title: 'full batches', value: (r) => `${(r.fullShare * 100).toFixed(0)}%` },
        { title: '429s', value: (r) => formatNumber(r.throttled) },
      ])}\n`,
    );
    return { rate: RATE, loadRate: LOAD_RATE, seconds: SECONDS, scenarios: rows };
  },
};

async function measure(maxWait: string, rate: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-delivery-'));
  const braze = await startFakeBraze();
  cpSync(join(REPO, 'mappings'), join(dir, 'mappings'), { recursive: true });
  cpSync(join(REPO, 'models'), join(dir, 'models'), { recursive: true });
  writeFileSync(
    join(dir, 'mappings', 'destinations.yaml'),
    `destinations:\n  braze:\n    type: braze\n    settings: { endpoint: "${braze.url}", api_key: test-braze-key }\n` +
      `    audiences: [high_intent]\n    traits: [lead_score]\n    limits: { max_wait: ${maxWait} }\n`,
  );
  const relay = await startRelay({
    env: readEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_URL: `sqlite:${join(dir, 'relay.db')}`,
      MAPPINGS_DIR: join(dir, 'mappings'),
    }),
    processEnv: {},
    logger: createLogger({ level: 'silent' }),
  });
  const sentAt = new Map<string, number>();
  try {
    const sendStarted = Date.now();
    await sendAtRate(relay.url, sentAt, rate);
    const sentRate = sentAt.size / Math.max(0.001, (Date.now() - sendStarted) / 1000);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && deliveredUsers(braze.accepted()).size < sentAt.size) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const arrivals = deliveredUsers(braze.accepted());
    const latencies = [...sentAt].flatMap(([user, at]) => {
      const arrived = arrivals.get(user);
      return arrived === undefined ? [] : [arrived - at];
    });
    latencies.sort((a, b) => a - b);
    const accepted = braze.accepted();
    return {
      maxWait,
      events: sentAt.size,
      delivered: latencies.length,
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? NaN,
      requests: accepted.length,
      meanBatch: arrivals.size / Math.max(1, accepted.length),
      sentRate,
      fullShare:
        accepted.filter((r) => objectsIn(r.body) >= FULL_BATCH).length / Math.max(1, accepted.length),
      throttled: braze.requests.filter((r) => r.status === 429).length,
    };
  } finally {
    await relay.close();
    await braze.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends one event per new person at a steady rate; records when each got its 200. */
const TICK_MS = 20;

/**
 * Sends `rate` events a second for SECONDS, as a CDP does: every TICK_MS, the events due by then in
 * one /v1/batch request (one request per event cannot reach thousands a second from this process).
 * A request that fails leaves its events unsent; they are left out of the latency figures.
 */
async function sendAtRate(url: string, sentAt: Map<string, number>, rate: number): Promise<void> {
  const total = rate * SECONDS;
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let next = 0; next < total;) {
    const wait = started + (next * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(wait, TICK_MS)));
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    const userIds = Array.from({ length: due - next }, (_, k) => `lat-${next + k}`);
    next = due;
    const batch = userIds.map((userId) => ({
      type: 'track',
      userId,
      event: 'Demo Requested',
      messageId: userId,
    }));
    inFlight.push(
      fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: AUTH },
        body: JSON.stringify({ batch }),
      }).then(
        (res) => {
          if (res.status !== 200) return;
          const at = Date.now();
          for (const userId of userIds) sentAt.set(userId, at);
        },
        () => undefined,
      ),
    );
  }
  await Promise.all(inFlight);
}

/** external_id -> when the fake first accepted a request carrying it. */
function deliveredUsers(requests: { at: number; body: unknown }[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const request of requests) {
    const attributes = (request.body as { attributes?: { external_id?: string }[] }).attributes ?? [];
    for (const attribute of attributes) {
      if (attribute.external_id && !first.has(attribute.external_id))
        first.set(attribute.external_id, request.at);
    }
  }
  return first;
}

function objectsIn(body: unknown): number {
  return ((body as { attributes?: unknown[] }).attributes ?? []).length;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}
