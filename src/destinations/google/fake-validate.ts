import type { MembersCall } from './api.js';
import {
  MAX_DESTINATIONS_PER_REQUEST,
  MAX_IDENTIFIERS_PER_MEMBER,
  MAX_MEMBERS_PER_REQUEST,
} from './limits.js';

/**
 * The fake's reading of an `audienceMembers:ingest` / `:remove` body, as the Data Manager API documents
 * it (request fields, `AudienceMember`, `UserIdentifier`, `AddressInfo`, `ErrorReason`). Problems are
 * field violations with Google's snake_case paths (`audience_members[2].user_data.user_identifiers[0]`).
 * Shape problems always refuse the request; a malformed hash is a `format` problem, which the fake
 * either refuses (400) or accepts and reports later, by its switch.
 */

export interface Violation {
  field: string;
  description: string;
  /** An `ErrorReason` value. */
  reason: string;
}

export interface CheckedMember {
  /** Storage keys: `emailAddress:<hex>`, `phoneNumber:<hex>`, `address:<given>/<family>/<REGION>/<postal>`. */
  identifiers: string[];
  format: Violation[];
}

export type CheckedRequest =
  | { ok: false; violations: Violation[] }
  | { ok: true; destinations: Record<string, unknown>[]; members: CheckedMember[]; validateOnly: boolean };

