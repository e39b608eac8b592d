import type { BuiltRequest, Classified, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { redactIdentifiers } from '../../delivery/match-keys.js';
import { retryAfterHeaderMs } from '../../delivery/retry-after.js';
import { assertNever } from '../../lib/assert-never.js';
import { forAll, unanswered, wholeRequest } from '../classify-kit.js';
import { memberIndexOf, MembersAnswer, membersOf, readError, type ReadError } from './api.js';
import { THROTTLE_WAIT_MS } from './limits.js';

/**
 * A Data Manager answer -> one outcome per item (README.md "Outcomes"). Pure: the only clock is the
 * answer's own `Retry-After`. The request carries one member per item, in `request.items` order, so
 * `audience_members[i]` in an error or warning is the request's i-th item.
 */

const ERRORS_DOC = 'https://developers.google.com/data-manager/api/devguides/concepts/understand-errors';
const LIMITS_DOC = 'https://developers.google.com/data-manager/api/devguides/limits';

type Rule =
  /** 400: reject the members the field violations name, resend the others; no member named -> reject all. */
  | { action: 'refused'; doc: string }
  /** 401: the token was refused; the destination pauses and the items wait for a fresh token. */
  | { action: 'credentials'; doc: string }
  | { action: 'throttle'; doc: string }
  | { action: 'retry'; doc: string }
  | { action: 'reject'; hint?: string; doc: string };

/** google.rpc codes as HTTP statuses (Google's canonical mapping); unlisted: 4xx reject, 5xx retry. */
export const STATUS_RULES: Readonly<Partial<Record<number, Rule>>> = {
  400: { action: 'refused', doc: ERRORS_DOC },
  401: { action: 'credentials', doc: ERRORS_DOC },
  403: {
    action: 'reject',
    hint: 'the token or login account may not write to this account or list',
    doc: ERRORS_DOC,
  },
  404: { action: 'reject', hint: 'unknown list, account or endpoint', doc: ERRORS_DOC },
  /** ABORTED: a concurrency conflict, retry. */
  409: { action: 'retry', doc: ERRORS_DOC },
  408: { action: 'retry', doc: ERRORS_DOC },
  429: { action: 'throttle', doc: LIMITS_DOC },
  500: { action: 'retry', doc: ERRORS_DOC },
  501: { action: 'reject', hint: 'not implemented for this request', doc: ERRORS_DOC },
  503: { action: 'retry', doc: ERRORS_DOC },
  504: { action: 'retry', doc: ERRORS_DOC },
};

export function classify(result: HttpResult, request: BuiltRequest): Classified {
  if (result.kind !== 'response') {
    // The upload may have been accepted; resending the same members is harmless.
    return wholeRequest(request.items.length, unanswered(result, 'Google', redactIdentifiers));
  }
  return result.status >= 200 && result.status < 300
    ? accepted(result.body, request)
    : refused(result, request);
}

/** 200 `{requestId}`: accepted (applied later); field warnings become per-item warnings. */
function accepted(body: unknown, request: BuiltRequest): Classified {
  const answer = MembersAnswer.safeParse(body);
  const warnings = new Map<number, string[]>();
  for (const warning of answer.success ? (answer.data.fieldWarnings ?? []) : []) {
    const index = memberIndexOf(warning.field);
    if (index === undefined) continue;
    const text = [warning.reason, warning.field, warning.description].filter(Boolean).join(': ');
    warnings.set(index, [...(warnings.get(index) ?? []), redactIdentifiers(text)]);
  }
  const items = request.items.map((_, index): ItemOutcome => {
    const warning = warnings.get(index);
    return warning === undefined ? { kind: 'ok' } : { kind: 'ok', warning: warning.join('; ') };
  });
  const requestId = answer.success ? answer.data.requestId : undefined;
  return {
    items,
    report: requestId ? { asyncId: requestId } : { note: 'accepted without a requestId: no result to poll' },
  };
}

function refused(response: Extract<HttpResult, { kind: 'response' }>, request: BuiltRequest): Classified {
  const { status, headers, body } = response;
  const error = readError(body);
  const reason = describe(status, error);
  const count = request.items.length;
  const rule = ruleFor(status);
  switch (rule.action) {
    case 'refused':
      return { items: outcomesOfViolations(error, reason, request) };
    case 'credentials':
      return wholeRequest(count, {
        kind: 'credentials',
        reason,
        itemReason: `${reason} (refresh the access token)`,
      });
    case 'throttle':
      return wholeRequest(count, {
        kind: 'throttled',
        reason,
        forMs: retryAfterMs(headers) ?? THROTTLE_WAIT_MS,
      });
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason, afterMs: retryAfterMs(headers) });
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason: rule.hint ? `${reason} (${rule.hint})` : reason });
    default:
      return assertNever(rule, 'status rule');
  }
}

/**
 * A 400 is all or nothing on Google's side: nothing was applied. Members named by a field violation
 * are rejected with it; the others are resent. Without any member named, the request as a whole was
 * wrong (terms, destination, encoding): every item is rejected.
 */
function outcomesOfViolations(error: ReadError, reason: string, request: BuiltRequest): ItemOutcome[] {
  const named = new Map<number, string[]>();
  for (const violation of error.violations) {
    const index = memberIndexOf(violation.field);
    if (index === undefined || index >= request.items.length) continue;
    const text = [violation.reason, violation.field, violation.description].filter(Boolean).join(': ');
    named.set(index, [...(named.get(index) ?? []), redactIdentifiers(text)]);
  }
  if (named.size === 0 || membersOf(request.body).length !== request.items.length) {
    return forAll(request.items.length, { kind: 'reject', reason });
  }
  return request.items.map((_, index): ItemOutcome => {
    const violations = named.get(index);
    return violations === undefined
      ? {
          kind: 'retry',
          reason: 'Google refused other members of the request; resending this one without them',
        }
      : { kind: 'reject', reason: `HTTP 400 INVALID_ARGUMENT: ${violations.join('; ')}` };
  });
}

function ruleFor(status: number): Rule {
  const listed = STATUS_RULES[status];
  if (listed !== undefined) return listed;
  if (status >= 500 && status < 600) return { action: 'retry', doc: ERRORS_DOC };
  if (status >= 400 && status < 500) return { action: 'reject', doc: ERRORS_DOC };
  return { action: 'reject', hint: 'unexpected status', doc: ERRORS_DOC };
}

/** `HTTP 403 PERMISSION_DENIED: The caller does not have permission [ErrorInfo reasons]`, identifiers redacted. */
function describe(status: number, error: ReadError): string {
  const head = `HTTP ${status}${error.status ? ` ${error.status}` : ''}`;
  const reasons = error.reasons.length > 0 ? ` [${error.reasons.join(', ')}]` : '';
  const message = error.message ? `: ${error.message.slice(0, 300)}` : '';
  return redactIdentifiers(`${head}${message}${reasons}`);
}

/** `Retry-After` as delay-seconds only (no date is read); Google's quota errors usually send none. */
function retryAfterMs(headers: Record<string, string>): number | undefined {
  const wait = retryAfterHeaderMs(headers, undefined);
  return wait === undefined ? undefined : Math.ceil(wait);
}
