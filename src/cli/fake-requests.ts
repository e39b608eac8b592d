import { sha256Hex } from '../lib/hash.js';
import type { RecordedRequest } from '../destinations/fake-kit.js';
import { plural } from './output.js';

/**
 * One line per request a fake destination received: time, destination, status, method, path and
 * what it carried. E-mails are shown as `sha256:<16 hex>` (as the delivery log stores them); other
 * identifiers as is; credentials never.
 */
export function requestLine(destination: string, request: RecordedRequest): string {
  const time = new Date(request.at).toISOString().slice(11, 19);
  const status = request.status === 0 ? 'no answer' : String(request.status);
  const summary = destination === 'hubspot' ? hubspotSummary(request.body) : brazeSummary(request.body);
  return [time, destination.padEnd(7), status.padStart(3), `${request.method} ${request.path}`, summary]
    .filter(Boolean)
    .join('  ');
}

export function hashEmail(email: string): string {
  return `sha256:${sha256Hex(email.trim().toLowerCase()).slice(0, 16)}`;
}

const BRAZE_ARRAYS = ['attributes', 'events', 'purchases'] as const;
const BRAZE_IDS = new Set(['external_id', 'email', 'phone', 'braze_id', 'user_alias']);

function brazeSummary(body: unknown): string {
  if (!isRecord(body)) return '';
  const parts: string[] = [];
  for (const array of BRAZE_ARRAYS) {
    const items = body[array];
    if (!Array.isArray(items) || items.length === 0) continue;
    const objects = items.filter(isRecord);
    const who = brief(objects.map(brazeWho));
    const fields =
      array === 'attributes'
        ? distinct(objects.flatMap((object) => Object.keys(object).filter((key) => !BRAZE_IDS.has(key))))
        : distinct(objects.map((object) => String(object.name ?? object.product_id ?? '?')));
    parts.push(`${plural(items.length, array.slice(0, -1))} (${who})${fields ? `: ${fields}` : ''}`);
  }
  return parts.join('; ');
}

function brazeWho(object: Record<string, unknown>): string {
  if (typeof object.external_id === 'string') return object.external_id;
  if (typeof object.email === 'string') return hashEmail(object.email);
  if (typeof object.braze_id === 'string') return `braze_id:${object.braze_id}`;
  return object.phone !== undefined ? 'phone' : '?';
}

function hubspotSummary(body: unknown): string {
  const inputs = isRecord(body) ? body.inputs : undefined;
  if (!Array.isArray(inputs)) return '';
  const objects = inputs.filter(isRecord);
  const who = brief(objects.map((input) => (typeof input.id === 'string' ? hashEmail(input.id) : '?')));
  const fields = distinct(
    objects.flatMap((input) => (isRecord(input.properties) ? Object.keys(input.properties) : [])),
  );
  return `${plural(inputs.length, 'input')} (${who})${fields ? `: ${fields}` : ''}`;
}

/** The first three, then how many more. */
function brief(items: string[]): string {
  const more = items.length > 3 ? `, +${items.length - 3} more` : '';
  return `${items.slice(0, 3).join(', ')}${more}`;
}

function distinct(names: string[]): string {
  return brief([...new Set(names)]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
