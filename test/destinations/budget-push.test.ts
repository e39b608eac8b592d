import { describe, expect, it } from 'vitest';
import type { RelayEvent } from '../../src/delivery/destination.js';
import { budgetPushCents, dailyCents } from '../../src/destinations/budget-push-kit.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/**
 * The budget push, request by request: which daily amount a destination gets from an allocation
 * change (hand-computed), the exact Meta and Google requests, and how their answers are classified.
 */

type Channels = { destination: string; share: number; cents: number }[];

function event(options: {
  period?: 'day' | 'week' | 'month';
  previousPeriod?: 'day' | 'week' | 'month' | null;
  allocations: { audience: string; channels: Channels; previousChannels: Channels | null }[];
}): RelayEvent {
  return {
    type: 'budget.allocation_changed',
    data: {
      runId: 2,
      previousRunId: options.previousPeriod === null ? null : 1,
      at: '2026-11-27T09:00:00.000Z',
      trigger: 'schedule',
      period: options.period ?? 'day',
      previousPeriod: options.previousPeriod === undefined ? 'day' : options.previousPeriod,
      totalCents: 0,
      allocatedCents: 0,
      unallocatedCents: 0,
      allocations: options.allocations.map((allocation, index) => ({
        audience: allocation.audience,
        rank: index + 1,
        cents: allocation.channels.reduce((sum, channel) => sum + channel.cents, 0),
        previousCents: null,
        reason: 'saturated',
        explanation: '',
        channels: allocation.channels,
        previousChannels: allocation.previousChannels,
      })),
      explanation: '',
    },
  };
}

const split = (meta: number, google: number): Channels => [
  { destination: 'meta_x', share: 0.6, cents: meta },
  { destination: 'google_x', share: 0.4, cents: google },
];

describe('the daily amount a destination is pushed', () => {
  it.each([
    ['day', 70_000, 70_000],
    ['week', 70_000, 10_000],
    ['week', 70_006, 10_000], // 10,000.857... rounded down
    ['month', 365_000, 12_000], // 365,000 x 12 / 365
  ] as const)('a %s budget of %i cents is %i cents a day', (period, cents, daily) => {
    expect(dailyCents(cents, period)).toBe(daily);
  });

  it.each([
    [
      'the first run',
      event({
        previousPeriod: null,
        allocations: [{ audience: 'hot', channels: split(600, 400), previousChannels: null }],
      }),
      600,
    ],
    [
      'a changed amount',
      event({
        allocations: [{ audience: 'hot', channels: split(600, 400), previousChannels: split(300, 200) }],
      }),
      600,
    ],
    [
      'an unchanged amount',
      event({
        allocations: [{ audience: 'hot', channels: split(600, 400), previousChannels: split(600, 100) }],
      }),
      undefined,
    ],
    [
      'an audience not ranked before',
      event({ allocations: [{ audience: 'hot', channels: split(600, 400), previousChannels: null }] }),
      600,
    ],
    [
      'another audience only',
      event({ allocations: [{ audience: 'cold', channels: split(600, 400), previousChannels: null }] }),
      undefined,
    ],
    [
      'no split to this destination',
      event({ allocations: [{ audience: 'hot', channels: [], previousChannels: null }] }),
      undefined,
    ],
    [
      'the same daily amount in another period',
      event({
        period: 'week',
        previousPeriod: 'day',
        allocations: [{ audience: 'hot', channels: split(4_200, 0), previousChannels: split(600, 0) }],
      }),
      undefined,
    ],
  ])('%s', (_name, allocation, expected) => {
    expect(budgetPushCents(allocation, 'meta_x', ['hot'])).toBe(expected);
  });

  it('is nothing for another event type', () => {
    expect(budgetPushCents({ type: 'other', data: {} }, 'meta_x', ['hot'])).toBeUndefined();
  });
});

const CHANGE = event({
  allocations: [{ audience: 'hot', channels: split(98_400, 65_600), previousChannels: null }],
});

