import type {
  BuildResult,
  BuiltRequest,
  DeliveryItem,
  KeySet,
  RequestPart,
} from '../../delivery/destination.js';
import { matchKeyFor, matchTraits, rawMatchValues, type MatchKeyKind } from '../../delivery/match-keys.js';
import {
  HINT_FIELD_OF,
  ID_TYPE_OF,
  usersPath,
  type LinkedinAction,
  type LinkedinElement,
  type LinkedinUserId,
  type LinkedinUsersBody,
} from './api.js';
import { LINKEDIN_MAX_ELEMENTS } from './limits.js';
import type { LinkedinMapping, LinkedinSettings } from './settings.js';

/**
 * Changes -> `POST /rest/dmpSegments/{id}/users` (BATCH_CREATE). Pure. One element per item: ADD when
 * the person entered the audience, REMOVE when they left it, a re-ADD when a held person's match
 * keys changed. ADD and REMOVE share a request; at most 5,000 elements per request.
 */

interface Config {
  settings: LinkedinSettings;
  mapping: LinkedinMapping;
}

interface Planned {
  item: number;
  element: LinkedinElement;
  part: RequestPart;
}

type Plan = Planned | { skip: string } | undefined;

export const NO_KEY_TO_ADD =
  'no e-mail or mobile ad id to match on: LinkedIn needs email or mobile_ad_id (match_keys)';
export const NO_KEY_TO_REMOVE =
  'no e-mail or mobile ad id to remove by: LinkedIn holds no key set of this person and none is known now';

export function buildBatch(items: DeliveryItem[], config: Config): BuildResult {
  const skipped: BuildResult['skipped'] = [];
  const planned: Planned[] = [];
  items.forEach((item, index) => {
    const plan = planItem(item, index, config.mapping);
    if (plan === undefined) return;
    if ('skip' in plan) skipped.push({ item: index, reason: plan.skip });
    else planned.push(plan);
  });
  const requests: BuiltRequest[] = [];
  for (let start = 0; start < planned.length; start += LINKEDIN_MAX_ELEMENTS) {
    requests.push(toRequest(planned.slice(start, start + LINKEDIN_MAX_ELEMENTS), config));
  }
  return { requests, skipped };
}

function planItem(item: DeliveryItem, index: number, mapping: LinkedinMapping): Plan {
  const { audience } = mapping;
  const current = currentKeys(item, mapping);
  const held = item.held[audience] ?? [];
  const traits = matchTraits(mapping).filter((trait) => Object.hasOwn(item.traits, trait));
  const carried = (audiences: string[]): Pick<RequestPart, 'audiences' | 'traits'> => ({
    ...(audiences.length > 0 ? { audiences } : {}),
    ...(traits.length > 0 ? { traits } : {}),
  });

  if (Object.hasOwn(item.audiences, audience)) {
    if (item.audiences[audience] === true) {
      if (current.keySet === undefined) return { skip: NO_KEY_TO_ADD };
      return {
        item: index,
        element: element('ADD', [current.keySet], current.hints),
        part: { ...carried([audience]), hold: { [audience]: current.keySet } },
      };
    }
    // The keys the person was added under reach them even after the e-mail changed or a merge.
    const keySets = held.length > 0 ? held : current.keySet ? [current.keySet] : [];
    if (keySets.length === 0) return { skip: NO_KEY_TO_REMOVE };
    return {
      item: index,
      element: element('REMOVE', keySets, {}),
      part: { ...carried([audience]), hold: { [audience]: null } },
    };
  }

  // A held person whose match keys changed: added again under the new keys (the old ones stay held).
  const keySet = current.keySet;
  if (held.length === 0 || keySet === undefined || held.some((set) => sameKeySet(set, keySet)))
    return undefined;
  return {
    item: index,
    element: element('ADD', [keySet], current.hints),
    part: { ...carried([]), hold: { [audience]: keySet } },
  };
}

interface CurrentKeys {
  /** `{ SHA256_EMAIL, GOOGLE_AID }` as far as known; undefined when neither is. */
  keySet?: KeySet;
  hints: Partial<Record<'firstName' | 'lastName' | 'country', string>>;
}

/**
 * The person's keys now: the first usable value of each mapped key (e-mails sorted, so the choice is
 * stable). One value per idType: the ledger keeps one key set per add (see README "Several e-mails").
 */
function currentKeys(item: DeliveryItem, mapping: LinkedinMapping): CurrentKeys {
  const raw = rawMatchValues(item, mapping);
  const keySet: KeySet = {};
  const hints: CurrentKeys['hints'] = {};
  for (const kind of mapping.match_keys) {
    const value = firstKey(kind, raw[kind] ?? []);
    if (value === undefined) continue;
    const idType = ID_TYPE_OF[kind];
    const hint = HINT_FIELD_OF[kind];
    if (idType !== undefined) keySet[idType] = value;
    else if (hint !== undefined) hints[hint] = value;
  }
  return Object.keys(keySet).length > 0 ? { keySet: ordered(keySet), hints } : { hints };
}

function firstKey(kind: MatchKeyKind, values: string[]): string | undefined {
  for (const value of values) {
    const key = matchKeyFor('linkedin', kind, value);
    if (key !== undefined) return key;
  }
  return undefined;
}

/** The key set with its idTypes in one order (e-mail first), so equal sets compare and log equal. */
function ordered(keySet: KeySet): KeySet {
  const idTypes = Object.values(ID_TYPE_OF);
  const known = idTypes.filter((idType) => keySet[idType] !== undefined);
  const others = Object.keys(keySet).filter((idType) => !idTypes.includes(idType));
  return Object.fromEntries([...known, ...others.sort()].map((idType) => [idType, keySet[idType] as string]));
}

function sameKeySet(a: KeySet, b: KeySet): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** One element; several key sets (a REMOVE of a person held under several) give every distinct id. */
function element(action: LinkedinAction, keySets: KeySet[], hints: CurrentKeys['hints']): LinkedinElement {
  const userIds: LinkedinUserId[] = [];
  for (const keySet of keySets) {
    for (const [idType, idValue] of Object.entries(ordered(keySet))) {
      if (!userIds.some((id) => id.idType === idType && id.idValue === idValue))
        userIds.push({ idType, idValue });
    }
  }
  const { firstName, lastName, country } = hints;
  return {
    action,
    userIds,
    ...(firstName !== undefined ? { firstName } : {}),
    ...(lastName !== undefined ? { lastName } : {}),
    ...(country !== undefined ? { country } : {}),
  };
}

function toRequest(chunk: Planned[], config: Config): BuiltRequest {
  const { settings, mapping } = config;
  const body: LinkedinUsersBody = { elements: chunk.map((entry) => entry.element) };
  return {
    method: 'POST',
    url: `${settings.endpoint}${usersPath(settings.segment_id)}`,
    headers: {
      Authorization: `Bearer ${settings.access_token}`,
      'LinkedIn-Version': settings.api_version,
      'X-Restli-Protocol-Version': '2.0.0',
      'X-RestLi-Method': 'BATCH_CREATE',
      'Content-Type': 'application/json',
    },
    body,
    items: chunk.map((entry) => entry.item),
    parts: chunk.map((entry) => entry.part),
    audience: mapping.audience,
  };
}
