import { redactedForm, redactIdentifiers } from '../../delivery/match-keys.js';
import type { RecordedRequest } from '../fake-kit.js';
import { countOf, distinct, firstFew, isRecord, namedValues, shownValue } from '../fake-describe-kit.js';

/**
 * What a `/users/track` request carried, for `audience-relay fakes`: per array the objects, whose
 * they are and the attributes with their values (`segment_high_intent: true`), or the event and
 * product names. E-mails and phone numbers appear as `sha256:<16 hex>`; the key is in a header.
 */

const ARRAYS = ['attributes', 'events', 'purchases'] as const;
const IDENTIFIER_FIELDS: ReadonlySet<string> = new Set([
  'external_id',
  'email',
  'phone',
  'braze_id',
  'user_alias',
]);
/** Attributes shown per request; the rest are counted. */
const SHOWN_ATTRIBUTES = 8;

export function describeBrazeRequest(request: RecordedRequest): string {
  const body = request.body;
  if (!isRecord(body)) return '';
  const parts: string[] = [];
  for (const array of ARRAYS) {
    const items = body[array];
    if (!Array.isArray(items) || items.length === 0) continue;
    const objects = items.filter(isRecord);
    const who = firstFew(objects.map(whose));
    const carried =
      array === 'attributes'
        ? firstFew(
            distinct(objects.flatMap((object) => namedValues(object, IDENTIFIER_FIELDS))),
            SHOWN_ATTRIBUTES,
          )
        : firstFew(distinct(objects.map((object) => shownValue(object.name ?? object.product_id ?? '?'))));
    parts.push(`${countOf(items.length, array.slice(0, -1))} (${who})${carried ? `: ${carried}` : ''}`);
  }
  return parts.join('; ');
}

/** The profile an object is about: external_id as sent (an e-mail in it redacted), else hashed. */
function whose(object: Record<string, unknown>): string {
  if (typeof object.external_id === 'string') return redactIdentifiers(object.external_id);
  if (typeof object.email === 'string') return redactedForm(object.email);
  if (typeof object.phone === 'string') return `phone ${redactedForm(object.phone)}`;
  if (typeof object.braze_id === 'string') return `braze_id:${object.braze_id}`;
  return object.user_alias !== undefined ? 'alias' : '?';
}
