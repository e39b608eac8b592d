import { z } from 'zod';
import '../../lib/zod-messages.js';
import { Name } from '../../mappings/name.js';
import { HttpBaseUrl } from '../settings-kit.js';
import { DEFAULT_API_VERSION, VERSION_PATTERN } from './paths.js';

/** The `settings:` block: where HubSpot is, the private-app (or OAuth) token and the API version. */
export const HubspotSettings = z.strictObject({
  /** `https://api.hubapi.com`, or a fake server's URL in tests. */
  endpoint: HttpBaseUrl('endpoint must be an http(s) URL, e.g. https://api.hubapi.com'),
  token: z.string().min(1, 'token is required (a HubSpot private-app or OAuth access token)'),
  /** `v3` (the legacy paths) or a date version `YYYY-MM`; see paths.ts. */
  api_version: z
    .string()
    .regex(VERSION_PATTERN, 'api_version must be "v3" or a date version "YYYY-MM", e.g. "2026-03"')
    .default(DEFAULT_API_VERSION),
});
export type HubspotSettings = z.infer<typeof HubspotSettings>;

/** A HubSpot property's internal name (`firstname`, `relay_lead_score`). */
const PropertyName = z.string().min(1, 'a HubSpot property name is required');

const TARGET_HINT =
  'give one of { property: <contact property> }, { list: <list name> } or { list_id: <list id> }';

/**
 * Where an audience's membership goes:
 * - `property`: a contact property set to "true"/"false" in the upsert;
 * - `list`: a MANUAL (or SNAPSHOT) contacts list found by name, created when missing;
 * - `list_id`: such a list by its id (no lookup by name; still checked to be writable).
 */
export const AudienceTarget = z
  .strictObject({
    property: PropertyName.optional(),
    list: z.string().trim().min(1, 'a HubSpot list name is required').optional(),
    list_id: z
      .string()
      .regex(/^\d+$/, 'list_id is the number HubSpot shows for the list (ILS list id)')
      .optional(),
  })
  .transform((target, ctx): ListTarget | PropertyTarget => {
    const given = [
      target.property === undefined ? undefined : ({ kind: 'property', property: target.property } as const),
      target.list === undefined ? undefined : ({ kind: 'list', name: target.list } as const),
      target.list_id === undefined ? undefined : ({ kind: 'list', listId: target.list_id } as const),
    ].filter((one) => one !== undefined);
    const [only] = given;
    if (only === undefined || given.length > 1) {
      ctx.issues.push({ code: 'custom', message: TARGET_HINT, input: target });
      return z.NEVER;
    }
    return only;
  });
export interface PropertyTarget {
  kind: 'property';
  property: string;
}
/** A list by name (found or created by `prepare`) or by id. */
export type ListTarget = { kind: 'list'; name: string } | { kind: 'list'; listId: string };
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
    const lists = new Map<string, string>();
    for (const [audience, target] of Object.entries(mapping.audiences)) {
      if (target.kind === 'property') {
        claim(target.property, `audience ${audience}`, ['audiences', audience, 'property']);
        continue;
      }
      // Two audiences in one list would undo each other's removals.
      const list = 'name' in target ? `list "${target.name}"` : `list_id ${target.listId}`;
      const other = lists.get(list);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['audiences', audience],
          message: `audience ${audience} and audience ${other} both write ${list}`,
        });
      }
      lists.set(list, audience);
    }
  });
export type HubspotMapping = z.infer<typeof HubspotMapping>;

/** The audiences written to lists, with their target. */
export function listAudiences(mapping: HubspotMapping): [string, ListTarget][] {
  return Object.entries(mapping.audiences).filter(
    (entry): entry is [string, ListTarget] => entry[1].kind === 'list',
  );
}
