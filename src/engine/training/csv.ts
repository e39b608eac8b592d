import { redactIdentifiers } from '../../delivery/match-keys.js';
import type { TrainingRow } from './replay.js';

/**
 * The training CSV (docs/training-export.md, RFC 4180 with a header): `profile_id`, `user_id`, one
 * column per feature trait (a trait whose values are objects, like `rfm`, one column per field:
 * `rfm.r`, `rfm.tier`), then `label` (1 or 0). Numbers as JavaScript writes them, booleans as 1 / 0
 * (as models read them), missing values empty, lists as JSON; e-mail addresses and phone numbers in
 * text (a userId that is an e-mail included) are written in their redacted form, never raw.
 */

const ROWS_PER_CHUNK = 500;

export interface Column {
  header: string;
  cell: (row: TrainingRow) => unknown;
}

export function trainingColumns(features: readonly string[], rows: readonly TrainingRow[]): Column[] {
  const columns: Column[] = [
    { header: 'profile_id', cell: (row) => row.profileId },
    { header: 'user_id', cell: (row) => row.identifiers.find((ref) => ref.kind === 'userId')?.value },
  ];
  for (const name of features) {
    const fields = new Set<string>();
    for (const row of rows) {
      const value = row.features[name];
      if (isPlainObject(value)) for (const key of Object.keys(value)) fields.add(key);
    }
    if (fields.size === 0) columns.push({ header: name, cell: (row) => row.features[name] });
    else
      for (const field of [...fields].sort())
        columns.push({
          header: `${name}.${field}`,
          cell: (row) => {
            const value = row.features[name];
            return isPlainObject(value) ? value[field] : undefined;
          },
        });
  }
  columns.push({ header: 'label', cell: (row) => row.label });
  return columns;
}

/** The CSV as text chunks: the header, then rows a few hundred at a time. */
export function* trainingCsv(columns: readonly Column[], rows: readonly TrainingRow[]): Generator<string> {
  yield `${columns.map((column) => quote(column.header)).join(',')}\n`;
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    yield rows
      .slice(start, start + ROWS_PER_CHUNK)
      .map((row) => `${columns.map((column) => csvCell(column.cell(row))).join(',')}\n`)
      .join('');
  }
}

export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return quote(redactIdentifiers(text));
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
