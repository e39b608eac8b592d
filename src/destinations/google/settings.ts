import { z } from 'zod';
import '../../lib/zod-messages.js';
import { MatchKeysMapping, type MatchKeyKind } from '../../delivery/match-keys.js';
import { BoundedDuration } from '../../mappings/duration-schema.js';
import { Name } from '../../mappings/name.js';
import { DigitsId, HttpBaseUrl } from '../settings-kit.js';
import { GOOGLE_ADS_API_VERSION, GOOGLE_ADS_ENDPOINT, STATUS_POLL_AFTER_MS } from './limits.js';

/** Account types a Customer Match list can live under (Data Manager `ProductAccount.accountType`). */
export const ACCOUNT_TYPES = [
  'GOOGLE_ADS',
  'DISPLAY_VIDEO_PARTNER',
  'DISPLAY_VIDEO_ADVERTISER',
  'DATA_PARTNER',
] as const;
const AccountType = z.enum(ACCOUNT_TYPES, `account types are ${ACCOUNT_TYPES.join(', ')}`);

/** A numeric id as Google shows it: `1234567890` or `123-456-7890` (dashes are dropped). */
function NumericId() {
  return DigitsId({
    pattern: /^\d{1,20}$/,
    message: 'must be digits (dashes allowed), e.g. 1234567890',
    ignore: /-/g,
  });
}

/** The `settings:` block: where the API is, the OAuth token, and which list of which account. */
export const GoogleSettings = z.strictObject({
  /** `https://datamanager.googleapis.com`, or a fake's URL; the version is `api_version`. */
  endpoint: HttpBaseUrl('must be an http(s) URL such as https://datamanager.googleapis.com'),
  api_version: z
    .string()
    .regex(/^v\d+[a-z0-9]*$/, 'must be an API version such as v1')
    .default('v1'),
  /** An OAuth 2 access token with the `https://www.googleapis.com/auth/datamanager` scope. */
  access_token: z.string().min(1, 'must be an OAuth 2 access token with the datamanager scope'),
  /** The account that owns the list (`destinations[].operatingAccount.accountId`). */
  operating_account_id: NumericId(),
  account_type: AccountType.default('GOOGLE_ADS'),
  /** The manager (or partner) account the token acts through, when it is not the operating account. */
  login_account_id: NumericId().optional(),
  /** Defaults to `account_type`. */
  login_account_type: AccountType.optional(),
  /** The Customer Match user list (`productDestinationId`). */
  user_list_id: NumericId(),
  /**
   * How long after a request its result is first asked for (`requestStatus:retrieve`). Google applies
   * uploads in the background; 30m is its suggestion, tests use seconds.
   */
  status_poll_after: BoundedDuration({ maxMs: 86_400_000, maxText: '24h' }).default(STATUS_POLL_AFTER_MS),
  /**
   * Only for `budget_push` (the Google Ads API, not Data Manager): sent as the `developer-token`
   * header when set. Google's REST guide still asks for one; Google has announced the header is ignored
   * since developer tokens were retired in Sep 2026 (README.md "Budget push").
   */
  developer_token: z
    .string()
    .min(1, 'must be a Google Ads developer token (is it set in the environment?)')
    .optional(),
});
export type GoogleSettings = z.infer<typeof GoogleSettings>;

/** The match keys the Data Manager API takes for Customer Match contact lists. */
export const GOOGLE_MATCH_KEYS: readonly MatchKeyKind[] = [
  'email',
  'phone',
  'first_name',
  'last_name',
  'country',
  'postal_code',
];
/** An `address` identifier needs all four (`AddressInfo`: every field is required). */
export const ADDRESS_MATCH_KEYS: readonly MatchKeyKind[] = [
  'first_name',
  'last_name',
  'country',
  'postal_code',
];

const ConsentStatus = z.enum(['granted', 'denied'], 'must be granted or denied');

/**
 * Request-level consent (EU Digital Markets Act), sent as `consent.adUserData` /
 * `consent.adPersonalization`. Absent (the default) sends no consent: Google then uses the account's
 * own consent settings. The relay never claims a consent ops did not write down.
 */
export const ConsentMapping = z.strictObject({
  ad_user_data: ConsentStatus.optional(),
  ad_personalization: ConsentStatus.optional(),
});
export type ConsentMapping = z.infer<typeof ConsentMapping>;

/**
 * Optional, off by default: push this destination's daily amount of the budget (`budget.channels`) to
 * a Google Ads campaign budget (budget-push.ts, docs/budget.md). The Google Ads API, not Data Manager:
 * its own endpoint and version; the access token needs the `https://www.googleapis.com/auth/adwords` scope too.
 */
export const GoogleBudgetPush = z.strictObject({
  customer_id: NumericId(),
  campaign_budget_id: NumericId(),
  endpoint: HttpBaseUrl('must be an http(s) URL such as https://googleads.googleapis.com').default(
    GOOGLE_ADS_ENDPOINT,
  ),
  api_version: z
    .string()
    .regex(/^v\d+$/, 'must be a Google Ads API version such as v26')
    .default(GOOGLE_ADS_API_VERSION),
});
export type GoogleBudgetPush = z.infer<typeof GoogleBudgetPush>;

/** The rest of the destination block: the audience this list mirrors and how people are matched. */
export const GoogleMapping = MatchKeysMapping.extend({
  /** The one audience whose members the list holds. */
  audience: Name,
  consent: ConsentMapping.optional(),
  budget_push: GoogleBudgetPush.optional(),
  /**
   * Uploading contact data requires accepting Google's Customer Match terms
   * (https://support.google.com/adspolicy/answer/6299717); the relay sends
   * `termsOfService.customerMatchTermsOfServiceStatus: ACCEPTED` only because ops wrote `true` here.
   */
  terms_of_service_accepted: z.literal(
    true,
    'must be true: Customer Match needs the Customer Match terms accepted (https://support.google.com/adspolicy/answer/6299717)',
  ),
}).superRefine((mapping, ctx) => {
  mapping.match_keys.forEach((kind, index) => {
    if (!GOOGLE_MATCH_KEYS.includes(kind)) {
      ctx.addIssue({
        code: 'custom',
        path: ['match_keys', index],
        message: `Customer Match takes ${GOOGLE_MATCH_KEYS.join(', ')}; not ${kind}`,
      });
    }
  });
  const address = ADDRESS_MATCH_KEYS.filter((kind) => mapping.match_keys.includes(kind));
  if (address.length > 0 && address.length < ADDRESS_MATCH_KEYS.length) {
    const missing = ADDRESS_MATCH_KEYS.filter((kind) => !address.includes(kind));
    ctx.addIssue({
      code: 'custom',
      path: ['match_keys'],
      message: `an address match needs ${ADDRESS_MATCH_KEYS.join(', ')} together; add ${missing.join(', ')}`,
    });
  }
});
export type GoogleMapping = z.infer<typeof GoogleMapping>;
