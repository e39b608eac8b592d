import { z } from 'zod';
import type { MatchKeyKind } from '../../delivery/match-keys.js';

/**
 * The shapes of LinkedIn's DMP segment users API, shared by the builder, the classifier, the
 * redaction and the fake.
 * https://learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users
 */

export type LinkedinAction = 'ADD' | 'REMOVE';

export interface LinkedinUserId {
  idType: string;
  idValue: string;
}

/** One member: identified by `userIds`, with optional plain-text hints that raise the match rate. */
export interface LinkedinElement {
  action: LinkedinAction;
  userIds: LinkedinUserId[];
  firstName?: string;
  lastName?: string;
  country?: string;
}

export interface LinkedinUsersBody {
  elements: LinkedinElement[];
}

/** The match keys that identify a member, by the `idType` they are sent as (the ledger's key names). */
export const ID_TYPE_OF: Partial<Record<MatchKeyKind, string>> = {
  email: 'SHA256_EMAIL',
  mobile_ad_id: 'GOOGLE_AID',
};

/** The match keys sent as hints, by their element field. */
export const HINT_FIELD_OF: Partial<Record<MatchKeyKind, 'firstName' | 'lastName' | 'country'>> = {
  first_name: 'firstName',
  last_name: 'lastName',
  country: 'country',
};

export const HINT_FIELDS = ['firstName', 'lastName', 'country', 'title', 'company'] as const;

export function usersPath(segmentId: string): string {
  return `/rest/dmpSegments/${segmentId}/users`;
}

/** LinkedIn's error body (`{status, serviceErrorCode, code, message}`); every field may be missing. */
export const LinkedinError = z
  .looseObject({
    status: z.number().optional().catch(undefined),
    serviceErrorCode: z.number().optional().catch(undefined),
    code: z.string().optional().catch(undefined),
    message: z.string().optional().catch(undefined),
  })
  .catch({});
export type LinkedinError = z.infer<typeof LinkedinError>;

/** One element's result in a 200: `{status: 201}` or `{status: 400, error: {message, status}}`. */
export const ElementResult = z.looseObject({
  status: z.number().int(),
  error: LinkedinError.optional(),
});
export type ElementResult = z.infer<typeof ElementResult>;

/** The BATCH_CREATE answer: one result per element, in request order. */
export const BatchAnswer = z
  .looseObject({ elements: z.array(z.unknown()).catch([]) })
  .catch({ elements: [] });

/** The elements of a request body (for the classifier, the redaction and the fake's description). */
export const RequestElements = z
  .looseObject({ elements: z.array(z.looseObject({ action: z.unknown() })).catch([]) })
  .catch({ elements: [] });
