import { z } from 'zod';
import '../lib/zod-messages.js';

/**
 * The Segment spec event types (RudderStack sends the same shape). These schemas are the single
 * source of the event types; unknown keys are kept as sent.
 */

/** userId / anonymousId / groupId: strings or numbers (some SDKs send numbers); "" and null mean absent. */
const Identifier = z
  .union([z.string().max(1024, 'must be at most 1024 characters'), z.number(), z.null()])
  .transform((value) => (value === null || value === '' ? undefined : String(value)));

const RequiredIdentifier = z
  .union([z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'), z.number()])
  .transform(String);

const IsoDateTime = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO-8601 date-time');

const JsonObject = z.record(z.string(), z.unknown());

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

export const SpecEvent = z
  .discriminatedUnion('type', [TrackEvent, IdentifyEvent, PageEvent, ScreenEvent, GroupEvent, AliasEvent], {
    error: 'must be one of track, identify, page, screen, group, alias',
  })
  .superRefine((event, ctx) => {
    if (event.userId === undefined && event.anonymousId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
    }
  });
export type SpecEvent = z.infer<typeof SpecEvent>;
export type TrackEvent = z.infer<typeof TrackEvent>;

/** `/v1/batch` (and Segment webhook batches in this shape): shared fields merge into every item. */
export const BatchEnvelope = z.looseObject({
  batch: z.array(z.unknown()),
  context: JsonObject.optional(),
  integrations: JsonObject.optional(),
  sentAt: IsoDateTime.optional(),
  writeKey: z.string().optional(),
});
export type BatchEnvelope = z.infer<typeof BatchEnvelope>;
