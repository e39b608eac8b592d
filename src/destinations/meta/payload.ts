import type { BuildResult, BuiltRequest, DeliveryItem, RequestPart } from '../../delivery/destination.js';
import { matchTraits } from '../../delivery/match-keys.js';
import { sha256Hex } from '../../lib/hash.js';
import { currentKeySet, isCoveredBy, rowsOf } from './key-sets.js';
import { schemaOf, type MetaColumn, type MetaMapping, type MetaSettings } from './settings.js';

/**
 * Changes -> `POST` (add) and `DELETE` (remove) `/{audience_id}/users` requests. Pure.
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 *
 * - enter (`audiences[a] === true`): the current keys, recorded as the key set Meta holds;
 * - exit (`=== false`): every key set the ledger says Meta holds (the keys of the add, even after the
 *   e-mail changed), or the current keys when the ledger has none;
 * - a match key changed for someone held: re-added under the new key set when it has a value no held
 *   key set has (Meta keeps the old rows too; the exit removes them all);
 * - adds and removes never share a request; rows per request <= `settings.rows_per_request`; an
 *   item's rows stay in one request; an operation that needs several requests sends them as one
 *   upload session.
 */

export interface MetaSession {
  session_id: number;
  batch_seq: number;
  last_batch_flag: boolean;
  estimated_num_total: number;
}

export interface MetaUsersBody {
  session?: MetaSession;
  payload: { schema: MetaColumn[]; data: string[][] };
}

type Operation = 'add' | 'remove';

interface Entry {
  item: number;
  rows: string[][];
  part: RequestPart;
}

interface Config {
  settings: MetaSettings;
  mapping: MetaMapping;
}

export function buildBatch(items: DeliveryItem[], config: Config): BuildResult {
  const { mapping, settings } = config;
  const columns = schemaOf(mapping).map(({ column }) => column);
  const skipped: BuildResult['skipped'] = [];
  const entries: Record<Operation, Entry[]> = { add: [], remove: [] };

  items.forEach((item, index) => {
    const planned = plan(item, index, mapping, columns);
    if (planned === undefined) return;
    if (typeof planned === 'string') return void skipped.push({ item: index, reason: planned });
    if (planned.entry.rows.length > settings.rows_per_request) {
      return void skipped.push({
        item: index,
        reason: `needs ${planned.entry.rows.length} rows, more than the ${settings.rows_per_request} per request`,
      });
    }
    entries[planned.operation].push(planned.entry);
  });

  const requests = (['add', 'remove'] as const).flatMap((operation) =>
    toRequests(operation, entries[operation], items, config, columns),
  );
  return { requests, skipped };
}

/** What one item needs: an add, a remove, nothing (undefined), or why it cannot be sent. */
function plan(
  item: DeliveryItem,
  index: number,
  mapping: MetaMapping,
  columns: readonly MetaColumn[],
): { operation: Operation; entry: Entry } | string | undefined {
  const audience = mapping.audience;
  const held = item.held[audience] ?? [];
  const current = currentKeySet(item, mapping);
  const membership = Object.hasOwn(item.audiences, audience) ? item.audiences[audience] : undefined;

  if (membership === true) {
    const rows = current === undefined ? [] : rowsOf([current], columns);
    if (current === undefined || rows.length === 0) return noKey(mapping);
    return add(index, rows, { audiences: [audience], hold: { [audience]: current } });
  }
  if (membership === false) {
    const rows = rowsOf(held.length > 0 ? held : current === undefined ? [] : [current], columns);
    // Nothing the relay ever had a key for: Meta cannot hold this person, so there is nothing to remove.
    if (rows.length === 0) return undefined;
    const part: RequestPart = { audiences: [audience], hold: { [audience]: null } };
    return { operation: 'remove', entry: { item: index, rows, part } };
  }
  if (held.length === 0 || current === undefined) return undefined;
  if (held.some((keySet) => isCoveredBy(current, keySet))) return undefined;
  const rows = rowsOf([current], columns);
  if (rows.length === 0) return undefined;
  const changed = matchTraits(mapping).filter((trait) => Object.hasOwn(item.traits, trait));
  return add(index, rows, {
    ...(changed.length > 0 ? { traits: changed } : {}),
    hold: { [audience]: current },
  });
}

function add(item: number, rows: string[][], part: RequestPart): { operation: Operation; entry: Entry } {
  return { operation: 'add', entry: { item, rows, part } };
}

/** The reason names the configured keys, never a value. */
function noKey(mapping: MetaMapping): string {
  return `no match key (${mapping.match_keys.join(', ')})`;
}

function toRequests(
  operation: Operation,
  entries: Entry[],
  items: DeliveryItem[],
  config: Config,
  columns: MetaColumn[],
): BuiltRequest[] {
  const chunks: Entry[][] = [];
  let chunk: Entry[] = [];
  let rows = 0;
  for (const entry of entries) {
    if (chunk.length > 0 && rows + entry.rows.length > config.settings.rows_per_request) {
      chunks.push(chunk);
      chunk = [];
      rows = 0;
    }
    chunk.push(entry);
    rows += entry.rows.length;
  }
  if (chunk.length > 0) chunks.push(chunk);

  const first = entries[0] === undefined ? undefined : items[entries[0].item];
  const sessionId =
    chunks.length > 1 && first !== undefined ? sessionIdFor(operation, config.settings, first) : undefined;
  const total = entries.reduce((sum, entry) => sum + entry.rows.length, 0);

  return chunks.map((entriesOfRequest, index) => {
    const body: MetaUsersBody = {
      ...(sessionId !== undefined
        ? {
            session: {
              session_id: sessionId,
              batch_seq: index + 1,
              last_batch_flag: index === chunks.length - 1,
              estimated_num_total: total,
            },
          }
        : {}),
      payload: { schema: columns, data: entriesOfRequest.flatMap((entry) => entry.rows) },
    };
    return {
      method: operation === 'add' ? 'POST' : 'DELETE',
      url: usersUrl(config.settings),
      headers: {
        Authorization: `Bearer ${config.settings.access_token}`,
        'Content-Type': 'application/json',
      },
      body,
      items: entriesOfRequest.map((entry) => entry.item),
      parts: entriesOfRequest.map((entry) => entry.part),
      audience: config.mapping.audience,
    };
  });
}

export function usersUrl(settings: MetaSettings): string {
  return `${settings.endpoint.replace(/\/+$/, '')}/${settings.api_version}/${settings.audience_id}/users`;
}

/**
 * An upload session's id: the first 52 bits of SHA-256 over the operation, the audience and the
 * batch's first item (profile and version), so building the same batch again gives the same session
 * and any id is a safe JSON integer (Meta takes an int64).
 */
export function sessionIdFor(operation: Operation, settings: MetaSettings, first: DeliveryItem): number {
  const hash = sha256Hex(`${operation}:${settings.audience_id}:${first.profileId}:${first.version}`);
  return Number.parseInt(hash.slice(0, 13), 16) || 1;
}
