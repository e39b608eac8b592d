import type { ItemOutcome } from '../../delivery/destination.js';
import {
  readBatchResponse,
  readError,
  type BatchResult,
  type HubspotError,
  type UpsertInput,
} from './api.js';
import { RECORD_ID } from './memory.js';
import { redactText } from './redact.js';

/**
 * Per-input outcomes from a HubSpot answer (multi-status errors in
 * https://developers.hubspot.com/docs/api-reference/error-handling). An error names the inputs it
 * is about in `context.objectWriteTraceId` (the `<profileId>:<version>` we sent) or `context.ids`
 * (the e-mails). Outcomes are in input order, one per input.
 */

/** A 2xx (200 COMPLETE or 207 Multi-Status) to a batch upsert. */
export function outcomesOfBatchAnswer(status: number, body: unknown, inputs: UpsertInput[]): ItemOutcome[] {
  const answer = readBatchResponse(body);
  const results = answer.results ?? [];
  const errors = answer.errors ?? [];
  const outcomes: (ItemOutcome | undefined)[] = inputs.map(() => undefined);
  const unattributed: HubspotError[] = [];
  for (const error of errors) {
    const named = namedInputs(error, inputs);
    if (named.length === 0) unattributed.push(error);
    for (const position of named) outcomes[position] ??= { kind: 'reject', reason: describe(status, error) };
  }
  const rejected = outcomes.filter((outcome) => outcome !== undefined).length;
  // Every input not named by an error must be accounted for: by its trace id or e-mail in
  // `results[]`, or by the count when results do not echo them.
  const written = writtenInputs(results, inputs);
  const allWritten = results.length >= inputs.length - rejected;
  const missing = missingReason(status, results.length, errors.length, unattributed);
  return inputs.map((_input, position): ItemOutcome => {
    const decided = outcomes[position];
    if (decided !== undefined) return decided;
    if (!allWritten && !written.has(position)) return { kind: 'retry', reason: missing };
    // The record id is what list membership needs; the core keeps it for the profile.
    const recordId = written.get(position);
    return recordId === undefined ? { kind: 'ok' } : { kind: 'ok', remember: { [RECORD_ID]: recordId } };
  });
}

/**
 * A 400 that refused the whole batch. When the error names inputs (a duplicate e-mail, one invalid
 * value), only those are rejected; the others were not written and are retried, so one bad input
 * never sinks the other 99. An error that names none rejects every input.
 */
export function outcomesOfRefusedBatch(status: number, body: unknown, inputs: UpsertInput[]): ItemOutcome[] {
  const top = readError(body);
  const errors = [top, ...(top.errors ?? []).map((nested) => readError(nested))];
  const outcomes: (ItemOutcome | undefined)[] = inputs.map(() => undefined);
  for (const error of errors) {
    for (const position of namedInputs(error, inputs)) {
      outcomes[position] ??= { kind: 'reject', reason: describe(status, { ...top, ...error }) };
    }
  }
  const anyNamed = outcomes.some((outcome) => outcome !== undefined);
  const refused = describe(status, top);
  return outcomes.map(
    (outcome): ItemOutcome =>
      outcome ??
      (anyNamed
        ? {
            kind: 'retry',
            reason: `not written: HubSpot refused the batch because of another input (${refused})`,
          }
        : { kind: 'reject', reason: refused }),
  );
}

/** `HubSpot 400 VALIDATION_ERROR: Property values were not valid: ...`, e-mails hashed, bounded. */
export function describe(status: number, error: HubspotError): string {
  const category = [error.category ?? error.errorType, error.subCategory].filter(Boolean).join('/');
  const message = error.message === undefined ? '' : redactText(error.message);
  const text = `HubSpot ${status}${category ? ` ${category}` : ''}${message ? `: ${message}` : ''}`;
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function namedInputs(error: HubspotError, inputs: UpsertInput[]): number[] {
  const traceIds = new Set(error.context?.objectWriteTraceId ?? []);
  const ids = new Set((error.context?.ids ?? []).map((id) => id.trim().toLowerCase()));
  const named: number[] = [];
  inputs.forEach((input, position) => {
    if (traceIds.has(input.objectWriteTraceId) || ids.has(input.id)) named.push(position);
  });
  return named;
}

/** Input position -> its record id (or undefined when the result has none), for inputs in `results`. */
function writtenInputs(results: BatchResult[], inputs: UpsertInput[]): Map<number, string | undefined> {
  const byTraceId = new Map<string, string | undefined>();
  const byEmail = new Map<string, string | undefined>();
  for (const result of results) {
    if (result.objectWriteTraceId !== undefined) byTraceId.set(result.objectWriteTraceId, result.id);
    const email = result.properties?.email;
    if (typeof email === 'string') byEmail.set(email.trim().toLowerCase(), result.id);
  }
  const written = new Map<number, string | undefined>();
  inputs.forEach((input, position) => {
    if (byTraceId.has(input.objectWriteTraceId))
      written.set(position, byTraceId.get(input.objectWriteTraceId));
    else if (byEmail.has(input.id)) written.set(position, byEmail.get(input.id));
  });
  return written;
}

function missingReason(
  status: number,
  results: number,
  errors: number,
  unattributed: HubspotError[],
): string {
  if (results === 0 && errors === 0) {
    // RudderStack treats a 2xx with results:[] and errors:[] as a silent failure too:
    // https://github.com/rudderlabs/rudder-transformer/blob/develop/src/v1/destinations/hs/networkHandler.ts
    return `silent failure: HubSpot answered ${status} with no results and no errors`;
  }
  const first = unattributed[0];
  if (first !== undefined) return `not confirmed: ${describe(status, first)} (not tied to an input)`;
  return `not confirmed: missing from HubSpot's results (${status})`;
}
