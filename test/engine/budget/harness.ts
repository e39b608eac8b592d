import { expect } from 'vitest';
import type { AudienceSums } from '../../../src/engine/budget/schema.js';
import type { Clock } from '../../../src/lib/clock.js';
import type { RelayStore } from '../../../src/store/port.js';

/** Shared by the budget tests that run the relay: events, and the running sums checked against profiles. */

const WRITE_KEY = `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`;

/**
 * Two budget audiences by a plain identify trait (`segment` a or b); the values are the last ones a
 * `Scored` event carried (seg_b's order value is the constant 50).
 */
export const SEGMENT_AUDIENCES_YAML = `traits:
  p_intent: { last: { event: Scored, property: properties.p } }
  order_value: { last: { event: Scored, property: properties.order_value } }
audiences:
  seg_a:
    rule: { trait: segment, eq: a }
    value: { probability: p_intent, order_value: order_value }
  seg_b:
    rule: { trait: segment, eq: b }
    value: { probability: p_intent, order_value: 50 }
`;

let sequence = 0;

/** Posts events as one batch, each a second after the one before on `clock` (a ManualClock). */
export async function sendEvents(
  url: string,
  clock: Clock & { advance(ms: number): void },
  ...events: Record<string, unknown>[]
): Promise<void> {
  const batch = events.map((event) => {
    const stamped = {
      messageId: `budget-${++sequence}`,
      timestamp: new Date(clock.now()).toISOString(),
      ...event,
    };
    clock.advance(1000);
    return stamped;
  });
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: WRITE_KEY },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
}

export const identify = (ids: Record<string, string>, traits: Record<string, unknown> = {}) => ({
  type: 'identify',
  ...ids,
  traits,
});

export const track = (
  ids: Record<string, string>,
  event: string,
  properties: Record<string, unknown> = {},
) => ({
  type: 'track',
  event,
  ...ids,
  properties,
});

/**
 * The running sums as stored, next to the sums of the contributions every live profile keeps in its
 * state (what the store's sums must always equal), and the audiences' sizes by their members.
 */
export async function sumsAndProfiles(
  store: RelayStore,
  audiences: string[],
): Promise<{
  sums: Record<string, AudienceSums>;
  fromProfiles: Record<string, AudienceSums>;
  members: Record<string, number>;
}> {
  const stored = await store.budgetSums(audiences);
  const empty = (): AudienceSums => ({ size: 0, sumProbability: 0, sumOrderValue: 0, countOrderValue: 0 });
  const sums = Object.fromEntries(audiences.map((audience) => [audience, stored.get(audience) ?? empty()]));
  const fromProfiles = Object.fromEntries(audiences.map((audience) => [audience, empty()]));
  for (let after = ''; ;) {
    const ids = await store.listProfileIds(after, 500);
    if (ids.length === 0) break;
    for (const record of await store.loadProfiles(ids)) {
      const state = JSON.parse(record.state) as { budget?: Record<string, { p?: number; v?: number }> };
      for (const [audience, member] of Object.entries(state.budget ?? {})) {
        const total = fromProfiles[audience];
        if (total === undefined) continue;
        total.size += 1;
        total.sumProbability += member.p ?? 0;
        total.sumOrderValue += member.v ?? 0;
        total.countOrderValue += member.v === undefined ? 0 : 1;
      }
    }
    after = ids.at(-1) as string;
  }
  const sizes = await store.audienceSizes();
  const members = Object.fromEntries(audiences.map((audience) => [audience, sizes[audience] ?? 0]));
  return { sums, fromProfiles, members };
}

/** The stored sums equal the profiles' contributions (floats within 1e-9) and sizes equal the members. */
export async function expectSumsConsistent(
  store: RelayStore,
  audiences: string[],
): Promise<Record<string, AudienceSums>> {
  const { sums, fromProfiles, members } = await sumsAndProfiles(store, audiences);
  for (const audience of audiences) {
    const [stored, counted] = [sums[audience] as AudienceSums, fromProfiles[audience] as AudienceSums];
    expect(stored.size, `${audience}: size`).toBe(counted.size);
    expect(stored.size, `${audience}: size against its members`).toBe(members[audience]);
    expect(stored.countOrderValue, `${audience}: members with an order value`).toBe(counted.countOrderValue);
    expect(stored.sumProbability, `${audience}: sum of probabilities`).toBeCloseTo(counted.sumProbability, 9);
    expect(stored.sumOrderValue, `${audience}: sum of order values`).toBeCloseTo(counted.sumOrderValue, 9);
  }
  return sums;
}

/** What running sums must equal: the size and count exactly, the sums to 12 digits (float additions). */
export function sumsNear(
  size: number,
  sumProbability: number,
  sumOrderValue: number,
  countOrderValue: number,
) {
  return {
    size,
    sumProbability: expect.closeTo(sumProbability, 12),
    sumOrderValue: expect.closeTo(sumOrderValue, 12),
    countOrderValue,
  };
}
