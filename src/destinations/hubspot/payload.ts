import type { BuildResult, BuiltRequest, DeliveryItem, RequestPart } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { MAX_INPUTS, type UpsertInput } from './api.js';
import { recordIdOf } from './memory.js';
import { membershipRequests, type MembershipEntry } from './membership-payload.js';
import { hubspotPaths } from './paths.js';
import type { HubspotPrepared } from './prepare.js';
import type { HubspotMapping, HubspotSettings, ListTarget } from './settings.js';

/**
 * Changes -> HubSpot requests. Pure.
 *
 * Contacts batch upsert (traits and `{ property }` audiences):
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/objects/contacts/batch/upsert-contacts
 * - One input per item, keyed by e-mail (`idProperty: "email"`), tagged with
 *   `objectWriteTraceId = "<profileId>:<version>"` so a 207's errors map back to the item.
 * - At most 100 inputs per request.
 * - HubSpot refuses a whole batch that names one e-mail twice (400 "Duplicate IDs"). Two items with
 *   the same e-mail are two profiles (the core coalesces one profile into one item), and their
 *   versions cannot be compared, so neither may win: the later item goes into a later request.
 *   Requests are returned in item order; the core must send the requests of one build in order.
 *
 * List membership (`{ list }` / `{ list_id }` audiences): one add-and-remove request per list, by
 * HubSpot record id (membership-payload.ts). The record id comes from an earlier upsert answer
 * (`item.memory`); without it the item goes into the upsert (with `email` alone if nothing else
 * changed) and its list changes are deferred until the answer taught the id. A request carries
 * `parts` whenever an item's change is split across requests.
 */

export interface HubspotConfig {
  settings: HubspotSettings;
  mapping: HubspotMapping;
  /** The list ids `prepare` found or created; undefined until it ran. */
  prepared: HubspotPrepared | undefined;
}

/** How soon a list change waiting for the record id is tried again (the upsert answers in ~1 s). */
export const RECORD_ID_WAIT_MS = 2_000;
/** How soon a list change waiting for `prepare` (finding or creating its list) is tried again. */
export const LIST_WAIT_MS = 30_000;

interface UpsertEntry {
  item: number;
  input: UpsertInput;
  part: RequestPart;
  /** The item's list changes go in other requests (or wait): this request settles only `part`. */
  split: boolean;
}

