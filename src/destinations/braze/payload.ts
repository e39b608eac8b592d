import type { BuildResult, BuiltRequest, DeliveryItem } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { audienceAttribute, traitAttribute, type BrazeMapping, type BrazeSettings } from './settings.js';

/**
 * Changes -> `POST /users/track` requests. Pure: the same items and config always give the same
 * requests (event `time` comes from the item, see `eventTime`).
 * https://www.braze.com/docs/api/endpoints/user_data/post_user_track/
 *
 * - one attribute object per item: `{ external_id | email, <prefix><audience>: true|false, <trait>: value|null }`;
 * - with `send_events`, one `audience_entered` / `audience_exited` event per audience change;
 * - attribute + event objects per request <= `settings.objects_per_request` (75, the combined rule);
 * - an identifier appears at most once per request, so `classify` can map an event error to its item.
 */

export type BrazeIdentifierKey = 'external_id' | 'email';

export interface BrazeAttributeObject {
  external_id?: string;
  email?: string;
  [attribute: string]: unknown;
}

export interface BrazeEventObject {
  external_id?: string;
  email?: string;
  name: 'audience_entered' | 'audience_exited';
  time: string;
  properties: { audience: string };
}

export interface BrazeTrackBody {
  attributes: BrazeAttributeObject[];
  events?: BrazeEventObject[];
}

export const ENTERED_EVENT = 'audience_entered';
export const EXITED_EVENT = 'audience_exited';

interface Config {
  settings: BrazeSettings;
  mapping: BrazeMapping;
}

interface Prepared {
  item: number;
  identifier: string;
  attributes: BrazeAttributeObject;
  events: BrazeEventObject[];
}

export function buildBatch(items: DeliveryItem[], config: Config, now: () => number = Date.now): BuildResult {
  const skipped: BuildResult['skipped'] = [];
  const prepared: Prepared[] = [];
  const limit = config.settings.objects_per_request;
  items.forEach((item, index) => {
    const result = prepare(item, index, config, now);
    if (typeof result === 'string') skipped.push({ item: index, reason: result });
    else if (1 + result.events.length > limit) {
      skipped.push({
        item: index,
        reason: `needs ${1 + result.events.length} objects, more than the ${limit} Braze accepts per request`,
      });
    } else prepared.push(result);
  });

  const requests: BuiltRequest[] = [];
  let chunk: Prepared[] = [];
  let objects = 0;
  const flush = () => {
    if (chunk.length > 0) requests.push(toRequest(chunk, config.settings));
    chunk = [];
    objects = 0;
  };
  for (const entry of prepared) {
    const size = 1 + entry.events.length;
    const duplicate = chunk.some((other) => other.identifier === entry.identifier);
    if (objects + size > limit || duplicate) flush();
    chunk.push(entry);
    objects += size;
  }
  flush();
  return { requests, skipped };
}

export function identifierKey(mapping: BrazeMapping): BrazeIdentifierKey {
  return mapping.identify_by === 'email' ? 'email' : 'external_id';
}

function prepare(item: DeliveryItem, index: number, config: Config, now: () => number): Prepared | string {
  const { mapping } = config;
  const key = identifierKey(mapping);
  const identifier = mapping.identify_by === 'email' ? item.identifiers.email : item.identifiers.userId;
  if (identifier === undefined || identifier === '') {
    return mapping.identify_by === 'email'
      ? 'no email: Braze needs email'
      : 'no userId: Braze needs external_id';
  }

  const attributes: BrazeAttributeObject = { [key]: identifier };
  const events: BrazeEventObject[] = [];
  let changes = 0;
  for (const audience of mapping.audiences) {
    if (!Object.hasOwn(item.audiences, audience)) continue;
    const member = item.audiences[audience] === true;
    attributes[audienceAttribute(mapping.attribute_prefix, audience)] = member;
    changes += 1;
    if (mapping.send_events) {
      events.push({
        [key]: identifier,
        name: member ? ENTERED_EVENT : EXITED_EVENT,
        time: eventTime(item, now),
        properties: { audience },
      });
    }
  }
  for (const trait of mapping.traits) {
    // The exact key first (`rfm.tier` as sent by the core), then a dotted walk (`{ rfm: { tier } }`).
    const own = Object.hasOwn(item.traits, trait);
    const value = own ? item.traits[trait] : traitAt(item.traits, trait);
    if (!own && value === undefined) continue;
    attributes[traitAttribute(trait)] = value ?? null;
    changes += 1;
  }
  if (changes === 0) {
    return "nothing to send: none of this destination's audiences or traits changed";
  }
  return { item: index, identifier, attributes, events };
}

/**
 * When the membership changed. `DeliveryItem` has no timestamp yet; an item may carry `changedAt`
 * (epoch ms, or an ISO string), else the build time is used (close to the change: at most the
 * batch wait plus retries later).
 */
function eventTime(item: DeliveryItem, now: () => number): string {
  const changedAt: unknown = (item as DeliveryItem & { changedAt?: unknown }).changedAt;
  if (typeof changedAt === 'number' && Number.isFinite(changedAt)) return new Date(changedAt).toISOString();
  if (typeof changedAt === 'string' && !Number.isNaN(Date.parse(changedAt))) {
    return new Date(Date.parse(changedAt)).toISOString();
  }
  return new Date(now()).toISOString();
}

function toRequest(chunk: Prepared[], settings: BrazeSettings): BuiltRequest {
  const events = chunk.flatMap((entry) => entry.events);
  const body: BrazeTrackBody = { attributes: chunk.map((entry) => entry.attributes) };
  if (events.length > 0) body.events = events;
  return {
    method: 'POST',
    url: `${settings.endpoint.replace(/\/+$/, '')}/users/track`,
    headers: { Authorization: `Bearer ${settings.api_key}`, 'Content-Type': 'application/json' },
    body,
    items: chunk.map((entry) => entry.item),
  };
}
