import type { RecordedRequest } from '../fake-kit.js';
import { RequestElements } from './api.js';

const USERS_PATH = /^\/rest\/dmpSegments\/([^/]+)\/users$/;

/** One line about a recorded request: `ADD 3, REMOVE 1 in segment 555`. No identifiers, no token. */
export function describeRequest(request: RecordedRequest): string {
  const segment = USERS_PATH.exec(request.path)?.[1];
  if (request.method !== 'POST' || segment === undefined) return `${request.method} ${request.path}`;
  const counts = new Map<string, number>();
  for (const element of RequestElements.parse(request.body).elements) {
    const action = typeof element.action === 'string' ? element.action : '?';
    counts.set(action, (counts.get(action) ?? 0) + 1);
  }
  const actions = [...counts].map(([action, count]) => `${action} ${count}`).join(', ');
  return `${actions === '' ? 'no elements' : actions} in segment ${segment}`;
}
