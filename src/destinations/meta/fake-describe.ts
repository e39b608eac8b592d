import type { RecordedRequest } from '../fake-kit.js';
import { countOf, isRecord } from '../fake-describe-kit.js';

/**
 * One line about a request the fake received, e.g. `add 3 rows to 2384 (EMAIL, PHONE)` or
 * `remove 10000 rows from 2384 (EMAIL), session 123 batch 2 (last)`. Names columns, never values.
 */
export function describeMetaRequest(request: RecordedRequest): string {
  const match = /^\/v[^/]+\/([^/]+)\/users$/.exec(request.path);
  if (!match) return `${request.method} ${request.path}`;
  const audienceId = match[1] ?? '?';
  const body = isRecord(request.body) ? request.body : {};
  const payload = isRecord(body.payload) ? body.payload : {};
  const rows = Array.isArray(payload.data) ? payload.data.length : 0;
  const schema = payload.schema;
  const columns = Array.isArray(schema) ? schema.map(String).join(', ') : String(schema ?? '?');
  const adding = request.method === 'POST';
  const what = `${adding ? 'add' : 'remove'} ${countOf(rows, 'row')} ${adding ? 'to' : 'from'} ${audienceId} (${columns})`;
  const session = isRecord(body.session) ? body.session : undefined;
  if (!session) return what;
  const last = session.last_batch_flag === true ? ' (last)' : '';
  return `${what}, session ${String(session.session_id)} batch ${String(session.batch_seq)}${last}`;
}
