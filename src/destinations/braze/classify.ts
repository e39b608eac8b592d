import { z } from 'zod';
import type { BuiltRequest, Classified, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { requestedWaitMs } from '../../delivery/retry-after.js';
import { forAll, retryOutcome, unanswered } from '../classify-kit.js';
import { defaultHttpOutcome, type WholeRequestOutcome } from './http-defaults.js';

/**
 * Braze `/users/track` response -> one outcome per item of the request, decided here and nowhere else.
 * Order: transport failure -> Braze rows for non-2xx -> default HTTP table -> 2xx body.
 */

interface BrazeStatusRow {
  status: number;
  /** Matches the body's `message`; a row without one matches any message. */
  message?: RegExp;
  kind: WholeRequestOutcome['kind'];
  reason: string;
  source: string;
}

/** Braze-specific non-2xx answers. Everything else falls through to the default HTTP table. */
export const BRAZE_STATUS_ROWS: readonly BrazeStatusRow[] = [
  {
    status: 400,
    message: /max input length exceeded/i,
    kind: 'reject',
    reason:
      'more objects than this Braze account accepts per request; on an MAU CY 24-25 contract set settings.objects_per_request: 50',
    source: 'https://www.braze.com/docs/api/api_limits/',
  },
  {
    status: 400,
    message: /valid data must be provided/i,
    kind: 'reject',
    reason: 'Braze found no valid object in the request',
    source: 'https://www.braze.com/docs/api/errors/',
  },
  {
    status: 401,
    kind: 'reject',
    reason: 'unknown or missing REST API key (settings.api_key)',
    source: 'https://www.braze.com/docs/api/errors/',
  },
  {
    status: 403,
    kind: 'reject',
    reason: 'the rate plan does not allow this, the account is inactive, or the key lacks users.track',
    source: 'https://www.braze.com/docs/api/errors/',
  },
  {
    status: 404,
    kind: 'reject',
    reason: 'unknown REST API key or wrong instance (settings.endpoint)',
    source: 'https://www.braze.com/docs/api/errors/',
  },
  {
    status: 429,
    kind: 'retry',
    reason: 'over the rate limit (3,000 requests per 3 s per workspace)',
    source: 'https://www.braze.com/docs/api/api_limits/',
  },
];

/** 2xx `message` values that mean "accepted". Any other 2xx message is a whole-batch failure (retried). */
export const BRAZE_ACCEPTED_MESSAGES: Readonly<Record<string, string>> = {
  success:
    'processed; objects named in `errors` were dropped, the rest applied (https://www.braze.com/docs/api/errors/)',
  queued: 'accepted during maintenance, 202 (https://www.braze.com/docs/api/errors/)',
};

/** Statuses whose retry should wait for the rate window: the reset header only speaks about throttling. */
const THROTTLE_STATUSES = new Set([408, 425, 429]);

const ResponseBody = z
  .looseObject({
    message: z.string().optional().catch(undefined),
    errors: z.array(z.unknown()).optional().catch(undefined),
  })
  .catch({});
const ItemError = z.looseObject({
  type: z.string(),
  input_array: z.string(),
  index: z.number().int().min(0),
});
const Identified = z.looseObject({ external_id: z.unknown().optional(), email: z.unknown().optional() });
const RequestBody = z
  .looseObject({
    attributes: z.array(Identified).catch([]),
    events: z.array(Identified).catch([]),
  })
  .catch({ attributes: [], events: [] });

export function classify(
  result: HttpResult,
  request: BuiltRequest,
  now: () => number = Date.now,
): Classified {
  if (result.kind !== 'response') return { items: forAll(request.items.length, unanswered(result, 'Braze')) };
  const items = classifyResponse(result, request, now);
  // A 429 pauses the whole workspace's sending until the wait Braze named, not only these items.
  const waits = items.flatMap((outcome) =>
    outcome.kind === 'retry' && outcome.afterMs ? [outcome.afterMs] : [],
  );
  if (result.status !== 429 || waits.length === 0) return { items };
  return {
    items,
    signal: { kind: 'throttled', forMs: Math.max(...waits), reason: 'HTTP 429: rate limited' },
  };
}

function classifyResponse(
  result: Extract<HttpResult, { kind: 'response' }>,
  request: BuiltRequest,
  now: () => number,
): ItemOutcome[] {
  const count = request.items.length;
  const body = ResponseBody.parse(result.body);
  const { perItem, unattributed } = itemErrors(body.errors ?? [], request, count);

  if (result.status >= 200 && result.status < 300) {
    const message = body.message ?? '';
    if (!Object.hasOwn(BRAZE_ACCEPTED_MESSAGES, message)) {
      // RudderStack treats this as a whole-batch failure. Nothing says what was applied, and setting
      // attributes is idempotent, so we resend; the core's max age dead-letters a persistent one.
      const said = message ? `"${message}"` : 'no message';
      return forAll(count, {
        kind: 'retry',
        reason: `Braze answered ${result.status} with ${said}, not "success"`,
      });
    }
    return perItem.map(({ attribute, event }) => {
      if (attribute.length > 0) return { kind: 'reject', reason: attribute.join('; ') };
      if (event.length > 0)
        return { kind: 'ok', warning: `attributes applied, event dropped: ${event.join('; ')}` };
      if (unattributed.length > 0) {
        return {
          kind: 'ok',
          warning: `Braze reported errors for no item of ours: ${unattributed.join('; ')}`,
        };
      }
      return { kind: 'ok' };
    });
  }

  const row = BRAZE_STATUS_ROWS.find(
    (candidate) =>
      candidate.status === result.status &&
      (!candidate.message || candidate.message.test(body.message ?? '')),
  );
  const whole: WholeRequestOutcome = row
    ? { kind: row.kind, reason: `HTTP ${result.status}: ${row.reason}` }
    : defaultHttpOutcome(result.status, body.message ?? '');
  const wait =
    whole.kind === 'retry'
      ? requestedWaitMs(
          result.headers,
          now,
          THROTTLE_STATUSES.has(result.status) ? 'x-ratelimit-reset' : undefined,
        )
      : undefined;
  return perItem.map(({ attribute, event }) => {
    const own = [...attribute, ...event];
    const reason = own.length > 0 ? `${whole.reason} (${own.join('; ')})` : whole.reason;
    return whole.kind === 'reject' ? { kind: 'reject', reason } : retryOutcome(reason, wait);
  });
}

interface PerItemErrors {
  attribute: string[];
  event: string[];
}

/**
 * Braze names failed objects by `input_array` and `index`. Attribute object i is request item i; an
 * event belongs to the item whose attribute object has the same identifier (unique per request by
 * construction, see payload.ts).
 */
function itemErrors(
  raw: unknown[],
  request: BuiltRequest,
  count: number,
): { perItem: PerItemErrors[]; unattributed: string[] } {
  const perItem = Array.from({ length: count }, (): PerItemErrors => ({ attribute: [], event: [] }));
  const unattributed: string[] = [];
  const sent = RequestBody.parse(request.body);
  const identity = (object: z.infer<typeof Identified>) => JSON.stringify([object.external_id, object.email]);
  const positionOf = new Map<string, number>();
  sent.attributes.slice(0, count).forEach((object, position) => positionOf.set(identity(object), position));

  for (const entry of raw) {
    const parsed = ItemError.safeParse(entry);
    if (!parsed.success) continue;
    const { type, input_array: array, index } = parsed.data;
    if (array === 'attributes' && index < count) {
      perItem[index]?.attribute.push(type);
      continue;
    }
    const event = array === 'events' ? sent.events[index] : undefined;
    const position = event === undefined ? undefined : positionOf.get(identity(event));
    if (position !== undefined) perItem[position]?.event.push(`${type} (events[${index}])`);
    else unattributed.push(`${type} (${array}[${index}])`);
  }
  return { perItem, unattributed };
}
