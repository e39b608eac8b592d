import type { Identifier } from '../mappings/schema.js';
import type { IdentifierRef } from '../store/profile-port.js';
import type { StoredEvent } from '../store/port.js';

/** The identifiers an event carries, in the order they claim a profile: userId, email, anonymousId. */
export function identifiersOf(event: StoredEvent, enabled: readonly Identifier[]): IdentifierRef[] {
  const refs: IdentifierRef[] = [];
  if (event.userId !== null && enabled.includes('userId')) refs.push({ kind: 'userId', value: event.userId });
  const email = enabled.includes('email') ? emailOf(event.body) : undefined;
  if (email !== undefined) refs.push({ kind: 'email', value: email });
  if (event.anonymousId !== null && enabled.includes('anonymousId')) {
    refs.push({ kind: 'anonymousId', value: event.anonymousId });
  }
  return refs;
}

/** `alias` names an earlier identity (`previousId`): an old userId or an anonymousId. */
export function aliasTargetsOf(event: StoredEvent): IdentifierRef[] {
  const previousId = event.type === 'alias' ? event.body.previousId : undefined;
  if (typeof previousId !== 'string' && typeof previousId !== 'number') return [];
  const value = String(previousId);
  return [
    { kind: 'userId', value },
    { kind: 'anonymousId', value },
  ];
}

/** E-mail from `traits.email` (identify) or `context.traits.email`, trimmed and lower-cased. */
export function emailOf(body: Record<string, unknown>): string | undefined {
  const fromTraits = stringAt(body.traits, 'email');
  const fromContext = stringAt(objectAt(body.context, 'traits'), 'email');
  const email = (fromTraits ?? fromContext)?.trim().toLowerCase();
  return email && /^[^@\s]+@[^@\s]+$/.test(email) ? email : undefined;
}

function objectAt(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function stringAt(value: unknown, key: string): string | undefined {
  const found = objectAt(value, key);
  return typeof found === 'string' ? found : undefined;
}
