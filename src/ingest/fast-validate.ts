import type { SpecEvent } from './schemas.js';

/**
 * A fast path for the hot event shapes, in front of the zod schemas in schemas.ts (which stay the
 * single source of what an event is). `fastEventFields` answers the fields the intake needs when it
 * can tell, cheaply, that `SpecEvent` accepts the event; otherwise undefined, and the caller asks zod
 * (for the answer, and for the error message naming the field).
 *
 * It accepts a strict subset of what zod accepts, and yields the same fields zod's output has:
 * test/ingest/fast-validate.test.ts checks both with fast-check over valid and invalid events. Shapes
 * it leaves to zod: group and alias events, numeric ids, events without a messageId (their id is
 * derived from zod's output), objects that are not plain JSON objects.
 */

/** The fields of a validated event that normalisation reads. */
export type EventFields = Pick<
  SpecEvent,
  'type' | 'messageId' | 'userId' | 'anonymousId' | 'timestamp' | 'originalTimestamp' | 'sentAt'
>;

/** Keep in step with schemas.ts: the limits of `common`, `Identifier`, `IsoDateTime` and `TrackEvent`. */
const MAX_MESSAGE_ID = 100;
const MAX_IDENTIFIER = 1024;
const MAX_EVENT_NAME = 200;
const EARLIEST_TIME = -62_167_219_200_000;
const LATEST_TIME = 253_402_300_799_999;

type Json = Record<string, unknown>;

/** Fields when `SpecEvent` certainly accepts `value` (with `messageId` present); otherwise undefined. */
export function fastEventFields(value: unknown): (EventFields & { messageId: string }) | undefined {
  if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return undefined;
  const type = value.type;
  if (type !== 'track' && type !== 'identify' && type !== 'page' && type !== 'screen') return undefined;
  const messageId = value.messageId;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MAX_MESSAGE_ID) {
    return undefined;
  }
  const userId = identifier(value.userId);
  const anonymousId = identifier(value.anonymousId);
  if (userId === INVALID || anonymousId === INVALID) return undefined;
  if (userId === undefined && anonymousId === undefined) return undefined;
  const timestamp = dateTime(value.timestamp);
  const originalTimestamp = dateTime(value.originalTimestamp);
  const sentAt = dateTime(value.sentAt);
  if (timestamp === INVALID || originalTimestamp === INVALID || sentAt === INVALID) return undefined;
  if (dateTime(value.receivedAt) === INVALID) return undefined;
  if (!optionalRecord(value.context) || !optionalRecord(value.integrations)) return undefined;
  switch (type) {
    case 'track': {
      const event = value.event;
      if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME) return undefined;
      if (!optionalRecord(value.properties)) return undefined;
      break;
    }
    case 'identify':
      if (!optionalRecord(value.traits)) return undefined;
      break;
    case 'page':
      if (!optionalString(value.name) || !optionalString(value.category)) return undefined;
      if (!optionalRecord(value.properties)) return undefined;
      break;
    case 'screen':
      if (!optionalString(value.name) || !optionalRecord(value.properties)) return undefined;
      break;
  }
  return { type, messageId, userId, anonymousId, timestamp, originalTimestamp, sentAt };
}

const INVALID = Symbol('invalid');

/** `Identifier` for strings: null and "" are absent. Numbers are left to zod. */
function identifier(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_IDENTIFIER) return INVALID;
  return value === '' ? undefined : value;
}

/** `IsoDateTime`: what Date.parse reads, in the years 0000 to 9999; null is absent. */
function dateTime(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return INVALID;
  const time = Date.parse(value);
  return time >= EARLIEST_TIME && time <= LATEST_TIME ? value : INVALID;
}

/** `JsonObject` (a record with string keys), or absent. */
function optionalRecord(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return isPlainObject(value) && Object.getOwnPropertySymbols(value).length === 0;
}

function optionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** An object as JSON.parse makes it (zod's record and object checks accept every such object). */
function isPlainObject(value: unknown): value is Json {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}
