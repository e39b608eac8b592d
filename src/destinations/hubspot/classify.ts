import type { BuiltRequest, Classified, HttpResult } from '../../delivery/destination.js';
import { assertNever } from '../../lib/assert-never.js';
import { unanswered, wholeRequest } from '../classify-kit.js';
import {
  readError,
  readInputs,
  readMembershipChange,
  type MembershipChange,
  type UpsertInput,
} from './api.js';
import { outcomesOfMembershipAnswer } from './membership-outcomes.js';
import { describe, outcomesOfBatchAnswer, outcomesOfRefusedBatch } from './multi-status.js';
import { rateLimitWaitMs, retryAfterMs } from './timing.js';

/**
 * A HubSpot answer -> one outcome per item of the request, plus a destination signal for a 429
 * (throttled) or a 401 (credentials): the table in README.md "Outcomes", from HubSpot's documented
 * statuses below. Works for both request kinds this destination builds: the contacts batch upsert
 * and the list membership add-and-remove. Pure: the only clock is the response's `Date` header.
 */

const ERRORS_DOC = 'https://developers.hubspot.com/docs/api-reference/error-handling';
const LIMITS_DOC = 'https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines';

type Rule =
  /** Retry; wait `Retry-After` if sent, else `defaultMs`, and never less than `minMs`. */
  | { action: 'retry'; defaultMs?: number; minMs?: number; doc: string }
  /** 429: pause the destination and retry, waiting by the rate-limit policy the body names. */
  | { action: 'throttle'; doc: string }
  /** 401: the token was refused: pause the destination, retry the items (never dead-letter them). */
  | { action: 'credentials'; doc: string }
  /** 400: reject the inputs the error names, retry the others; reject all if it names none. */
  | { action: 'refused'; doc: string }
  | { action: 'reject'; hint?: string; listHint?: string; doc: string };

/** HubSpot's status codes, as documented. Statuses not listed: 2xx per input, 4xx reject, 5xx retry. */
export const STATUS_RULES: Readonly<Partial<Record<number, Rule>>> = {
  400: { action: 'refused', doc: ERRORS_DOC },
  401: { action: 'credentials', doc: ERRORS_DOC },
  403: {
    action: 'reject',
    hint: 'the token lacks a scope (crm.objects.contacts.write)',
    listHint: 'the token lacks a scope (crm.lists.write)',
    doc: ERRORS_DOC,
  },
  404: {
    action: 'reject',
    listHint: 'the list is gone from HubSpot: reload the mapping to find or create it again',
    doc: ERRORS_DOC,
  },
  408: { action: 'retry', doc: ERRORS_DOC },
  409: { action: 'reject', doc: ERRORS_DOC },
  414: { action: 'reject', doc: ERRORS_DOC },
  /** A high-volume write lock: wait at least 2 s. */
  423: { action: 'retry', minMs: 2_000, doc: ERRORS_DOC },
  425: { action: 'retry', doc: ERRORS_DOC },
  429: { action: 'throttle', doc: LIMITS_DOC },
  /** Migration in progress: honour `Retry-After`; 30 s when it is missing. */
  477: { action: 'retry', defaultMs: 30_000, doc: ERRORS_DOC },
  /** Processing limits, unavailable, gateway timeout, origin down: pause a few seconds. */
  502: { action: 'retry', defaultMs: 3_000, doc: ERRORS_DOC },
  503: { action: 'retry', defaultMs: 3_000, doc: ERRORS_DOC },
  504: { action: 'retry', defaultMs: 3_000, doc: ERRORS_DOC },
  521: { action: 'retry', defaultMs: 3_000, doc: ERRORS_DOC },
};

/** What a request this destination built carries: upsert inputs or one list's membership change. */
type Carried = { kind: 'upsert'; inputs: UpsertInput[] } | { kind: 'membership'; change: MembershipChange };

export function classify(result: HttpResult, request: BuiltRequest): Classified {
  if (result.kind !== 'response') {
    // Both calls are idempotent (upsert by e-mail, set membership): resending is harmless.
    return wholeRequest(request.items.length, unanswered(result, 'HubSpot'));
  }
  return classifyResponse(result, request, carriedBy(request));
}

function classifyResponse(
  response: Extract<HttpResult, { kind: 'response' }>,
  request: BuiltRequest,
  carried: Carried,
): Classified {
  const { status, headers, body } = response;
  const count = request.items.length;
  const rule = ruleFor(status);
  const error = readError(body);
  const reason = describe(status, error);
  switch (rule.action) {
    case 'ok-per-input':
      return {
        items:
          carried.kind === 'upsert'
            ? outcomesOfBatchAnswer(status, body, carried.inputs)
            : outcomesOfMembershipAnswer(body, carried.change, count),
      };
    case 'refused':
      return carried.kind === 'upsert'
        ? { items: outcomesOfRefusedBatch(status, body, carried.inputs) }
        : wholeRequest(count, { kind: 'reject', reason });
    case 'throttle':
      return wholeRequest(count, { kind: 'throttled', reason, forMs: rateLimitWaitMs(headers, error) });
    case 'credentials':
      return wholeRequest(count, { kind: 'credentials', reason: `${reason} (check the token)` });
    case 'retry': {
      const wait = retryAfterMs(headers) ?? rule.defaultMs;
      return wholeRequest(count, {
        kind: 'retry',
        reason,
        afterMs: rule.minMs === undefined ? wait : Math.max(wait ?? 0, rule.minMs),
      });
    }
    case 'reject': {
      const hint = carried.kind === 'membership' ? (rule.listHint ?? rule.hint) : rule.hint;
      return wholeRequest(count, {
        kind: 'reject',
        reason: hint === undefined ? reason : `${reason} (${hint})`,
      });
    }
    default:
      return assertNever(rule, 'status rule');
  }
}

function ruleFor(status: number): Rule | { action: 'ok-per-input' } {
  const listed = STATUS_RULES[status];
  if (listed !== undefined) return listed;
  if (status >= 200 && status < 300) return { action: 'ok-per-input' };
  if (status >= 500 && status < 600) return { action: 'retry', doc: ERRORS_DOC };
  if (status >= 400 && status < 500) return { action: 'reject', doc: ERRORS_DOC };
  return { action: 'reject', hint: 'unexpected status for a HubSpot write', doc: ERRORS_DOC };
}

/** The request's inputs or membership change, in `request.items` order. A foreign request is a bug. */
function carriedBy(request: BuiltRequest): Carried {
  const change = readMembershipChange(request.body);
  if (change !== undefined) return { kind: 'membership', change };
  const inputs = readInputs(request.body);
  if (inputs.length !== request.items.length) {
    throw new Error(
      `hubspot classify: request has ${request.items.length} items but ${inputs.length} inputs`,
    );
  }
  return { kind: 'upsert', inputs };
}
