import { describe, expect, it } from 'vitest';
import { EventRate } from '../../src/admin/health-monitor.js';
import { failingAlerts, failingSince, percentile, requestHealth } from '../../src/admin/overview-view.js';
import type { DeliveryLogEntry, DeliveryLogQuery } from '../../src/store/delivery-port.js';
import type { RelayStore } from '../../src/store/port.js';

/** A destination's health from its delivery log (newest first), at NOW, with a 10-minute alert threshold. */
const NOW = Date.parse('2026-11-27T09:30:00Z');
const MINUTE = 60_000;
const ALERT_AFTER_MS = 10 * MINUTE;

/** `[minutes ago, status, latency ms]`, newest first. */
type Row = [number, string, number?];

function log(rows: Row[]): DeliveryLogEntry[] {
  return rows.map(([minutesAgo, status, latencyMs = 100]) => ({
    destination: 'braze',
    at: NOW - minutesAgo * MINUTE,
    status,
    attempt: 1,
    latencyMs,
    items: 1,
    profileIds: [],
    messageIds: [],
    requestBody: '',
    responseExcerpt: status.startsWith('2') ? '' : `{"message":"${status}"}`,
    outcome: status.startsWith('2') ? '1 ok' : `1 retry: ${status}`,
  }));
}

const iso = (minutesAgo: number) => new Date(NOW - minutesAgo * MINUTE).toISOString();

const CASES: {
  name: string;
  rows: Row[];
  expect: {
    requests: number;
    successRate: number | null;
    failingSince: string | null;
    alerting: boolean;
    lastFailure?: string;
  };
}[] = [
  {
    name: 'no request yet: nothing to say',
    rows: [],
    expect: { requests: 0, successRate: null, failingSince: null, alerting: false },
  },
  {
    name: 'the newest request succeeded: not failing, though an older one failed',
    rows: [
      [1, '201'],
      [2, '500'],
      [3, '201'],
    ],
    expect: { requests: 3, successRate: 0.6667, failingSince: null, alerting: false, lastFailure: iso(2) },
  },
  {
    name: 'failing for 5 minutes: since the oldest failure after the last success, no alert yet',
    rows: [
      [0, '503'],
      [2, 'timeout'],
      [5, '500'],
      [6, '200'],
    ],
    expect: { requests: 4, successRate: 0.25, failingSince: iso(5), alerting: false, lastFailure: iso(0) },
  },
  {
    name: 'failing for 20 minutes: alerting',
    rows: [
      [1, 'network'],
      [20, '401'],
      [25, '200'],
    ],
    expect: { requests: 3, successRate: 0.3333, failingSince: iso(20), alerting: true, lastFailure: iso(1) },
  },
  {
    name: 'every request read failed: failing since the oldest of them (at least)',
    rows: [
      [1, '500'],
      [90, '500'],
    ],
    expect: { requests: 1, successRate: 0, failingSince: iso(90), alerting: true, lastFailure: iso(1) },
  },
  {
    name: 'skipped batches are not requests: they neither fail nor succeed',
    rows: [
      [0, 'skipped'],
      [1, '200'],
      [2, 'skipped'],
    ],
    expect: { requests: 1, successRate: 1, failingSince: null, alerting: false },
  },
];

describe('a destination’s health from its delivery log', () => {
  it.each(CASES)('$name', ({ rows, expect: expected }) => {
    const health = requestHealth(log(rows), NOW, ALERT_AFTER_MS);
    expect({
      requests: health.requests,
      successRate: health.successRate,
      failingSince: health.failingSince,
      alerting: health.alerting,
      ...(health.lastFailure ? { lastFailure: health.lastFailure.at } : {}),
    }).toEqual(expected);
  });

  it('reads latency percentiles from the requests in the window (nearest rank)', () => {
    const rows: Row[] = [...Array(100).keys()].map((i) => [i % 50, '200', i + 1]);
    rows.push([120, '200', 99_999]); // outside the hour
    expect(requestHealth(log(rows), NOW, ALERT_AFTER_MS).latencyMs).toEqual({ p50: 50, p99: 99 });
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('words an alert with the instant the streak began and how long it lasts', () => {
    const health = {
      ...requestHealth(
        log([
          [1, 'network'],
          [20, '401'],
        ]),
        NOW,
        ALERT_AFTER_MS,
      ),
      destination: 'crm_hook',
      type: 'webhook',
      enabled: true,
      queueDepth: 3,
      deadLetters: 0,
    };
    expect(failingAlerts([health], NOW)).toEqual([
      {
        destination: 'crm_hook',
        failingSince: iso(20),
        message: `crm_hook: every request has failed since ${iso(20)} (20 min; last: network)`,
      },
    ]);
  });
});

describe('the alert check’s failing streak', () => {
  /** A store whose log holds `rows` (newest first); records the limits asked for. */
  function storeWith(rows: Row[]) {
    const limits: number[] = [];
    const store = {
      searchDeliveryLog: async (query: DeliveryLogQuery) => {
        limits.push(query.limit);
        return log(rows).slice(0, query.limit);
      },
    } as unknown as RelayStore;
    return { store, limits };
  }
  const failures = (count: number, from = 0): Row[] =>
    [...Array(count).keys()].map((i) => [from + i, '500'] as Row);

  it.each([
    {
      name: 'healthy: reads 20 entries',
      rows: [[0, '200'], ...failures(30, 1)] as Row[],
      since: undefined,
      limits: [20],
    },
    {
      name: 'a short streak: reads 20',
      rows: [...failures(3), [5, '200']] as Row[],
      since: iso(2),
      limits: [20],
    },
    {
      name: 'a streak longer than 20: reads on to its start',
      rows: [...failures(25), [30, '200']] as Row[],
      since: iso(24),
      limits: [20, 200],
    },
    { name: 'only failures, fewer than 20: the oldest', rows: failures(4), since: iso(3), limits: [20] },
  ])('$name', async ({ rows, since, limits }) => {
    const fake = storeWith(rows);
    const found = await failingSince(fake.store, 'braze');
    expect(found === undefined ? undefined : new Date(found).toISOString()).toBe(since);
    expect(fake.limits).toEqual(limits);
  });
});

describe('the intake rate', () => {
  it('is the stored events per second over the last minute of samples', () => {
    const rate = new EventRate();
    expect(rate.rate()).toEqual({ perSecond: 0, windowSeconds: 0 });
    rate.record(0, 100);
    rate.record(10_000, 150);
    expect(rate.rate()).toEqual({ perSecond: 5, windowSeconds: 10 });
    for (let at = 20_000; at <= 120_000; at += 10_000) rate.record(at, 150 + (at / 10_000 - 1) * 20);
    // Samples older than a minute are dropped (one is kept before the window's start).
    expect(rate.rate()).toEqual({ perSecond: 2, windowSeconds: 60 });
  });
});
