/**
 * `audience-relay training-export` against a running relay on a clock the test moves: traits as they
 * were at the cutoff (a late event stamped before the cutoff but received after it does not count),
 * the label from the orders in the 30 days after it, CSV through the admin API to a file or stdout.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';
import { sendBatchProcessed } from '../../helpers/send-batch.js';
import { runCli } from '../../cli/run-cli.js';

const ADMIN_TOKEN = 'training-export-admin-token-001';
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2025-03-01T10:00:00Z');
const CUTOFF = new Date(T0 + 60 * MINUTE).toISOString();
const LABEL = 'Order Completed within 30d';
const root = mkdtempSync(join(tmpdir(), 'relay-training-export-'));
const clock = new ManualClock(T0);
let relay: RunningRelay;
let env: Record<string, string>;

const pricing = (userId: string, id: string, at: number) => ({
  type: 'page',
  userId,
  messageId: id,
  timestamp: new Date(at).toISOString(),
  context: { page: { path: '/pricing' } },
});
const order = (userId: string, id: string, at: number) => ({
  type: 'track',
  event: 'Order Completed',
  userId,
  messageId: id,
  timestamp: new Date(at).toISOString(),
  properties: { revenue: 120 },
});

/** Sends a batch received at `at` (the relay's clock) and waits until it is processed. */
async function sendAt(at: number, batch: object[]): Promise<void> {
  clock.set(at);
  await sendBatchProcessed(relay, batch);
}

/** The CSV as rows of cells by header (no quoted commas in this data). */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const names = (header ?? '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])));
}

beforeAll(async () => {
  relay = await startTestRelay({ root, adminToken: ADMIN_TOKEN, clock });
  env = { RELAY_URL: relay.url, ADMIN_TOKEN };
  // Before the cutoff: t1 views pricing twice, t2 once, t3 once; t1 also identifies with an e-mail.
  await sendAt(T0, [
    pricing('t1', 'te-1', T0 - MINUTE),
    pricing('t1', 'te-2', T0 - MINUTE),
    { type: 'identify', userId: 't1', messageId: 'te-3', traits: { email: 'trainee@example.com' } },
    pricing('t2', 'te-4', T0 - MINUTE),
    pricing('t3', 'te-5', T0 - MINUTE),
  ]);
  // After the cutoff: a late view stamped before it (t2), an order inside the window (t1).
  await sendAt(T0 + 120 * MINUTE, [
    pricing('t2', 'te-6', T0 - 30 * MINUTE),
    order('t1', 'te-7', T0 + 120 * MINUTE),
  ]);
  // An order after the window (t2): no label.
  await sendAt(T0 + 40 * DAY, [order('t2', 'te-8', T0 + 40 * DAY)]);
  clock.set(T0 + 45 * DAY);
}, 60_000);

afterAll(async () => {
  await relay?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('training-export against a running relay', () => {
  it('writes traits at the cutoff and the label from after it to a file', async () => {
    const out = join(root, 'training.csv');
    const result = await runCli(['training-export', '--cutoff', CUTOFF, '--label', LABEL, '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(`training data written to ${out}\n`);
    const text = readFileSync(out, 'utf8');
    const header = text.split('\n')[0] ?? '';
    expect(header.startsWith('profile_id,user_id,pricing_views_48h,orders_365d,')).toBe(true);
    expect(header.endsWith(',lead_score,label')).toBe(true);
    expect(header).not.toContain('p_convert'); // model scores are left out
    expect(text).not.toContain('@');
    const rows = parseCsv(text).sort((a, b) => ((a.user_id ?? '') < (b.user_id ?? '') ? -1 : 1));
    expect(rows.map((row) => [row.user_id, row.pricing_views_48h, row.orders_365d, row.label])).toEqual([
      ['t1', '2', '0', '1'],
      ['t2', '1', '0', '0'],
      ['t3', '1', '0', '0'],
    ]);
    expect(rows.every((row) => /^p_[0-9a-f]{24}$/.test(row.profile_id ?? ''))).toBe(true);

    const stdout = await runCli(['training-export', '--cutoff', CUTOFF, '--label', LABEL], env);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout).toBe(text);
  });

  it('refuses a cutoff whose label window is not over yet, and a label it cannot read', async () => {
    const recent = new Date(clock.now() - DAY).toISOString();
    const early = await runCli(['training-export', '--cutoff', recent, '--label', LABEL], env);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`HTTP 400: label: "${LABEL}" needs the events up to`);
    const unreadable = await runCli(
      ['training-export', '--cutoff', CUTOFF, '--label', 'Order Completed'],
      env,
    );
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('HTTP 400: label: must read "<Event Name> within <duration>"');
  });
});
