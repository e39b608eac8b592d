import type { ItemOutcome } from '../../delivery/destination.js';
import { readMembershipAnswer, type MembershipChange } from './api.js';

/**
 * Per-item outcomes of a 2xx to `PUT .../memberships/add-and-remove` (items in body order: the adds,
 * then the removes; see membership-payload.ts). HubSpot ignores ids it cannot apply and lists them
 * in `recordIdsMissing`; the docs say that covers records that do not exist and records already in
 * the list, without telling the two apart.
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/memberships/update-list-memberships
 *
 * - An add named in `recordIdsAdded` / `recordsIdsAdded` / `recordIdsAlreadyMember`: ok.
 * - An add in `recordIdsMissing`: retry. The id came from an upsert answer, so the contact existed;
 *   the likely cause is a contact not yet visible to the lists service. Retrying a few times costs
 *   little; a contact deleted since stays missing and is dead-lettered at the max retry age.
 * - A remove in `recordIdsMissing`: ok with a warning (not a member, or no such record: either way
 *   it is not in the list).
 * - An id the answer names nowhere: ok with a warning (HubSpot answered 200, but did not confirm it).
 */

/** How soon an add of a record HubSpot did not find is tried again. */
export const MISSING_RECORD_WAIT_MS = 5_000;

export function outcomesOfMembershipAnswer(
  body: unknown,
  change: MembershipChange,
  itemCount: number,
): ItemOutcome[] {
  const adds = change.recordIdsToAdd.length;
  if (adds + change.recordIdsToRemove.length !== itemCount) {
    throw new Error(
      `hubspot classify: membership request has ${itemCount} items but ${adds} adds and ${change.recordIdsToRemove.length} removes`,
    );
  }
  const answer = readMembershipAnswer(body);
  return Array.from({ length: itemCount }, (_, position): ItemOutcome => {
    if (position < adds) {
      const id = change.recordIdsToAdd[position]!;
      if (answer.added.has(id) || answer.alreadyMember.has(id)) return { kind: 'ok' };
      if (answer.missing.has(id)) {
        return {
          kind: 'retry',
          reason: `HubSpot did not find record ${id} to add to the list (recordIdsMissing): a new contact may not be visible yet, or it was deleted`,
          afterMs: MISSING_RECORD_WAIT_MS,
        };
      }
      return unconfirmed(id);
    }
    const id = change.recordIdsToRemove[position - adds]!;
    if (answer.removed.has(id)) return { kind: 'ok' };
    if (answer.missing.has(id)) {
      return {
        kind: 'ok',
        warning: `record ${id} was not in the list, or no longer exists (recordIdsMissing): nothing to remove`,
      };
    }
    return unconfirmed(id);
  });
}

function unconfirmed(id: string): ItemOutcome {
  return { kind: 'ok', warning: `HubSpot answered 200 without naming record ${id} in any of its id lists` };
}
