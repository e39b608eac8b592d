import { z } from 'zod';
import type { RegisteredDestination } from '../delivery/destination.js';
import { mappingPart } from '../mappings/destination-check.js';
import type { DestinationBlock } from '../mappings/destinations-schema.js';
import type { RelayStore } from '../store/port.js';

const RECENT_REQUESTS = 10;

/** One request an ad platform answered, with what it reported and, when applied later, its final result. */
export const MatchRequest = z.object({
  at: z.string(),
  status: z.string(),
  items: z.number(),
  received: z.number().optional(),
  invalidEntries: z.number().optional(),
  asyncId: z.string().optional(),
  asyncState: z.enum(['pending', 'done']).optional(),
  asyncStatus: z.string().optional(),
  asyncDetail: z.string().optional(),
});

/** Per ad destination and audience: what we believe the platform holds, what was sent, what it said. */
export const MatchEntry = z.object({
  destination: z.string(),
  type: z.string(),
  title: z.string(),
  audience: z.string(),
  enabled: z.boolean(),
  /** People in the relay's ledger: what we believe the platform holds. */
  held: z.number(),
  added: z.number(),
  removed: z.number(),
  invalidEntries: z.number(),
  minimumAudienceSize: z.number().optional(),
  /** Set when the audience is too small for the platform to target. */
  warning: z.string().optional(),
  recent: z.array(MatchRequest),
});
export type MatchEntry = z.infer<typeof MatchEntry>;

/** `GET /admin/api/matches`. */
export const MatchView = z.object({ matches: z.array(MatchEntry) });
export type MatchView = z.infer<typeof MatchView>;

/**
 * The match view of every configured set destination (ad platforms): the ledger size per audience,
 * the adds and removes sent, the invalid entries the platform reported, and the latest requests with
 * their asynchronous results.
 */
export async function matchView(
  store: RelayStore,
  destinations: Record<string, DestinationBlock>,
  types: Record<string, RegisteredDestination>,
): Promise<MatchView> {
  const stats = await store.matchStats();
  const matches: MatchEntry[] = [];
  for (const [name, block] of Object.entries(destinations)) {
    const type = types[block.type];
    if (!type || type.kind !== 'set') continue;
    const minimum = minimumOf(type, block);
    const audiences = safeAudiences(type, block);
    const recent = await store.searchDeliveryLog({ destination: name, limit: RECENT_REQUESTS });
    for (const audience of audiences) {
      const row = stats.find((s) => s.destination === name && s.audience === audience);
      const held = row?.held ?? 0;
      matches.push({
        destination: name,
        type: type.type,
        title: type.title,
        audience,
        enabled: block.enabled,
        held,
        added: row?.added ?? 0,
        removed: row?.removed ?? 0,
        invalidEntries: row?.invalidEntries ?? 0,
        ...(minimum !== undefined ? { minimumAudienceSize: minimum } : {}),
        ...(minimum !== undefined && held < minimum
          ? {
              warning: `${audience} holds ${held} at ${type.title}, under its minimum of ${minimum}: the platform will not target it`,
            }
          : {}),
        recent: recent
          .filter((entry) => entry.audience === undefined || entry.audience === audience)
          .map((entry) => ({
            at: new Date(entry.at).toISOString(),
            status: entry.status,
            items: entry.items,
            ...(entry.report?.received !== undefined ? { received: entry.report.received } : {}),
            ...(entry.report?.invalidEntries !== undefined
              ? { invalidEntries: entry.report.invalidEntries }
              : {}),
            ...(entry.report?.asyncId !== undefined ? { asyncId: entry.report.asyncId } : {}),
            ...(entry.asyncState !== undefined ? { asyncState: entry.asyncState } : {}),
            ...(entry.asyncResult
              ? { asyncStatus: entry.asyncResult.status, asyncDetail: entry.asyncResult.detail }
              : {}),
          })),
      });
    }
  }
  return { matches };
}

function safeAudiences(type: RegisteredDestination, block: DestinationBlock): string[] {
  try {
    return type.audiencesOf(type.mappingSchema.parse(mappingPart(block)));
  } catch {
    return [];
  }
}

function minimumOf(type: RegisteredDestination, block: DestinationBlock): number | undefined {
  try {
    return type.configure(block.settings, mappingPart(block)).minimumAudienceSize;
  } catch {
    return undefined;
  }
}
