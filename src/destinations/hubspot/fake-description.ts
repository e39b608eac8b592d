import { redactedForm } from '../../delivery/match-keys.js';
import type { RecordedRequest } from '../fake-kit.js';
import { countOf, distinct, firstFew, isRecord, namedValues, shownValue } from '../fake-describe-kit.js';

/**
 * What a HubSpot request carried, for `audience-relay fakes`: a batch's inputs (contacts by hashed
 * e-mail) and their properties with values (`relay_high_intent: true`), how many record ids a list
 * membership change names, or the list a create names. The token is in a header.
 */

/** Properties shown per request; the rest are counted. */
const SHOWN_PROPERTIES = 8;

export function describeHubspotRequest(request: RecordedRequest): string {
  const body = request.body;
  // List memberships (the path says add or remove): record ids, not personal.
  if (Array.isArray(body)) return countOf(body.length, 'record id');
  if (!isRecord(body)) return '';
  if (Array.isArray(body.recordIdsToAdd) || Array.isArray(body.recordIdsToRemove))
    return `add ${lengthOf(body.recordIdsToAdd)}, remove ${lengthOf(body.recordIdsToRemove)} record ids`;
  if (typeof body.name === 'string') return `list ${shownValue(body.name)}`;
  const inputs = body.inputs;
  if (!Array.isArray(inputs)) return '';
  const objects = inputs.filter(isRecord);
  const who = firstFew(objects.map(contact));
  const carried = firstFew(
    distinct(objects.flatMap((input) => (isRecord(input.properties) ? namedValues(input.properties) : []))),
    SHOWN_PROPERTIES,
  );
  return `${countOf(inputs.length, 'input')} (${who})${carried ? `: ${carried}` : ''}`;
}

function lengthOf(ids: unknown): number {
  return Array.isArray(ids) ? ids.length : 0;
}

/** An e-mail id hashed; a record id (not personal) as is. */
function contact(input: Record<string, unknown>): string {
  if (typeof input.id !== 'string') return '?';
  return input.idProperty === 'email' || input.id.includes('@') ? redactedForm(input.id) : input.id;
}
