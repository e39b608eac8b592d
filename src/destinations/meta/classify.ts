import { z } from 'zod';
import type { BuiltRequest, Classified, HttpResult } from '../../delivery/destination.js';
import { redactIdentifiers } from '../../delivery/match-keys.js';
import { headerValue } from '../../delivery/retry-after.js';
import { assertNever } from '../../lib/assert-never.js';
import { wholeRequest } from '../classify-kit.js';
import { metaErrorRow, type MetaErrorClass } from './errors.js';
import { META_DEFAULT_THROTTLE_MS } from './limits.js';

/**
 * A `/users` answer -> one outcome per item, plus a signal (throttled, credentials) and a report.
 * Meta answers for the whole request: a 200 applies every valid row (invalid rows are only
 * counted, so they cannot be told apart), an error applies none.
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 */

const Count = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]);

const Success = z.looseObject({
  num_received: Count,
  num_invalid_entries: Count.optional(),
});

const GraphError = z.looseObject({
  error: z.looseObject({
    code: z.number().int(),
    error_subcode: z.number().int().optional().catch(undefined),
    message: z.string().optional().catch(undefined),
    error_user_title: z.string().optional().catch(undefined),
    is_transient: z.boolean().optional().catch(undefined),
  }),
});

/** `{"<business id>":[{"type":"custom_audience",...,"estimated_time_to_regain_access":7}]}` (minutes). */
const BusinessUseCaseUsage = z.record(
  z.string(),
  z.array(z.looseObject({ estimated_time_to_regain_access: z.number().optional().catch(undefined) })),
);

export function classify(result: HttpResult, request: BuiltRequest): Classified {
  const count = request.items.length;
  switch (result.kind) {
    case 'timeout':
      return wholeRequest(count, { kind: 'retry', reason: 'no answer from Meta in time' });
    case 'network':
      return wholeRequest(count, {
        kind: 'retry',
        reason: `could not reach Meta: ${redactIdentifiers(result.message)}`,
      });
    case 'response':
      return classifyResponse(result, count);
    default:
      return assertNever(result, 'HTTP result');
  }
}

function classifyResponse(result: Extract<HttpResult, { kind: 'response' }>, count: number): Classified {
  const { status, headers, body } = result;
  if (status >= 200 && status < 300) return classifySuccess(body, count);

  const parsed = GraphError.safeParse(body);
  if (!parsed.success) return classifyBareStatus(status, headers, count);

  const { code, error_subcode: subcode, message, error_user_title: title, is_transient } = parsed.data.error;
  const row = metaErrorRow(code, subcode);
  const said = redactIdentifiers([title, message].filter(Boolean).join(': ') || 'no message');
  const id = subcode === undefined ? `${code}` : `${code}/${subcode}`;
  const errorClass: MetaErrorClass =
    row?.class ?? (is_transient === true || status >= 500 ? 'retry' : 'reject');
  const reason = `${row?.reason ?? 'Meta refused the request'} (Meta error ${id}: ${said})`;
  return byClass(errorClass, reason, headers, count);
}

function byClass(
  errorClass: MetaErrorClass,
  reason: string,
  headers: Record<string, string>,
  count: number,
): Classified {
  switch (errorClass) {
    case 'throttled':
      return wholeRequest(count, { kind: 'throttled', reason, forMs: throttleMs(headers) });
    case 'credentials':
      return wholeRequest(count, { kind: 'credentials', reason });
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason });
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason });
    default:
      return assertNever(errorClass, 'Meta error class');
  }
}

function classifySuccess(body: unknown, count: number): Classified {
  const parsed = Success.safeParse(body);
  if (!parsed.success) {
    return { ...wholeRequest(count, { kind: 'ok' }), report: { note: 'Meta answered without num_received' } };
  }
  const received = parsed.data.num_received;
  const invalidEntries = parsed.data.num_invalid_entries ?? 0;
  const report = { received, invalidEntries };
  if (invalidEntries === 0) return { ...wholeRequest(count, { kind: 'ok' }), report };
  if (invalidEntries >= received) {
    const reason = `Meta found all ${received} rows of the request invalid`;
    return { ...wholeRequest(count, { kind: 'reject', reason }), report };
  }
  const warning = `Meta dropped ${invalidEntries} of ${received} rows of the request as invalid; which ones cannot be told`;
  return { ...wholeRequest(count, { kind: 'ok', warning }), report };
}

/** An answer without Meta's error object (a proxy, an outage page). */
function classifyBareStatus(status: number, headers: Record<string, string>, count: number): Classified {
  if (status === 429) return byClass('throttled', 'HTTP 429 without a Meta error', headers, count);
  if (status === 408 || status >= 500) {
    return wholeRequest(count, { kind: 'retry', reason: `HTTP ${status} without a Meta error` });
  }
  return wholeRequest(count, { kind: 'reject', reason: `HTTP ${status} without a Meta error` });
}

/**
 * How long to pause: the longest `estimated_time_to_regain_access` (minutes) of
 * `X-Business-Use-Case-Usage`, or 5 minutes when Meta does not say (the header is missing, or 0).
 */
export function throttleMs(headers: Record<string, string>): number {
  const text = headerValue(headers, 'x-business-use-case-usage');
  let minutes = 0;
  if (text !== undefined) {
    try {
      const usage = BusinessUseCaseUsage.safeParse(JSON.parse(text));
      if (usage.success) {
        for (const entries of Object.values(usage.data))
          for (const entry of entries)
            minutes = Math.max(minutes, entry.estimated_time_to_regain_access ?? 0);
      }
    } catch {
      // Not JSON: Meta did not say how long, the default applies.
    }
  }
  return minutes > 0 ? minutes * 60_000 : META_DEFAULT_THROTTLE_MS;
}
