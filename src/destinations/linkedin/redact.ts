import { redactedForm, redactIdentifiers } from '../../delivery/match-keys.js';
import { HINT_FIELDS } from './api.js';

/** idTypes that are hashes already: logged as sent, so a log line can be matched to a member. */
const HASHED_ID_TYPES: ReadonlySet<string> = new Set(['SHA256_EMAIL', 'SHA512_EMAIL']);

/**
 * The body as the delivery log keeps it: SHA-256/512 e-mail hashes as sent; mobile ad ids (sent in
 * clear), names, country and any other hint replaced by `sha256:<16 hex>`. The token travels in a
 * header, never in the body. Anything not shaped like an element has its e-mails and phones redacted.
 */
export function redactBody(body: unknown): unknown {
  if (!isRecord(body) || !Array.isArray(body.elements)) return redactDeep(body);
  return { ...redactRecord(body, ['elements']), elements: body.elements.map(redactElement) };
}

function redactElement(element: unknown): unknown {
  if (!isRecord(element)) return redactDeep(element);
  const redacted: Record<string, unknown> = redactRecord(element, ['userIds', ...HINT_FIELDS]);
  if (Array.isArray(element.userIds)) redacted.userIds = element.userIds.map(redactUserId);
  for (const field of HINT_FIELDS) {
    const value = element[field];
    if (value !== undefined)
      redacted[field] = typeof value === 'string' ? redactedForm(value) : redactDeep(value);
  }
  return reorder(element, redacted);
}

function redactUserId(userId: unknown): unknown {
  if (!isRecord(userId) || typeof userId.idValue !== 'string') return redactDeep(userId);
  // A "hash" that is not hex would be a raw value sent by mistake: never log it as it is.
  const hashed =
    typeof userId.idType === 'string' &&
    HASHED_ID_TYPES.has(userId.idType) &&
    /^[0-9a-f]+$/i.test(userId.idValue);
  return { ...userId, idValue: hashed ? userId.idValue : redactedForm(userId.idValue) };
}

/** The fields not named in `handled`, each with e-mails and phones redacted. */
function redactRecord(record: Record<string, unknown>, handled: string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !handled.includes(key))
      .map(([key, value]) => [key, redactDeep(value)]),
  );
}

/** Keeps the element's field order, so the logged body reads like the sent one. */
function reorder(
  original: Record<string, unknown>,
  redacted: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(Object.keys(original).map((key) => [key, redacted[key]]));
}

function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactIdentifiers(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item)]));
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
