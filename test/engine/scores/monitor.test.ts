/**
 * Score monitoring in the relay (docs/scores.md): people's scores are fed through intake on an inline
 * relay whose clock the test moves a day at a time; each day's snapshot (`POST
 * /admin/api/scores/snapshot`) must have the histogram, PSI and verdict of the case file in
 * relay-cases/, worked out by hand there. Then the warning is in the log, the metric and the admin API,
 * and `audience-relay scores` shows it, with and without --json.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScoreDetail, ScoresOverview, type ScoreEntry } from '../../../src/admin/score-view.js';
import { readEnv } from '../../../src/config/env.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';
import { startRelay, type RunningRelay } from '../../../src/relay.js';
import { describeCaseFiles } from '../../helpers/case-files.js';
import { basicAuth, REPO_ROOT, WRITE_KEYS } from '../../helpers/relay-process.js';
import { runCli } from '../../cli/run-cli.js';

const ADMIN_TOKEN = 'score-monitor-admin-token-0001';
const DAY_MS = 86_400_000;
const START = Date.parse('2025-03-03T09:00:00Z');
const casesDir = fileURLToPath(new URL('./relay-cases/', import.meta.url));

/** The case files' trait: 10 points to sign up, 20 per bump, capped at 100, decaying very slowly. */
const MAPPING = `traits:
  drift_score:
    score:
      half_life: 3650d
      max: 100
      rules:
        - { points: 10, reason: Signed up, when: { event: Signed Up }, once: true }
        - { points: 20, reason: Bumped, when: { event: Bump } }
scores:
  bins: 5
  psi_threshold: 0.2
`;

const Day = z.strictObject({
  signUp: z.boolean(),
  /** Per person (by index), how many Bump events they send that day. */
  bumps: z.array(z.number().int().min(0)),
  expect: z.strictObject({
    counts: z.array(z.number().int()),
    psi: z.number().nullable(),
    drifted: z.boolean(),
    message: z.string(),
  }),
});
const Case = z.strictObject({
  name: z.string().min(10),
  explanation: z.string().min(20),
  trait: z.string(),
  days: z.array(Day).min(2),
});
type Case = z.infer<typeof Case>;

interface TestRelay {
  relay: RunningRelay;
  clock: ManualClock;
  logs: string[];
  root: string;
  close: () => Promise<void>;
}

