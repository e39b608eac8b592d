import type { RequestPart } from '../../delivery/destination.js';
import { MAX_INPUTS, type MembershipChange } from './api.js';
import type { HubspotMapping } from './settings.js';

/**
 * List membership changes -> `PUT .../lists/{listId}/memberships/add-and-remove` bodies. Pure.
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/memberships/update-list-memberships
 *
 * - One request per list (lists in mapping order), each item's part naming only that audience.
 * - Items are in body order: first the adds (`recordIdsToAdd`), then the removes
 *   (`recordIdsToRemove`), so the classifier reads each item's record id back by position.
 * - One record id at most once per request (two profiles sharing an e-mail share a contact):
 *   the later item goes into a later request, as for the upsert. At most 100 ids per request
 *   (HubSpot's maximum is unpublished; integrations send batches of 100).
 */

export interface MembershipEntry {
  item: number;
  audience: string;
  listId: string;
  recordId: string;
  member: boolean;
}

export interface MembershipRequest {
  listId: string;
  audience: string;
  body: MembershipChange;
  items: number[];
  parts: RequestPart[];
}

export function membershipRequests(entries: MembershipEntry[], mapping: HubspotMapping): MembershipRequest[] {
  const requests: MembershipRequest[] = [];
  for (const audience of Object.keys(mapping.audiences)) {
    const buckets: { ids: Set<string>; entries: MembershipEntry[] }[] = [];
    for (const entry of entries.filter((one) => one.audience === audience)) {
      let bucket = buckets.find((open) => open.entries.length < MAX_INPUTS && !open.ids.has(entry.recordId));
      if (bucket === undefined) {
        bucket = { ids: new Set(), entries: [] };
        buckets.push(bucket);
      }
      bucket.ids.add(entry.recordId);
      bucket.entries.push(entry);
    }
    requests.push(...buckets.map((bucket) => requestOf(bucket.entries)));
  }
  return requests;
}

function requestOf(entries: MembershipEntry[]): MembershipRequest {
  const adds = entries.filter((entry) => entry.member);
  const removes = entries.filter((entry) => !entry.member);
  const ordered = [...adds, ...removes];
  const first = entries[0]!;
  return {
    listId: first.listId,
    audience: first.audience,
    body: {
      recordIdsToAdd: adds.map((entry) => entry.recordId),
      recordIdsToRemove: removes.map((entry) => entry.recordId),
    },
    items: ordered.map((entry) => entry.item),
    parts: ordered.map((entry) => ({ audiences: [entry.audience] })),
  };
}
