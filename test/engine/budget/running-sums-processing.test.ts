import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { expectSumsConsistent, identify, sendEvents, sumsNear, track } from './harness.js';

/**
 * The running sums follow every way a member's contribution changes, in the processing commit that
 * changes it: events, merges (the merged-away profile's contribution leaves), exits caused by time
 * alone, a rebuild (the sums are rebuilt with the profiles) and a changed `value:` (one pass over the
 * profiles recomputes their contributions). After each step the stored sums equal the contributions
 * the live profiles keep, and the sizes equal the audiences' members.
 */

const HOUR = 3_600_000;
const ADMIN_TOKEN = 'budget-sums-admin-token-0001';
const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
const AUDIENCES = ['seg_a', 'seg_b', 'visitors'];
let root: string;
let relay: RunningRelay & { mappingsDir: string };

const audiencesFile = (segAOrderValue: string) => `traits:
  p_intent: { last: { event: Scored, property: properties.p } }
  order_value: { last: { event: Scored, property: properties.order_value } }
audiences:
  seg_a:
    rule: { trait: segment, eq: a }
    value: { probability: p_intent, order_value: ${segAOrderValue} }
  seg_b:
    rule: { trait: segment, eq: b }
    value: { probability: p_intent, order_value: 50 }
  visitors:
    rule: { performed: { event: Visited }, at_least: 1, within: 1h }
    value: { probability: p_intent, order_value: order_value }
`;

const BUDGET = `budget:
  total: 1000
  period: day
  audiences: [seg_a, seg_b, visitors]
  min_audience_size: 1
  cap_per_member: 100
`;

const send = (...events: Record<string, unknown>[]) => sendEvents(relay.url, clock, ...events);

async function admin(
  method: string,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  root = makeTempDir('relay-budget-sums-');
  relay = await startTestRelay({
    root,
    clock,
    adminToken: ADMIN_TOKEN,
    mappingFiles: { 'budget-test.yaml': audiencesFile('order_value'), 'budget.yaml': BUDGET },
  });
});

afterAll(async () => {
  await relay?.close();
  removeTempDir(root);
});

describe('running sums per budget audience, kept by processing', () => {
  it('adds members as events put them in, and takes the merged-away profile out on a merge', async () => {
    await send(
      track({ userId: 'm1' }, 'Scored', { p: 0.2, order_value: 30 }),
      identify({ userId: 'm1' }, { segment: 'a' }),
    );
    await send(
      track({ anonymousId: 'anon-1' }, 'Scored', { p: 0.6, order_value: 10 }),
      identify({ anonymousId: 'anon-1' }, { segment: 'a' }),
    );
    await relay.whenIdle();
    const before = await expectSumsConsistent(relay.store, AUDIENCES);
    expect(before.seg_a).toEqual(sumsNear(2, 0.8, 40, 2));

    // One person: the merged profile's last Scored is the anonymous one (later), so p 0.6 and 10.
    await send(identify({ userId: 'm1', anonymousId: 'anon-1' }));
    await relay.whenIdle();
    const after = await expectSumsConsistent(relay.store, AUDIENCES);
    expect(after.seg_a).toEqual(sumsNear(1, 0.6, 10, 1));
  });

  it('takes a member out when time alone ends its membership', async () => {
    await send(
      track({ userId: 'v1' }, 'Scored', { p: 0.4, order_value: 200 }),
      track({ userId: 'v1' }, 'Visited'),
    );
    await relay.whenIdle();
    expect((await expectSumsConsistent(relay.store, AUDIENCES)).visitors).toEqual(sumsNear(1, 0.4, 200, 1));
    clock.advance(2 * HOUR);
    await relay.whenIdle();
    expect((await expectSumsConsistent(relay.store, AUDIENCES)).visitors).toEqual(sumsNear(0, 0, 0, 0));
  });

  it('rebuilds the sums with the profiles', async () => {
    await send(track({ userId: 'b1' }, 'Scored', { p: 0.7 }), identify({ userId: 'b1' }, { segment: 'b' }));
    await relay.whenIdle();
    const before = await expectSumsConsistent(relay.store, AUDIENCES);
    expect((await admin('POST', '/rebuild')).status).toBe(202);
    await relay.whenIdle(); // idle only once the rebuild is done
    expect((await admin('GET', '/rebuild')).body.status).toBe('done');
    const after = await expectSumsConsistent(relay.store, AUDIENCES);
    for (const audience of AUDIENCES) {
      expect(after[audience]?.size).toBe(before[audience]?.size);
      expect(after[audience]?.sumProbability).toBeCloseTo(before[audience]?.sumProbability ?? NaN, 9);
      expect(after[audience]?.sumOrderValue).toBeCloseTo(before[audience]?.sumOrderValue ?? NaN, 9);
    }
  });

  it('recomputes every contribution once when a value changes, then allocates with trigger config', async () => {
    const latestBefore = await relay.store.latestBudgetRun();
    // seg_a's order value becomes an amount: its members no longer contribute order values.
    writeFileSync(join(relay.mappingsDir, 'budget-test.yaml'), audiencesFile('70'));
    expect((await relay.reload('api')).ok).toBe(true);
    await relay.whenIdle(); // idle only once the budget:values backfill is done
    const definitions = await relay.store.traitDefinitions();
    expect(definitions.find((row) => row.name === 'budget:values')?.status).toBe('ready');
    const sums = await expectSumsConsistent(relay.store, AUDIENCES);
    expect(sums.seg_a).toEqual(sumsNear(1, 0.6, 0, 0));

    // The refresh loop notices the change by itself; the run's inputs carry the amount.
    const deadline = Date.now() + 10_000;
    let latest = await relay.store.latestBudgetRun();
    while ((latest?.id === latestBefore?.id || latest?.trigger !== 'config') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      latest = await relay.store.latestBudgetRun();
    }
    expect(latest?.trigger).toBe('config');
    const segA = latest?.run.inputs.audiences.find((input) => input.audience === 'seg_a');
    expect(segA).toMatchObject({ size: 1, constantOrderValue: 70, countOrderValue: 0 });
  });
});
