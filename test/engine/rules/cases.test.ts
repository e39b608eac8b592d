import { describeCaseFiles } from '../../helpers/case-files.js';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { normalizeEvent } from '../../../src/ingest/normalize.js';
import { SpecEvent } from '../../../src/ingest/schemas.js';
import { audienceIssues } from '../../../src/mappings/audience-references.js';
import { AudienceDefinition } from '../../../src/mappings/audiences-schema.js';
import { Name } from '../../../src/mappings/schema.js';
import { engineEventFromStored, type EngineEvent } from '../../../src/engine/traits/engine.js';
import {
  applyEventToPerformed,
  compileAudiences,
  emptyPerformed,
  evaluateAudiences,
  explainAudience,
  mergePerformed,
  type CompiledAudiences,
  type PerformedState,
} from '../../../src/engine/rules/index.js';

/**
 * One runner for every case in cases/*.json (one file per condition kind). A case defines audiences as
 * in a mapping file (JSON instead of YAML) and runs steps against named profiles ("main" unless a step
 * says otherwise); each step, at clock `at`:
 * - `traits`: trait values to set (null removes one); the rule engine reads values, not trait state.
 * - `events`: Segment events (with `timestamp`) through the intake's normalization, into performed state.
 * - `expect`: memberships; `expectNextFlipAt`: ISO, or null for none; `expectExplain`: per audience,
 *   the explain tree (matched as a subset: listed fields must be equal, arrays complete).
 * - `{ merge: { from, into } }`: the profiles become one (traits of `into` win; performed merged).
 * Performed state is round-tripped through JSON after every step, so it must be plain JSON.
 */

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));

const Iso = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO date-time');

const Step = z.union([
  z.strictObject({
    at: Iso,
    profile: z.string().optional(),
    note: z.string().optional(),
    traits: z.record(z.string(), z.unknown()).optional(),
    events: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    expect: z.record(z.string(), z.boolean()).optional(),
    expectNextFlipAt: Iso.nullable().optional(),
    expectExplain: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  }),
  z.strictObject({
    merge: z.strictObject({ from: z.string(), into: z.string() }),
    note: z.string().optional(),
  }),
]);
type Step = z.infer<typeof Step>;

const Case = z.strictObject({
  name: z.string().min(10),
  audiences: z.record(z.string(), z.unknown()),
  steps: z.array(Step).min(1),
});
type Case = z.infer<typeof Case>;

interface Profile {
  traits: Record<string, unknown>;
  performed: PerformedState;
}

function engineEventOf(written: Record<string, unknown>, profile: string, receivedAt: number): EngineEvent {
  const hasIdentifier = written.userId !== undefined || written.anonymousId !== undefined;
  const spec = SpecEvent.parse(hasIdentifier ? written : { ...written, anonymousId: `anon-${profile}` });
  const stored = normalizeEvent('test', spec, receivedAt);
  return engineEventFromStored({ ...stored, body: JSON.parse(stored.body) as Record<string, unknown> });
}

function runStep(
  compiled: CompiledAudiences,
  profiles: Map<string, Profile>,
  step: Step,
  index: number,
): void {
  const fresh = (): Profile => ({ traits: {}, performed: emptyPerformed(compiled) });
  if ('merge' in step) {
    const into = profiles.get(step.merge.into) ?? fresh();
    const from = profiles.get(step.merge.from) ?? fresh();
    profiles.set(step.merge.into, {
      traits: { ...from.traits, ...into.traits },
      performed: mergePerformed(compiled, into.performed, from.performed),
    });
    profiles.delete(step.merge.from);
    return;
  }
  const name = step.profile ?? 'main';
  const now = Date.parse(step.at);
  const profile = profiles.get(name) ?? fresh();
  for (const [trait, value] of Object.entries(step.traits ?? {})) {
    if (value === null) delete profile.traits[trait];
    else profile.traits[trait] = value;
  }
  for (const written of step.events ?? []) {
    profile.performed = applyEventToPerformed(
      compiled,
      profile.performed,
      engineEventOf(written, name, now),
      now,
    );
  }
  profiles.set(name, profile);

  const input = { traits: profile.traits, performed: profile.performed, now };
  const result = evaluateAudiences(compiled, input);
  const where = `step ${index} (${step.at})`;
  for (const [audience, want] of Object.entries(step.expect ?? {})) {
    expect(result.memberships[audience], `${audience} at ${where}`).toBe(want);
  }
  if (step.expectNextFlipAt !== undefined) {
    const want = step.expectNextFlipAt === null ? undefined : Date.parse(step.expectNextFlipAt);
    const got = result.nextFlipAt === undefined ? undefined : new Date(result.nextFlipAt).toISOString();
    expect(got, `next flip at ${where}`).toBe(want === undefined ? undefined : new Date(want).toISOString());
  }
  for (const [audience, want] of Object.entries(step.expectExplain ?? {})) {
    const explained = explainAudience(compiled, audience, input);
    expect(JSON.parse(JSON.stringify(explained)), `explain ${audience} at ${where}`).toMatchObject(want);
    expect(explained?.holds, `explain agrees with evaluation: ${audience} at ${where}`).toBe(
      result.memberships[audience],
    );
  }
}

function runCase(testCase: Case): void {
  const definitions = z.record(Name, AudienceDefinition).parse(testCase.audiences);
  expect(audienceIssues(definitions, {}).filter((issue) => issue.path[0] !== 'value')).toEqual([]);
  const compiled = compileAudiences(definitions);
  const profiles = new Map<string, Profile>();
  testCase.steps.forEach((step, index) => {
    runStep(compiled, profiles, step, index);
    for (const [name, profile] of profiles) {
      profiles.set(name, {
        ...profile,
        performed: JSON.parse(JSON.stringify(profile.performed)) as PerformedState,
      });
    }
  });
}

describeCaseFiles('audience cases', casesDir, (json) => Case.parse(json), runCase);
