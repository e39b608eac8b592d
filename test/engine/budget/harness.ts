import { expect } from 'vitest';
import type { AudienceSums } from '../../../src/engine/budget/schema.js';
import type { Clock } from '../../../src/lib/clock.js';
import type { RelayStore } from '../../../src/store/port.js';

/** Shared by the budget tests that run the relay: events, and the running sums checked against profiles. */

const WRITE_KEY = `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`;

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
