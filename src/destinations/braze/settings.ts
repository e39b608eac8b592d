import { z } from 'zod';
import '../../lib/zod-messages.js';
import { Name } from '../../mappings/name.js';
import { fieldClaims, HttpUrl, TraitPath } from '../settings-kit.js';
import { BRAZE_MAX_OBJECTS_PER_REQUEST } from './limits.js';

/**
 * The `settings:` block of a Braze destination: where to send and with which key. Both usually come
 * from the environment (`${BRAZE_REST_ENDPOINT}`, `${BRAZE_API_KEY}`).
 */
export const BrazeSettings = z.strictObject({
  /**
   * REST endpoint of the instance, e.g. https://rest.iad-01.braze.com, or a fake's URL
   * (https://www.braze.com/docs/api/basics/#endpoints).
   */
  endpoint: HttpUrl('must be an http(s) URL such as https://rest.iad-01.braze.com'),
  /** REST API key with the `users.track` permission; sent as `Authorization: Bearer <key>`. */
  api_key: z.string().min(8, 'must be a Braze REST API key (is it set in the environment?)'),
  /**
   * Objects (attributes + events) per request. 75 is safe for every contract that allows 75 combined;
   * accounts on the Monthly Active Users CY 24-25 contract allow 50 combined
   * (https://www.braze.com/docs/api/api_limits/).
   */
  objects_per_request: z
    .number()
    .int()
    .min(1)
    .max(BRAZE_MAX_OBJECTS_PER_REQUEST)
    .default(BRAZE_MAX_OBJECTS_PER_REQUEST),
});
export type BrazeSettings = z.infer<typeof BrazeSettings>;

/** The rest of a Braze destination block (docs/mappings.md "destinations", README.md in this folder). */
export const BrazeMapping = z
  .strictObject({
    /** `userId` -> `external_id`; `email` -> Braze's `email` identifier. Items without it are skipped. */
    identify_by: z.enum(['userId', 'email']).default('userId'),
    /** Audiences synced as boolean attributes `<attribute_prefix><audience>`. */
    audiences: z.array(Name).default([]),
    attribute_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_]*$/, 'must be letters, digits or _ (Braze attribute names)')
      .default('segment_'),
    /** Traits synced as custom attributes; a dotted path becomes `_` (rfm.tier -> rfm_tier). */
    traits: z.array(TraitPath).default([]),
    /** Also send `audience_entered` / `audience_exited` custom events (counted in the 75 per request). */
    send_events: z.boolean().default(false),
  })
  .superRefine((mapping, ctx) => {
    const claim = fieldClaims(
      ctx,
      (attribute, owner, previous) =>
        `${owner} and ${previous} would both write the Braze attribute "${attribute}"`,
    );
    mapping.audiences.forEach((audience, index) =>
      claim(audienceAttribute(mapping.attribute_prefix, audience), `audience ${audience}`, [
        'audiences',
        index,
      ]),
    );
    mapping.traits.forEach((trait, index) =>
      claim(traitAttribute(trait), `trait ${trait}`, ['traits', index]),
    );
  });
export type BrazeMapping = z.infer<typeof BrazeMapping>;

/** `segment_` + `high_intent` -> `segment_high_intent`. */
export function audienceAttribute(prefix: string, audience: string): string {
  return `${prefix}${audience}`;
}

/** `rfm.tier` -> `rfm_tier`; plain trait names are used as they are (no prefix). */
export function traitAttribute(trait: string): string {
  return trait.replaceAll('.', '_');
}
