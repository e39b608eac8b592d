import { z } from 'zod';
import { sha256Hex } from '../lib/hash.js';
import type { DeliveryItem } from './destination.js';

/**
 * Match keys: the identifiers ad platforms match people on, normalised and hashed per platform in
 * this one module, and the one redaction every log, error and delivery-log entry goes through.
 *
 * | key          | meta                            | google                                | linkedin              |
 * |--------------|---------------------------------|---------------------------------------|-----------------------|
 * | email        | trim, lower -> sha256 EMAIL     | trim, lower, no spaces; gmail: no dots | trim, no spaces, lower |
 * |              |                                 | or +suffix -> sha256 emailAddress     | -> sha256 SHA256_EMAIL |
 * | phone        | digits, no leading 0 -> sha256  | E.164 `+CC...` -> sha256 phoneNumber  | not sent              |
 * | first/last   | lower, no punctuation -> sha256 | trim, lower -> sha256                 | plain                 |
 * | country      | lower ISO-2 -> sha256           | upper ISO-2, unhashed regionCode      | upper ISO-2, plain    |
 * | postal_code  | lower, no spaces, US 5 digits   | unhashed postalCode                   | not sent              |
 * |              | -> sha256                       |                                       |                       |
 * | mobile_ad_id | lower, unhashed MADID           | not sent                              | unhashed GOOGLE_AID   |
 * | userId       | unhashed EXTERN_ID              | not sent                              | not sent              |
 *
 * An empty value after normalising is left out (never the hash of ""); a value that already is 64
 * hex characters is taken as a hash and passes through lower-cased.
 */

export const MATCH_KEY_KINDS = [
  'email',
  'phone',
  'first_name',
  'last_name',
  'country',
  'postal_code',
  'mobile_ad_id',
  'userId',
] as const;
export type MatchKeyKind = (typeof MATCH_KEY_KINDS)[number];
export type Platform = 'meta' | 'google' | 'linkedin';

/** Keys read from the profile's identifiers; the others come from traits. */
const FROM_IDENTIFIERS: ReadonlySet<MatchKeyKind> = new Set(['email', 'userId']);

/**
 * The mapping's `match_keys` (which keys to send) and `match_traits` (the trait each trait-based key
 * is read from; by default the trait of the key's own name, e.g. `phone`).
 */
export const MatchKeysMapping = z.strictObject({
  match_keys: z
    .array(z.enum(MATCH_KEY_KINDS, `match keys are ${MATCH_KEY_KINDS.join(', ')}`))
    .min(1, 'name at least one match key, e.g. [email]')
    .default(['email']),
  match_traits: z
    .partialRecord(
      z.enum(
        MATCH_KEY_KINDS.filter((kind) => !FROM_IDENTIFIERS.has(kind)) as [MatchKeyKind, ...MatchKeyKind[]],
        'email and userId come from the identifiers, not a trait',
      ),
      z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'a trait name or dotted path'),
    )
    .default({}),
});
export type MatchKeysMapping = z.infer<typeof MatchKeysMapping>;

/** The traits a destination must subscribe to so its trait-based match keys are known. */
export function matchTraits(mapping: MatchKeysMapping): string[] {
  return mapping.match_keys
    .filter((kind) => !FROM_IDENTIFIERS.has(kind))
    .map((kind) => mapping.match_traits[kind] ?? kind);
}

/** A person's raw values per match key (several e-mails after a merge). Raw: never log these. */
export type RawMatchValues = Partial<Record<MatchKeyKind, string[]>>;

export function rawMatchValues(item: DeliveryItem, mapping: MatchKeysMapping): RawMatchValues {
  const values: RawMatchValues = {};
  for (const kind of mapping.match_keys) {
    const found =
      kind === 'email' || kind === 'userId'
        ? item.allIdentifiers.filter((id) => id.kind === kind).map((id) => id.value)
        : scalarText(item.knownTraits[mapping.match_traits[kind] ?? kind]);
    const distinct = [...new Set(found.filter((value) => value.trim() !== ''))].sort();
    if (distinct.length > 0) values[kind] = distinct;
  }
  return values;
}

function scalarText(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)];
  return [];
}

const HEX64 = /^[0-9a-f]{64}$/i;

/** The value as the platform wants it before hashing; undefined when the platform takes no such key. */
export function normalizeFor(platform: Platform, kind: MatchKeyKind, raw: string): string | undefined {
  const value = normalizers[platform][kind]?.(raw);
  return value === undefined || value === '' ? undefined : value;
}

