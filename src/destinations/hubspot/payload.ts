import type { BuildResult, BuiltRequest, DeliveryItem } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { MAX_INPUTS, UPSERT_PATH, type UpsertInput } from './api.js';
import type { HubspotMapping, HubspotSettings } from './settings.js';

/**
 * Changes -> `POST /crm/v3/objects/contacts/batch/upsert` requests. Pure.
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 *
 * - One input per item, keyed by e-mail (`idProperty: "email"`), tagged with
 *   `objectWriteTraceId = "<profileId>:<version>"` so a 207's errors map back to the item.
 * - At most 100 inputs per request.
 * - HubSpot refuses a whole batch that names one e-mail twice (400 "Duplicate IDs"). Two items with
 *   the same e-mail are two profiles (the core coalesces one profile into one item), and their
 *   versions cannot be compared, so neither may win: the later item goes into a later request.
 *   Requests are returned in item order; the core must send the requests of one build in order.
 */

interface Bucket {
  emails: Set<string>;
  inputs: UpsertInput[];
  items: number[];
}

export function buildBatch(
  items: DeliveryItem[],
  config: { settings: HubspotSettings; mapping: HubspotMapping },
): BuildResult {
  const { settings, mapping } = config;
  const buckets: Bucket[] = [];
  const skipped: BuildResult['skipped'] = [];
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
    if (Object.keys(properties).length === 0) {
      skipped.push({ item: index, reason: 'nothing to write: no mapped trait or audience changed' });
      return;
    }
    const input: UpsertInput = {
      idProperty: 'email',
      id: email,
      objectWriteTraceId: `${item.profileId}:${item.version}`,
      properties,
    };
    let bucket = buckets.find((open) => open.inputs.length < MAX_INPUTS && !open.emails.has(email));
    if (bucket === undefined) {
      bucket = { emails: new Set(), inputs: [], items: [] };
      buckets.push(bucket);
    }
    bucket.emails.add(email);
    bucket.inputs.push(input);
    bucket.items.push(index);
  });
  const requests = buckets.map((bucket): BuiltRequest => ({
    method: 'POST',
    url: `${settings.endpoint}${UPSERT_PATH}`,
    headers: {
      Authorization: `Bearer ${settings.token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: { inputs: bucket.inputs },
    items: bucket.items,
  }));
  return { requests, skipped };
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
    if (member !== undefined) properties[target.property] = member ? 'true' : 'false';
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
