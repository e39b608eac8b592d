import { z } from 'zod';

/**
 * HubSpot CRM wire shapes (contacts batch upsert, lists), shared by the payload builders, the
 * classifier, `prepare` and the fake server. Paths: paths.ts.
 * Response fields are all optional: HubSpot documents its error body as "treat every field as
 * optional", and the classifier must never throw on an odd body.
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/memberships/update-list-memberships
 * https://developers.hubspot.com/docs/api-reference/error-handling
 */

/** Inputs per batch request [doc: "objects_per_request 100"; code: `MAX_HUBSPOT_BATCH_SIZE = 100`]. */
export const MAX_INPUTS = 100;

export const UpsertInput = z.object({
  idProperty: z.literal('email'),
  id: z.string(),
  objectWriteTraceId: z.string(),
  properties: z.record(z.string(), z.string()),
});
export type UpsertInput = z.infer<typeof UpsertInput>;

export const UpsertBody = z.object({ inputs: z.array(UpsertInput) });
export type UpsertBody = z.infer<typeof UpsertBody>;

/** `context` of an error: which inputs it is about (trace ids we sent, or the `id` values). */
export const ErrorContext = z
  .object({
    objectWriteTraceId: z.array(z.string()).optional().catch(undefined),
    ids: z.array(z.string()).optional().catch(undefined),
  })
  .partial();
export type ErrorContext = z.infer<typeof ErrorContext>;

/** One error: the whole body of a 4xx, or one entry of a 207's `errors[]`. */
export const HubspotError = z.object({
  status: z.string().optional().catch(undefined),
  category: z.string().optional().catch(undefined),
  subCategory: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  policyName: z.string().optional().catch(undefined),
  errorType: z.string().optional().catch(undefined),
  context: ErrorContext.optional().catch(undefined),
  errors: z.array(z.unknown()).optional().catch(undefined),
});
export type HubspotError = z.infer<typeof HubspotError>;

export const BatchResult = z.object({
  id: z.string().optional().catch(undefined),
  objectWriteTraceId: z.string().optional().catch(undefined),
  properties: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
export type BatchResult = z.infer<typeof BatchResult>;

/** A batch write answer, 200 or 207. */
export const BatchResponse = z.object({
  status: z.string().optional().catch(undefined),
  results: z.array(BatchResult.catch({})).optional().catch(undefined),
  numErrors: z.number().optional().catch(undefined),
  errors: z.array(HubspotError.catch({})).optional().catch(undefined),
});
export type BatchResponse = z.infer<typeof BatchResponse>;

/** Reads a response body leniently: a body that is not an object reads as `{}`. */
export function readError(body: unknown): HubspotError {
  const parsed = HubspotError.safeParse(body);
  return parsed.success ? parsed.data : {};
}

export function readBatchResponse(body: unknown): BatchResponse {
  const parsed = BatchResponse.safeParse(body);
  return parsed.success ? parsed.data : {};
}

/** The inputs of a request this destination built, or [] for a body that is not ours. */
export function readInputs(body: unknown): UpsertInput[] {
  const parsed = UpsertBody.safeParse(body);
  return parsed.success ? parsed.data.inputs : [];
}

/** A list definition, as `GET` by name or id and `POST` (create) answer it inside `{ list }`. */
export const ListDefinition = z.object({
  listId: z.union([z.string(), z.number()]).transform(String),
  name: z.string().optional().catch(undefined),
  objectTypeId: z.string().optional().catch(undefined),
  /** `MANUAL` | `SNAPSHOT` | `DYNAMIC`: only the first two take membership writes. */
  processingType: z.string().optional().catch(undefined),
});
export type ListDefinition = z.infer<typeof ListDefinition>;

export const ListAnswer = z.object({ list: ListDefinition });

/** `PUT .../lists/{listId}/memberships/add-and-remove`: HubSpot record ids, as strings. */
export const MembershipChange = z.object({
  recordIdsToAdd: z.array(z.string()),
  recordIdsToRemove: z.array(z.string()),
});
export type MembershipChange = z.infer<typeof MembershipChange>;

const ids = z
  .array(z.union([z.string(), z.number()]).transform(String))
  .optional()
  .catch(undefined);

/**
 * A membership answer (200). HubSpot's older schema spells the added ids `recordsIdsAdded`, the
 * 2026-03 one `recordIdsAdded`: both are read. `recordIdsAlreadyMember` appears in some schemas
 * (unconfirmed). Ids that do not exist (or, per the docs, are already members) are in
 * `recordIdsMissing`.
 */
export const MembershipAnswer = z
  .object({
    recordIdsMissing: ids,
    recordIdsRemoved: ids,
    recordIdsAdded: ids,
    recordsIdsAdded: ids,
    recordIdsAlreadyMember: ids,
  })
  .transform((answer) => ({
    missing: new Set(answer.recordIdsMissing ?? []),
    removed: new Set(answer.recordIdsRemoved ?? []),
    added: new Set([...(answer.recordIdsAdded ?? []), ...(answer.recordsIdsAdded ?? [])]),
    alreadyMember: new Set(answer.recordIdsAlreadyMember ?? []),
  }));
export type MembershipAnswer = z.infer<typeof MembershipAnswer>;

export function readMembershipAnswer(body: unknown): MembershipAnswer {
  const parsed = MembershipAnswer.safeParse(body);
  return parsed.success ? parsed.data : MembershipAnswer.parse({});
}

/** The membership change of a request this destination built, or undefined for an upsert. */
export function readMembershipChange(body: unknown): MembershipChange | undefined {
  const parsed = MembershipChange.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}