export function buildBatch(items: DeliveryItem[], config: HubspotConfig): BuildResult {
  const { settings, mapping, prepared } = config;
  const paths = hubspotPaths(settings.api_version);
  const headers = {
    Authorization: `Bearer ${settings.token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  const upserts: UpsertEntry[] = [];
  const memberships: MembershipEntry[] = [];
  const skipped: BuildResult['skipped'] = [];
  const deferred: NonNullable<BuildResult['deferred']> = [];
  items.forEach((item, index) => {
    const email = normalizeEmail(item.identifiers.email);
    if (email === undefined) {
      const reason =
        item.identifiers.email === undefined
          ? 'no email: HubSpot contacts are upserted by email'
          : 'email is not an address (x@y): HubSpot would refuse the input';
      skipped.push({ item: index, reason });
      return;
    }
    const properties = propertiesOf(item, mapping);
    const listChanges = listChangesOf(item, mapping);
    if (Object.keys(properties).length === 0 && listChanges.length === 0) {
      skipped.push({ item: index, reason: 'nothing to write: no mapped trait or audience changed' });
      return;
    }
    const recordId = recordIdOf(item);
    const lists = planListChanges(index, listChanges, recordId, prepared);
    memberships.push(...lists.memberships);
    deferred.push(...lists.deferred);
    // Without a record id the upsert is what creates the contact and returns its id, so the item
    // goes in even when no property changed; HubSpot wants at least one property on a create.
    const needsRecordId = listChanges.length > 0 && recordId === undefined;
    if (Object.keys(properties).length > 0 || needsRecordId) {
      upserts.push({
        item: index,
        input: {
          idProperty: 'email',
          id: email,
          objectWriteTraceId: `${item.profileId}:${item.version}`,
          properties: Object.keys(properties).length > 0 ? properties : { email },
        },
        part: {
          audiences: Object.keys(item.audiences).filter(
            (audience) => mapping.audiences[audience]?.kind === 'property',
          ),
          traits: Object.keys(item.traits),
        },
        split: listChanges.length > 0,
      });
    }
  });
  const requests: BuiltRequest[] = [
    ...upsertRequests(upserts).map((request) => ({
      method: 'POST' as const,
      url: `${settings.endpoint}${paths.upsert}`,
      headers,
      ...request,
    })),
    ...membershipRequests(memberships, mapping).map((request) => ({
      method: 'PUT' as const,
      url: `${settings.endpoint}${paths.addAndRemove(request.listId)}`,
      headers,
      body: request.body,
      items: request.items,
      parts: request.parts,
      audience: request.audience,
    })),
  ];
  return deferred.length === 0 ? { requests, skipped } : { requests, skipped, deferred };
}

/** Upsert entries -> request bodies: at most 100 inputs, no e-mail twice in one request. */
function upsertRequests(
  entries: UpsertEntry[],
): { body: { inputs: UpsertInput[] }; items: number[]; parts?: RequestPart[] }[] {
  const buckets: { emails: Set<string>; entries: UpsertEntry[] }[] = [];
  for (const entry of entries) {
    const email = entry.input.id;
    let bucket = buckets.find((open) => open.entries.length < MAX_INPUTS && !open.emails.has(email));
    if (bucket === undefined) {
      bucket = { emails: new Set(), entries: [] };
      buckets.push(bucket);
    }
    bucket.emails.add(email);
    bucket.entries.push(entry);
  }
  return buckets.map((bucket) => ({
    body: { inputs: bucket.entries.map((entry) => entry.input) },
    items: bucket.entries.map((entry) => entry.item),
    ...(bucket.entries.some((entry) => entry.split)
      ? { parts: bucket.entries.map((entry) => entry.part) }
      : {}),
  }));
}

interface ListChange {
  audience: string;
  target: ListTarget;
  member: boolean;
}

/** The item's membership changes of audiences written to lists, in mapping order. */
function listChangesOf(item: DeliveryItem, mapping: HubspotMapping): ListChange[] {
  const changes: ListChange[] = [];
  for (const [audience, target] of Object.entries(mapping.audiences)) {
    const member = item.audiences[audience];
    if (target.kind === 'list' && member !== undefined) changes.push({ audience, target, member });
  }
  return changes;
}

type Deferred = NonNullable<BuildResult['deferred']>[number];

/**
 * An item's list changes -> membership entries, or deferrals (one per reason) while the list id
 * (`prepare` has not found the list yet) or the contact's record id is unknown.
 */
function planListChanges(
  item: number,
  changes: ListChange[],
  recordId: string | undefined,
  prepared: HubspotPrepared | undefined,
): { memberships: MembershipEntry[]; deferred: Deferred[] } {
  const memberships: MembershipEntry[] = [];
  const deferred: Deferred[] = [];
  const wait = (reason: string, audience: string, afterMs: number) => {
    const open = deferred.find((entry) => entry.reason === reason);
    if (open === undefined) deferred.push({ item, audiences: [audience], reason, afterMs });
    else open.audiences?.push(audience);
  };
  for (const { audience, target, member } of changes) {
    const listId = 'listId' in target ? target.listId : prepared?.listIds[audience];
    if (listId === undefined && 'name' in target) {
      wait(`waiting for the HubSpot list "${target.name}" to be found or created`, audience, LIST_WAIT_MS);
    } else if (listId === undefined || recordId === undefined) {
      wait('waiting for the HubSpot record id', audience, RECORD_ID_WAIT_MS);
    } else {
      memberships.push({ item, audience, listId, recordId, member });
    }
  }
  return { memberships, deferred };
}

/** Trimmed and lower-cased (HubSpot matches e-mails case-insensitively); undefined if not `x@y`. */
export function normalizeEmail(raw: string | undefined): string | undefined {
  const email = raw?.trim().toLowerCase();
  return email && /^[^@\s]+@[^@\s]+$/.test(email) ? email : undefined;
}

/** The properties this item changes: mapped traits that changed, audiences whose membership changed. */
function propertiesOf(item: DeliveryItem, mapping: HubspotMapping): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [path, property] of Object.entries(mapping.traits)) {
    const change = changedTrait(item.traits, path);
    if (change !== undefined) properties[property] = toPropertyValue(change.value);
  }
  for (const [audience, target] of Object.entries(mapping.audiences)) {
    const member = item.audiences[audience];
    if (target.kind === 'property' && member !== undefined) {
      properties[target.property] = member ? 'true' : 'false';
    }
  }
  return properties;
}

/**
 * The new value of a mapped trait, or undefined when this change does not touch it. A dotted path
 * is its own key (`lead_score.reasons`) or a field inside a structured trait (`rfm.tier`): it changed
 * when its own key is in the change, or when its top-level trait is and holds an object (a missing
 * field clears) or null (the trait was unset). A number `lead_score` does not touch
 * `lead_score.reasons`, so a score change never clears the reasons.
 */
function changedTrait(traits: Record<string, unknown>, path: string): { value: unknown } | undefined {
  if (Object.hasOwn(traits, path)) return { value: traits[path] };
  const dot = path.indexOf('.');
  if (dot === -1 || !Object.hasOwn(traits, path.slice(0, dot))) return undefined;
  const top = traits[path.slice(0, dot)];
  if (top === null || top === undefined) return { value: null };
  return typeof top === 'object' ? { value: traitAt(traits, path) } : undefined;
}

/**
 * HubSpot property values are strings: numbers as decimal text, booleans "true"/"false" (what a
 * single checkbox property takes), arrays joined by ";" (what a multiple checkbox property takes,
 * readable in a text property; empty elements dropped), dates as ISO 8601, objects as JSON, null or missing as "" (clears).
 */
export function toPropertyValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Array.isArray(value)) {
    return value
      .map((element: unknown) => toPropertyValue(element))
      .filter((text) => text !== '')
      .join(';');
  }
  return JSON.stringify(value) ?? '';
}
