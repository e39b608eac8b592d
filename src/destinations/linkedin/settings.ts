import { z } from 'zod';
import '../../lib/zod-messages.js';
import { MatchKeysMapping, type MatchKeyKind } from '../../delivery/match-keys.js';
import { Name } from '../../mappings/name.js';
import { DigitsId, HttpBaseUrl } from '../settings-kit.js';

/** The `LinkedIn-Version` sent when the settings name none: a current YYYYMM (versions live at least a year). */
export const LINKEDIN_DEFAULT_VERSION = '202604';

/**
 * The `settings:` block: where LinkedIn is, which API version, the token and the DMP segment.
 * https://learn.microsoft.com/en-us/linkedin/marketing/versioning
 */
export const LinkedinSettings = z.strictObject({
  /** `https://api.linkedin.com`, or a fake server's URL in tests. */
  endpoint: HttpBaseUrl('endpoint must be an http(s) URL, e.g. https://api.linkedin.com'),
  /** Sent as `LinkedIn-Version` (YAML reads a bare 202604 as a number); 426 once a version is sunset. */
  api_version: DigitsId({
    pattern: /^\d{6}$/,
    message: 'api_version is a LinkedIn-Version, YYYYMM (e.g. 202604)',
  }).default(LINKEDIN_DEFAULT_VERSION),
  /** A 3-legged OAuth token of a member with `rw_dmp_segments`, not VIEWER on the ad account. */
  access_token: z.string().min(1, 'access_token is required (a LinkedIn OAuth token with rw_dmp_segments)'),
  /** The DMP segment's numeric id (`POST /rest/dmpSegments` answers it in `x-linkedin-id`). */
  segment_id: DigitsId({
    pattern: /^\d+$/,
    message: 'segment_id is the numeric id of a LinkedIn DMP segment (e.g. 555)',
  }),
});
export type LinkedinSettings = z.infer<typeof LinkedinSettings>;

/** The match keys LinkedIn takes: e-mail and mobile ad id identify, names and country are hints. */
export const LINKEDIN_MATCH_KEYS: readonly MatchKeyKind[] = [
  'email',
  'mobile_ad_id',
  'first_name',
  'last_name',
  'country',
];
/** Keys an element can be matched on; without one of them a person cannot be sent. */
export const LINKEDIN_IDENTIFYING_KEYS: readonly MatchKeyKind[] = ['email', 'mobile_ad_id'];

const supported = `LinkedIn matches on ${LINKEDIN_MATCH_KEYS.join(', ')}`;

/** The rest of the destination block: the audience the segment mirrors and the keys to match on. */
export const LinkedinMapping = MatchKeysMapping.extend({
  /** The relay audience whose members the DMP segment holds. */
  audience: Name,
}).superRefine((mapping, ctx) => {
  mapping.match_keys.forEach((kind, index) => {
    if (!LINKEDIN_MATCH_KEYS.includes(kind)) {
      ctx.addIssue({ code: 'custom', path: ['match_keys', index], message: `${supported}, not ${kind}` });
    }
  });
  for (const kind of Object.keys(mapping.match_traits) as MatchKeyKind[]) {
    if (!LINKEDIN_MATCH_KEYS.includes(kind)) {
      ctx.addIssue({ code: 'custom', path: ['match_traits', kind], message: `${supported}, not ${kind}` });
    }
  }
  if (!mapping.match_keys.some((kind) => LINKEDIN_IDENTIFYING_KEYS.includes(kind))) {
    ctx.addIssue({
      code: 'custom',
      path: ['match_keys'],
      message:
        'name email or mobile_ad_id: LinkedIn matches people on them (names and country are only hints)',
    });
  }
});
export type LinkedinMapping = z.infer<typeof LinkedinMapping>;
