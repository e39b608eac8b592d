import { describeCaseFiles } from '../../helpers/case-files.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { normalizeEvent } from '../../../src/ingest/normalize.js';
import { SpecEvent } from '../../../src/ingest/schemas.js';
import { parseDuration } from '../../../src/lib/duration.js';
import { Name } from '../../../src/mappings/schema.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';
import { loadModelFile } from '../../../src/engine/models/load.js';
import {
  createTraitEngine,
  engineEventFromStored,
  traitAt,
  type EngineEvent,
  type ProfileTraits,
  type TraitEngine,
} from '../../../src/engine/traits/engine.js';

/**
 * One runner for every case in cases/*.json (one scenario per trait kind). A case defines traits as in
 * a mapping file and runs steps against named profiles ("main" unless a step says otherwise):
 * - `{ at, events }`: Segment events (with `timestamp`) processed at clock `at`, through the intake's
 *   normalization; an event without userId/anonymousId gets anonymousId "anon-<profile>".
 * - `{ at, expect }`: trait values (by name or path, e.g. "rfm.tier", "lead_score.reasons") at clock
 *   `at`; null means absent. `expect_next_change_at` (ISO or null) checks the scheduler hint.
 * - `{ merge: { from, into } }`: the profiles become one (`from` is gone afterwards).
 * Every state is round-tripped through JSON after every step, so states must be plain JSON.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));

const Iso = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO date-time');

const Step = z.union([
  z.strictObject({
    at: Iso,
    profile: z.string().optional(),
    note: z.string().optional(),
    events: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    expect: z.record(z.string(), z.unknown()).optional(),
    expect_next_change_at: Iso.nullable().optional(),
  }),
  z.strictObject({
    merge: z.strictObject({ from: z.string(), into: z.string() }),
    note: z.string().optional(),
  }),
]);
type Step = z.infer<typeof Step>;

const Case = z.strictObject({
  name: z.string().min(10),
  allowed_lateness: z.string().default('7d'),
  traits: z.record(z.string(), z.unknown()),
  steps: z.array(Step).min(1),
});
type Case = z.infer<typeof Case>;

function engineEventOf(written: Record<string, unknown>, profile: string, receivedAt: number): EngineEvent {
  const hasIdentifier = written.userId !== undefined || written.anonymousId !== undefined;
  const spec = SpecEvent.parse(hasIdentifier ? written : { ...written, anonymousId: `anon-${profile}` });
  const stored = normalizeEvent('test', spec, receivedAt);
  return engineEventFromStored({ ...stored, body: JSON.parse(stored.body) as Record<string, unknown> });
}

function expectTraits(
  engine: TraitEngine,
  state: ProfileTraits,
  now: number,
  expected: Record<string, unknown>,
) {
  const values = engine.values(state, now);
  for (const [path, want] of Object.entries(expected)) {
    const got = traitAt(values, path);
    const label = `${path} at ${new Date(now).toISOString()}`;
    if (want === null) expect(got ?? null, label).toBeNull();
    else if (typeof want === 'number' && !Number.isInteger(want)) expect(got, label).toBeCloseTo(want, 6);
    else expect(got, label).toEqual(want);
  }
}

function runCase(testCase: Case): void {
  const definitions = z.record(Name, TraitDefinition).parse(testCase.traits);
  const engine = createTraitEngine(definitions, { loadModel: (file) => loadModelFile(join(repoRoot, file)) });
  const allowedLatenessMs = parseDuration(testCase.allowed_lateness) ?? Number.NaN;
  const profiles = new Map<string, ProfileTraits>();
  const profile = (name: string) => profiles.get(name) ?? engine.emptyState();

  testCase.steps.forEach((step: Step, index) => {
    if ('merge' in step) {
      profiles.set(step.merge.into, engine.merge(profile(step.merge.into), profile(step.merge.from)));
      profiles.delete(step.merge.from);
    } else {
      const name = step.profile ?? 'main';
      const now = Date.parse(step.at);
      let state = profile(name);
      for (const written of step.events ?? []) {
        state = engine.applyEvent(state, engineEventOf(written, name, now), { now, allowedLatenessMs });
      }
      profiles.set(name, state);
      if (step.expect) expectTraits(engine, state, now, step.expect);
      if (step.expect_next_change_at !== undefined) {
        const next = engine.nextChangeAt(state, now);
        const want = step.expect_next_change_at === null ? undefined : Date.parse(step.expect_next_change_at);
        expect(next, `next change at, step ${index}`).toBe(want);
      }
    }
    for (const [name, state] of profiles)
      profiles.set(name, JSON.parse(JSON.stringify(state)) as ProfileTraits);
  });
}

describeCaseFiles('trait cases', casesDir, (json) => Case.parse(json), runCase);
