/**
 * The loop guard (docs/processing.md "Events the relay sent itself"). Every message the relay sends
 * into a Segment-style pipeline (the `segment` destination) carries `context.audience_relay:
 * { origin: true }`. When such a message comes back into the relay's intake (a destination pointed at
 * the relay itself, or Segment forwarding it to the relay's webhook), it is stored like any event
 * (deduplicated by its messageId) but processing applies it to no profile: it changes no identity,
 * trait or audience, so it can never cause another delivery.
 */

/** The key under `context` that marks a message the relay sent. */
export const RELAY_ORIGIN_KEY = 'audience_relay';

/** What the relay puts under `context.audience_relay`. */
export const RELAY_ORIGIN_MARKER = { origin: true } as const;

/** True when a stored event body carries the relay's own marker. */
export function sentByRelay(body: Record<string, unknown>): boolean {
  const context = body.context;
  if (!isRecord(context)) return false;
  const marker = context[RELAY_ORIGIN_KEY];
  return isRecord(marker) && marker.origin === true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
