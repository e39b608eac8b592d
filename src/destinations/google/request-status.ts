import type { AsyncStatus, BuiltRequest, DestinationConfig, HttpResult } from '../../delivery/destination.js';
import { redactIdentifiers } from '../../delivery/match-keys.js';
import { assertNever } from '../../lib/assert-never.js';
import { apiUrl, readError, RetrieveAnswer, STATUS_PATH, type StatusPerDestination } from './api.js';
import type { GoogleMapping, GoogleSettings } from './settings.js';

/**
 * The final result of an ingest or remove: `GET /v1/requestStatus:retrieve?requestId=…`
 * (https://developers.google.com/data-manager/api/reference/rest/v1/requestStatus/retrieve). It answers
 * one `RequestStatusPerDestination` per destination of the original request:
 *
 * ```json
 * {"requestStatusPerDestination":[{"destination":{…},"requestStatus":"PARTIAL_SUCCESS",
 *   "audienceMembersIngestionStatus":{"userDataIngestionStatus":{"recordCount":"3","userIdentifierCount":"5",
 *     "uploadMatchRateRange":"MATCH_RATE_RANGE_20_TO_30"}},
 *   "errorInfo":{"errorCounts":[{"reason":"PROCESSING_ERROR_REASON_INVALID_FORMAT","recordCount":"1"}]}}]}
 * ```
 *
 * `requestStatus` is REQUEST_STATUS_UNKNOWN, PROCESSING, SUCCESS, PARTIAL_SUCCESS or FAILED;
 * `errorInfo` and `warningInfo` only appear once processing is over. Counts are int64 as strings.
 */

export function statusRequest(
  asyncId: string,
  { settings }: DestinationConfig<GoogleSettings, GoogleMapping, undefined>,
): BuiltRequest {
  return {
    method: 'GET',
    url: `${apiUrl(settings, STATUS_PATH)}?requestId=${encodeURIComponent(asyncId)}`,
    headers: { Authorization: `Bearer ${settings.access_token}` },
    body: undefined,
    items: [],
  };
}

const FINAL = new Set(['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED']);

export function readStatus(result: HttpResult): AsyncStatus {
  switch (result.kind) {
    case 'timeout':
      return { state: 'unknown', detail: 'timeout: requestStatus:retrieve did not answer in time' };
    case 'network':
      return { state: 'unknown', detail: `network error: ${redactIdentifiers(result.message)}` };
    case 'response':
      return readAnswer(result);
    default:
      return assertNever(result, 'HTTP result');
  }
}

function readAnswer({ status, body }: Extract<HttpResult, { kind: 'response' }>): AsyncStatus {
  if (status < 200 || status >= 300) {
    const error = readError(body);
    const text = [`HTTP ${status}`, error.status, error.message].filter(Boolean).join(' ');
    return { state: 'unknown', detail: redactIdentifiers(text.slice(0, 300)) };
  }
  const answer = RetrieveAnswer.safeParse(body);
  const destinations = answer.success ? (answer.data.requestStatusPerDestination ?? []) : [];
  const statuses = destinations.map((destination) => destination.requestStatus ?? 'REQUEST_STATUS_UNKNOWN');
  if (statuses.length === 0 || statuses.some((value) => !FINAL.has(value))) return { state: 'pending' };
  const overall = statuses.every((value) => value === 'SUCCESS')
    ? 'SUCCESS'
    : statuses.every((value) => value === 'FAILED')
      ? 'FAILED'
      : 'PARTIAL_SUCCESS';
  return {
    state: 'done',
    status: overall,
    detail: redactIdentifiers(destinations.map(describe).join(' | ')),
  };
}

/** `list 987: PARTIAL_SUCCESS; 3 records, 5 identifiers, match rate 20-30%; errors: INVALID_FORMAT x1`. */
function describe(destination: StatusPerDestination): string {
  const list = destination.destination?.productDestinationId;
  const counts =
    destination.audienceMembersIngestionStatus?.userDataIngestionStatus ??
    destination.audienceMembersRemovalStatus?.userDataRemovalStatus;
  const parts = [`${list ? `list ${list}: ` : ''}${destination.requestStatus ?? 'REQUEST_STATUS_UNKNOWN'}`];
  if (counts) {
    const numbers = [
      counts.recordCount === undefined ? undefined : `${counts.recordCount} records`,
      counts.userIdentifierCount === undefined ? undefined : `${counts.userIdentifierCount} identifiers`,
      counts.uploadMatchRateRange === undefined
        ? undefined
        : `match rate ${matchRate(counts.uploadMatchRateRange)}`,
    ].filter(Boolean);
    if (numbers.length > 0) parts.push(numbers.join(', '));
  }
  const errors = reasonCounts(destination.errorInfo?.errorCounts);
  if (errors) parts.push(`errors: ${errors}`);
  const warnings = reasonCounts(destination.warningInfo?.warningCounts);
  if (warnings) parts.push(`warnings: ${warnings}`);
  return parts.join('; ');
}

function reasonCounts(counts: { reason?: string; recordCount?: string }[] | undefined): string {
  return (counts ?? [])
    .map(({ reason, recordCount }) => {
      const name = (reason ?? 'UNSPECIFIED').replace(/^PROCESSING_ERROR_REASON_|^WARNING_REASON_/, '');
      return recordCount === undefined ? name : `${name} x${recordCount}`;
    })
    .join(', ');
}

/** `MATCH_RATE_RANGE_20_TO_30` -> `20-30%`, `MATCH_RATE_RANGE_LESS_THAN_20` -> `<20%`; others as they are. */
function matchRate(range: string): string {
  const between = /^MATCH_RATE_RANGE_(\d+)_TO_(\d+)$/.exec(range);
  if (between) return `${between[1]}-${between[2]}%`;
  const below = /^MATCH_RATE_RANGE_LESS_THAN_(\d+)$/.exec(range);
  if (below) return `<${below[1]}%`;
  return range.replace(/^MATCH_RATE_RANGE_/, '').toLowerCase();
}
