/**
 * Model test: seeded streams of realistic Segment events through the REAL relay process, every person
 * compared with a deliberately naive reference model (oracle.ts): live profile count, identifiers,
 * timeline, every trait value, audience sizes and memberships, and per budget audience the size, mean
 * probability and average order value an allocation run reads from the running sums (budget-oracle.ts).
 *
 *   npm test                      seeds 1-20 (after test/model/regressions.json), ~3,100 events each
 *   npm run test:model            MODEL_SEEDS=200
 *   MODEL_SEED_START=500 MODEL_SEEDS=50 npx vitest run test/model/model.test.ts
 *   MODEL_PEOPLE=150              people per seed
 *   MODEL_SHRINK_MS=0             no shrinking (default 90 s, for the first failing seed of a run)
 *   MODEL_TIMING=1                per seed: milliseconds spent sending, processing, comparing
 *
 * On a mismatch the seed and its mismatches are printed, the seed is saved to regressions.json when
 * outside the default range (at most 3 new seeds per run), then the stream is shrunk (people, then
 * events) and the smallest failing stream printed as JSON.
 *
 * Every event arrives within seconds, so every event older than the 7-day allowed lateness is late:
 * windowed traits and RFM's F and M only ever count the last 7 days here, and `at_risk` (R <= 2 and
 * F >= 2) cannot hold. Time-driven exits are covered elsewhere (test/engine/processing/time-exits).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAPPINGS_DIR, REPO_ROOT } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { generateStream } from './generate.js';
import { materialize } from './stream.js';
import { loadOracleConfig, type OracleConfig } from './oracle.js';
import { checkStream, RelayPool, type CheckResult } from './relay-check.js';
import { shrinkStream } from './shrink.js';

const DEFAULT_SEEDS = 20;
const SEED_COUNT = Number(process.env.MODEL_SEEDS ?? DEFAULT_SEEDS);
const SEED_START = Number(process.env.MODEL_SEED_START ?? 1);
const PEOPLE = Number(process.env.MODEL_PEOPLE ?? 150);
const SHRINK_MS = Number(process.env.MODEL_SHRINK_MS ?? 90_000);
const REGRESSIONS = new URL('./regressions.json', import.meta.url);

/**
 * Both model kinds are exercised: the example trees (p_convert) and the example logistic file. The
 * budget ranks the example audiences with a `value:` (a model probability with a trait or constant
 * order value, a rule score through the logistic mapping) and one of its own on the logistic model.
 */
const EXTRA_MAPPINGS = `traits:
  p_convert_logistic:
    model: { file: models/p_convert_logistic.json }
audiences:
  model_buyers:
    rule: { trait: orders_365d, gte: 1 }
    value: { probability: p_convert_logistic, order_value: largest_order_365d }
`;
const BUDGET_MAPPINGS = `budget:
  total: 10000
  period: day
  audiences: [high_intent, cart_abandoners, champions, model_buyers]
  min_audience_size: 1
  cap_per_member: 2.0
  probability_from_score: { logistic: { midpoint: 30, scale: 15 } }
`;

const regressions = JSON.parse(readFileSync(REGRESSIONS, 'utf8')) as number[];
const range = Array.from({ length: SEED_COUNT }, (_, i) => SEED_START + i);
const seeds = [...new Set([...regressions, ...range])];

/** New regression seeds one run may save: a broken build must not turn CI into a long run. */
const MAX_SAVED_PER_RUN = 3;
let savedThisRun = 0;

/** Seeds outside the default CI range are kept, so every later run tries them first. */
function saveRegression(seed: number): void {
  const saved = JSON.parse(readFileSync(REGRESSIONS, 'utf8')) as number[];
  if (saved.includes(seed) || (seed >= 1 && seed <= DEFAULT_SEEDS)) return;
  if (savedThisRun >= MAX_SAVED_PER_RUN) return;
  savedThisRun++;
  writeFileSync(REGRESSIONS, `[${[...saved, seed].sort((a, b) => a - b).join(', ')}]\n`);
  console.log(`seed ${seed} saved to test/model/regressions.json`);
}

