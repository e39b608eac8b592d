import { z } from 'zod';
import '../lib/zod-messages.js';

/**
 * The Segment spec event types (RudderStack sends the same shape). These schemas are the single
 * source of the event types; unknown keys are kept as sent.
 */

/**
 * A number used as an identifier: beyond 2^53 a JSON number has already lost digits (two different
 * ids would become one), so such an id must be sent as a string.
 */
const NumericId = z
  .number()
  .refine(
    (value) => !Number.isInteger(value) || Number.isSafeInteger(value),
    'must be a string when beyond 2^53 (as a number it has lost digits)',
  );

/** userId / anonymousId / groupId: strings or numbers (some SDKs send numbers); "" and null mean absent. */
const Identifier = z
  .union([z.string().max(1024, 'must be at most 1024 characters'), NumericId, z.null()])
  .transform((value) => (value === null || value === '' ? undefined : String(value)));

const RequiredIdentifier = z
  .union([z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'), NumericId])
  .transform(String);

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the four-digit years of ISO-8601. */
const EARLIEST_TIME = -62_167_219_200_000;
const LATEST_TIME = 253_402_300_799_999;

/**
 * ISO-8601 with a four-digit year. Wider years (`-271821-04-20T00:00:00Z`) parse, but the skew
 * correction `receivedAt - (sentAt - originalTimestamp)` could then leave JavaScript's date range.
 */
const IsoDateTime = z.string().superRefine((text, ctx) => {
  const time = Date.parse(text);
  if (Number.isNaN(time)) ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date-time' });
  else if (time < EARLIEST_TIME || time > LATEST_TIME) {
    ctx.addIssue({ code: 'custom', message: 'must be a date-time in the years 0000 to 9999' });
  }
});

const JsonObject = z.record(z.string(), z.unknown(), { error: 'must be an object' });

const common = {
  messageId: z.string().min(1, 'must not be empty').max(100, 'must be under 100 characters').optional(),
  userId: Identifier.optional(),
  anonymousId: Identifier.optional(),
  timestamp: IsoDateTime.optional(),
  originalTimestamp: IsoDateTime.optional(),
  sentAt: IsoDateTime.optional(),
  receivedAt: IsoDateTime.optional(),
  context: JsonObject.optional(),
  integrations: JsonObject.optional(),
};

export const TrackEvent = z.looseObject({
  ...common,
  type: z.literal('track'),
  event: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  properties: JsonObject.optional(),
});
export const IdentifyEvent = z.looseObject({
  ...common,
  type: z.literal('identify'),
  traits: JsonObject.optional(),
});
export const PageEvent = z.looseObject({
  ...common,
  type: z.literal('page'),
  name: z.string().optional(),
  category: z.string().optional(),
  properties: JsonObject.optional(),
});
export const ScreenEvent = z.looseObject({
  ...common,
  type: z.literal('screen'),
  name: z.string().optional(),
  properties: JsonObject.optional(),
});
export const GroupEvent = z.looseObject({
  ...common,
  type: z.literal('group'),
  groupId: RequiredIdentifier,
  traits: JsonObject.optional(),
});
export const AliasEvent = z.looseObject({
  ...common,
  type: z.literal('alias'),
  previousId: RequiredIdentifier,
  userId: RequiredIdentifier,
});

/**
 * Top-level fields sent as `null` are validated as absent, as Segment treats them: analytics.js
 * sends `"name": null, "category": null` for `analytics.page()`. A required field sent as null is
 * "required". (Validation only: the stored body keeps the nulls as sent.)
 */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

export const SpecEvent = z.preprocess(
  withoutNulls,
  z
    .discriminatedUnion('type', [TrackEvent, IdentifyEvent, PageEvent, ScreenEvent, GroupEvent, AliasEvent], {
      error: 'must be one of track, identify, page, screen, group, alias',
    })
    .superRefine((event, ctx) => {
      if (event.userId === undefined && event.anonymousId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
      }
    }),
);
export type SpecEvent = z.infer<typeof SpecEvent>;
export type TrackEvent = z.infer<typeof TrackEvent>;

/** `/v1/batch` (and Segment webhook batches in this shape): shared fields merge into every item. */
export const BatchEnvelope = z.preprocess(
  withoutNulls,
  z.looseObject({
    batch: z.array(z.unknown(), { error: 'must be an array of events' }),
    context: JsonObject.optional(),
    integrations: JsonObject.optional(),
    sentAt: IsoDateTime.optional(),
    writeKey: z.string().optional(),
  }),
);
export type BatchEnvelope = z.infer<typeof BatchEnvelope>;

/** Every top-level field the Segment spec names (the envelope's `writeKey` included). */
export const SPEC_FIELDS = [
  'type',
  'event',
  'name',
  'category',
  'userId',
  'anonymousId',
  'previousId',
  'groupId',
  'messageId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'context',
  'integrations',
  'properties',
  'traits',
  'writeKey',
] as const;
