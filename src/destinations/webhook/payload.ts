import type { BuildResult, BuiltRequest, DeliveryItem } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { sha256Hex } from '../../lib/hash.js';
import { signedHeaders } from '../../lib/standard-webhooks.js';
import { MAX_BODY_BYTES } from './limits.js';
import type { WebhookMapping, WebhookSettings } from './settings.js';

/**
 * Changes -> signed Standard Webhooks requests (README.md "What is sent"). Pure but for the clock:
 * `webhook-timestamp` must be the time of sending, and the core builds the request again for every
 * attempt, so each attempt carries a fresh timestamp and signature over the same body and id.
 */

export const EVENT_TYPE = 'audience.changes';

/** One profile's change, as the receiver reads it. */
export interface WebhookChange {
  profileId: string;
  /** Increases with every change of the profile: apply a change only if it is newer than the last. */
  version: number;
  identifiers: Partial<Record<'userId' | 'email' | 'anonymousId', string>>;
  entered: string[];
  exited: string[];
  /** Mapped traits that changed: the value now (null = unset). */
  traits: Record<string, unknown>;
  /** Message ids of the events behind the change. */
  causedBy: string[];
}

export interface WebhookBody {
  type: typeof EVENT_TYPE;
  data: WebhookChange[];
}

/** Bytes of `{"type":"audience.changes","data":[]}`: what a body weighs before its changes. */
const ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ type: EVENT_TYPE, data: [] }));

export function buildBatch(
  items: DeliveryItem[],
  config: { settings: WebhookSettings; mapping: WebhookMapping },
  now: () => number = Date.now,
): BuildResult {
  const groups: { changes: WebhookChange[]; items: number[]; bytes: number }[] = [];
  items.forEach((item, index) => {
    const change = changeOf(item, config.mapping);
    // Nothing this receiver listens to changed: settled as delivered without a request.
    if (change === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(change)) + 1; // + the comma between changes
    const last = groups.at(-1);
    if (last !== undefined && last.bytes + bytes <= MAX_BODY_BYTES) {
      last.changes.push(change);
      last.items.push(index);
      last.bytes += bytes;
    } else groups.push({ changes: [change], items: [index], bytes: ENVELOPE_BYTES + bytes });
  });
  const timestampSeconds = Math.floor(now() / 1000);
  const requests = groups.map((group): BuiltRequest => {
    const body: WebhookBody = { type: EVENT_TYPE, data: group.changes };
    // Sent as this very string (axios passes a JSON string through), so the signed bytes are the sent bytes.
    const text = JSON.stringify(body);
    return {
      method: 'POST',
      url: config.settings.url,
      headers: {
        ...config.settings.headers,
        'Content-Type': 'application/json',
        ...signedHeaders(config.settings.secret, webhookId(text), timestampSeconds, text),
      },
      body: text,
      items: group.items,
    };
  });
  return { requests, skipped: [] };
}

/**
 * `msg_` + a hash of the body: the same content gives the same id on every attempt (the receiver's
 * idempotency key), and a new version of a profile gives a new one. The body holds no clock.
 */
export function webhookId(body: string): string {
  return `msg_${sha256Hex(body).slice(0, 32)}`;
}

function changeOf(item: DeliveryItem, mapping: WebhookMapping): WebhookChange | undefined {
  const entered = mapping.audiences.filter((audience) => item.audiences[audience] === true);
  const exited = mapping.audiences.filter((audience) => item.audiences[audience] === false);
  const traits: Record<string, unknown> = {};
  for (const path of mapping.traits) {
    const change = changedTrait(item.traits, path);
    if (change !== undefined) traits[path] = change.value;
  }
  if (entered.length === 0 && exited.length === 0 && Object.keys(traits).length === 0) return undefined;
  const identifiers: WebhookChange['identifiers'] = {};
  for (const kind of mapping.identifiers) {
    const value = item.identifiers[kind];
    if (value !== undefined) identifiers[kind] = value;
  }
  return {
    profileId: item.profileId,
    version: item.version,
    identifiers,
    entered,
    exited,
    traits,
    causedBy: item.causedBy,
  };
}

/**
 * The new value of a mapped trait, or undefined when this change does not touch it: the path is its
 * own key (`lead_score.reasons`), or a field of a changed structured trait (`rfm.tier` when `rfm`
 * changed; an unset `rfm` unsets the field). A number `lead_score` does not touch `lead_score.reasons`.
 */
function changedTrait(traits: Record<string, unknown>, path: string): { value: unknown } | undefined {
  if (Object.hasOwn(traits, path)) return { value: traits[path] ?? null };
  const dot = path.indexOf('.');
  if (dot === -1 || !Object.hasOwn(traits, path.slice(0, dot))) return undefined;
  const top = traits[path.slice(0, dot)];
  if (top === null || top === undefined) return { value: null };
  return typeof top === 'object' ? { value: traitAt(traits, path) ?? null } : undefined;
}
