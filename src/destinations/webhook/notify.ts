import type { BuiltRequest, RelayEvent } from '../../delivery/destination.js';
import { signedHeaders } from '../../lib/standard-webhooks.js';
import { webhookId } from './payload.js';
import type { WebhookSettings } from './settings.js';

/**
 * A relay event (README.md "Relay events", e.g. `budget.allocation_changed`) as one signed Standard
 * Webhooks request: `{ "type": ..., "data": ... }`, signed like the changes, its `webhook-id` a hash
 * of the body (every attempt of one event has the same id; the timestamp is the time of sending).
 */
export function notify(
  event: RelayEvent,
  config: { settings: WebhookSettings },
  now: () => number = Date.now,
): BuiltRequest {
  const text = JSON.stringify({ type: event.type, data: event.data });
  return {
    method: 'POST',
    url: config.settings.url,
    headers: {
      ...config.settings.headers,
      'Content-Type': 'application/json',
      ...signedHeaders(config.settings.secret, webhookId(text), Math.floor(now() / 1000), text),
    },
    body: text,
    items: [0],
  };
}
