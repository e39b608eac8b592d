import type { DeliveryItem, KeySet } from '../../delivery/destination.js';
import { matchKeyFor, rawMatchValues } from '../../delivery/match-keys.js';
import { schemaOf, type MetaColumn, type MetaMapping } from './settings.js';

/**
 * A person's Meta keys as a `KeySet` (what the ledger records) and the rows sent for it.
 *
 * A key set maps a schema column to its normalised, hashed value (`{ EMAIL: "<sha256>" }`). A person
 * may have several values of one key (two e-mails after a merge): the first is `EMAIL`, the next
 * `EMAIL#2`, `EMAIL#3`, ..., so one key set still says everything Meta was sent for that person.
 *
 * Rows: as many as the key with the most values; row i carries the i-th value of each key, or its
 * first when it has fewer (one row per e-mail, the phone repeated). Every value reaches Meta in at
 * least one row, and each row stays one person.
 */

const SEPARATOR = '#';

/** The key set of the person's current match values; undefined when no key has a usable value. */
export function currentKeySet(item: DeliveryItem, mapping: MetaMapping): KeySet | undefined {
  const raw = rawMatchValues(item, mapping);
  const keySet: KeySet = {};
  for (const { kind, column } of schemaOf(mapping)) {
    const values = [...new Set((raw[kind] ?? []).flatMap((value) => matchKeyFor('meta', kind, value) ?? []))];
    values.forEach((value, index) => {
      keySet[index === 0 ? column : `${column}${SEPARATOR}${index + 1}`] = value;
    });
  }
  return Object.keys(keySet).length > 0 ? keySet : undefined;
}

/** The values of each column a key set holds, in order (`EMAIL`, `EMAIL#2`, ...). */
function valuesByColumn(keySet: KeySet): Map<string, string[]> {
  const byColumn = new Map<string, { position: number; value: string }[]>();
  for (const [key, value] of Object.entries(keySet)) {
    if (value === '') continue;
    const [column = '', suffix] = key.split(SEPARATOR);
    const position = suffix === undefined ? 1 : Number(suffix);
    if (!Number.isInteger(position) || position < 1) continue;
    byColumn.set(column, [...(byColumn.get(column) ?? []), { position, value }]);
  }
  return new Map(
    [...byColumn].map(([column, entries]) => [
      column,
      entries.sort((a, b) => a.position - b.position).map((entry) => entry.value),
    ]),
  );
}

/**
 * The rows of one or more key sets under the given schema, without duplicates. Columns the schema
 * does not have (the mapping's keys changed since the add) are left out; "" where a key is unknown.
 */
export function rowsOf(keySets: KeySet[], columns: readonly MetaColumn[]): string[][] {
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const keySet of keySets) {
    const values = valuesByColumn(keySet);
    const count = Math.max(0, ...columns.map((column) => values.get(column)?.length ?? 0));
    for (let index = 0; index < count; index += 1) {
      const row = columns.map((column) => {
        const own = values.get(column);
        return own?.[index] ?? own?.[0] ?? '';
      });
      const text = JSON.stringify(row);
      if (seen.has(text)) continue;
      seen.add(text);
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Whether Meta already has every value of `keySet` from `held` (same column): then adding it again
 * would tell Meta nothing new (the same keys, or fewer after a phone was removed).
 */
export function isCoveredBy(keySet: KeySet, held: KeySet): boolean {
  const heldValues = valuesByColumn(held);
  return [...valuesByColumn(keySet)].every(([column, values]) =>
    values.every((value) => heldValues.get(column)?.includes(value) === true),
  );
}
