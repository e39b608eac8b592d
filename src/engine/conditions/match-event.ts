import { ANY_TRACK, type EventMatcher } from '../../mappings/conditions-schema.js';
import type { EngineEvent } from '../traits/types.js';
import { compare } from './compare.js';
import { valueAtPath } from './path.js';

/** Whether an event is one the matcher names and passes every `where` comparison. */
export function matchesEvent(matcher: EventMatcher, event: EngineEvent): boolean {
  if (event.type !== matcher.type) return false;
  if (matcher.type === 'track') {
    if (matcher.event !== ANY_TRACK && event.event !== matcher.event) return false;
  } else if (matcher.name !== undefined && event.name !== matcher.name) {
    return false;
  }
  for (const test of matcher.where) {
    if (!compare(valueAtPath(event.body, test.path), test.comparison)) return false;
  }
  return true;
}
