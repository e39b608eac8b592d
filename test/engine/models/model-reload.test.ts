/**
 * Model files in a running relay (docs/models.md "Versions and shadow models"), threaded as `npm
 * start` runs it: every score records its model file's version and hash (`<trait>.model`,
 * `<trait>.reasons`); adding a shadow model rescores nothing and publishes `<trait>.shadow`, which
 * score monitoring follows; a changed model file, picked up on reload, rescores every profile as a
 * backfill (an audience on the score changes without any new event).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoresOverview } from '../../../src/admin/score-view.js';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';
import { sendBatchProcessed } from '../../helpers/send-batch.js';

const ADMIN_TOKEN = 'model-reload-admin-token-000001';
const root = mkdtempSync(join(tmpdir(), 'relay-model-reload-'));
let relay: RunningRelay & { mappingsDir: string };

const LIVE_V1 = {
  kind: 'logistic',
  version: '2025-05-01',
  intercept: -2,
  coefficients: { pricing_views_48h: 0.5 },
};
const LIVE_V2 = {
  kind: 'logistic',
  version: '2025-06-01',
  intercept: -1,
  coefficients: { pricing_views_48h: 1 },
};
const SHADOW = {
  kind: 'logistic',
  version: 'candidate-7',
  intercept: -1.5,
  coefficients: { pricing_views_48h: 1 },
};

const mapping = (shadow: boolean) => `traits:
  p_test:
    model: { file: models/p_test.json${shadow ? ', shadow: models/p_test_shadow.json' : ''} }
audiences:
  p_test_high:
    rule: { trait: p_test, gte: 0.5 }
`;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function writeModel(name: string, model: object): string {
  const text = `${JSON.stringify(model, null, 1)}\n`;
  writeFileSync(join(root, 'models', name), text);
  return hashOf(text);
}

async function admin<T>(path: string, method = 'GET'): Promise<T> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as T;
}

interface Profile {
  traits: Record<string, unknown>;
  memberships: { audience: string }[];
  membershipHistory: { audience: string; member: boolean; cause: string }[];
}
interface Config {
  backfills: { name: string; hash: string; status: string; updatedAt: number }[];
}

const profile = (userId: string) => admin<Profile>(`/profiles?userId=${userId}`);
const backfillOf = async () =>
  (await admin<Config>('/config')).backfills.find((row) => row.name === 'trait:p_test');

let v1Hash: string;
let shadowHash: string;

beforeAll(async () => {
  mkdirSync(join(root, 'models'));
  v1Hash = writeModel('p_test.json', LIVE_V1);
  shadowHash = writeModel('p_test_shadow.json', SHADOW);
  relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    mappingFiles: { 'p-test.yaml': mapping(false) },
  });
  const page = (n: number) => ({
    type: 'page',
    userId: 'm1',
    messageId: `model-reload-p${n}`,
    context: { page: { path: '/pricing' } },
  });
  const batch = [page(1), page(2), { type: 'identify', userId: 'm2', messageId: 'model-reload-i2' }];
  await sendBatchProcessed(relay, batch);
}, 60_000);

afterAll(async () => {
  await relay?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('model files in a running relay', () => {
  it('a score records the model file version and hash, in the profile view and the reasons', async () => {
    const { traits, memberships } = await profile('m1');
    expect(traits.p_test).toBeCloseTo(sigmoid(-2 + 0.5 * 2), 9);
    expect(traits['p_test.model']).toEqual({
      file: 'models/p_test.json',
      version: '2025-05-01',
      hash: v1Hash,
    });
    expect(traits['p_test.reasons']).toEqual([
      `scored by models/p_test.json (version 2025-05-01, sha256 ${v1Hash})`,
    ]);
    expect(traits['p_test.shadow']).toBeUndefined();
    expect(memberships.map((m) => m.audience)).not.toContain('p_test_high');
  });

  it('adding a shadow model rescores nothing and publishes its score beside the live one', async () => {
    const before = await backfillOf();
    writeFileSync(join(relay.mappingsDir, 'p-test.yaml'), mapping(true));
    expect((await relay.reload('api')).ok).toBe(true);
    await relay.whenIdle();
    expect(await backfillOf()).toEqual(before);
    const { traits } = await profile('m1');
    expect(traits.p_test).toBeCloseTo(sigmoid(-1), 9);
    expect(traits['p_test.shadow']).toBeCloseTo(sigmoid(-1.5 + 2), 9);
    expect(traits['p_test.model']).toEqual({
      file: 'models/p_test.json',
      version: '2025-05-01',
      hash: v1Hash,
      shadow: { file: 'models/p_test_shadow.json', version: 'candidate-7', hash: shadowHash },
    });
    // Score monitoring follows the shadow as a series of its own, compared with the live model.
    const overview = ScoresOverview.parse(await admin('/scores/snapshot', 'POST'));
    const shadow = overview.scores.find((entry) => entry.series === 'p_test.shadow');
    expect(shadow?.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(shadow?.againstLive?.message).toMatch(
      /^p_test\.shadow against p_test \(live\) on \d{4}-\d{2}-\d{2}: PSI \d/,
    );
  });

  it('a changed model file is picked up on reload and rescores every profile as a backfill', async () => {
    const before = await backfillOf();
    const { storedSeq } = await admin<{ storedSeq: number }>('/processing');
    const v2Hash = writeModel('p_test.json', LIVE_V2);
    expect((await relay.reload('api')).ok).toBe(true);
    await relay.whenIdle();
    const after = await backfillOf();
    expect(after?.hash).not.toBe(before?.hash);
    expect(after?.status).toBe('ready');

    const m1 = await profile('m1');
    expect(m1.traits.p_test).toBeCloseTo(sigmoid(-1 + 2), 9);
    expect(m1.traits['p_test.model']).toMatchObject({ version: '2025-06-01', hash: v2Hash });
    expect(m1.traits['p_test.reasons']).toEqual([
      `scored by models/p_test.json (version 2025-06-01, sha256 ${v2Hash})`,
    ]);
    expect(m1.memberships.map((m) => m.audience)).toContain('p_test_high');
    // No new event: the backfill re-scored the profile and the audience followed.
    expect((await admin<{ storedSeq: number }>('/processing')).storedSeq).toBe(storedSeq);
    expect(m1.membershipHistory.find((entry) => entry.audience === 'p_test_high')).toMatchObject({
      member: true,
      cause: 'backfill',
    });
    const m2 = await profile('m2');
    expect(m2.traits.p_test).toBeCloseTo(sigmoid(-1), 9);
    expect(m2.memberships.map((m) => m.audience)).not.toContain('p_test_high');
  });
});
