import { aliasTargetsOf, identifiersOf } from '../../identity/identifiers.js';
import { IdentityWorkingSet } from '../../identity/working-set.js';
import { sentByRelay } from '../../ingest/loop-guard.js';
import type { Identifier } from '../../mappings/schema.js';
import type { StoredEvent } from '../../store/port.js';
import { identifierKey, type IdentifierRef } from '../../store/profile-port.js';
import type { TraitComputer } from '../processing/profile-state.js';
import { engineEventFromStored } from '../traits/engine-event.js';
import type { ProfileTraits } from '../traits/types.js';
import type { TrainingLabel } from './label.js';

/**
 * Training rows without leakage (docs/training-export.md), from the event log alone, never from
 * today's profile states. Two passes over the log in arrival (seq) order:
 *
 * 1. The world as the relay knew it at the cutoff: only events with event time <= cutoff AND received
 *    <= cutoff. Identity is resolved over them with the relay's own rules (so people linked only
 *    later are still separate), each event applied to its person's traits as processing would have
 *    applied it when it arrived, and every trait read at the cutoff.
 * 2. The label, from the whole log: identity resolved over every event (today's graph), and a person
 *    of pass 1 is labelled 1 when a profile holding one of their identifiers sent the label event
 *    within the window after the cutoff.
 */

const PAGE = 1000;

export interface TrainingSource {
  /** Stored events after `afterSeq`, in seq order. */
  readEventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]>;
}

export interface TrainingSetup {
  identifiers: readonly Identifier[];
  engine: TraitComputer;
  allowedLatenessMs: number;
  /** The traits written as features, in order. */
  features: readonly string[];
}

export interface TrainingRow {
  /** The person's profile id as the identity rules give it at the cutoff. */
  profileId: string;
  identifiers: IdentifierRef[];
  features: Record<string, unknown>;
  label: boolean;
}

export async function trainingRows(
  source: TrainingSource,
  setup: TrainingSetup,
  cutoff: number,
  label: TrainingLabel,
): Promise<TrainingRow[]> {
  const people = await peopleAtCutoff(source, setup, cutoff);
  const labelled = await labelledIdentifiers(source, setup, cutoff, label);
  return people.map((person) => ({
    ...person,
    label: person.identifiers.some((ref) => labelled.has(identifierKey(ref))),
  }));
}

/** Pass 1: each person known at the cutoff with their traits at the cutoff, by profile id. */
async function peopleAtCutoff(
  source: TrainingSource,
  setup: TrainingSetup,
  cutoff: number,
): Promise<Omit<TrainingRow, 'label'>[]> {
  const { engine } = setup;
  const people = new IdentityWorkingSet<ProfileTraits>(new Map(), [], {
    parseState: (text) => JSON.parse(text) as ProfileTraits,
    emptyState: () => engine.emptyState(),
    mergeStates: (into, from) => engine.merge(into, from),
    serializeState: (state) => JSON.stringify(state),
  });
  const seen = new Set<string>();
  // Processing time never runs backwards: receive times of events committed together may.
  let processedAt = -Infinity;
  await forEachEvent(source, (event) => {
    if (event.receivedAt > cutoff || event.eventTime > cutoff) return;
    const resolved = resolve(people, setup, event);
    if (!resolved) return;
    processedAt = Math.max(processedAt, event.receivedAt);
    seen.add(resolved.profile.id);
    resolved.profile.state = engine.applyEvent(resolved.profile.state, engineEventFromStored(event), {
      now: processedAt,
      allowedLatenessMs: setup.allowedLatenessMs,
    });
  });
  const rows: Omit<TrainingRow, 'label'>[] = [];
  for (const id of [...seen].sort()) {
    const draft = people.liveId(id) === id ? people.profile(id) : undefined;
    if (!draft) continue;
    const values = engine.values(draft.state, cutoff);
    const features = Object.fromEntries(setup.features.map((name) => [name, values[name]]));
    rows.push({ profileId: id, identifiers: draft.identifiers, features });
  }
  return rows;
}

/** Pass 2: the identifier keys of every profile (today's identity) that sent the label event in the window. */
async function labelledIdentifiers(
  source: TrainingSource,
  setup: TrainingSetup,
  cutoff: number,
  label: TrainingLabel,
): Promise<Set<string>> {
  const everyone = new IdentityWorkingSet<{ hit: boolean }>(new Map(), [], {
    parseState: (text) => JSON.parse(text) as { hit: boolean },
    emptyState: () => ({ hit: false }),
    mergeStates: (into, from) => ({ hit: into.hit || from.hit }),
    serializeState: (state) => JSON.stringify(state),
  });
  const hits = new Set<string>();
  await forEachEvent(source, (event) => {
    const resolved = resolve(everyone, setup, event);
    if (!resolved) return;
    if (isLabelEvent(event, cutoff, label)) {
      resolved.profile.state.hit = true;
      hits.add(resolved.profile.id);
    }
  });
  const labelled = new Set<string>();
  for (const id of hits) {
    const draft = everyone.profile(everyone.liveId(id));
    for (const ref of draft?.identifiers ?? []) labelled.add(identifierKey(ref));
  }
  return labelled;
}

function isLabelEvent(event: StoredEvent, cutoff: number, label: TrainingLabel): boolean {
  return (
    event.type === 'track' &&
    event.body.event === label.event &&
    event.eventTime > cutoff &&
    event.eventTime <= cutoff + label.windowMs
  );
}

/** The relay's identity rules for one event; what the relay sent itself belongs to nobody (loop guard). */
function resolve<S>(set: IdentityWorkingSet<S>, setup: TrainingSetup, event: StoredEvent) {
  if (sentByRelay(event.body)) return undefined;
  return set.resolve(event, identifiersOf(event, setup.identifiers), aliasTargetsOf(event), event.receivedAt);
}

async function forEachEvent(source: TrainingSource, visit: (event: StoredEvent) => void): Promise<void> {
  for (let after = 0; ;) {
    const events = await source.readEventsAfter(after, PAGE);
    if (events.length === 0) return;
    for (const event of events) visit(event);
    after = (events.at(-1) as StoredEvent).seq;
    // An export runs beside intake on the HTTP thread: requests are answered between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
