import { z } from 'zod';
import { sha256Hex } from '../lib/hash.js';
import type { DeliveryLogQuery } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';

/** An ISO date-time or epoch ms; anything else is refused (it would silently match nothing). */
const Instant = z
  .string()
  .refine((text) => !Number.isNaN(timeOf(text)), 'must be an ISO date-time or epoch milliseconds');

/** `GET /admin/api/deliveries` query: every filter optional, times as ISO or epoch ms. */
export const DeliverySearch = z.strictObject({
  destination: z.string().optional(),
  status: z.string().optional(),
  /** A profile id, or `userId:<id>` / `email:<address>` / `anonymousId:<id>`. */
  profile: z.string().optional(),
  q: z.string().optional(),
  since: Instant.optional(),
  until: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
export type DeliverySearch = z.infer<typeof DeliverySearch>;

export const ReplayRequest = z.strictObject({
  ids: z.array(z.number().int().positive()).optional(),
  destination: z.string().optional(),
});

/**
 * Turns a search into a store query. The log never holds raw e-mails (they are hashed), so an e-mail
 * searched for is looked up by its hash; identifiers name their profile.
 */
export async function resolveDeliveryQuery(
  store: RelayStore,
  search: DeliverySearch,
): Promise<DeliveryLogQuery> {
  const query: DeliveryLogQuery = { limit: search.limit };
  if (search.destination) query.destination = search.destination;
  if (search.status) query.status = search.status;
  if (search.q)
    query.text = /@/.test(search.q)
      ? `sha256:${sha256Hex(search.q.trim().toLowerCase()).slice(0, 16)}`
      : search.q;
  if (search.since) query.since = timeOf(search.since);
  if (search.until) query.until = timeOf(search.until);
  if (search.profile) query.profileId = await profileIdOf(store, search.profile);
  return query;
}

async function profileIdOf(store: RelayStore, profile: string): Promise<string> {
  const match = /^(userId|anonymousId|email):(.+)$/.exec(profile);
  if (!match) return profile;
  const kind = match[1] as 'userId' | 'anonymousId' | 'email';
  const value = kind === 'email' ? (match[2] as string).trim().toLowerCase() : (match[2] as string);
  const owners = await store.findProfileIds([{ kind, value }]);
  return owners.get(`${kind}:${value}`) ?? `unknown:${profile.length}`;
}

function timeOf(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}
