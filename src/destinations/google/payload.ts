import type {
  BuildResult,
  BuiltRequest,
  DeliveryItem,
  DestinationConfig,
  RequestPart,
} from '../../delivery/destination.js';
import { matchTraits } from '../../delivery/match-keys.js';
import {
  apiUrl,
  authHeaders,
  consentOf,
  destinationOf,
  INGEST_PATH,
  REMOVE_PATH,
  type MembersCall,
  type UserIdentifier,
} from './api.js';
import { currentKeySet, identifiersOf, intoMembers, sameKeySet } from './key-sets.js';
import { MAX_MEMBERS_PER_REQUEST } from './limits.js';
import type { GoogleMapping, GoogleSettings } from './settings.js';

/**
 * Changes -> `audienceMembers:ingest` and `audienceMembers:remove` requests (pure). One member per
 * person per request; adds and removes never share a request (Google: do not mix them for a list).
 *
 * | the item                                        | request | part                                  |
 * |-------------------------------------------------|---------|---------------------------------------|
 * | entered the audience                            | ingest  | audience, hold: current key set       |
 * | exited                                          | remove  | audience, hold: null; every held key  |
 * |                                                 |         | set (the current one if none is held) |
 * | no membership change, held, key set now differs | ingest  | changed match traits, hold: new set   |
 * | entered or exited without any usable key        | skipped |                                       |
 *
 * Removes go first: when a key moved from one profile to another (a merge), removing it from the
 * leaver before adding it for the joiner leaves it on the list.
 */

export const NO_USABLE_KEY =
  'no usable match key: needs an e-mail, a phone with country code, or first_name + last_name + country + postal_code';
export const NOTHING_TO_REMOVE =
  'nothing to remove by: no key set is held for this person and no usable match key is known';

type Config = DestinationConfig<GoogleSettings, GoogleMapping, undefined>;

interface Planned {
  item: number;
  /** One member unless a removal needs more than 10 identifiers. */
  members: UserIdentifier[][];
  part: RequestPart;
}

export function buildBatch(items: DeliveryItem[], config: Config): BuildResult {
  const { mapping } = config;
  const audience = mapping.audience;
  const traitsOfKeys = new Set(matchTraits(mapping));
  const ingest: Planned[] = [];
  const remove: Planned[] = [];
  const skipped: BuildResult['skipped'] = [];

  items.forEach((item, index) => {
    const membership = item.audiences[audience];
    const held = item.held[audience] ?? [];
    const current = currentKeySet(item, mapping);
    if (membership === true) {
      if (current === undefined) skipped.push({ item: index, reason: NO_USABLE_KEY });
      else {
        const part = { audiences: [audience], hold: { [audience]: current } };
        ingest.push({ item: index, members: [identifiersOf([current])], part });
      }
    } else if (membership === false) {
      const keySets = held.length > 0 ? held : current === undefined ? [] : [current];
      const identifiers = identifiersOf(keySets);
      if (identifiers.length === 0) skipped.push({ item: index, reason: NOTHING_TO_REMOVE });
      else {
        const part = { audiences: [audience], hold: { [audience]: null } };
        remove.push({ item: index, members: intoMembers(identifiers), part });
      }
    } else if (held.length > 0 && current !== undefined && !held.some((set) => sameKeySet(set, current))) {
      // Still a member, matched by new keys now (a changed phone or name): add the new key set too.
      const traits = Object.keys(item.traits).filter((trait) => traitsOfKeys.has(trait));
      ingest.push({
        item: index,
        members: [identifiersOf([current])],
        part: { traits, hold: { [audience]: current } },
      });
    }
  });

  return {
    requests: [...requests('remove', remove, config), ...requests('ingest', ingest, config)],
    skipped,
  };
}

/**
 * Requests of at most 10,000 members, each person at most once per request: a removal split over
 * several members sends its first member in the first round of requests, its second in the next.
 */
function requests(call: MembersCall, planned: Planned[], config: Config): BuiltRequest[] {
  const built: BuiltRequest[] = [];
  const rounds = Math.max(0, ...planned.map((entry) => entry.members.length));
  for (let round = 0; round < rounds; round += 1) {
    const inRound = planned.filter((entry) => entry.members.length > round);
    for (let start = 0; start < inRound.length; start += MAX_MEMBERS_PER_REQUEST) {
      const chunk = inRound.slice(start, start + MAX_MEMBERS_PER_REQUEST);
      built.push(
        membersRequest(
          call,
          chunk.map((entry) => entry.members[round] ?? []),
          config,
          chunk.map((entry) => entry.item),
          chunk.map((entry) => entry.part),
        ),
      );
    }
  }
  return built;
}

function membersRequest(
  call: MembersCall,
  members: UserIdentifier[][],
  { settings, mapping }: Config,
  items: number[],
  parts: RequestPart[],
): BuiltRequest {
  const audienceMembers = members.map((userIdentifiers) => ({ userData: { userIdentifiers } }));
  const destinations = [destinationOf(settings)];
  const consent = consentOf(mapping.consent);
  // Remove takes no consent and no terms of service (RemoveAudienceMembersRequest has neither field).
  const body =
    call === 'ingest'
      ? {
          destinations,
          audienceMembers,
          ...(consent === undefined ? {} : { consent }),
          encoding: 'HEX',
          termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' },
        }
      : { destinations, audienceMembers, encoding: 'HEX' };
  return {
    method: 'POST',
    url: apiUrl(settings, call === 'ingest' ? INGEST_PATH : REMOVE_PATH),
    headers: authHeaders(settings),
    body,
    items,
    parts,
    audience: mapping.audience,
  };
}
