import { redactedForm } from '../../delivery/match-keys.js';
import { CLEAR_COLUMNS } from './settings.js';

/**
 * The `/users` body as the delivery log keeps it. Hashed columns stay as sent: they are SHA-256 of
 * normalised values, which is what a log search by hash needs. The columns Meta takes in clear
 * (MADID, EXTERN_ID) become `sha256:<16 hex>` (`redactedForm`), and so does any other cell that is
 * not a 64-hex hash, in case one ever slips through. The token travels in a header, not the body.
 */

const HEX64 = /^[0-9a-f]{64}$/i;

export function redactBody(body: unknown): unknown {
  if (!isObject(body) || !isObject(body.payload)) return body;
  const { schema, data } = body.payload;
  if (!Array.isArray(data)) return body;
  const columns: unknown[] = Array.isArray(schema) ? schema : [schema];
  const redactCell = (cell: unknown, column: unknown): unknown => {
    if (typeof cell !== 'string' || cell === '') return cell;
    if (typeof column === 'string' && !CLEAR_COLUMNS.has(column) && HEX64.test(cell)) return cell;
    return redactedForm(cell);
  };
  const redacted = data.map((row: unknown) =>
    Array.isArray(row)
      ? row.map((cell: unknown, index) => redactCell(cell, columns[index]))
      : redactCell(row, columns[0]),
  );
  return { ...body, payload: { ...body.payload, data: redacted } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