const REQUEST_FIELDS: Record<MembersCall, ReadonlySet<string>> = {
  ingest: new Set([
    'destinations',
    'audienceMembers',
    'consent',
    'validateOnly',
    'encoding',
    'encryptionInfo',
    'termsOfService',
  ]),
  remove: new Set(['destinations', 'audienceMembers', 'validateOnly', 'encoding', 'encryptionInfo']),
};
const MEMBER_FIELDS = new Set([
  'userData',
  'consent',
  'destinationReferences',
  'mobileData',
  'pairData',
  'userIdData',
  'ppidData',
  'googleUserIdData',
  'partnerProvidedIdData',
  'compositeData',
]);
const CONSENT_VALUES = new Set(['CONSENT_STATUS_UNSPECIFIED', 'CONSENT_GRANTED', 'CONSENT_DENIED']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `ErrorReason` descriptions (https://developers.google.com/data-manager/api/reference/rest/v1/ErrorReason). */
const DESCRIPTIONS: Record<string, string> = {
  INVALID_ARGUMENT: 'There was a problem with the request.',
  REQUIRED_FIELD_MISSING: 'Required field is missing.',
  INVALID_FORMAT: 'Format is invalid.',
  INVALID_HEX_ENCODING: 'The HEX encoded value is malformed.',
  INVALID_BASE64_ENCODING: 'The base64 encoded value is malformed.',
  INVALID_SHA256_FORMAT: 'The SHA256 encoded value is malformed.',
  INVALID_ENUM_VALUE: 'Enum value cannot be used.',
  INVALID_AUDIENCE_MEMBER: 'This audience member is not valid.',
  TOO_MANY_AUDIENCE_MEMBERS: 'Maximum number of audience members allowed per request is 10,000.',
  TOO_MANY_USER_IDENTIFIERS: 'Maximum number of user identifiers allowed per audience member is 10.',
  TOO_MANY_DESTINATIONS: 'Maximum number of destinations allowed per request is 10.',
  INVALID_DESTINATION: 'This Destination is not valid.',
  TERMS_AND_CONDITIONS_NOT_SIGNED: 'Required terms and conditions are not accepted.',
};

const violation = (
  field: string,
  reason: string,
  description = DESCRIPTIONS[reason] ?? reason,
): Violation => ({
  field,
  reason,
  description,
});
const unknownName = (name: string, at: string): Violation =>
  violation(
    at,
    'INVALID_ARGUMENT',
    `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`,
  );

export function checkMembersRequest(body: unknown, call: MembersCall): CheckedRequest {
  if (!isObject(body))
    return { ok: false, violations: [violation('', 'INVALID_ARGUMENT', 'Invalid JSON payload received.')] };
  const violations: Violation[] = Object.keys(body)
    .filter((name) => !REQUEST_FIELDS[call].has(name))
    .map((name) => unknownName(name, ''));
  const destinations = Array.isArray(body.destinations) ? body.destinations : [];
  if (destinations.length === 0) violations.push(violation('destinations', 'REQUIRED_FIELD_MISSING'));
  if (destinations.length > MAX_DESTINATIONS_PER_REQUEST) {
    violations.push(violation('destinations', 'TOO_MANY_DESTINATIONS'));
  }
  destinations.forEach((destination, index) => violations.push(...destinationProblems(destination, index)));
  const members = Array.isArray(body.audienceMembers) ? body.audienceMembers : [];
  if (members.length === 0) violations.push(violation('audience_members', 'REQUIRED_FIELD_MISSING'));
  if (members.length > MAX_MEMBERS_PER_REQUEST) {
    violations.push(violation('audience_members', 'TOO_MANY_AUDIENCE_MEMBERS'));
    return { ok: false, violations };
  }
  const encoding = body.encoding;
  if (encoding !== 'HEX' && encoding !== 'BASE64') {
    violations.push(
      violation(
        'encoding',
        'REQUIRED_FIELD_MISSING',
        'Encoding is required for UserData uploads (HEX or BASE64).',
      ),
    );
  }
  if (call === 'ingest') violations.push(...ingestOnlyProblems(body));
  const checked = members.map((member, index) =>
    checkMember(member, index, encoding === 'BASE64' ? 'BASE64' : 'HEX'),
  );
  for (const member of checked) if ('shape' in member) violations.push(...member.shape);
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    destinations: destinations as Json[],
    members: checked as CheckedMember[],
    validateOnly: body.validateOnly === true,
  };
}

function destinationProblems(destination: unknown, index: number): Violation[] {
  const at = `destinations[${index}]`;
  if (!isObject(destination)) return [violation(at, 'INVALID_DESTINATION')];
  const problems: Violation[] = [];
  const operating = destination.operatingAccount;
  if (!isObject(operating) || typeof operating.accountId !== 'string' || operating.accountId === '') {
    problems.push(violation(`${at}.operating_account.account_id`, 'REQUIRED_FIELD_MISSING'));
  } else if (typeof operating.accountType !== 'string' && typeof operating.product !== 'string') {
    problems.push(violation(`${at}.operating_account.account_type`, 'REQUIRED_FIELD_MISSING'));
  }
  if (typeof destination.productDestinationId !== 'string' || destination.productDestinationId === '') {
    problems.push(violation(`${at}.product_destination_id`, 'REQUIRED_FIELD_MISSING'));
  }
  return problems;
}

function ingestOnlyProblems(body: Json): Violation[] {
  const problems: Violation[] = [];
  const terms = isObject(body.termsOfService)
    ? body.termsOfService.customerMatchTermsOfServiceStatus
    : undefined;
  if (terms !== 'ACCEPTED') {
    problems.push(
      violation('terms_of_service.customer_match_terms_of_service_status', 'TERMS_AND_CONDITIONS_NOT_SIGNED'),
    );
  }
  if (body.consent !== undefined) {
    const consent = isObject(body.consent) ? body.consent : {};
    for (const [name, field] of [
      ['adUserData', 'ad_user_data'],
      ['adPersonalization', 'ad_personalization'],
    ] as const) {
      const value = consent[name];
      if (value !== undefined && !CONSENT_VALUES.has(String(value))) {
        problems.push(
          violation(
            `consent.${field}`,
            'INVALID_ENUM_VALUE',
            `Invalid value at 'consent.${field}': ${JSON.stringify(value)}`,
          ),
        );
      }
    }
  }
  return problems;
}

function checkMember(
  member: unknown,
  index: number,
  encoding: 'HEX' | 'BASE64',
): CheckedMember | { shape: Violation[] } {
  const at = `audience_members[${index}]`;
  if (!isObject(member)) return { shape: [violation(at, 'INVALID_AUDIENCE_MEMBER')] };
  const unknown = Object.keys(member).filter((name) => !MEMBER_FIELDS.has(name));
  if (unknown.length > 0) return { shape: unknown.map((name) => unknownName(name, at)) };
  const list = isObject(member.userData) ? member.userData.userIdentifiers : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    return {
      shape: [violation(`${at}.user_data.user_identifiers`, 'REQUIRED_FIELD_MISSING')],
    };
  }
  if (list.length > MAX_IDENTIFIERS_PER_MEMBER) {
    return {
      shape: [violation(`${at}.user_data.user_identifiers`, 'TOO_MANY_USER_IDENTIFIERS')],
    };
  }
  const identifiers: string[] = [];
  const format: Violation[] = [];
  const shape: Violation[] = [];
  list.forEach((identifier, position) => {
    const path = `${at}.user_data.user_identifiers[${position}]`;
    const keys = isObject(identifier) ? Object.keys(identifier) : [];
    const only = keys.length === 1 ? keys[0] : undefined;
    const value = only === undefined ? undefined : (identifier as Json)[only];
    if (only === 'emailAddress' || only === 'phoneNumber') {
      const hex = hashHex(value, encoding);
      const field = `${path}.${only === 'emailAddress' ? 'email_address' : 'phone_number'}`;
      if (typeof hex === 'string') identifiers.push(`${only}:${hex}`);
      else format.push(violation(field, hex.reason));
    } else if (only === 'address' && isObject(value)) {
      const address = checkAddress(value, `${path}.address`, encoding);
      if ('key' in address) identifiers.push(address.key);
      else (address.shape ? shape : format).push(...address.problems);
    } else {
      shape.push(
        violation(
          path,
          'INVALID_FORMAT',
          'Exactly one of email_address, phone_number or address must be set.',
        ),
      );
    }
  });
  return shape.length > 0 ? { shape } : { identifiers, format };
}

