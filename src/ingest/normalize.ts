import { canonicalJson, sha256Hex } from '../lib/hash.js';
import type { NewEvent } from '../store/port.js';
import type { SpecEvent } from './schemas.js';

/** Fields a sender may change between retries of the same event; left out of a derived messageId. */
const VOLATILE_FIELDS = new Set(['sentAt', 'receivedAt', '_metadata', 'messageId', 'writeKey']);

/**
 * Event time per DESIGN.md section 3: `timestamp`; else `originalTimestamp` corrected by the
 * sender's clock skew (`receivedAt - (sentAt - originalTimestamp)`); else `originalTimestamp`;
 * else the receive time.
 */
export function eventTimeOf(event: SpecEvent, receivedAt: number): number {
  if (event.timestamp !== undefined) return Date.parse(event.timestamp);
  if (event.originalTimestamp !== undefined) {
    const original = Date.parse(event.originalTimestamp);
    if (event.sentAt === undefined) return original;
    return receivedAt - (Date.parse(event.sentAt) - original);
  }
  return receivedAt;
}

/**
 * A messageId for an event sent without one: `derived-` + the first 32 hex characters of the
 * SHA-256 of the source name and the event's canonical JSON (keys sorted), leaving out the fields a
 * sender changes between retries (sentAt, receivedAt, _metadata, writeKey). A retried event gets the
 * same id and is deduplicated; two genuinely identical events in one source are one event.
 */
export function deriveMessageId(source: string, event: Record<string, unknown>): string {
  const stable = Object.fromEntries(Object.entries(event).filter(([key]) => !VOLATILE_FIELDS.has(key)));
  return `derived-${sha256Hex(`${source}\n${canonicalJson(stable)}`).slice(0, 32)}`;
}

/** Events are distributed by a hash of their first identifier, never by the raw value. */
export function shardKeyOf(event: SpecEvent): string {
  return sha256Hex(event.userId ?? event.anonymousId ?? '').slice(0, 16);
}

export function normalizeEvent(source: string, event: SpecEvent, receivedAt: number): NewEvent {
  const messageId = event.messageId ?? deriveMessageId(source, event);
  const eventTime = eventTimeOf(event, receivedAt);
  const body = {
    ...event,
    messageId,
    timestamp: new Date(eventTime).toISOString(),
    receivedAt: new Date(receivedAt).toISOString(),
  };
  return {
    source,
    messageId,
    type: event.type,
    shardKey: shardKeyOf(event),
    userId: event.userId ?? null,
    anonymousId: event.anonymousId ?? null,
    eventTime,
    receivedAt,
    body: JSON.stringify(body),
  };
}
