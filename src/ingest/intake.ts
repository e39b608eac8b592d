import { checkJsonLimits, formatPath, type JsonLimitIssue } from '../http/json-limits.js';
import type { Clock } from '../lib/clock.js';
import type { Metrics } from '../lib/metrics.js';
import { StoreUnavailableError, type EventStore } from '../store/port.js';
import {
  EVENT_JSON_LIMITS,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_FUTURE_SKEW_MS,
  MAX_REQUEST_BYTES,
} from './limits.js';
import { fastEventFields } from './fast-validate.js';
import { normalizeFields, normalizeWithFlags } from './normalize.js';
import { SpecEvent } from './schemas.js';

export { MAX_EVENT_BYTES, MAX_REQUEST_BYTES };

export interface FieldIssue {
  path: string;
  message: string;
}

/** Fields a batch shares with each of its items (Segment `/v1/batch`). */
export interface SharedFields {
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  sentAt?: string;
}

export interface IntakeRequest {
  source: string;
  items: unknown[];
  /** How an item's path is written in error messages: `batch[3]`, `[3]`, or '' for a single event. */
  itemPath: (index: number) => string;
  /** How the list of items is named in error messages: `batch`, or `body`. */
  listPath?: string;
  shared?: SharedFields;
  /** Size of the decoded request body: items cannot exceed the event limit when this is below it. */
  bodyBytes: number;
  /** For `/v1/track` and friends: the type named by the path. */
  forcedType?: string;
}

/** Why a request was refused, as a short stable code (metrics label, log field). */
export type RejectReason =
  | 'invalid_event'
  | 'limit_depth'
  | 'limit_keys'
  | 'limit_string_length'
  | 'limit_key_length'
  | 'limit_number'
  | 'limit_event_bytes'
  | 'limit_events';

export type IntakeResult =
  | { kind: 'accepted'; stored: number; duplicates: number; clamped: number }
  | { kind: 'invalid'; reason: RejectReason; issues: FieldIssue[] }
  | { kind: 'too_large'; reason: RejectReason; issues: FieldIssue[] }
  | { kind: 'unavailable'; message: string };

export class Intake {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Validates every item, then stores all of them or none; answers once they are durable. Nothing a
   * sender can put in a request makes this throw: bad input is 'invalid' or 'too_large'.
   */
  async accept(request: IntakeRequest): Promise<IntakeResult> {
    const listPath = request.listPath ?? 'body';
    if (request.items.length === 0) {
      return {
        kind: 'invalid',
        reason: 'invalid_event',
        issues: [{ path: request.itemPath(0) ? listPath : 'body', message: 'no events' }],
      };
    }
    if (request.items.length > MAX_EVENTS_PER_REQUEST) {
      const message = `${request.items.length} events; at most ${MAX_EVENTS_PER_REQUEST} events per request`;
      return { kind: 'too_large', reason: 'limit_events', issues: [{ path: listPath, message }] };
    }
    const oversized = findOversizedItems(request);
    if (oversized.length > 0) return { kind: 'too_large', reason: 'limit_event_bytes', issues: oversized };

    const receivedAt = this.clock.now();
    const issues: FieldIssue[] = [];
    let firstLimit: RejectReason | undefined;
    const events: Normalized[] = [];
    request.items.forEach((item, index) => {
      const prepared = prepareItem(item, request);
      const prefix = request.itemPath(index);
      // Limits first: nothing after this walks an event deeper or larger than they allow.
      const limitIssues = checkJsonLimits(prepared, EVENT_JSON_LIMITS, prefix);
      if (limitIssues.length > 0) {
        firstLimit ??= `limit_${(limitIssues[0] as JsonLimitIssue).limit}`;
        for (const { path, message } of limitIssues) issues.push({ path, message });
        return;
      }
      // The hot shapes are checked without zod; anything else (and every error message) is zod's.
      const fast = fastEventFields(prepared);
      if (fast !== undefined) {
        if (issues.length > 0) return;
        events.push(
          normalizeFields(request.source, fast, fast.messageId, receivedAt, {
            sent: prepared as Record<string, unknown>,
            maxFutureSkewMs: MAX_FUTURE_SKEW_MS,
          }),
        );
        return;
      }
      const parsed = SpecEvent.safeParse(prepared);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          issues.push({ path: formatPath(prefix, issue.path), message: issue.message });
        }
        return;
      }
      if (issues.length > 0) return;
      events.push(
        normalizeWithFlags(request.source, parsed.data, receivedAt, {
          sent: prepared as Record<string, unknown>,
          maxFutureSkewMs: MAX_FUTURE_SKEW_MS,
        }),
      );
    });
    if (issues.length > 0) return { kind: 'invalid', reason: firstLimit ?? 'invalid_event', issues };
    return this.persist(events);
  }

  private async persist(events: Normalized[]): Promise<IntakeResult> {
    let outcomes;
    try {
      outcomes = await this.store.appendEvents(events.map(({ event }) => event));
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { kind: 'unavailable', message: error.message };
      throw error;
    }
    let stored = 0;
    let clamped = 0;
    outcomes.forEach((outcome, index) => {
      const { event, clamped: wasClamped } = events[index] as Normalized;
      this.metrics.eventsTotal.inc({ source: event.source, type: event.type, outcome });
      if (outcome !== 'stored') return;
      stored++;
      if (wasClamped) {
        clamped++;
        this.metrics.eventsClampedTotal.inc({ source: event.source });
      }
    });
    return { kind: 'accepted', stored, duplicates: outcomes.length - stored, clamped };
  }
}

type Normalized = ReturnType<typeof normalizeWithFlags>;

function prepareItem(item: unknown, request: IntakeRequest): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const event = item as Record<string, unknown>;
  const shared = request.shared;
  if (!shared && !request.forcedType) return event;
  const merged: Record<string, unknown> = { ...event };
  if (request.forcedType) merged.type = request.forcedType;
  if (shared?.context) merged.context = { ...shared.context, ...asObject(event.context) };
  if (shared?.integrations) merged.integrations = { ...shared.integrations, ...asObject(event.integrations) };
  if (shared?.sentAt && (event.sentAt === undefined || event.sentAt === null)) merged.sentAt = shared.sentAt;
  return merged;
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function findOversizedItems(request: IntakeRequest): FieldIssue[] {
  if (request.bodyBytes <= MAX_EVENT_BYTES) return [];
  const issues: FieldIssue[] = [];
  request.items.forEach((item, index) => {
    const bytes = jsonBytes(item);
    if (bytes > MAX_EVENT_BYTES) {
      issues.push({
        path: request.itemPath(index) || 'body',
        message: `event is ${bytes} bytes; at most ${MAX_EVENT_BYTES} bytes (32 KB) per event`,
      });
    }
  });
  return issues;
}

/** Size of an item as JSON; one nested too deep to serialise counts as too large. */
function jsonBytes(item: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(item) ?? '');
  } catch {
    return MAX_REQUEST_BYTES;
  }
}