function checkAddress(
  address: Json,
  at: string,
  encoding: 'HEX' | 'BASE64',
): { key: string } | { shape: boolean; problems: Violation[] } {
  const missing = ['givenName', 'familyName', 'regionCode', 'postalCode'].filter(
    (name) => typeof address[name] !== 'string' || address[name] === '',
  );
  if (missing.length > 0) {
    const problems = missing.map((name) =>
      violation(`${at}.${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, 'REQUIRED_FIELD_MISSING'),
    );
    return { shape: true, problems };
  }
  const given = hashHex(address.givenName, encoding);
  const family = hashHex(address.familyName, encoding);
  const region = String(address.regionCode);
  const problems: Violation[] = [];
  if (typeof given !== 'string') problems.push(violation(`${at}.given_name`, given.reason));
  if (typeof family !== 'string') problems.push(violation(`${at}.family_name`, family.reason));
  if (!/^[A-Za-z]{2}$/.test(region)) {
    problems.push(
      violation(`${at}.region_code`, 'INVALID_FORMAT', 'The region code must be ISO-3166-1 alpha-2.'),
    );
  }
  if (problems.length > 0) return { shape: false, problems };
  return {
    key: `address:${String(given)}/${String(family)}/${region.toUpperCase()}/${String(address.postalCode)}`,
  };
}

/** A SHA-256 hash in the request's encoding, as lowercase hex; or the `ErrorReason` why it is not one. */
function hashHex(value: unknown, encoding: 'HEX' | 'BASE64'): string | { reason: string } {
  const text = typeof value === 'string' ? value : '';
  if (encoding === 'HEX') {
    // Hex is case-insensitive (Data Manager formatting guide: only Base64 is case-sensitive).
    if (!/^([0-9a-fA-F]{2})+$/.test(text)) return { reason: 'INVALID_HEX_ENCODING' };
    return text.length === 64 ? text.toLowerCase() : { reason: 'INVALID_SHA256_FORMAT' };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return { reason: 'INVALID_BASE64_ENCODING' };
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : { reason: 'INVALID_SHA256_FORMAT' };
}
