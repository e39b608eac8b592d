import type { DeliveryItem, KeySet } from '../../delivery/destination.js';
import { matchKeyFor, rawMatchValues, type MatchKeyKind } from '../../delivery/match-keys.js';
import { canonicalJson } from '../../lib/hash.js';
import type { UserIdentifier } from './api.js';
import { MAX_IDENTIFIERS_PER_MEMBER } from './limits.js';
import type { GoogleMapping } from './settings.js';

/**
 * A person's key set (what the ledger records for the list) and the `userIdentifiers` sent for it.
 * Flat, one entry per value, named after the API field:
 *
 *   emailAddress, emailAddress#2, ...   SHA-256 hex of each e-mail (a merged profile has several)
 *   phoneNumber                         SHA-256 hex of the E.164 phone
 *   address.givenName, address.familyName   SHA-256 hex of the names
 *   address.regionCode, address.postalCode  in clear, as Google wants them
 *
 * At most 10 identifiers per member: the phone and the address keep their place, e-mails fill the
 * rest (sorted, so the choice is stable).
 */

const ADDRESS_KEYS: Record<'first_name' | 'last_name' | 'country' | 'postal_code', string> = {
  first_name: 'address.givenName',
  last_name: 'address.familyName',
  country: 'address.regionCode',
  postal_code: 'address.postalCode',
};

/** The key set the person would be added under now; undefined when no usable key is known. */
export function currentKeySet(item: DeliveryItem, mapping: GoogleMapping): KeySet | undefined {
  const raw = rawMatchValues(item, mapping);
  const keysOf = (kind: MatchKeyKind): string[] => [
    ...new Set(
      (raw[kind] ?? [])
        .map((value) => matchKeyFor('google', kind, value))
        .filter((key): key is string => key !== undefined),
    ),
  ];
  const emails = keysOf('email');
  const phone = keysOf('phone')[0];
  const address = addressKeys(keysOf);
  const room = MAX_IDENTIFIERS_PER_MEMBER - (phone === undefined ? 0 : 1) - (address === undefined ? 0 : 1);
  const keySet: KeySet = {};
  emails.slice(0, room).forEach((hash, index) => {
    keySet[index === 0 ? 'emailAddress' : `emailAddress#${index + 1}`] = hash;
  });
  if (phone !== undefined) keySet.phoneNumber = phone;
  if (address !== undefined) Object.assign(keySet, address);
  return Object.keys(keySet).length === 0 ? undefined : keySet;
}

function addressKeys(keysOf: (kind: MatchKeyKind) => string[]): KeySet | undefined {
  const entries = Object.entries(ADDRESS_KEYS).map(([kind, key]) => [key, keysOf(kind as MatchKeyKind)[0]]);
  if (entries.some(([, value]) => value === undefined)) return undefined;
  return Object.fromEntries(entries) as KeySet;
}

export function sameKeySet(a: KeySet, b: KeySet): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The identifiers of one or more key sets (a removal sends every key set the person was added
 * under), without repeats, in a fixed order: e-mails, phones, addresses.
 */
export function identifiersOf(keySets: readonly KeySet[]): UserIdentifier[] {
  const emails: UserIdentifier[] = [];
  const phones: UserIdentifier[] = [];
  const addresses: UserIdentifier[] = [];
  for (const keySet of keySets) {
    for (const value of numbered(keySet, 'emailAddress')) emails.push({ emailAddress: value });
    for (const value of numbered(keySet, 'phoneNumber')) phones.push({ phoneNumber: value });
    const [givenName, familyName, regionCode, postalCode] = Object.values(ADDRESS_KEYS).map(
      (key) => keySet[key],
    );
    if (givenName && familyName && regionCode && postalCode) {
      addresses.push({ address: { givenName, familyName, regionCode, postalCode } });
    }
  }
  const seen = new Set<string>();
  return [...emails, ...phones, ...addresses].filter((identifier) => {
    const text = canonicalJson(identifier);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** The values of `field`, `field#2`, `field#3`... of a key set, in number order. */
function numbered(keySet: KeySet, field: string): string[] {
  const pattern = new RegExp(`^${field}(?:#(\\d+))?$`);
  return Object.entries(keySet)
    .map(([key, value]) => ({ value, match: pattern.exec(key) }))
    .filter((entry) => entry.match !== null)
    .sort((a, b) => Number(a.match?.[1] ?? 1) - Number(b.match?.[1] ?? 1))
    .map(({ value }) => value);
}

/** Identifiers cut into members of at most 10 (a removal of many old key sets may need several). */
export function intoMembers(identifiers: readonly UserIdentifier[]): UserIdentifier[][] {
  const members: UserIdentifier[][] = [];
  for (let start = 0; start < identifiers.length; start += MAX_IDENTIFIERS_PER_MEMBER) {
    members.push(identifiers.slice(start, start + MAX_IDENTIFIERS_PER_MEMBER));
  }
  return members;
}
