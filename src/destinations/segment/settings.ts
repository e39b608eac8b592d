import { z } from 'zod';
import '../../lib/zod-messages.js';
import { Name } from '../../mappings/name.js';
import { fieldClaims, HttpBaseUrl, TraitPath } from '../settings-kit.js';

/**
 * The `settings:` block of a `segment` destination: which Segment source receives the relay's
 * messages (its write key) and where the tracking API is. Both usually come from the environment.
 */
export const SegmentSettings = z.strictObject({
  /**
   * The write key of the Segment source the messages go to (an HTTP API or Node.js source). Sent as
   * `Authorization: Basic base64("<write_key>:")`; never logged.
   */
  write_key: z.string().min(8, 'must be the write key of a Segment source (is it set in the environment?)'),
  /**
   * The tracking API: https://api.segment.io (default), https://events.eu1.segmentapis.com for EU
   * workspaces, or a fake's (or a relay's) URL. Messages go to `<host>/v1/batch`.
   */
  host: HttpBaseUrl('must be an http(s) URL such as https://api.segment.io').default(
    'https://api.segment.io',
  ),
});
export type SegmentSettings = z.infer<typeof SegmentSettings>;

/** The rest of a `segment` destination block (README.md in this folder). */
export const SegmentMapping = z
  .strictObject({
    /**
     * `userId` (default): the message's `userId`; a profile without one is sent by its `anonymousId`
     * (Segment accepts either). `anonymousId`: always by `anonymousId`. A profile with neither is skipped.
     */
    identify_by: z.enum(['userId', 'anonymousId']).default('userId'),
    /** Audiences sent as boolean traits named like the audience (Segment Engage's convention). */
    audiences: z.array(Name).default([]),
    /** Traits sent as identify traits; a dotted path becomes `_` (rfm.tier -> rfm_tier). */
    traits: z.array(TraitPath).default([]),
    /** Also send an "Audience Entered" / "Audience Exited" track per membership change. */
    send_track_events: z.boolean().default(true),
  })
  .superRefine((mapping, ctx) => {
    const claim = fieldClaims(
      ctx,
      (trait, owner, previous) => `${owner} and ${previous} would both write the Segment trait "${trait}"`,
    );
    mapping.audiences.forEach((audience, index) =>
      claim(audienceTrait(audience), `audience ${audience}`, ['audiences', index]),
    );
    mapping.traits.forEach((trait, index) => claim(traitName(trait), `trait ${trait}`, ['traits', index]));
  });
export type SegmentMapping = z.infer<typeof SegmentMapping>;

/** An audience is the boolean trait of its own name: `high_intent: true`. */
export function audienceTrait(audience: string): string {
  return audience;
}

/** `rfm.tier` -> `rfm_tier`: flat traits, so one trait never replaces a whole object in Segment. */
export function traitName(trait: string): string {
  return trait.replaceAll('.', '_');
}
