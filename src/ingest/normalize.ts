import { canonicalJson, sha256Hex } from '../lib/hash.js';
import type { NewEvent } from '../store/port.js';
import type { EventFields } from './fast-validate.js';
import type { SpecEvent } from './schemas.js';

/** Fields a sender may change between retries of the same event; left out of a derived messageId. */
const VOLATILE_FIELDS = new Set(['sentAt', 'receivedAt', '_metadata', 'messageId', 'writeKey']);

/**
 * Event time (docs/intake.md, "Normalisation"): `timestamp`; else `originalTimestamp` corrected by the
 * sender's clock skew (`receivedAt - (sentAt - originalTimestamp)`); else `originalTimestamp`;
 * else the receive time.
 */
export function eventTimeOf(
  event: Pick<SpecEvent, 'timestamp' | 'originalTimestamp' | 'sentAt'>,
  receivedAt: number,
): number {
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
export function shardKeyOf(event: Pick<SpecEvent, 'userId' | 'anonymousId'>): string {
  return sha256Hex(event.userId ?? event.anonymousId ?? '').slice(0, 16);
}

/** Fields of a sent event that are credentials, not event data: never stored. */
const CREDENTIAL_FIELDS = ['writeKey'];

/** The relay's own top-level key in a stored body: set only when the event time was clamped. */
export const RELAY_FLAGS_KEY = '_relay';

export interface NormalizeOptions {
  /** The event as sent (batch fields merged): stored as is. Defaults to the validated event. */
  sent?: Record<string, unknown>;
  /** Event times further ahead of the receive time are clamped to it (default: never). */
  maxFutureSkewMs?: number;
}

/**
 * The event to store. Its body is the event as sent (nulls, number ids and unknown keys kept),
 * without credentials, with a derived `messageId` added when it had none, and `_relay` flags when
 * the relay changed how it counts (a clamped event time). The relay's event time and receive time
 * are columns of their own.
 */
export function normalizeEvent(
  source: string,
  event: SpecEvent,
  receivedAt: number,
  options: NormalizeOptions = {},
): NewEvent {
  return normalizeWithFlags(source, event, receivedAt, options).event;
}

/** `normalizeEvent`, also saying whether the event time was clamped to the receive time. */
export function normalizeWithFlags(
  source: string,
  event: SpecEvent,
  receivedAt: number,
  options: NormalizeOptions = {},
): { event: NewEvent; clamped: boolean } {
  return normalizeFields(source, event, event.messageId ?? deriveMessageId(source, event), receivedAt, {
    ...options,
    sent: options.sent ?? event,
  });
}

/**
 * `normalizeWithFlags` from the fields of an event already validated (by zod, or by the fast path
 * in fast-validate.ts), its messageId decided, and the event as sent. The body is serialised
 * straight from `sent` when nothing in it changes (the common case), without a copy.
 */
export function normalizeFields(
  source: string,
  event: EventFields,
  messageId: string,
  receivedAt: number,
  options: NormalizeOptions & { sent: Record<string, unknown> },
): { event: NewEvent; clamped: boolean } {
  const computed = eventTimeOf(event, receivedAt);
  const limit = receivedAt + (options.maxFutureSkewMs ?? Infinity);
  const clamped = !Number.isFinite(computed) || computed > limit;
  const { sent } = options;
  const unchanged =
    !clamped &&
    sent.messageId !== undefined &&
    sent.messageId !== null &&
    CREDENTIAL_FIELDS.every((field) => sent[field] === undefined);
  let json: string;
  if (unchanged) json = JSON.stringify(sent);
  else {
    const body: Record<string, unknown> = { ...sent };
    for (const field of CREDENTIAL_FIELDS) delete body[field];
    if (body.messageId === undefined || body.messageId === null) body.messageId = messageId;
    if (clamped) {
      body[RELAY_FLAGS_KEY] = {
        clampedEventTime: Number.isFinite(computed) ? new Date(computed).toISOString() : String(computed),
      };
    }
    json = JSON.stringify(body);
  }
  const stored: NewEvent = {
    source,
    messageId,
    type: event.type,
    shardKey: shardKeyOf(event),
    userId: event.userId ?? null,
    anonymousId: event.anonymousId ?? null,
    eventTime: clamped ? receivedAt : computed,
    receivedAt,
    body: json,
  };
  return { event: stored, clamped };
}
