import { describe, expect, it } from 'vitest';
import type { Explanation, ProfileView } from '../../src/cli/api-types.js';
import { membershipLines } from '../../src/cli/commands/profile.js';
import { statusLines } from '../../src/cli/commands/status.js';
import { renderExplanation } from '../../src/cli/explain-tree.js';
import { table } from '../../src/cli/output.js';
import { resolveTime } from '../../src/cli/time.js';

describe('CLI formatting', () => {
  it('resolves --since/--until: durations before now, ISO and epoch ms as ISO, the rest refused', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(resolveTime('--since', '2h', now)).toBe('2025-03-01T10:00:00.000Z');
    expect(resolveTime('--since', '2d', now)).toBe('2025-02-27T12:00:00.000Z');
    expect(resolveTime('--since', '2025-01-01T00:00:00Z', now)).toBe('2025-01-01T00:00:00.000Z');
    expect(resolveTime('--until', '0', now)).toBe('1970-01-01T00:00:00.000Z');
    expect(() => resolveTime('--since', 'yesterday', now)).toThrow('--since: "yesterday" is not an ISO time');
  });

  it('prints memberships since when, the audiences left with why, and the newest changes first', () => {
    const view: Pick<ProfileView, 'memberships' | 'lastExits' | 'membershipHistory'> = {
      memberships: [{ audience: 'high_intent', enteredAt: '2025-03-01T10:00:00.000Z' }],
      lastExits: [
        { audience: 'cart_abandoners', at: '2025-03-01T14:00:00.000Z', cause: 'time', messageId: null },
      ],
      membershipHistory: [
        {
          audience: 'cart_abandoners',
          member: false,
          at: '2025-03-01T14:00:00.000Z',
          cause: 'time',
          messageId: null,
        },
        {
          audience: 'high_intent',
          member: true,
          at: '2025-03-01T10:00:00.000Z',
          cause: 'merge',
          messageId: 'm9',
        },
        {
          audience: 'cart_abandoners',
          member: true,
          at: '2025-03-01T10:00:00.000Z',
          cause: 'event',
          messageId: 'm3',
        },
      ],
    };
    expect(membershipLines(view as ProfileView, 2)).toEqual([
      'memberships',
      '  AUDIENCE     ENTERED AT',
      '  high_intent  2025-03-01T10:00:00Z',
      '',
      'audiences left',
      '  AUDIENCE         LEFT AT               CAUSE  MESSAGE ID',
      '  cart_abandoners  2025-03-01T14:00:00Z  time   -',
      '',
      'membership history (2 of 3 shown)',
      '  TIME                  AUDIENCE         CHANGE   CAUSE  MESSAGE ID',
      '  2025-03-01T14:00:00Z  cart_abandoners  exited   time   -',
      '  2025-03-01T10:00:00Z  high_intent      entered  merge  m9',
    ]);
    expect(
      membershipLines(
        { memberships: [], lastExits: [], membershipHistory: [] } as unknown as ProfileView,
        10,
      ),
    ).toEqual(['memberships: none', '', 'membership history (0 of 0 shown)']);
  });

  it('aligns table columns, numbers to the right', () => {
    const lines = table(
      [{ header: 'NAME' }, { header: 'SIZE', align: 'right' }],
      [
        ['a', '1'],
        ['longer', '100'],
      ],
    );
    expect(lines).toEqual(['NAME    SIZE', 'a          1', 'longer   100']);
  });

  it('renders an explanation as a tree with ✓/✗, values and counts aligned', () => {
    const explanation: Explanation = {
      profileId: 'p1',
      audiences: [
        {
          audience: 'high_intent',
          member: false,
          explain: {
            kind: 'audience',
            label: 'high_intent',
            holds: false,
            audience: 'high_intent',
            children: [
              {
                kind: 'all',
                label: 'all of',
                holds: false,
                children: [
                  { kind: 'trait', label: 'lead_score > 80', holds: false, value: 42 },
                  {
                    kind: 'performed',
                    label: 'performed page at least 3 times within 48h',
                    holds: true,
                    count: 3,
                    capped: true,
                    timestamps: ['2025-03-01T11:00:00.000Z'],
                    windowStart: '2025-02-27T12:00:00.000Z',
                    flipsAt: '2025-03-03T11:00:00.000Z',
                  },
                ],
              },
            ],
          },
        },
      ],
    };
    expect(renderExplanation(explanation)).toEqual([
      'profile p1',
      '',
      'high_intent: not a member',
      '  ✗ high_intent',
      '    ✗ all of',
      '      ✗ lead_score > 80                             value 42',
      '      ✓ performed page at least 3 times within 48h  count ≥3, last 2025-03-01T11:00:00Z, flips 2025-03-03T11:00:00Z',
    ]);
  });
});

describe('status', () => {
  const health = (destination: string, failingSince: string | null, alerting = false) => ({
    destination,
    type: 'webhook',
    enabled: true,
    requests: 3,
    succeeded: failingSince ? 0 : 3,
    successRate: failingSince ? 0 : 1,
    latencyMs: { p50: 10, p99: 20 },
    queueDepth: 0,
    deadLetters: 0,
    lastFailure: failingSince
      ? { at: failingSince, status: 'network', outcome: '3 retry: network error: ECONNREFUSED', response: '' }
      : null,
    failingSince,
    alerting,
  });
  const processing = { storedSeq: 6, processedSeq: 6, pending: 0, profiles: 3 };
  const config = {
    dir: 'mappings',
    lastReload: undefined,
    sources: ['web'],
    traits: [],
    backfills: [],
    destinations: [
      { name: 'crm_hook', type: 'webhook', enabled: true },
      { name: 'braze', type: 'braze', enabled: true },
    ],
  } as unknown as Parameters<typeof statusLines>[1];
  const overview = (destinations: ReturnType<typeof health>[]) =>
    ({ destinations }) as unknown as Parameters<typeof statusLines>[2];

  it('names each failing destination, since when, why, and whether it alerts', () => {
    const lines = statusLines(
      processing,
      config,
      overview([health('braze', null), health('crm_hook', '2025-03-01T09:14:02.000Z', true)]),
    );
    expect(lines.find((line) => line.startsWith('failing'))).toMatch(
      /^failing\s+crm_hook since 2025-03-01[T ]09:14:02\S* \(network: 3 retry: network error: ECONNREFUSED\), alerting$/,
    );
  });

  it('says none when every destination answers', () => {
    const lines = statusLines(processing, config, overview([health('braze', null)]));
    expect(lines.find((line) => line.startsWith('failing'))).toMatch(/^failing\s+none$/);
  });
});
