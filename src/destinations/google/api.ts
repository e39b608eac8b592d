import { z } from 'zod';
import type { ConsentMapping, GoogleSettings } from './settings.js';

/**
 * The Data Manager API's shapes as this destination sends and reads them (REST, JSON, camelCase):
 * https://developers.google.com/data-manager/api/reference/rest/v1/audienceMembers/ingest,
 * `.../audienceMembers/remove`, `.../requestStatus/retrieve` and the google.rpc error model
 * (https://developers.google.com/data-manager/api/devguides/concepts/understand-errors).
 */

export const INGEST_PATH = 'audienceMembers:ingest';
export const REMOVE_PATH = 'audienceMembers:remove';
export const STATUS_PATH = 'requestStatus:retrieve';

export type MembersCall = 'ingest' | 'remove';

export function apiUrl(settings: GoogleSettings, path: string): string {
  return `${settings.endpoint}/${settings.api_version}/${path}`;
}

export function authHeaders(settings: GoogleSettings): Record<string, string> {
  return { Authorization: `Bearer ${settings.access_token}`, 'Content-Type': 'application/json' };
}

/** One `UserIdentifier`: exactly one of the three (hashes are SHA-256 hex; region and postal code clear). */
export type UserIdentifier =
  | { emailAddress: string }
  | { phoneNumber: string }
  | { address: { givenName: string; familyName: string; regionCode: string; postalCode: string } };

export interface ProductAccount {
  accountType: string;
  accountId: string;
}

export interface Destination {
  operatingAccount: ProductAccount;
  loginAccount?: ProductAccount;
  productDestinationId: string;
}

export function destinationOf(settings: GoogleSettings): Destination {
  const operatingAccount = { accountType: settings.account_type, accountId: settings.operating_account_id };
  const login =
    settings.login_account_id === undefined
      ? {}
      : {
          loginAccount: {
            accountType: settings.login_account_type ?? settings.account_type,
            accountId: settings.login_account_id,
          },
        };
  return { operatingAccount, ...login, productDestinationId: settings.user_list_id };
}

const CONSENT_STATUS = { granted: 'CONSENT_GRANTED', denied: 'CONSENT_DENIED' } as const;

/** `{ad_user_data: granted}` -> `{adUserData: "CONSENT_GRANTED"}`; undefined when nothing is set. */
export function consentOf(consent: ConsentMapping | undefined): Record<string, string> | undefined {
  if (consent === undefined) return undefined;
  const body: Record<string, string> = {};
  if (consent.ad_user_data) body.adUserData = CONSENT_STATUS[consent.ad_user_data];
  if (consent.ad_personalization) body.adPersonalization = CONSENT_STATUS[consent.ad_personalization];
  return Object.keys(body).length === 0 ? undefined : body;
}

/** The request's `audienceMembers`, as this module built them (for classify's index mapping). */
export function membersOf(body: unknown): unknown[] {
  const members = (body as { audienceMembers?: unknown } | null)?.audienceMembers;
  return Array.isArray(members) ? members : [];
}

// --- answers --------------------------------------------------------------------------------

/** `FieldWarning` (ingest answers): a row-level warning with a field path such as `audience_members[2]...`. */
const FieldWarning = z.looseObject({
  field: z.string().optional(),
  reason: z.string().optional(),
  description: z.string().optional(),
});

/** 200 from ingest/remove: the request was accepted, not yet applied. */
export const MembersAnswer = z.looseObject({
  requestId: z.string().optional(),
  fieldWarnings: z.array(FieldWarning).optional(),
});

const FieldViolation = z.looseObject({
  field: z.string().optional(),
  description: z.string().optional(),
  reason: z.string().optional(),
});

/** One entry of `error.details`: `BadRequest` carries `fieldViolations`, `ErrorInfo` a `reason`. */
const ErrorDetail = z.looseObject({
  '@type': z.string().optional(),
  fieldViolations: z.array(FieldViolation).optional(),
  reason: z.string().optional(),
});

/** The google.rpc error body: `{"error":{"code":400,"message":…,"status":"INVALID_ARGUMENT","details":[…]}}`. */
export const RpcError = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z.array(z.unknown()).optional(),
  }),
});

export interface ReadError {
  status?: string;
  message?: string;
  /** `ErrorInfo.reason` values (e.g. TERMS_AND_CONDITIONS_NOT_SIGNED). */
  reasons: string[];
  violations: z.infer<typeof FieldViolation>[];
}

export function readError(body: unknown): ReadError {
  const parsed = RpcError.safeParse(body);
  if (!parsed.success) return { reasons: [], violations: [] };
  const { status, message, details = [] } = parsed.data.error;
  const reasons: string[] = [];
  const violations: z.infer<typeof FieldViolation>[] = [];
  for (const raw of details) {
    const detail = ErrorDetail.safeParse(raw);
    if (!detail.success) continue;
    if (detail.data.reason) reasons.push(detail.data.reason);
    violations.push(...(detail.data.fieldViolations ?? []));
  }
  return { ...(status ? { status } : {}), ...(message ? { message } : {}), reasons, violations };
}

/**
 * The member a field path names: `audience_members[3].user_data…` (Google's snake_case paths; the
 * camelCase spelling is accepted too). Undefined for request-level fields.
 */
export function memberIndexOf(field: string | undefined): number | undefined {
  const match = /^(?:audience_members|audienceMembers)\[(\d+)\]/.exec(field ?? '');
  return match ? Number(match[1]) : undefined;
}

const Count = z.union([z.string(), z.number()]).transform(String);
const ReasonCount = z.looseObject({ reason: z.string().optional(), recordCount: Count.optional() });
const UserDataCounts = z.looseObject({
  recordCount: Count.optional(),
  userIdentifierCount: Count.optional(),
  uploadMatchRateRange: z.string().optional(),
});

/** `RequestStatusPerDestination` (only the parts this destination reads). */
export const StatusPerDestination = z.looseObject({
  requestStatus: z.string().optional(),
  destination: z.looseObject({ productDestinationId: z.string().optional() }).optional(),
  audienceMembersIngestionStatus: z
    .looseObject({ userDataIngestionStatus: UserDataCounts.optional() })
    .optional(),
  audienceMembersRemovalStatus: z
    .looseObject({ userDataRemovalStatus: UserDataCounts.optional() })
    .optional(),
  errorInfo: z.looseObject({ errorCounts: z.array(ReasonCount).optional() }).optional(),
  warningInfo: z.looseObject({ warningCounts: z.array(ReasonCount).optional() }).optional(),
});
export type StatusPerDestination = z.infer<typeof StatusPerDestination>;

/** 200 from `requestStatus:retrieve`: one status per destination of the original request, in order. */
export const RetrieveAnswer = z.looseObject({
  requestStatusPerDestination: z.array(StatusPerDestination).optional(),
});
