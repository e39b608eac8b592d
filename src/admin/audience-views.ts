import { z } from 'zod';
import { parseProfileState } from '../engine/processing/profile-state.js';
import type { ProcessingSetup } from '../engine/processing/processor.js';
import { createAudienceRules } from '../engine/rules/rules.js';
import type { ExplainNode } from '../engine/rules/explain.js';
import { engineEventFromStored } from '../engine/traits/engine-event.js';
import { AudienceCondition, type AudienceDefinition } from '../mappings/audiences-schema.js';
import type { RelayStore } from '../store/port.js';
import type { IdentifierRef, ProfileRecord } from '../store/profile-port.js';

const PREVIEW_NAME = '__preview';
const PAGE = 500;

export interface AudienceSummary {
  name: string;
  description?: string;
  size: number;
  trend: { at: string; size: number }[];
  backfill?: { status: string; done: number; total: number };
}

export async function listAudiences(
  store: RelayStore,
  audiences: Record<string, AudienceDefinition>,
  since: number,
): Promise<AudienceSummary[]> {
  const sizes = await store.audienceSizes();
  const backfills = new Map((await store.traitDefinitions()).map((row) => [row.name, row]));
  const summaries: AudienceSummary[] = [];
  for (const [name, definition] of Object.entries(audiences)) {
    const history = await store.audienceSizeHistory(name, since);
    const backfill = backfills.get(`audience:${name}`);
    summaries.push({
      name,
      ...(definition.description ? { description: definition.description } : {}),
      size: sizes[name] ?? 0,
      trend: history.map((point) => ({ at: new Date(point.at).toISOString(), size: point.size })),
      ...(backfill
        ? { backfill: { status: backfill.status, done: backfill.done, total: backfill.total } }
        : {}),
    });
  }
  return summaries;
}

export const PreviewRequest = z.strictObject({
  rule: AudienceCondition,
  sample: z.number().int().min(0).max(200).default(20),
});
export type PreviewRequest = z.infer<typeof PreviewRequest>;

export interface PreviewResult {
  size: number;
  evaluated: number;
  sample: { profileId: string; identifiers: IdentifierRef[] }[];
}

/**
 * What an audience rule would hold now, without enabling it: every profile is evaluated with its
 * current traits; `performed` conditions the live state does not track are rebuilt from the timeline.
 */
export async function previewAudience(
  store: RelayStore,
  setup: ProcessingSetup,
  audiences: Record<string, AudienceDefinition>,
  request: PreviewRequest,
  now: number,
): Promise<PreviewResult> {
  const rules = createAudienceRules({ ...audiences, [PREVIEW_NAME]: { rule: request.rule } });
  const result: PreviewResult = { size: 0, evaluated: 0, sample: [] };
  for (let after = ''; ;) {
    const ids = await store.listProfileIds(after, PAGE);
    if (ids.length === 0) break;
    for (const profile of await store.loadProfiles(ids)) {
      result.evaluated++;
      if (!(await holds(store, setup, rules, profile, now))) continue;
      result.size++;
      if (result.sample.length < request.sample) {
        result.sample.push({ profileId: profile.id, identifiers: profile.identifiers });
      }
    }
    after = ids[ids.length - 1] as string;
  }
  return result;
}

async function holds(
  store: RelayStore,
  setup: ProcessingSetup,
  rules: ReturnType<typeof createAudienceRules>,
  profile: ProfileRecord,
  now: number,
): Promise<boolean> {
  const state = parseProfileState(profile.state, setup.traits);
  const { state: performed, missing } = rules.align(state.performed);
  if (missing.length > 0) {
    const events = await store.readEventsBySeq(await store.profileEventSeqs(profile.id));
    Object.assign(performed, rules.rebuild(events.map(engineEventFromStored), now, missing));
  }
  const values = setup.traits.engine.values(state, now);
  return rules.evaluate(values, performed, now).memberships[PREVIEW_NAME] === true;
}

export interface Explanation {
  profileId: string;
  audiences: { audience: string; member: boolean; explain: ExplainNode | undefined }[];
}

/** Why a profile is (not) in each audience: the rule tree with actual values. */
export async function explainProfile(
  store: RelayStore,
  setup: ProcessingSetup,
  ref: IdentifierRef,
  audience: string | undefined,
  now: number,
): Promise<Explanation | undefined> {
  const [profileId] = [...(await store.findProfileIds([ref])).values()];
  const [profile] = profileId ? await store.loadProfiles([profileId]) : [];
  if (!profile) return undefined;
  const state = parseProfileState(profile.state, setup.traits);
  const values = setup.traits.engine.values(state, now);
  const names = audience ? [audience] : setup.rules.names;
  return {
    profileId: profile.id,
    audiences: names.map((name) => ({
      audience: name,
      member: state.memberships[name] === true,
      explain: setup.rules.explain(name, values, state.performed, now),
    })),
  };
}
