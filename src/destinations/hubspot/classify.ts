import type { BuiltRequest, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { assertNever } from '../../lib/assert-never.js';
import { readError, readInputs, type UpsertInput } from './api.js';
import { describe, outcomesOfBatchAnswer, outcomesOfRefusedBatch } from './multi-status.js';
import { rateLimitWaitMs, retryAfterMs } from './timing.js';

/**
 * A HubSpot answer -> one outcome per item of the request (the table in README.md "Outcomes", from
 * HubSpot's documented statuses below). Pure: the only clock is the response's `Date` header.
 */

const ERRORS_DOC = 'https://developers.hubspot.com/docs/api-reference/error-handling';
const LIMITS_DOC = 'https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines';

type Rule =
  /** Retry; wait `Retry-After` if sent, else `defaultMs`, and never less than `minMs`. */
  | { action: 'retry'; defaultMs?: number; minMs?: number; doc: string }
  /** 429: wait by the rate-limit policy the body names. */
  | { action: 'throttle'; doc: string }
  /** 400: reject the inputs the error names, retry the others; reject all if it names none. */
  | { action: 'refused'; doc: string }
  | { action: 'reject'; hint?: string; doc: string };

/** HubSpot's status codes, as documented. Statuses not listed: 2xx per input, 4xx reject, 5xx retry. */
export const STATUS_RULES: Readonly<Partial<Record<number, Rule>>> = {
  400: { action: 'refused', doc: ERRORS_DOC },
  401: { action: 'reject', hint: 'check the token', doc: ERRORS_DOC },
  403: { action: 'reject', hint: 'the token lacks a scope (crm.objects.contacts.write)', doc: ERRORS_DOC },
  404: { action: 'reject', doc: ERRORS_DOC },
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

export function classify(result: HttpResult, request: BuiltRequest): ItemOutcome[] {
  const all = (outcome: ItemOutcome): ItemOutcome[] => request.items.map(() => outcome);
  switch (result.kind) {
    case 'timeout':
      // The upsert may have been applied; resending it is harmless (same e-mail, same values).
      return all({ kind: 'retry', reason: 'timeout: HubSpot did not answer in time' });
    case 'network':
      return all({ kind: 'retry', reason: `network error: ${result.message}` });
    case 'response':
      return classifyResponse(result, request);
    default:
      return assertNever(result, 'HTTP result');
  }
}

function classifyResponse(
  response: Extract<HttpResult, { kind: 'response' }>,
  request: BuiltRequest,
): ItemOutcome[] {
  const { status, headers, body } = response;
  const all = (outcome: ItemOutcome): ItemOutcome[] => request.items.map(() => outcome);
  const rule = ruleFor(status);
  const error = readError(body);
  switch (rule.action) {
    case 'ok-per-input':
      return outcomesOfBatchAnswer(status, body, inputsOf(request));
    case 'refused':
      return outcomesOfRefusedBatch(status, body, inputsOf(request));
    case 'throttle':
      return all({
        kind: 'retry',
        reason: describe(status, error),
        afterMs: rateLimitWaitMs(headers, error),
      });
    case 'retry': {
      const wait = retryAfterMs(headers) ?? rule.defaultMs;
      const afterMs = rule.minMs === undefined ? wait : Math.max(wait ?? 0, rule.minMs);
      const reason = describe(status, error);
      return all(afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs });
    }
    case 'reject': {
      const hint = rule.hint === undefined ? '' : ` (${rule.hint})`;
      return all({ kind: 'reject', reason: `${describe(status, error)}${hint}` });
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
  return { action: 'reject', hint: 'unexpected status for a batch upsert', doc: ERRORS_DOC };
}

/** The inputs in `request.items` order. A request this module did not build is a bug. */
function inputsOf(request: BuiltRequest): UpsertInput[] {
  const inputs = readInputs(request.body);
  if (inputs.length !== request.items.length) {
    throw new Error(
      `hubspot classify: request has ${request.items.length} items but ${inputs.length} inputs`,
    );
  }
  return inputs;
}
