import { z } from 'zod';
import type { ReloadResult } from '../config/live-config.js';
import type { DestinationBlock } from '../mappings/destinations-schema.js';
import type { DeliveryLogEntry } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';

/** Success rate and latency are read from the newest requests of this window... */
export const HEALTH_WINDOW_MS = 60 * 60 * 1000;
/** ...at most this many per destination; the failing streak is searched in them too. */
export const HEALTH_REQUESTS_READ = 200;
/** Log entries the alert check reads first (more only while every one of them failed). */
const STREAK_FIRST_READ = 20;
/** Dead letters are counted up to this many per destination. */
const DEAD_LETTERS_COUNTED = 1000;

export const ConfigErrorView = z.object({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  path: z.string(),
  message: z.string(),
});

export const ReloadView = z.object({
  ok: z.boolean(),
  at: z.string(),
  trigger: z.string(),
  files: z.array(z.string()),
  errors: z.array(ConfigErrorView),
});

export const FailureView = z.object({
  at: z.string(),
  /** HTTP status, or `timeout`, `network`, `bug`. */
  status: z.string(),
  outcome: z.string(),
  response: z.string(),
});

/** One destination as the person on call reads it. */
export const DestinationHealth = z.object({
  destination: z.string(),
  type: z.string(),
  enabled: z.boolean(),
  /** Requests sent in the window (of the newest read): skipped batches are not requests. */
  requests: z.number(),
  succeeded: z.number(),
  /** Share of those requests answered 2xx; null without requests. */
  successRate: z.number().nullable(),
  latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
  /** Profiles with a change waiting for this destination. */
  queueDepth: z.number(),
  /** Dead letters not replayed (counted up to `deadLettersCountedUpTo`). */
  deadLetters: z.number(),
  lastFailure: FailureView.nullable(),
  /** Set while every request since this instant failed (the oldest failure of the current streak). */
  failingSince: z.string().nullable(),
  /** Failing for longer than the alert threshold: `relay_destination_failing` is 1. */
  alerting: z.boolean(),
});
export type DestinationHealth = z.infer<typeof DestinationHealth>;

export const FailingAlert = z.object({
  destination: z.string(),
  failingSince: z.string(),
  message: z.string(),
});
export type FailingAlert = z.infer<typeof FailingAlert>;

/** `GET /admin/api/overview`. */
export const Overview = z.object({
  at: z.string(),
  events: z.object({
    /** Events stored per second, over the last minute (or since start-up, when shorter). */
    perSecond: z.number(),
    rateWindowSeconds: z.number(),
    storedSeq: z.number(),
    processedSeq: z.number(),
    /** Stored events not processed yet. */
    pending: z.number(),
    /** How long the oldest unprocessed event has been waiting (0 when none waits). */
    lagSeconds: z.number(),
  }),
  profiles: z.number(),
  healthWindowMinutes: z.number(),
  deadLettersCountedUpTo: z.number(),
  failingAlertAfterSeconds: z.number(),
  destinations: z.array(DestinationHealth),
  alerts: z.array(FailingAlert),
  config: z.object({ dir: z.string(), lastReload: ReloadView.nullable() }),
});
export type Overview = z.infer<typeof Overview>;

export interface OverviewInputs {
  store: RelayStore;
  destinations: Record<string, DestinationBlock>;
  now: number;
  alertAfterMs: number;
  eventRate: { perSecond: number; windowSeconds: number };
  config: { dir: string; lastReload: ReloadResult | undefined };
}

/** Everything the overview shows, read from the store at `now`. */
export async function overview(inputs: OverviewInputs): Promise<Overview> {
  const { store, now } = inputs;
  const [storedSeq, processedSeq, profiles] = await Promise.all([
    store.lastSeq(),
    store.readCursor('traits'),
    store.countProfiles(),
  ]);
  const [oldestWaiting] = storedSeq > processedSeq ? await store.readEventsAfter(processedSeq, 1) : [];
  const destinations = await destinationsHealth(store, inputs.destinations, now, inputs.alertAfterMs);
  return {
    at: new Date(now).toISOString(),
    events: {
      perSecond: round(inputs.eventRate.perSecond, 2),
      rateWindowSeconds: Math.round(inputs.eventRate.windowSeconds),
      storedSeq,
      processedSeq,
      pending: Math.max(0, storedSeq - processedSeq),
      lagSeconds: oldestWaiting ? round(Math.max(0, now - oldestWaiting.receivedAt) / 1000, 1) : 0,
    },
    profiles,
    healthWindowMinutes: HEALTH_WINDOW_MS / 60_000,
    deadLettersCountedUpTo: DEAD_LETTERS_COUNTED,
    failingAlertAfterSeconds: inputs.alertAfterMs / 1000,
    destinations,
    alerts: failingAlerts(destinations, now),
    config: {
      dir: inputs.config.dir,
      lastReload: inputs.config.lastReload ? ReloadView.parse(inputs.config.lastReload) : null,
    },
  };
}