const meta = DESTINATIONS.meta_custom_audience!.configure(
  { endpoint: 'https://graph.facebook.com', access_token: 'meta-token-123', audience_id: '1' },
  { audience: 'hot', match_keys: ['email'], budget_push: { ad_set_id: '23851' } },
);
const google = DESTINATIONS.google_customer_match!.configure(
  {
    endpoint: 'https://datamanager.googleapis.com',
    access_token: 'google-token',
    operating_account_id: '1',
    user_list_id: '2',
    login_account_id: '999-000-1111',
    developer_token: 'dev-token',
  },
  {
    audience: 'hot',
    match_keys: ['email'],
    terms_of_service_accepted: true,
    budget_push: { customer_id: '123-456-7890', campaign_budget_id: '555' },
  },
);

describe('the requests', () => {
  it('Meta: the ad set daily_budget in cents', () => {
    expect(meta.notify?.(CHANGE, 'meta_x')).toEqual({
      method: 'POST',
      url: 'https://graph.facebook.com/v27.0/23851',
      headers: { Authorization: 'Bearer meta-token-123', 'Content-Type': 'application/json' },
      body: { daily_budget: 98_400 },
      items: [0],
    });
  });

  it('Google: the campaign budget amount_micros, on the Google Ads API', () => {
    expect(google.notify?.(CHANGE, 'google_x')).toEqual({
      method: 'POST',
      url: 'https://googleads.googleapis.com/v26/customers/1234567890/campaignBudgets:mutate',
      headers: {
        Authorization: 'Bearer google-token',
        'Content-Type': 'application/json',
        'developer-token': 'dev-token',
        'login-customer-id': '9990001111',
      },
      body: {
        operations: [
          {
            update: { resourceName: 'customers/1234567890/campaignBudgets/555', amountMicros: '656000000' },
            updateMask: 'amount_micros',
          },
        ],
      },
      items: [0],
    });
  });

  it('nothing for a destination the budget does not split to', () => {
    expect(meta.notify?.(CHANGE, 'meta_other')).toBeUndefined();
  });
});

const response = (status: number, body: unknown) => ({
  kind: 'response' as const,
  status,
  headers: {},
  body,
});

describe('the answers', () => {
  const metaRequest = meta.notify!(CHANGE, 'meta_x')!;
  const googleRequest = google.notify!(CHANGE, 'google_x')!;
  it.each([
    [
      'Meta success',
      () => meta.classify(response(200, { success: true }), metaRequest),
      { items: [{ kind: 'ok' }] },
    ],
    [
      'Meta without success',
      () => meta.classify(response(200, {}), metaRequest),
      { items: [{ kind: 'reject', reason: 'Meta did not confirm the ad set update (no success: true)' }] },
    ],
    [
      'Meta throttled',
      () => meta.classify(response(400, { error: { code: 80003, message: 'too many calls' } }), metaRequest),
      { signal: { kind: 'throttled' } },
    ],
    [
      'Google success',
      () =>
        google.classify(
          response(200, { results: [{ resourceName: 'customers/1234567890/campaignBudgets/555' }] }),
          googleRequest,
        ),
      { items: [{ kind: 'ok' }] },
    ],
    [
      'Google refused amount',
      () =>
        google.classify(
          response(400, {
            error: {
              code: 400,
              message: 'Request contains an invalid argument.',
              status: 'INVALID_ARGUMENT',
              details: [
                { errors: [{ errorCode: { campaignBudgetError: 'NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT' } }] },
              ],
            },
          }),
          googleRequest,
        ),
      {
        items: [
          {
            kind: 'reject',
            reason:
              'HTTP 400 INVALID_ARGUMENT: Request contains an invalid argument. [campaignBudgetError: NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT]',
          },
        ],
      },
    ],
    [
      'Google token refused',
      () =>
        google.classify(response(401, { error: { code: 401, status: 'UNAUTHENTICATED' } }), googleRequest),
      { signal: { kind: 'credentials' } },
    ],
  ])('%s', (_name, classified, expected) => {
    expect(classified()).toMatchObject(expected);
  });
});
