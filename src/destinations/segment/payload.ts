import type { BuildResult, BuiltRequest, DeliveryItem } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { RELAY_ORIGIN_KEY, RELAY_ORIGIN_MARKER } from '../../ingest/loop-guard.js';
import { sha256Hex } from '../../lib/hash.js';
import {
  SDK_ADDED_BYTES_PER_MESSAGE,
  SEGMENT_MAX_EVENT_BYTES,
  SEGMENT_MAX_MESSAGES_PER_REQUEST,
  SEGMENT_MAX_REQUEST_BYTES,
} from './limits.js';
import { audienceTrait, traitName, type SegmentMapping, type SegmentSettings } from './settings.js';

/**
 * Changes -> Segment `/v1/batch` requests. Pure: the same items and config always give the same
 * requests. https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#batch
 *
 * - one `identify` per item: `traits: { <audience>: true|false, <trait>: value|null }`;
 * - with `send_track_events`, one `track` "Audience Entered" / "Audience Exited" per audience change,
 *   `properties: { audience_key, <audience>: true|false }` (Segment Engage's shape);
 * - every message carries the loop-guard marker `context.audience_relay` and a deterministic
 *   `messageId`, so Segment (and the relay's own intake) deduplicate a resent request;
 * - an item's messages always travel in one request; requests stay under the limits in limits.ts.
 */

export const ENTERED_EVENT = 'Audience Entered';
export const EXITED_EVENT = 'Audience Exited';

export type RelayContext = { [RELAY_ORIGIN_KEY]: typeof RELAY_ORIGIN_MARKER };

interface MessageBase {
  messageId: string;
  userId?: string;
  anonymousId?: string;
  context: RelayContext;
  timestamp?: string;
}

export interface SegmentIdentify extends MessageBase {
  type: 'identify';
  traits: Record<string, unknown>;
}

export interface SegmentTrack extends MessageBase {
  type: 'track';
  event: typeof ENTERED_EVENT | typeof EXITED_EVENT;
  properties: { audience_key: string; [audience: string]: unknown };
}

export type SegmentMessage = SegmentIdentify | SegmentTrack;

/** What a request carries: the messages to send (the SDK adds `writeKey` and `sentAt` on the wire). */
export interface SegmentBatchBody {
  batch: SegmentMessage[];
}

interface Config {
  settings: SegmentSettings;
  mapping: SegmentMapping;
}

interface Prepared {
  item: number;
  messages: SegmentMessage[];
  bytes: number;
}

/** Segment wants messageIds under 100 characters. */
const MAX_MESSAGE_ID_LENGTH = 99;

export function buildBatch(items: DeliveryItem[], config: Config): BuildResult {
  const skipped: BuildResult['skipped'] = [];
  const prepared: Prepared[] = [];
  items.forEach((item, index) => {
    const result = prepare(item, index, config.mapping);
    if (typeof result === 'string') skipped.push({ item: index, reason: result });
    else if (result !== undefined) prepared.push(result);
  });

  const requests: BuiltRequest[] = [];
  let chunk: Prepared[] = [];
  let messages = 0;
  let bytes = 0;
  const flush = () => {
    if (chunk.length > 0) requests.push(toRequest(chunk, config.settings));
    chunk = [];
    messages = 0;
    bytes = 0;
  };
  for (const entry of prepared) {
    const full =
      messages + entry.messages.length > SEGMENT_MAX_MESSAGES_PER_REQUEST ||
      bytes + entry.bytes > SEGMENT_MAX_REQUEST_BYTES;
    if (full) flush();
    chunk.push(entry);
    messages += entry.messages.length;
    bytes += entry.bytes;
  }
  flush();
  return { requests, skipped };
}