/** Mismatches by what they are about, for the log: identity (a), (b) and the timeline, traits, audiences, budget. */
function kindsOf(mismatches: string[]): Record<string, string[]> {
  const kinds: Record<string, string[]> = { identity: [], traits: [], audiences: [], budget: [] };
  for (const line of mismatches) {
    const kind = line.startsWith('budget')
      ? 'budget'
      : / trait /.test(line)
        ? 'traits'
        : /audience /.test(line)
          ? 'audiences'
          : 'identity';
    kinds[kind]?.push(line);
  }
  return kinds;
}

describe('model: the relay agrees with a naive reference model', () => {
  let root: string;
  let mappingsDir: string;
  let config: OracleConfig;
  let pool: RelayPool;
  let shrunk = false;
  const started = Date.now();
  const totals = {
    seeds: 0,
    sent: 0,
    stored: 0,
    people: 0,
    persons: 0,
    mismatches: 0,
    failing: 0,
    unstable: 0,
  };

  beforeAll(() => {
    root = makeTempDir('relay-model-mappings-');
    mappingsDir = join(root, 'mappings');
    cpSync(MAPPINGS_DIR, mappingsDir, { recursive: true });
    cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
    writeFileSync(join(mappingsDir, 'model-test.yaml'), EXTRA_MAPPINGS);
    writeFileSync(join(mappingsDir, 'budget.yaml'), BUDGET_MAPPINGS); // in place of the example's
    config = loadOracleConfig(mappingsDir);
    pool = new RelayPool(mappingsDir);
  });

  afterAll(async () => {
    await pool?.close();
    removeTempDir(root);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `model test: ${totals.seeds} seeds, ${totals.sent} events sent (${totals.stored} after dedupe), ` +
        `${totals.people} people generated -> ${totals.persons} oracle profiles, ` +
        `${totals.mismatches} mismatches in ${totals.failing} seeds, ${totals.unstable} time-dependent values, ${seconds} s`,
    );
  });

  for (const seed of seeds) {
    it(`seed ${seed}`, { timeout: 180_000 + SHRINK_MS }, async () => {
      const stream = generateStream({ seed, people: PEOPLE });
      const result: CheckResult = await checkStream(stream.items, config, await pool.next());
      totals.seeds++;
      totals.sent += result.sent;
      totals.stored += result.stored;
      totals.people += PEOPLE;
      totals.persons += result.persons;
      totals.unstable += result.unstable;
      totals.mismatches += result.mismatches.length;
      if (result.mismatches.length === 0) return;

      totals.failing++;
      saveRegression(seed);
      const byKind = kindsOf(result.mismatches);
      const counts = Object.entries(byKind).map(([kind, lines]) => `${kind} ${lines.length}`);
      console.log(
        `seed ${seed}: ${result.mismatches.length} mismatches (${counts.join(', ')}; ` +
          `${result.persons} persons, ${result.stored} events)\n` +
          Object.values(byKind)
            .flatMap((lines) => lines.slice(0, 20))
            .join('\n'),
      );
      if (!shrunk && SHRINK_MS > 0) {
        shrunk = true; // one shrink per run: each try costs a relay process
        // A try that cannot run (a relay that does not start) counts as "does not fail".
        const fails = async (items: typeof stream.items) => {
          try {
            return (await checkStream(items, config, await pool.next())).mismatches.length > 0;
          } catch (error) {
            console.log(`shrink try failed to run: ${(error as Error).message.split('\n')[0]}`);
            return false;
          }
        };
        const small = await shrinkStream(stream.items, fails, SHRINK_MS);
        const again = await checkStream(small.items, config, await pool.next());
        const now = Date.now();
        console.log(
          `seed ${seed} shrunk to ${small.items.length} events in ${small.tries} tries` +
            `${small.timedOut ? ' (time budget reached)' : ''}; timestamps relative to ${new Date(now).toISOString()}:\n` +
            JSON.stringify(small.items.map((item) => materialize(item, now))) +
            `\nits mismatches:\n${again.mismatches.join('\n')}`,
        );
      }
      const first = result.mismatches.slice(0, 5).join('\n');
      expect(result.mismatches.length, `seed ${seed}: mismatches (see the log), first:\n${first}`).toBe(0);
    });
  }
});
