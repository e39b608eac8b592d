import { META_MAX_ROWS_PER_REQUEST } from './limits.js';

/**
 * The fake Meta's reading of a `/users` body: the documented shapes (multi-key `schema` + `data`
 * rows, the single-key form, an optional `session`), what makes a request fail with error 100, and
 * which rows Meta would count in `num_invalid_entries`. Wording of the messages is the fake's own
 * where Meta's is not documented.
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 * https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
 */

/** Multi-key fields; every one but MADID, EXTERN_ID and LOOKALIKE_VALUE must be sent as SHA-256. */
export const META_FIELDS: ReadonlySet<string> = new Set([
  'EXTERN_ID',
  'EMAIL',
  'PHONE',
  'GEN',
  'DOBY',
  'DOBM',
  'DOBD',
  'LN',
  'FN',
  'FI',
  'CT',
  'ST',
  'ZIP',
  'MADID',
  'COUNTRY',
  'LOOKALIKE_VALUE',
]);
const CLEAR_FIELDS: ReadonlySet<string> = new Set(['EXTERN_ID', 'MADID', 'LOOKALIKE_VALUE']);
/** Single-key schemas and the field they stand for. */
const SINGLE_KEY: Readonly<Record<string, string>> = {
  EMAIL_SHA256: 'EMAIL',
  PHONE_SHA256: 'PHONE',
  MOBILE_ADVERTISER_ID: 'MADID',
};
const HEX64 = /^[0-9a-f]{64}$/i;

export interface UploadSession {
  sessionId: string;
  batchSeq: number;
  last: boolean;
  estimatedTotal?: number;
}

/** A row as Meta would keep it: its non-empty fields. */
export type MemberRow = Record<string, string>;

export interface ReadUpload {
  columns: string[];
  valid: MemberRow[];
  invalid: { sample: string; reason: string }[];
  received: number;
  session?: UploadSession;
}

/** The body read, or the `(#100)` message Meta answers a malformed request with. */
export function readUpload(body: unknown): ReadUpload | { error: string } {
  if (!isObject(body) || body.payload === undefined)
    return { error: '(#100) The parameter payload is required' };
  const payload = typeof body.payload === 'string' ? parseJson(body.payload) : body.payload;
  if (!isObject(payload)) return { error: '(#100) payload must be a JSON object' };

  const columns = schemaColumns(payload.schema);
  if (typeof columns === 'string') return { error: columns };
  const single = typeof payload.schema === 'string';
  if (!Array.isArray(payload.data) || payload.data.length === 0) {
    return { error: '(#100) payload.data must be a non-empty array' };
  }
  if (payload.data.length > META_MAX_ROWS_PER_REQUEST) {
    return {
      error: `(#100) Too many users: at most ${META_MAX_ROWS_PER_REQUEST} per request, got ${payload.data.length}`,
    };
  }
  const rows: unknown[][] = [];
  for (const [index, entry] of payload.data.entries()) {
    const row = single ? [entry] : entry;
    if (!Array.isArray(row) || row.length !== columns.length) {
      return {
        error: `(#100) data[${index}] has ${Array.isArray(row) ? row.length : 'no'} fields, the schema ${columns.length}`,
      };
    }
    rows.push(row);
  }

  const session = readSession(typeof body.session === 'string' ? parseJson(body.session) : body.session);
  if (typeof session === 'string') return { error: session };
  const upload: ReadUpload = { columns, valid: [], invalid: [], received: rows.length };
  if (session) upload.session = session;
  for (const [index, row] of rows.entries()) {
    const checked = checkRow(row, columns, index);
    if ('reason' in checked) upload.invalid.push(checked);
    else upload.valid.push(checked.row);
  }
  return upload;
}

function schemaColumns(schema: unknown): string[] | string {
  if (typeof schema === 'string') {
    const field = SINGLE_KEY[schema];
    return field ? [field] : `(#100) Unknown schema ${JSON.stringify(schema)}`;
  }
  if (!Array.isArray(schema) || schema.length === 0) return '(#100) payload.schema is required';
  const seen = new Set<string>();
  for (const field of schema) {
    if (typeof field !== 'string' || !META_FIELDS.has(field)) {
      return `(#100) Invalid schema field ${JSON.stringify(field)}`;
    }
    if (seen.has(field)) return `(#100) Duplicate schema field ${field}`;
    seen.add(field);
  }
  return [...seen];
}

function readSession(session: unknown): UploadSession | string | undefined {
  if (session === undefined) return undefined;
  if (!isObject(session)) return '(#100) session must be an object';
  const id = session.session_id;
  const validId =
    (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) ||
    (typeof id === 'string' && /^[1-9]\d{0,18}$/.test(id));
  if (!validId) return '(#100) session.session_id must be a positive int64';
  const seq = session.batch_seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    return '(#100) session.batch_seq must be an integer from 1';
  }
  const last = session.last_batch_flag ?? false;
  if (typeof last !== 'boolean') return '(#100) session.last_batch_flag must be a boolean';
  const total = session.estimated_num_total;
  if (total !== undefined && (typeof total !== 'number' || !Number.isInteger(total) || total < 0)) {
    return '(#100) session.estimated_num_total must be a non-negative integer';
  }
  return {
    sessionId: String(id),
    batchSeq: seq,
    last,
    ...(typeof total === 'number' ? { estimatedTotal: total } : {}),
  };
}

function checkRow(
  row: unknown[],
  columns: string[],
  index: number,
): { row: MemberRow } | { sample: string; reason: string } {
  const member: MemberRow = {};
  for (const [position, cell] of row.entries()) {
    const column = columns[position] ?? '';
    if (typeof cell !== 'string') return { sample: `row ${index}`, reason: `${column} is not a string` };
    if (cell === '') continue;
    if (!CLEAR_FIELDS.has(column) && !HEX64.test(cell)) {
      return { sample: cell, reason: `${column} is not a SHA-256 hash (64 hex characters)` };
    }
    member[column] = CLEAR_FIELDS.has(column) ? cell : cell.toLowerCase();
  }
  if (Object.keys(member).length === 0) return { sample: `row ${index}`, reason: 'no field in the row' };
  return { row: member };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * An ad set update as the budget push sends it: `daily_budget`, a whole number of the account
 * currency's minor unit, over 0 (Meta refuses budgets under its minimum; the fake under 1). As JSON or
 * as a form field (a string of digits).
 */
export function readAdSetUpdate(body: unknown): { dailyBudget: number } | { error: string } {
  const raw = isObject(body) ? body.daily_budget : undefined;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    return { error: '(#100) Invalid parameter: daily_budget must be a whole number of minor units over 0' };
  }
  return { dailyBudget: value };
}
