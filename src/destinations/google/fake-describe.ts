import type { RecordedRequest } from '../fake-kit.js';
import { INGEST_PATH, REMOVE_PATH, STATUS_PATH } from './api.js';

/**
 * One line about a request the fake recorded, for `audience-relay fakes`: counts and the list, never an
 * identifier (they are hashes anyway) or the token. E.g. `ingest 3 members (5 identifiers) into list 987 -> 200`.
 */
export function describeRequest(request: RecordedRequest): string {
  const body = (request.body ?? {}) as { audienceMembers?: unknown; destinations?: unknown };
  const members = Array.isArray(body.audienceMembers) ? body.audienceMembers : [];
  const identifiers = members.reduce<number>((sum, member) => {
    const list = (member as { userData?: { userIdentifiers?: unknown } } | null)?.userData?.userIdentifiers;
    return sum + (Array.isArray(list) ? list.length : 0);
  }, 0);
  const lists = (Array.isArray(body.destinations) ? body.destinations : [])
    .map((destination) => (destination as { productDestinationId?: unknown } | null)?.productDestinationId)
    .filter((id) => id !== undefined)
    .map(String)
    .join(', ');
  const what = `${members.length} member${members.length === 1 ? '' : 's'} (${identifiers} identifiers)`;
  const answer = `-> ${request.status}`;
  if (request.path.endsWith(`/${INGEST_PATH}`)) return `ingest ${what} into list ${lists || '?'} ${answer}`;
  if (request.path.endsWith(`/${REMOVE_PATH}`)) return `remove ${what} from list ${lists || '?'} ${answer}`;
  if (request.path.endsWith(`/${STATUS_PATH}`)) return `requestStatus:retrieve ${answer}`;
  return `${request.method} ${request.path} ${answer}`;
}
