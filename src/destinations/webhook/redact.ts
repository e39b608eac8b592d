import { redactedForm, redactIdentifiers } from '../../delivery/match-keys.js';

/**
 * The request body (a JSON string) as the delivery log keeps it, parsed: every value under an
 * `identifiers` object becomes `sha256:<first 16 hex>`, and any e-mail address or phone number left
 * in a trait value is redacted too. The secret never is in the body (only its signature, in a header).
 */
export function redactBody(body: unknown): unknown {
  if (typeof body !== 'string') return redactValue(body);
  try {
    return redactValue(JSON.parse(body) as unknown);
  } catch {
    return redactIdentifiers(body);
  }
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactIdentifiers(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === 'identifiers' ? redactIdentifierValues(inner) : redactValue(inner),
    ]),
  );
}

function redactIdentifierValues(identifiers: unknown): unknown {
  if (identifiers === null || typeof identifiers !== 'object' || Array.isArray(identifiers))
    return redactValue(identifiers);
  return Object.fromEntries(
    Object.entries(identifiers).map(([kind, value]) => [
      kind,
      typeof value === 'string' ? redactedForm(value) : redactValue(value),
    ]),
  );
}
