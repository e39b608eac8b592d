/**
 * The fake LinkedIn's checks of one DMP segment users element. Messages are the fake's own wording:
 * LinkedIn documents the element result shape (`{status, error: {message, status}}`), not its texts.
 * https://learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users
 */

type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const ID_VALUE_RULES: Readonly<Record<string, { pattern: RegExp; what: string }>> = {
  SHA256_EMAIL: { pattern: /^[0-9a-f]{64}$/i, what: 'a SHA-256 hex digest of the e-mail' },
  SHA512_EMAIL: { pattern: /^[0-9a-f]{128}$/i, what: 'a SHA-512 hex digest of the e-mail' },
  GOOGLE_AID: {
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    what: 'a Google advertising id (UUID)',
  },
};

/** The error message for one element, or undefined when LinkedIn would take it. */
export function validateElement(element: unknown): string | undefined {
  if (!isObject(element)) return 'each element must be an object';
  if (element.action !== 'ADD' && element.action !== 'REMOVE') return 'action must be ADD or REMOVE';
  if (element.userIds !== undefined && !Array.isArray(element.userIds)) return 'userIds must be an array';
  const userIds: unknown[] = Array.isArray(element.userIds) ? element.userIds : [];
  const named = typeof element.firstName === 'string' && typeof element.lastName === 'string';
  if (userIds.length === 0 && !named) return 'userIds are required unless firstName and lastName are given';
  for (const userId of userIds) {
    if (!isObject(userId) || typeof userId.idType !== 'string' || typeof userId.idValue !== 'string') {
      return 'each userId needs an idType and an idValue';
    }
    const rule = ID_VALUE_RULES[userId.idType];
    if (rule === undefined) return `unsupported idType ${userId.idType}`;
    if (!rule.pattern.test(userId.idValue)) return `idValue of ${userId.idType} must be ${rule.what}`;
  }
  if (
    element.country !== undefined &&
    !(typeof element.country === 'string' && /^[A-Z]{2}$/i.test(element.country))
  ) {
    return 'country must be an ISO 3166-1 alpha-2 code';
  }
  return undefined;
}

/** The member keys an element names: `SHA256_EMAIL:<hex>`, `GOOGLE_AID:<id>`. */
export function memberKeys(element: JsonObject): string[] {
  const userIds: unknown[] = Array.isArray(element.userIds) ? element.userIds : [];
  return userIds.filter(isObject).map((userId) => `${String(userId.idType)}:${String(userId.idValue)}`);
}
