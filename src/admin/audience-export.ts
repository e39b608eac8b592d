import { parseProfileState, type TraitSetup } from '../engine/processing/profile-state.js';
import { matchKeyFor, takesKey, type MatchKeyKind } from '../delivery/match-keys.js';
import type { RelayStore } from '../store/port.js';
import type { ProfileRecord } from '../store/profile-port.js';
import type { ExportIdentifier, ExportQuery } from './api-schema.js';

/** Members read per page; the export streams page by page. */
const PAGE = 500;
/** Members an export lists at most (the member ids are read at once). */
export const MAX_EXPORT_MEMBERS = 5_000_000;

/** The match key each exportable identifier is hashed as; anonymous ids are no platform's key. */
const MATCH_KEY: Record<ExportIdentifier, MatchKeyKind | undefined> = {
  email: 'email',
  phone: 'phone',
  userId: 'userId',
  anonymousId: undefined,
};

/** What an export cannot do with this query (an identifier the platform takes no hash of), else undefined. */
export function exportProblem(query: ExportQuery): string | undefined {
  const platform = query.hash;
  if (platform === undefined) return undefined;
  const refused = query.identifiers.filter((name) => {
    const kind = MATCH_KEY[name];
    return kind === undefined || !takesKey(platform, kind);
  });
  return refused.length === 0
    ? undefined
    : `${platform} takes no ${refused.join(', ')}: leave ${refused.length === 1 ? 'it' : 'them'} out, or export with raw=true`;
}

export interface ExportCount {
  rows: number;
  /** Members with none of the chosen identifiers (not listed). */
  skipped: number;
}

/**
 * An audience's members as CSV text, chunk by chunk: a header of the chosen identifiers, then one row
 * per member with the first value of each (values sorted); with `hash`, each is normalised and hashed
 * by that platform's rules (src/delivery/match-keys.ts). Phone numbers come from the `phone` trait.
 */
export async function* audienceCsv(
  store: RelayStore,
  traits: TraitSetup,
  audience: string,
  query: ExportQuery,
  now: number,
  count: ExportCount = { rows: 0, skipped: 0 },
): AsyncGenerator<string> {
  yield `${query.identifiers.map(csvCell).join(',')}\n`;
  const members = await store.audienceMembers(audience, MAX_EXPORT_MEMBERS);
  for (let start = 0; start < members.length; start += PAGE) {
    const profiles = await store.loadProfiles(members.slice(start, start + PAGE));
    let text = '';
    for (const profile of profiles) {
      const cells = query.identifiers.map((name) => cellOf(profile, name, traits, query, now));
      if (cells.every((cell) => cell === '')) {
        count.skipped++;
        continue;
      }
      count.rows++;
      text += `${cells.map(csvCell).join(',')}\n`;
    }
    if (text) yield text;
  }
}

function cellOf(
  profile: ProfileRecord,
  name: ExportIdentifier,
  traits: TraitSetup,
  query: ExportQuery,
  now: number,
): string {
  const raw = rawValues(profile, name, traits, now)[0];
  if (raw === undefined) return '';
  const kind = MATCH_KEY[name];
  if (query.hash === undefined || kind === undefined) return raw;
  return matchKeyFor(query.hash, kind, raw) ?? '';
}

function rawValues(
  profile: ProfileRecord,
  name: ExportIdentifier,
  traits: TraitSetup,
  now: number,
): string[] {
  if (name === 'phone') {
    const value = traits.engine.values(parseProfileState(profile.state, traits), now).phone;
    return typeof value === 'string' || typeof value === 'number' ? [String(value)] : [];
  }
  return profile.identifiers
    .filter((ref) => ref.kind === name && ref.value.trim() !== '')
    .map((ref) => ref.value)
    .sort();
}

/** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. */
function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