/** The item's messages; a reason when it cannot be sent; undefined when it has nothing to say. */
function prepare(item: DeliveryItem, index: number, mapping: SegmentMapping): Prepared | string | undefined {
  const identity = identityOf(item, mapping);
  if (typeof identity === 'string') return identity;

  const traits: Record<string, unknown> = {};
  const changes: { audience: string; member: boolean }[] = [];
  for (const audience of mapping.audiences) {
    if (!Object.hasOwn(item.audiences, audience)) continue;
    const member = item.audiences[audience] === true;
    traits[audienceTrait(audience)] = member;
    changes.push({ audience, member });
  }
  for (const trait of mapping.traits) {
    // The exact key first (`rfm.tier` as sent by the core), then a dotted walk (`{ rfm: { tier } }`).
    const own = Object.hasOwn(item.traits, trait);
    const value = own ? item.traits[trait] : traitAt(item.traits, trait);
    if (!own && value === undefined) continue;
    traits[traitName(trait)] = value ?? null;
  }
  // Nothing of this destination changed: no request carries the item and the core settles it.
  if (Object.keys(traits).length === 0) return undefined;

  const timestamp = changeTime(item);
  const common = (suffix: string) => ({
    messageId: messageIdFor(item, suffix),
    ...identity,
    context: { [RELAY_ORIGIN_KEY]: RELAY_ORIGIN_MARKER },
    ...(timestamp === undefined ? {} : { timestamp }),
  });
  const messages: SegmentMessage[] = [{ type: 'identify', ...common('identify'), traits }];
  if (mapping.send_track_events) {
    for (const { audience, member } of changes) {
      const event = member ? ENTERED_EVENT : EXITED_EVENT;
      messages.push({
        type: 'track',
        ...common(`${audience}-${member ? 'entered' : 'exited'}`),
        event,
        // `audience_key` last: it names the audience even for an audience called `audience_key`.
        properties: { [audience]: member, audience_key: audience },
      });
    }
  }

  const sizes = messages.map((message) => Buffer.byteLength(JSON.stringify(message)));
  const largest = Math.max(...sizes);
  if (largest + SDK_ADDED_BYTES_PER_MESSAGE > SEGMENT_MAX_EVENT_BYTES) {
    return `a message of ${largest} bytes: over Segment's 32 KB per event (a synced trait value is too large)`;
  }
  const bytes = sizes.reduce((sum, size) => sum + size + SDK_ADDED_BYTES_PER_MESSAGE, 0);
  return { item: index, messages, bytes };
}

function identityOf(
  item: DeliveryItem,
  mapping: SegmentMapping,
): { userId: string } | { anonymousId: string } | string {
  const { userId, anonymousId } = item.identifiers;
  if (mapping.identify_by === 'userId' && userId) return { userId };
  if (anonymousId) return { anonymousId };
  return mapping.identify_by === 'userId'
    ? 'no userId or anonymousId: Segment needs one of them'
    : 'no anonymousId: identify_by is anonymousId';
}

/**
 * `relay-<profileId>-<version>-<identify | audience-entered | audience-exited>`: the same change
 * always gets the same ids, so a resent request is deduplicated. A change of the profile raises its
 * version, so new state never reuses an id. Over 99 characters, `relay-` + a hash of that text.
 */
export function messageIdFor(item: Pick<DeliveryItem, 'profileId' | 'version'>, suffix: string): string {
  const id = `relay-${item.profileId}-${item.version}-${suffix}`;
  return id.length <= MAX_MESSAGE_ID_LENGTH ? id : `relay-${sha256Hex(id).slice(0, 40)}`;
}

/**
 * When the membership changed, if the core says so (`changedAt`, epoch ms or ISO); else no
 * `timestamp`, and the time the message is sent stands for it (the SDK sets it; Segment's
 * `receivedAt` without the SDK).
 */
function changeTime(item: DeliveryItem): string | undefined {
  const changedAt: unknown = (item as DeliveryItem & { changedAt?: unknown }).changedAt;
  if (typeof changedAt === 'number' && Number.isFinite(changedAt)) return new Date(changedAt).toISOString();
  if (typeof changedAt === 'string' && !Number.isNaN(Date.parse(changedAt))) {
    return new Date(Date.parse(changedAt)).toISOString();
  }
  return undefined;
}

/** `Authorization: Basic base64("<write key>:")`: the write key as user name, an empty password. */
export function basicAuthorization(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

function toRequest(chunk: Prepared[], settings: SegmentSettings): BuiltRequest {
  const body: SegmentBatchBody = { batch: chunk.flatMap((entry) => entry.messages) };
  return {
    method: 'POST',
    url: `${settings.host}/v1/batch`,
    headers: { Authorization: basicAuthorization(settings.write_key), 'Content-Type': 'application/json' },
    body,
    items: chunk.map((entry) => entry.item),
  };
}