export async function destinationsHealth(
  store: RelayStore,
  destinations: Record<string, DestinationBlock>,
  now: number,
  alertAfterMs: number,
): Promise<DestinationHealth[]> {
  const health: DestinationHealth[] = [];
  for (const [name, block] of Object.entries(destinations)) {
    const [recent, queueDepth, dead] = await Promise.all([
      store.searchDeliveryLog({ destination: name, limit: HEALTH_REQUESTS_READ }),
      store.pendingCount(name),
      store.deadLetters({ destination: name, limit: DEAD_LETTERS_COUNTED }),
    ]);
    const requests = requestHealth(recent, now, alertAfterMs);
    health.push({
      ...requests,
      // A destination switched off sends nothing: its last streak says nothing about now.
      alerting: block.enabled && requests.alerting,
      destination: name,
      type: block.type,
      enabled: block.enabled,
      queueDepth,
      deadLetters: dead.length,
    });
  }
  return health;
}

type RequestHealth = Omit<
  DestinationHealth,
  'destination' | 'type' | 'enabled' | 'queueDepth' | 'deadLetters'
>;

/** Pure: success, latency and the failing streak from a destination's log entries, newest first. */
export function requestHealth(
  newestFirst: DeliveryLogEntry[],
  now: number,
  alertAfterMs: number,
): RequestHealth {
  const requests = newestFirst.filter((entry) => entry.status !== 'skipped');
  const inWindow = requests.filter((entry) => entry.at >= now - HEALTH_WINDOW_MS);
  const succeeded = inWindow.filter(isSuccess).length;
  const latencies = inWindow
    .filter((entry) => entry.status !== 'bug')
    .map((entry) => entry.latencyMs)
    .sort((a, b) => a - b);
  const lastFailure = requests.find((entry) => !isSuccess(entry));
  const failingSince = streakStart(requests);
  return {
    requests: inWindow.length,
    succeeded,
    successRate: inWindow.length === 0 ? null : round(succeeded / inWindow.length, 4),
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
    lastFailure: lastFailure
      ? {
          at: new Date(lastFailure.at).toISOString(),
          status: lastFailure.status,
          outcome: lastFailure.outcome,
          response: lastFailure.responseExcerpt.slice(0, 500),
        }
      : null,
    failingSince: failingSince === undefined ? null : new Date(failingSince).toISOString(),
    alerting: failingSince !== undefined && now - failingSince > alertAfterMs,
  };
}

/** Pure: when the current failing streak began (its oldest failure); undefined when the newest request succeeded. */
export function streakStart(newestFirst: DeliveryLogEntry[]): number | undefined {
  const requests = newestFirst.filter((entry) => entry.status !== 'skipped');
  const newestSuccess = requests.findIndex(isSuccess);
  if (newestSuccess === 0) return undefined;
  return requests[(newestSuccess === -1 ? requests.length : newestSuccess) - 1]?.at;
}

/**
 * The failing streak's start, reading few log entries when the destination is healthy (the newest
 * succeeded) and up to HEALTH_REQUESTS_READ when every entry read failed: the alert check runs every
 * 10 seconds and should not read hundreds of request bodies to learn that all is well.
 */
export async function failingSince(store: RelayStore, destination: string): Promise<number | undefined> {
  let since: number | undefined;
  for (const limit of [STREAK_FIRST_READ, HEALTH_REQUESTS_READ]) {
    const newestFirst = await store.searchDeliveryLog({ destination, limit });
    since = streakStart(newestFirst);
    const everyOneFailed = since !== undefined && !newestFirst.some(isSuccess);
    if (!everyOneFailed || newestFirst.length < limit) return since;
  }
  return since;
}

/** The banner's lines: every destination failing for longer than the threshold. */
export function failingAlerts(health: DestinationHealth[], now: number): FailingAlert[] {
  return health
    .filter((destination) => destination.alerting && destination.failingSince !== null)
    .map((destination) => {
      const since = destination.failingSince as string;
      const status = destination.lastFailure?.status ?? 'failed';
      const lasting = formatDuration(now - Date.parse(since));
      return {
        destination: destination.destination,
        failingSince: since,
        message: `${destination.destination}: every request has failed since ${since} (${lasting}; last: ${status})`,
      };
    });
}

/** `45 s`, `12 min`, `3 h 5 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function isSuccess(entry: DeliveryLogEntry): boolean {
  return /^2\d\d$/.test(entry.status);
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] as number;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
