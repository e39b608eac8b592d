import type { BuiltRequest, Classified, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { redactIdentifiers } from '../../delivery/match-keys.js';
import { assertNever } from '../../lib/assert-never.js';
import { forAll, unanswered, wholeRequest } from '../classify-kit.js';
import { BatchAnswer, ElementResult, LinkedinError } from './api.js';
import { LINKEDIN_THROTTLE_MS } from './limits.js';
import { throttleWaitMs } from './timing.js';

/**
 * A LinkedIn answer -> one outcome per item (one element each, same order), and a signal when the
 * whole destination must pause: 429 (throttled) or 401 (credentials). Pure; the table is README.md
 * "Outcomes".
 */

const USERS_DOC =
  'https://learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users';
const ERRORS_DOC = 'https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling';
const VERSIONING_DOC = 'https://learn.microsoft.com/en-us/linkedin/marketing/versioning';

type Rule =
  | { action: 'retry'; doc: string }
  | { action: 'throttle'; doc: string }
  | { action: 'credentials'; hint: string; doc: string }
  | { action: 'reject'; hint?: string; doc: string };

/** LinkedIn's statuses for the whole request. Not listed: 2xx per element, 5xx retry, other reject. */
export const STATUS_RULES: Readonly<Partial<Record<number, Rule>>> = {
  400: { action: 'reject', doc: ERRORS_DOC },
  401: {
    action: 'credentials',
    hint: 'settings.access_token: a 3-legged OAuth token with rw_dmp_segments (tokens expire after 60 days)',
    doc: ERRORS_DOC,
  },
  403: {
    action: 'reject',
    hint: 'the token lacks rw_dmp_segments, or its member is only VIEWER on the ad account',
    doc: USERS_DOC,
  },
  404: { action: 'reject', hint: 'no DMP segment with this id (settings.segment_id)', doc: USERS_DOC },
  408: { action: 'retry', doc: ERRORS_DOC },
  /** Segment's list: a conflict while the segment is being set up passes. */
  409: { action: 'retry', doc: ERRORS_DOC },
  423: { action: 'retry', doc: ERRORS_DOC },
  426: {
    action: 'reject',
    hint: 'settings.api_version is no longer active: set a current YYYYMM',
    doc: VERSIONING_DOC,
  },
  429: { action: 'throttle', doc: USERS_DOC },
};

/** Element statuses retried: throttled, timed out, conflicting, locked or failed on LinkedIn's side. */
const RETRYABLE_ELEMENT = (status: number) => [408, 409, 423, 429].includes(status) || status >= 500;

export function classify(result: HttpResult, request: BuiltRequest): Classified {
  if (result.kind !== 'response') {
    // Adding or removing the same member again is harmless: resend.
    return wholeRequest(request.items.length, unanswered(result, 'LinkedIn', redactIdentifiers));
  }
  return classifyResponse(result, request);
}

function classifyResponse(
  response: Extract<HttpResult, { kind: 'response' }>,
  request: BuiltRequest,
): Classified {
  const { status, headers, body } = response;
  const count = request.items.length;
  if (status >= 200 && status < 300) return { items: perElement(body, request) };
  const error = LinkedinError.parse(body);
  const rule = STATUS_RULES[status] ?? defaultRule(status);
  const reason = describe(status, error, 'hint' in rule ? rule.hint : undefined);
  switch (rule.action) {
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason });
    case 'throttle':
      return wholeRequest(count, {
        kind: 'throttled',
        reason,
        forMs: throttleWaitMs(error.message, headers),
      });
    case 'credentials':
      return wholeRequest(count, { kind: 'credentials', reason });
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason });
    default:
      return assertNever(rule, 'status rule');
  }
}

function defaultRule(status: number): Rule {
  return status >= 500 && status < 600
    ? { action: 'retry', doc: ERRORS_DOC }
    : { action: 'reject', doc: ERRORS_DOC };
}

/** A 2xx: `elements[i].status` is item i's result; an answer without statuses is retried whole. */
function perElement(body: unknown, request: BuiltRequest): ItemOutcome[] {
  const { elements } = BatchAnswer.parse(body);
  if (elements.length === 0) {
    return forAll(request.items.length, {
      kind: 'retry',
      reason: 'LinkedIn answered without element statuses (empty answer)',
    });
  }
  return request.items.map((_, index): ItemOutcome => {
    const parsed = ElementResult.safeParse(elements[index]);
    if (!parsed.success) {
      return { kind: 'retry', reason: `LinkedIn gave no status for element ${index}` };
    }
    const { status, error } = parsed.data;
    if (status >= 200 && status < 300) return { kind: 'ok' };
    const message = error?.message === undefined ? '' : `: ${redactIdentifiers(error.message)}`;
    if (status === 429) {
      return {
        kind: 'retry',
        reason: `LinkedIn throttled this element (429)${message}`,
        afterMs: LINKEDIN_THROTTLE_MS,
      };
    }
    if (RETRYABLE_ELEMENT(status))
      return { kind: 'retry', reason: `LinkedIn ${status} for this element${message}` };
    return { kind: 'reject', reason: `LinkedIn refused this element (${status})${message}` };
  });
}

/** `LinkedIn 401 INVALID_ACCESS_TOKEN (serviceErrorCode 65600): Invalid access token; <hint>`. */
function describe(status: number, error: LinkedinError, hint: string | undefined): string {
  const code = error.code === undefined ? '' : ` ${error.code}`;
  const service = error.serviceErrorCode === undefined ? '' : ` (serviceErrorCode ${error.serviceErrorCode})`;
  const message = error.message === undefined ? '' : `: ${redactIdentifiers(error.message)}`;
  return `LinkedIn ${status}${code}${service}${message}${hint === undefined ? '' : `; ${hint}`}`;
}