async function startScoreRelay(): Promise<TestRelay> {
  const root = mkdtempSync(join(tmpdir(), 'relay-scores-'));
  const mappingsDir = join(root, 'mappings');
  cpSync(join(REPO_ROOT, 'mappings'), mappingsDir, { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
  writeFileSync(join(mappingsDir, 'drift.yaml'), MAPPING);
  const clock = new ManualClock(START);
  const logs: string[] = [];
  const relay = await startRelay({
    env: readEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_URL: `sqlite:${join(root, 'relay.db')}`,
      MAPPINGS_DIR: mappingsDir,
      ADMIN_TOKEN,
    }),
    processEnv: {},
    clock,
    logger: createLogger({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
  });
  return {
    relay,
    clock,
    logs,
    root,
    close: async () => {
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function admin(
  relay: RunningRelay,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Day `index` of the case: its events at the clock's time, processed, then the snapshot's entry. */
async function runDay({ relay, clock }: TestRelay, testCase: Case, index: number): Promise<ScoreEntry> {
  const day = testCase.days[index] as z.infer<typeof Day>;
  clock.set(START + index * DAY_MS);
  const timestamp = new Date(clock.now()).toISOString();
  const batch = day.bumps.flatMap((bumps, person) =>
    [
      ...(day.signUp ? [{ event: 'Signed Up', n: 0 }] : []),
      ...Array.from({ length: bumps }, (_, n) => ({ event: 'Bump', n: n + 1 })),
    ].map(({ event, n }) => ({
      type: 'track',
      event,
      userId: `drift-u${person}`,
      messageId: `drift-d${index}-p${person}-${n}`,
      timestamp,
    })),
  );
  const sent = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(sent.status).toBe(200);
  await relay.whenIdle();
  const { status, body } = await admin(relay, '/scores/snapshot', 'POST');
  expect(status, JSON.stringify(body)).toBe(200);
  const entry = ScoresOverview.parse(body).scores.find((score) => score.series === testCase.trait);
  if (!entry) throw new Error(`no score entry for ${testCase.trait}`);
  return entry;
}

function expectDay(entry: ScoreEntry, day: z.infer<typeof Day>): void {
  expect(entry.histogram?.counts).toEqual(day.expect.counts);
  if (day.expect.psi === null) expect(entry.psi).toBeNull();
  else expect(Math.abs((entry.psi ?? Number.NaN) - day.expect.psi), `PSI ${entry.psi}`).toBeLessThan(1e-6);
  expect({ drifted: entry.drifted, message: entry.message }).toEqual({
    drifted: day.expect.drifted,
    message: day.expect.message,
  });
}

describeCaseFiles(
  'score monitoring in the relay',
  casesDir,
  (json) => Case.parse(json),
  async (testCase: Case) => {
    const test = await startScoreRelay();
    try {
      for (const [index, day] of testCase.days.entries()) expectDay(await runDay(test, testCase, index), day);
      const last = testCase.days.at(-1) as z.infer<typeof Day>;
      const overview = ScoresOverview.parse((await admin(test.relay, '/scores')).body);
      expect(overview.warnings.includes(last.expect.message)).toBe(last.expect.drifted);

      const metrics = await (await fetch(`${test.relay.url}/metrics`)).text();
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith(`relay_score_psi{trait="${testCase.trait}"}`));
      if (last.expect.psi === null) expect(line).toBeUndefined();
      else expect(Number(line?.split(' ')[1])).toBeCloseTo(last.expect.psi, 6);

      // The warning in the log names the trait and the figures, never a person.
      const warnings = test.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.level === 40);
      const drift = warnings.filter((l) => l.trait === testCase.trait);
      expect(drift.map((l) => l.msg)).toEqual(last.expect.drifted ? [last.expect.message] : []);
      expect(test.logs.join('\n')).not.toContain('drift-u');
    } finally {
      await test.close();
    }
  },
);

describe('the scores command against a running relay', () => {
  let test: TestRelay;
  let env: Record<string, string>;
  // The shifted case: two snapshots, the second drifted.
  const testCase = Case.parse(
    JSON.parse(readFileSync(join(casesDir, 'shifted-population-warns.json'), 'utf8')),
  );

  beforeAll(async () => {
    test = await startScoreRelay();
    for (const index of testCase.days.keys()) await runDay(test, testCase, index);
    env = { RELAY_URL: test.relay.url, ADMIN_TOKEN };
  });
  afterAll(async () => test?.close());

  it('scores --json prints the API answer', async () => {
    const result = await runCli(['scores', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const printed = ScoresOverview.parse(JSON.parse(result.stdout));
    expect(printed).toEqual(ScoresOverview.parse((await admin(test.relay, '/scores')).body));
    expect(printed.scores.map((entry) => entry.series)).toContain('drift_score');
  });

  it('scores lists every score and model trait with its PSI, and the warning', async () => {
    const result = await runCli(['scores'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^TRAIT\s+DAY\s+SCORED\s+PSI\s+REFERENCE\s+STATUS$/);
    expect(lines.find((l) => l.startsWith('drift_score'))).toMatch(
      /^drift_score\s+2025-03-04\s+20\s+0\.4017\s+2025-03-03\s+DRIFTED$/,
    );
    expect(lines).toContain(
      "warning: drift_score: PSI 0.4017 against the reference window, over the threshold 0.2: the score's distribution has shifted",
    );
    for (const trait of ['lead_score', 'p_convert']) expect(result.stdout).toContain(trait);
  });

  it('scores --trait prints the histogram as bars and the tier cut points', async () => {
    const result = await runCli(['scores', '--trait', 'drift_score'], env);
    expect(result.code, result.stderr).toBe(0);
    const detail = ScoreDetail.parse((await admin(test.relay, '/scores/drift_score')).body);
    expect(detail.history.map((entry) => entry.day)).toEqual(['2025-03-04', '2025-03-03']);
    const cuts = detail.tierCutPoints?.cutPoints ?? [];
    expect(cuts).toHaveLength(2);
    // Bars scaled to the largest bin (40 characters): 7 -> 40, 1 -> 6.
    expect(result.stdout).toContain(
      [
        '  [0, 20)    1  ######',
        '  [20, 40)   2  ###########',
        '  [40, 60)   4  #######################',
        '  [60, 80)   6  ##################################',
        '  [80, 100]  7  ########################################',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      `tier cut points (3 tiers): ${cuts.map((c) => String(Number(c.toFixed(4)))).join(', ')}`,
    );
    const json = await runCli(['scores', '--trait', 'drift_score', '--json'], env);
    expect(ScoreDetail.parse(JSON.parse(json.stdout))).toEqual(detail);
    const unknown = await runCli(['scores', '--trait', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('HTTP 404: trait: no score or model trait named nope');
  });
});
