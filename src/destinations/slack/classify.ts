import type { BuiltRequest, Classified, HttpResult } from '../../delivery/destination.js';
import { requestedWaitMs } from '../../delivery/retry-after.js';
import { assertNever } from '../../lib/assert-never.js';
import { unanswered, wholeRequest } from '../classify-kit.js';

/**
 * An incoming webhook's answer -> outcomes. Slack answers `200 ok`, or a status with the error name
 * as plain text (https://api.slack.com/messaging/webhooks#handling_errors,
 * https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks). A message
 * succeeds or fails as a whole.
 */

const ERRORS_DOC = 'https://api.slack.com/messaging/webhooks#handling_errors';
const CHANGELOG = 'https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks';
const RATE_DOC = 'https://api.slack.com/docs/rate-limits';

/** Pause when a 429 names no `Retry-After` (Slack documents that it always does). */
export const DEFAULT_THROTTLE_MS = 5_000;

type Action = 'reject' | 'credentials' | 'retry';

interface SlackErrorRow {
  status: number;
  /** The error name in the body; a row without one matches any body of this status. */
  error?: string;
  action: Action;
  why: string;
  source: string;
}

const URL_GONE =
  'the webhook URL no longer posts (disabled, removed, or its channel or workspace is gone): set settings.webhook_url to a current incoming-webhook URL';

/** Slack's documented answers; the first matching row wins. Statuses not listed: see `fallbackAction`. */
export const SLACK_ERROR_ROWS: readonly SlackErrorRow[] = [
  {
    status: 400,
    error: 'invalid_payload',
    action: 'reject',
    why: 'Slack could not read the message',
    source: CHANGELOG,
  },
  { status: 400, error: 'no_text', action: 'reject', why: 'the message has no text', source: ERRORS_DOC },
  {
    status: 400,
    error: 'invalid_blocks',
    action: 'reject',
    why: 'a block is malformed or too long',
    source: ERRORS_DOC,
  },
  {
    status: 400,
    error: 'user_not_found',
    action: 'reject',
    why: 'the user does not exist',
    source: CHANGELOG,
  },
  { status: 403, error: 'invalid_token', action: 'credentials', why: URL_GONE, source: ERRORS_DOC },
  {
    status: 403,
    error: 'action_prohibited',
    action: 'reject',
    why: 'a workspace admin restricts this webhook',
    source: CHANGELOG,
  },
  {
    status: 403,
    error: 'posting_to_general_channel_denied',
    action: 'reject',
    why: 'only admins may post to this channel: use a webhook for another channel',
    source: ERRORS_DOC,
  },
  { status: 404, action: 'credentials', why: URL_GONE, source: ERRORS_DOC },
  {
    status: 410,
    error: 'channel_is_archived',
    action: 'reject',
    why: 'the channel is archived: unarchive it or create a webhook for another channel',
    source: CHANGELOG,
  },
  {
    status: 500,
    error: 'rollup_error',
    action: 'retry',
    why: 'Slack failed (not our fault)',
    source: CHANGELOG,
  },
];

export function classify(
  result: HttpResult,
  request: BuiltRequest,
  now: () => number = Date.now,
): Classified {
  const count = request.items.length;
  if (result.kind !== 'response') {
    // The message may have been posted; a resend could post it twice, which beats losing an alert.
    return wholeRequest(count, unanswered(result, 'Slack'));
  }
  const { status, headers } = result;
  const error = errorName(result.body);
  if (status >= 200 && status < 300) {
    if (error === 'ok') return wholeRequest(count, { kind: 'ok' });
    return wholeRequest(count, { kind: 'ok', warning: `Slack answered ${status} without "ok"` });
  }
  if (status === 429) {
    const forMs = requestedWaitMs(headers, now) ?? DEFAULT_THROTTLE_MS;
    const reason = `HTTP 429${error ? ` ${error}` : ''}: over about one message per second (${RATE_DOC})`;
    return wholeRequest(count, { kind: 'throttled', reason, forMs });
  }
  const row = SLACK_ERROR_ROWS.find(
    (candidate) =>
      candidate.status === status && (candidate.error === undefined || candidate.error === error),
  );
  const action = row?.action ?? fallbackAction(status);
  const reason = `HTTP ${status}${error ? ` ${error}` : ''}: ${row?.why ?? 'unexpected answer'}`;
  switch (action) {
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason });
    case 'credentials':
      return wholeRequest(count, { kind: 'credentials', reason });
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason, afterMs: requestedWaitMs(headers, now) });
    default:
      return assertNever(action, 'slack action');
  }
}

/** Undocumented errors: a 403 speaks about the URL's token, 5xx and 408 are transient, the rest is refused. */
function fallbackAction(status: number): Action {
  if (status === 403) return 'credentials';
  if (status === 408 || (status >= 500 && status < 600)) return 'retry';
  return 'reject';
}

/** The error name Slack put in the body (`invalid_payload`), or '' if the body is not one. */
function errorName(body: unknown): string {
  const text = typeof body === 'string' ? body.trim() : '';
  return /^[a-z_]{1,64}$/.test(text) ? text : '';
}
