import { z } from 'zod';
import '../../lib/zod-messages.js';
import { Name } from '../../mappings/name.js';

/** The `settings:` block: where HubSpot is and the private-app (or OAuth) token. */
export const HubspotSettings = z.strictObject({
  /** `https://api.hubapi.com`, or a fake server's URL in tests. */
  endpoint: z
    .url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL, e.g. https://api.hubapi.com' })
    .transform((url) => url.replace(/\/+$/, '')),
  token: z.string().min(1, 'token is required (a HubSpot private-app or OAuth access token)'),
});
export type HubspotSettings = z.infer<typeof HubspotSettings>;

/** A HubSpot property's internal name (`firstname`, `relay_lead_score`). */
const PropertyName = z.string().min(1, 'a HubSpot property name is required');

export const LIST_ID_UNSUPPORTED =
  'list membership needs HubSpot record ids; use { property: ... } for now (a boolean contact property)';

/**
 * Where an audience's membership goes: a contact property set to "true"/"false". `{ list_id }` is
 * read so the refusal is precise (see README "Lists"), never accepted.
 */
export const AudienceTarget = z
  .strictObject({ property: PropertyName.optional(), list_id: z.string().optional() })
  .transform((target, ctx) => {
    if (target.list_id !== undefined) {
      ctx.issues.push({
        code: 'custom',
        message: LIST_ID_UNSUPPORTED,
        input: target.list_id,
        path: ['list_id'],
      });
      return z.NEVER;
    }
    if (target.property === undefined) {
      ctx.issues.push({
        code: 'custom',
        message: 'give { property: <HubSpot property name> }',
        input: target,
      });
      return z.NEVER;
    }
    return { property: target.property };
  });
export type AudienceTarget = z.infer<typeof AudienceTarget>;

/** The rest of the destination block: who a contact is and what is written to it. */
export const HubspotMapping = z
  .strictObject({
    /** Contacts are upserted by e-mail (`idProperty: "email"`); nothing else is supported. */
    identify_by: z
      .literal('email', 'identify_by must be email: HubSpot contacts are upserted by e-mail')
      .default('email'),
    /** Trait name or dotted path (`lead_score.reasons`) -> HubSpot property name. */
    traits: z.record(z.string().min(1), PropertyName).default({}),
    /** Audience name -> where membership is written. */
    audiences: z.record(Name, AudienceTarget).default({}),
  })
  .superRefine((mapping, ctx) => {
    const writers = new Map<string, string>();
    const claim = (property: string, by: string, path: (string | number)[]) => {
      if (property === 'email') {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${by} cannot write "email": it is the id contacts are upserted by`,
        });
      }
      const other = writers.get(property);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${by} and ${other} both write property "${property}"`,
        });
      }
      writers.set(property, by);
    };
    for (const [trait, property] of Object.entries(mapping.traits)) {
      claim(property, `trait ${trait}`, ['traits', trait]);
    }
    for (const [audience, target] of Object.entries(mapping.audiences)) {
      claim(target.property, `audience ${audience}`, ['audiences', audience, 'property']);
    }
  });
export type HubspotMapping = z.infer<typeof HubspotMapping>;
