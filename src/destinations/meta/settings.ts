import { z } from 'zod';
import '../../lib/zod-messages.js';
import { MatchKeysMapping, type MatchKeyKind } from '../../delivery/match-keys.js';
import { Name } from '../../mappings/name.js';
import { HttpUrl } from '../settings-kit.js';
import { META_DEFAULT_API_VERSION, META_MAX_ROWS_PER_REQUEST } from './limits.js';

/**
 * The `settings:` block of a Meta Custom Audience destination. The endpoint and token usually come
 * from the environment (`${META_GRAPH_URL}`, `${META_TOKEN}`).
 */
export const MetaSettings = z.strictObject({
  /** Graph API base without the version, e.g. https://graph.facebook.com, or a fake's URL. */
  endpoint: HttpUrl('must be an http(s) URL such as https://graph.facebook.com (without the version)'),
  /**
   * Graph API version (https://developers.facebook.com/docs/graph-api/changelog/versions): v27.0 is
   * the latest; versions older than v25.0 have expired and are refused by Meta (error 2635).
   */
  api_version: z
    .string()
    .regex(/^v\d{1,3}\.0$/, 'must be a Graph API version such as v27.0')
    .default(META_DEFAULT_API_VERSION),
  /** A system-user token with `ads_management`; sent as `Authorization: Bearer <token>`, never in the URL. */
  access_token: z.string().min(8, 'must be a Meta access token (is it set in the environment?)'),
  /**
   * The custom audience's id (Ads Manager, or `POST /act_<ad account>/customaudiences`). Quoted in
   * YAML: ids have 17 digits or more, more than a number keeps exactly.
   */
  audience_id: z.string('must be the audience id as a quoted string, e.g. "23847..."').regex(/^\d{1,30}$/, {
    error: 'must be the numeric id of a custom audience, quoted, e.g. "23847..."',
  }),
  /** Rows per request, at most 10,000 (Meta's cap); smaller requests fail and retry in smaller pieces. */
  rows_per_request: z
    .number()
    .int()
    .min(1)
    .max(META_MAX_ROWS_PER_REQUEST, `Meta takes at most ${META_MAX_ROWS_PER_REQUEST} rows per request`)
    .default(META_MAX_ROWS_PER_REQUEST),
});
export type MetaSettings = z.infer<typeof MetaSettings>;

/**
 * The rest of the destination block: the one relay audience this Meta custom audience mirrors, and
 * the match keys sent for each person (`match_keys`, `match_traits`: see match-keys.ts).
 */
export const MetaMapping = MatchKeysMapping.extend({
  audience: Name,
  /**
   * Optional, off by default: push this destination's daily amount of the budget (`budget.channels`)
   * to an ad set's `daily_budget` (budget-push.ts, docs/budget.md).
   */
  budget_push: z
    .strictObject({
      ad_set_id: z.string('must be the ad set id as a quoted string, e.g. "23851..."').regex(/^\d{1,30}$/, {
        error: 'must be the numeric id of an ad set, quoted, e.g. "23851..."',
      }),
    })
    .optional(),
});
export type MetaMapping = z.infer<typeof MetaMapping>;

/** Meta's multi-key schema field of each match key, in the order columns are sent. */
export const META_COLUMNS = [
  ['email', 'EMAIL'],
  ['phone', 'PHONE'],
  ['first_name', 'FN'],
  ['last_name', 'LN'],
  ['country', 'COUNTRY'],
  ['postal_code', 'ZIP'],
  ['mobile_ad_id', 'MADID'],
  ['userId', 'EXTERN_ID'],
] as const satisfies readonly (readonly [MatchKeyKind, string])[];

export type MetaColumn = (typeof META_COLUMNS)[number][1];

/** Columns Meta takes in clear (not hashed): they are redacted in the delivery log. */
export const CLEAR_COLUMNS: ReadonlySet<string> = new Set<MetaColumn>(['MADID', 'EXTERN_ID']);

/** The schema of every request of this mapping: its match keys' columns, in `META_COLUMNS` order. */
export function schemaOf(mapping: MetaMapping): { kind: MatchKeyKind; column: MetaColumn }[] {
  return META_COLUMNS.filter(([kind]) => mapping.match_keys.includes(kind)).map(([kind, column]) => ({
    kind,
    column,
  }));
}