/** Whether the platform takes this kind of key at all. */
export function takesKey(platform: Platform, kind: MatchKeyKind): boolean {
  return normalizers[platform][kind] !== undefined;
}

/** Whether the platform takes this key hashed (SHA-256 hex) or in clear. */
export function isHashed(platform: Platform, kind: MatchKeyKind): boolean {
  return HASHED[platform].has(kind);
}

/** Normalised, then hashed where the platform wants a hash; undefined when empty or not taken. */
export function matchKeyFor(platform: Platform, kind: MatchKeyKind, raw: string): string | undefined {
  if (isHashed(platform, kind) && HEX64.test(raw.trim())) return raw.trim().toLowerCase();
  const normalized = normalizeFor(platform, kind, raw);
  if (normalized === undefined) return undefined;
  return isHashed(platform, kind) ? sha256Hex(normalized) : normalized;
}

const HASHED: Record<Platform, ReadonlySet<MatchKeyKind>> = {
  meta: new Set(['email', 'phone', 'first_name', 'last_name', 'country', 'postal_code']),
  google: new Set(['email', 'phone', 'first_name', 'last_name']),
  linkedin: new Set(['email']),
};

type Normalizer = (raw: string) => string;

const lowerTrim: Normalizer = (raw) => raw.trim().toLowerCase();
const noSpaces: Normalizer = (raw) => raw.replace(/\s+/gu, '');
const digits: Normalizer = (raw) => raw.replace(/\D+/gu, '');

const normalizers: Record<Platform, Partial<Record<MatchKeyKind, Normalizer>>> = {
  meta: {
    email: lowerTrim,
    phone: (raw) => digits(raw).replace(/^0+/u, ''),
    first_name: metaName,
    last_name: metaName,
    country: (raw) => isoCountry(raw)?.toLowerCase() ?? '',
    postal_code: (raw) => {
      const compact = noSpaces(raw).toLowerCase();
      return /^\d{5}(-\d{4})?$/u.test(compact) ? compact.slice(0, 5) : compact;
    },
    mobile_ad_id: lowerTrim,
    userId: (raw) => raw.trim(),
  },
  google: {
    email: googleEmail,
    phone: e164,
    first_name: lowerTrim,
    last_name: lowerTrim,
    country: (raw) => isoCountry(raw) ?? '',
    postal_code: (raw) => raw.trim(),
  },
  linkedin: {
    email: (raw) => noSpaces(raw).toLowerCase(),
    first_name: (raw) => raw.trim(),
    last_name: (raw) => raw.trim(),
    country: (raw) => isoCountry(raw) ?? '',
    mobile_ad_id: (raw) => raw.trim(),
  },
};

/** Lower-case, without punctuation or spaces; letters of every script stay. */
function metaName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]+/gu, '');
}

/** Google: trim, lower, no spaces; for gmail.com and googlemail.com no dots and no `+suffix` in the local part. */
function googleEmail(raw: string): string {
  const email = noSpaces(raw).toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 1) return email;
  const domain = email.slice(at + 1);
  if (domain !== 'gmail.com' && domain !== 'googlemail.com') return email;
  const local = email.slice(0, at).split('+')[0]?.replaceAll('.', '') ?? '';
  return local === '' ? '' : `${local}@${domain}`;
}

/** E.164: `+` and the digits; `00` as international prefix becomes `+`. Without a country code it is left out. */
function e164(raw: string): string {
  const trimmed = raw.trim();
  const international = trimmed.startsWith('+') || trimmed.startsWith('00');
  const number = digits(trimmed).replace(/^00/u, '');
  return international && number.length >= 7 ? `+${number}` : '';
}

function isoCountry(raw: string): string | undefined {
  const code = raw.trim().toUpperCase();
  return /^[A-Z]{2}$/u.test(code) ? code : undefined;
}

const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/gu;
/** International phone numbers (`+1 (650) 555-0100`, `+4915112345678`): a `+`, then 8 to 15 digits. */
const PHONE_IN_TEXT = /\+\d(?:[\s().-]{0,2}\d){7,14}/gu;

/** The short form identifiers are shown in: `sha256:<first 16 hex>` of the normalised value. */
export function redactedForm(value: string): string {
  return `sha256:${sha256Hex(value.trim().toLowerCase()).slice(0, 16)}`;
}

/**
 * Replaces every e-mail address and international phone number in a text by its redacted form. Logs,
 * errors, metrics labels and the delivery log go through this.
 */
export function redactIdentifiers(text: string): string {
  return text
    .replace(EMAIL_IN_TEXT, (email) => redactedForm(email))
    .replace(PHONE_IN_TEXT, (phone) => redactedForm(digits(phone)));
}
