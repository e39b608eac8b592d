import type { ProfileDraft } from '../../identity/working-set.js';
import type { OutboxRow } from '../../store/profile-port.js';
import type { ProfileState } from './profile-state.js';
import type { Cause, SettleSetup } from './settle.js';

/**
 * Outbox rows for a merge. Before the survivor is settled: one `merge` row per absorbed profile, so
 * delivery can fold what destinations were told of it into the survivor. After: the survivor's full
 * state for every audience either side was in and every synced trait, because the destinations'
 * knowledge of the absorbed identifiers may differ from the survivor's current values.
 */
export function mergeRows(
  survivor: ProfileDraft<ProfileState>,
  absorbed: ProfileDraft<ProfileState>[],
  now: number,
  cause: Cause,
): OutboxRow[] {
  return absorbed.map((from) => row(survivor, 'merge', from.id, 'null', now, cause));
}

export function fullStateRows(
  survivor: ProfileDraft<ProfileState>,
  absorbed: ProfileDraft<ProfileState>[],
  before: readonly string[],
  setup: Pick<SettleSetup, 'isSettled' | 'syncedTraits'>,
  now: number,
  cause: Cause,
): OutboxRow[] {
  const state = survivor.state;
  const audiences = new Set([
    ...before,
    ...Object.keys(state.memberships),
    ...absorbed.flatMap((from) => Object.keys(from.state.memberships)),
  ]);
  const rows: OutboxRow[] = [];
  for (const audience of [...audiences].sort()) {
    if (!setup.isSettled(`audience:${audience}`, survivor.id)) continue;
    rows.push(row(survivor, 'audience', audience, String(state.memberships[audience] === true), now, cause));
  }
  for (const name of setup.syncedTraits) {
    // A trait only the absorbed profile had was told under its identifiers: 'null' clears it there.
    if (!setup.isSettled(`trait:${name.split('.')[0]}`, survivor.id)) continue;
    rows.push(row(survivor, 'trait', name, state.synced[name] ?? 'null', now, cause));
  }
  return rows;
}

function row(
  survivor: ProfileDraft<ProfileState>,
  kind: OutboxRow['kind'],
  name: string,
  value: string,
  now: number,
  cause: Cause,
): OutboxRow {
  return {
    profileId: survivor.id,
    kind,
    name,
    value,
    profileVersion: survivor.version + 1,
    at: now,
    eventReceivedAt: cause.eventReceivedAt,
    messageId: cause.messageId,
  };
}
