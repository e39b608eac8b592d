import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Finding raw personal identifiers (e-mail addresses, phone numbers) in text: what the suite-wide
 * scan (`test/global-setup.ts`) and the delivery-log test look for. Hashes (`sha256:<hex>`, 64 hex
 * characters) never match.
 */

export interface Finding {
  kind: 'e-mail' | 'phone';
  value: string;
}

/** An address with a dotted domain ending in letters: `ada@example.com`, not `vitest@4.1.12`. */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** `+` and 8 to 15 digits, separators allowed (`+1 (650) 555-0100`), not inside a base64 or hex word. */
const INTERNATIONAL_PHONE = /(?<![A-Za-z0-9/+=])\+\d(?:[\s().-]{0,2}\d){7,14}(?![A-Za-z0-9])/g;

/**
 * Phone numbers the tests use, as digits (leading 0 or 00 stripped), found only as a whole digit run:
 * a normalised but unhashed one (`16505550100`) has no `+` left to spot it by.
 */
export type KnownPhones = ReadonlySet<string>;

/**
 * Every raw e-mail and phone number in `text`. `allowedEmails` are addresses known not to be
 * anyone's (listed one by one, never by pattern).
 */
export function findRawIdentifiers(
  text: string,
  knownPhones: KnownPhones,
  allowedEmails: ReadonlySet<string> = new Set(),
): Finding[] {
  const found: Finding[] = [];
  for (const [email] of text.matchAll(EMAIL))
    if (!allowedEmails.has(email.toLowerCase())) found.push({ kind: 'e-mail', value: email });
  for (const [phone] of text.matchAll(INTERNATIONAL_PHONE))
    found.push({ kind: 'phone', value: phone.trim() });
  for (const phone of knownPhones)
    if (text.includes(phone) && new RegExp(`(?<!\\d)${phone}(?!\\d)`).test(text))
      found.push({ kind: 'phone', value: phone });
  return found;
}

/** Every string and number of a JSON value, and every key, with where it is (`body.data[0][1]`). */
export function leavesOf(value: unknown, at: string): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (typeof value === 'number' || typeof value === 'bigint') return [[at, String(value)]];
  if (Array.isArray(value)) return value.flatMap((element, index) => leavesOf(element, `${at}[${index}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, child]) => [
      [`${at} (a key)`, key] as [string, string],
      ...leavesOf(child, `${at}.${key}`),
    ]);
  return [];
}

/** Fewer digits than this is not told apart from counts and ids. */
const MIN_PHONE_DIGITS = 8;
/**
 * A string literal under a key or variable named like a phone: `phone: '+1 650…'`, `"PHONE": "…"`
 * (not a template with `${…}` in it: its digits are not a number anyone has).
 */
const PHONE_LITERAL = /phone\w*["']?\s*[:=]\s*["'`]([^"'`\n$]{6,40})["'`]/gi;
/** Any literal that reads as an international number: `'+4915112345678'`. */
const PLUS_LITERAL = /["'`](\+\d[\d\s().-]{6,24}\d)["'`]/g;

/**
 * The phone numbers written in the test sources and the destinations' case files, as digits, in
 * the forms a platform's normalisation leaves (with the country code, without a leading 0 or 00).
 */
export function knownTestPhones(repoRoot: string): Set<string> {
  const phones = new Set<string>();
  const files = [
    ...filesUnder(join(repoRoot, 'test'), /\.(ts|json)$/),
    ...filesUnder(join(repoRoot, 'src', 'destinations'), /[\\/]cases[\\/].*\.json$/),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of [PHONE_LITERAL, PLUS_LITERAL])
      for (const [, literal] of text.matchAll(pattern)) {
        const digits = (literal ?? '').replace(/\D/g, '');
        const bare = digits.replace(/^0+/, '');
        if (bare.length >= MIN_PHONE_DIGITS && digits.length <= 15) phones.add(bare);
      }
  }
  return phones;
}

function filesUnder(dir: string, name: RegExp): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'corpus') return [];
    return statSync(path).isDirectory() ? filesUnder(path, name) : name.test(path) ? [path] : [];
  });
}
