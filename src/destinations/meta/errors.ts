/**
 * Meta's error codes for custom audience user uploads, as data: the class decides what happens to
 * every item of the request (Meta errors are about the whole request, never one row). Classified by
 * `error.code` / `error.error_subcode`: the HTTP status is usually 400 whatever the cause.
 * https://developers.facebook.com/docs/marketing-api/error-reference
 * https://developers.facebook.com/docs/graph-api/guides/error-handling
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 */

export type MetaErrorClass =
  /** Pause the destination (signal) and retry every item after the pause. */
  | 'throttled'
  /** The token was refused: signal it and retry (a new token fixes it; nothing is wrong with the items). */
  | 'credentials'
  /** Temporary on Meta's side: retry with the core's backoff. */
  | 'retry'
  /** The request cannot succeed as it is: dead letters with the reason. */
  | 'reject';

export interface MetaErrorRow {
  /** Matches when the error's `code` is one of these (any code when absent). */
  codes?: readonly number[];
  /** Matches when the error's `error_subcode` is one of these (any subcode when absent). */
  subcodes?: readonly number[];
  class: MetaErrorClass;
  reason: string;
  source: string;
}

const ERRORS = 'https://developers.facebook.com/docs/marketing-api/error-reference';
const GRAPH_ERRORS = 'https://developers.facebook.com/docs/graph-api/guides/error-handling';
const USERS = 'https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users';
const RATE = 'https://developers.facebook.com/docs/marketing-api/overview/rate-limiting';
const AUDIENCE = 'https://developers.facebook.com/docs/marketing-api/reference/custom-audience';

/** Audience states Meta reports as a code in some answers and as a subcode of 100 in others. */
function codeOrSubcode(id: number, reason: string): MetaErrorRow[] {
  return [
    { codes: [id], class: 'reject', reason, source: AUDIENCE },
    { subcodes: [id], class: 'reject', reason, source: AUDIENCE },
  ];
}

/** First match wins: specific (code and subcode) rows before code-only rows. */
export const META_ERROR_ROWS: readonly MetaErrorRow[] = [
  {
    codes: [4, 17, 613, 80003],
    class: 'throttled',
    reason: 'Meta throttled the app or this ad account',
    source: RATE,
  },
  {
    codes: [190, 104],
    class: 'credentials',
    reason:
      'the access token was refused (invalid, expired or revoked): set a new system-user token with ads_management (settings.access_token)',
    source: GRAPH_ERRORS,
  },
  {
    codes: [100],
    subcodes: [1713230],
    class: 'reject',
    reason:
      'audience upload blocked: Meta flagged this custom audience (operation_status 471); resolve its restrictions in Audience Manager or use a new audience',
    source: USERS,
  },
  {
    codes: [100],
    subcodes: [33],
    class: 'reject',
    reason: 'the custom audience does not exist or this token cannot reach it (settings.audience_id)',
    source: ERRORS,
  },
  ...codeOrSubcode(1487301, 'the custom audience is not shared with the ad account of this token'),
  ...codeOrSubcode(1487366, 'the custom audience has been deleted (settings.audience_id)'),
  {
    codes: [2635],
    class: 'reject',
    reason: 'this Graph API version has expired: set a current one (settings.api_version, e.g. v27.0)',
    source: 'https://developers.facebook.com/docs/graph-api/changelog/versions',
  },
  {
    codes: [200, 294, 10],
    class: 'reject',
    reason: 'the token lacks a permission: it needs ads_management and access to the ad account',
    source: ERRORS,
  },
  {
    codes: [3],
    class: 'reject',
    reason: 'the app lacks the capability (is the Marketing API added to it?)',
    source: ERRORS,
  },
  {
    codes: [2655],
    class: 'reject',
    reason: "the ad account has not accepted Meta's Custom Audience terms (accept them in Ads Manager)",
    source: AUDIENCE,
  },
  {
    codes: [2650],
    class: 'reject',
    reason: 'Meta failed to update the custom audience',
    source: AUDIENCE,
  },
  {
    codes: [105],
    class: 'reject',
    reason: 'more parameters than Meta takes for this operation',
    source: ERRORS,
  },
  {
    codes: [100],
    class: 'reject',
    reason: 'Meta refused a parameter of the request',
    source: ERRORS,
  },
  {
    codes: [1, 2, 341, 368, 5000, 21009],
    class: 'retry',
    reason: 'a temporary problem at Meta',
    source: ERRORS,
  },
];

/** The row for an error code and subcode; undefined when Meta's code is not in the table. */
export function metaErrorRow(code: number, subcode: number | undefined): MetaErrorRow | undefined {
  return META_ERROR_ROWS.find(
    (row) =>
      (row.codes === undefined || row.codes.includes(code)) &&
      (row.subcodes === undefined || (subcode !== undefined && row.subcodes.includes(subcode))),
  );
}
