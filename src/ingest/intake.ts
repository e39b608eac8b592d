import type { Clock } from '../lib/clock.js';
import type { Metrics } from '../lib/metrics.js';
import { StoreUnavailableError, type EventStore, type NewEvent } from '../store/port.js';
import { normalizeEvent } from './normalize.js';
import { SpecEvent } from './schemas.js';

export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_REQUEST_BYTES = 500 * 1024;

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
  shared?: SharedFields;
  /** Size of the decoded request body: items cannot exceed the event limit when this is below it. */
  bodyBytes: number;
  /** For `/v1/track` and friends: the type named by the path. */
  forcedType?: string;
}

export type IntakeResult =
  | { kind: 'accepted'; stored: number; duplicates: number }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'too_large'; issues: FieldIssue[] }
  | { kind: 'unavailable'; message: string };

export class Intake {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** Validates every item, then stores all of them or none; answers once they are durable. */
  async accept(request: IntakeRequest): Promise<IntakeResult> {
    if (request.items.length === 0) {
      return { kind: 'invalid', issues: [{ path: request.itemPath(0) || 'body', message: 'no events' }] };
    }
    const oversized = findOversizedItems(request);
    if (oversized.length > 0) return { kind: 'too_large', issues: oversized };

    const receivedAt = this.clock.now();
    const issues: FieldIssue[] = [];
    const events: NewEvent[] = [];
    request.items.forEach((item, index) => {
      const parsed = SpecEvent.safeParse(prepareItem(item, request));
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          issues.push({ path: joinPath(request.itemPath(index), issue.path), message: issue.message });
        }
        return;
      }
      if (issues.length === 0) events.push(normalizeEvent(request.source, parsed.data, receivedAt));
    });
    if (issues.length > 0) return { kind: 'invalid', issues };
    return this.persist(events);
  }

  private async persist(events: NewEvent[]): Promise<IntakeResult> {
    let outcomes;
    try {
      outcomes = await this.store.appendEvents(events);
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { kind: 'unavailable', message: error.message };
      throw error;
    }
    let stored = 0;
    outcomes.forEach((outcome, index) => {
      const event = events[index] as NewEvent;
      this.metrics.eventsTotal.inc({ source: event.source, type: event.type, outcome });
      if (outcome === 'stored') stored++;
    });
    return { kind: 'accepted', stored, duplicates: outcomes.length - stored };
  }
}

function prepareItem(item: unknown, request: IntakeRequest): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const event = item as Record<string, unknown>;
  const shared = request.shared;
  if (!shared && !request.forcedType) return event;
  const merged: Record<string, unknown> = { ...event };
  if (request.forcedType) merged.type = request.forcedType;
  if (shared?.context) merged.context = { ...shared.context, ...asObject(event.context) };
  if (shared?.integrations) merged.integrations = { ...shared.integrations, ...asObject(event.integrations) };
  if (shared?.sentAt && event.sentAt === undefined) merged.sentAt = shared.sentAt;
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
    const bytes = Buffer.byteLength(JSON.stringify(item) ?? '');
    if (bytes > MAX_EVENT_BYTES) {
      issues.push({
        path: request.itemPath(index) || 'body',
        message: `event is ${bytes} bytes; at most ${MAX_EVENT_BYTES} bytes (32 KB) per event`,
      });
    }
  });
  return issues;
}

function joinPath(prefix: string, path: PropertyKey[]): string {
  let text = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text || 'body';
}
