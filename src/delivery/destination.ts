import type { z } from 'zod';
import type { FakeServer, RecordedRequest } from '../destinations/fake-kit.js';

/**
 * The contract every destination folder (`src/destinations/<name>/`) implements. Building a request
 * and classifying its response are pure functions; the delivery core does the HTTP, rate limiting,
 * retries, ordering, the membership ledger and logging. There is only a batch path: one change is a
 * batch of one.
 */

/** An identifier of the profile, as the store knows it (raw: never logged, never sent to ad platforms). */
export interface ProfileIdentifier {
  kind: 'userId' | 'anonymousId' | 'email' | 'alias';
  value: string;
}

/**
 * How a set destination (an ad audience) holds a person: the platform's key fields as sent when
 * the person was added, already normalised and hashed (e.g. `{ "EMAIL": "<sha256>" }`). Kept by the
 * core per (destination, audience, profile), so a remove uses the keys of the add even after the
 * e-mail changed or the profile was merged.
 */
export type KeySet = Record<string, string>;

/** One profile's pending change for one destination, coalesced: the latest state wins. */
export interface DeliveryItem {
  profileId: string;
  /** Increases with every change of the profile; never deliver a lower one after a higher one. */
  version: number;
  /** The first identifier of each kind (sorted), for destinations keyed by one of them. */
  identifiers: { userId?: string; email?: string; anonymousId?: string };
  /** Every identifier of the profile (a merged profile may have several e-mails). */
  allIdentifiers: ProfileIdentifier[];
  /** Audiences this destination syncs whose membership changed: the membership now. */
  audiences: Record<string, boolean>;
  /** Synced traits that changed: the value now (null = unset). */
  traits: Record<string, unknown>;
  /**
   * Every synced trait's value as far as this destination knows: what it was last told, overlaid
   * with `traits`. Match keys taken from traits (phone, names, country) are read here.
   */
  knownTraits: Record<string, unknown>;
  /** Per audience the platform holds this person in: the key sets it was added under. */
  held: Record<string, KeySet[]>;
  /** What earlier answers taught about this profile (e.g. a HubSpot record id), see `ItemOutcome.remember`. */
  memory: Record<string, string>;
  /** Message ids of the events behind this change (the latest 20). */
  causedBy: string[];
}

/**
 * The part of an item one request carries. Without `parts`, a request carries each of its items'
 * whole change. With them, only the named audiences and traits are settled by this request's outcome,
 * so a change split across requests (enter A in one, exit B in another) keeps a failed half pending.
 */
export interface RequestPart {
  audiences?: string[];
  traits?: string[];
  /**
   * Set destinations: per audience, the key set this request adds the person under (recorded in the
   * ledger when the item succeeds), or `null` when it removes the person (the ledger entry is dropped).
   */
  hold?: Record<string, KeySet | null>;
}

export interface BuiltRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Indices (into the items given to buildBatch) this request carries, in body order. */
  items: number[];
  /** Same length as `items` when present: what of each item this request carries. */
  parts?: RequestPart[];
  /** The audience (ad list) this request writes to, for the match view; one per request on ad platforms. */
  audience?: string;
}

/**
 * What to do with a batch. Every audience and trait of an item that no request carries, and that is
 * neither skipped nor deferred, is settled as delivered: the destination had nothing to say about it
 * (a trait change of someone not in the ad audience).
 */
export interface BuildResult {
  requests: BuiltRequest[];
  /** Items that cannot be sent at all (e.g. no e-mail for an e-mail-keyed destination), with why: dead letters. */
  skipped: { item: number; reason: string }[];
  /**
   * Parts that cannot be sent yet (a HubSpot list membership before the contact's record id is known):
   * they stay pending and are retried like a failure (backoff, dead letter at the max retry age).
   */
  deferred?: { item: number; audiences?: string[]; traits?: string[]; reason: string; afterMs?: number }[];
}

export type HttpResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

export type ItemOutcome =
  /** `remember` is kept for this profile and destination and comes back in `DeliveryItem.memory`. */
  | { kind: 'ok'; warning?: string; remember?: Record<string, string> }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'reject'; reason: string };

/** A signal about the whole destination, not one item: the core pauses every request on it. */
export type DestinationSignal =
  /** Throttled (a 429, or Meta's code 4/17/80003/613): no request until `forMs` from now. */
  | { kind: 'throttled'; forMs: number; reason: string }
  /** The credentials were refused: pause (growing) and report it; items are retried, not dead-lettered. */
  | { kind: 'credentials'; reason: string };

/** What a request told about the platform's side, shown next to it in the delivery log and match view. */
export interface RequestReport {
  /** Rows the platform dropped as invalid (Meta `num_invalid_entries`). */
  invalidEntries?: number;
  /** Received rows, as the platform counted them. */
  received?: number;
  /** An id to poll for the request's final result (Google `requestId`). */
  asyncId?: string;
  /** Anything else worth seeing (no identifiers). */
  note?: string;
}

/** `classify`'s answer: one outcome per item of the request, plus what concerns the destination. */
export interface Classified {
  items: ItemOutcome[];
  signal?: DestinationSignal;
  report?: RequestReport;
}

/** The final state of an asynchronously applied request (Google's `requestStatus:retrieve`). */
export type AsyncStatus =
  | { state: 'pending' }
  | { state: 'done'; status: string; detail: string }
  /** The poll itself failed; try again later. */
  | { state: 'unknown'; detail: string };

export interface DestinationLimits {
  /** Items per request. */
  batchSize: number;
  /** Requests allowed per window (the API's documented rate limit). */
  requestsPerWindow: number;
  windowMs: number;
  /** Request timeout. */
  timeoutMs: number;
  /** How long a batch may wait for more items before it is sent. */
  maxWaitMs: number;
}

/**
 * An event about the relay itself rather than a profile, e.g. `budget.allocation_changed` with the
 * new allocation (docs/budget.md). Sent to every destination whose type has `notify`.
 */
export interface RelayEvent {
  type: string;
  data: unknown;
}

/** Sends one built request: plain HTTP unless the destination brings its own (an SDK). */
export interface Transport {
  send(request: BuiltRequest): Promise<HttpResult>;
  close(): Promise<void>;
}

/** The destination's fake server, for tests and `audience-relay fakes`. Loaded on demand. */
export interface FakeDefinition {
  /** Port `audience-relay fakes` uses, which the example mappings fall back to. */
  port: number;
  /** The credential the fake accepts, the example mappings' fallback. */
  credential: string;
  /** Environment variable of the example mappings that names the endpoint. */
  endpointEnv: string;
  start(options: { port: number }): Promise<FakeServer>;
  /** One line about what a recorded request carried: identifiers hashed, no secrets. */
  describe(request: RecordedRequest): string;
}

/** What a destination's functions are given: its parsed settings and mapping, and what `prepare` found. */
export interface DestinationConfig<Settings, Mapping, Prepared = undefined> {
  settings: Settings;
  mapping: Mapping;
  prepared: Prepared;
}

export interface DestinationType<Settings, Mapping, Prepared = undefined> {
  type: string;
  /** The product's name for people (`Meta Custom Audiences`). */
  title: string;
  /** The `settings:` block of a destination in the mapping files. */
  settings: z.ZodType<Settings>;
  /** The rest of the destination block (identify_by, audiences, traits, ...), without type/settings/limits. */
  mapping: z.ZodType<Mapping>;
  limits: DestinationLimits;
  /** Ad platforms: identifiers leave only hashed; the relay keeps a ledger of what the platform holds. */
  kind?: 'attributes' | 'set';
  /** The smallest audience the platform targets (Google 100), for the match view's warning. */
  minimumAudienceSize?: number;
  /** Which audiences and traits this destination needs to hear about (match-key traits included). */
  subscriptions(mapping: Mapping): { audiences: string[]; traits: string[] };
  /**
   * Run before the first batch and after each (re)configuration, with the same HTTP and rate limit:
   * finds or creates what the mapping names (a HubSpot list by name). A throw is retried later.
   */
  prepare?(
    config: DestinationConfig<Settings, Mapping, undefined>,
    http: (request: BuiltRequest) => Promise<HttpResult>,
  ): Promise<Prepared>;
  buildBatch(items: DeliveryItem[], config: DestinationConfig<Settings, Mapping, Prepared>): BuildResult;
  /** One outcome per item of `request.items`, same order; optionally a signal and a report. */
  classify(
    result: HttpResult,
    request: BuiltRequest,
    config: DestinationConfig<Settings, Mapping, Prepared>,
  ): ItemOutcome[] | Classified;
  /** The request body as the delivery log keeps it: identifiers hashed or redacted, no secrets. */
  redactBody(body: unknown): unknown;
  /** Destinations whose requests are applied later: how to ask for, and read, the final result. */
  asyncResult?: {
    /** How long after the request the first poll goes out (per destination, from its settings), then between polls. */
    firstPollAfterMs: number | ((config: DestinationConfig<Settings, Mapping, Prepared>) => number);
    pollEveryMs: number;
    request(asyncId: string, config: DestinationConfig<Settings, Mapping, Prepared>): BuiltRequest;
    read(result: HttpResult): AsyncStatus;
  };
  /** A destination that sends through an SDK instead of plain HTTP. */
  transport?(config: DestinationConfig<Settings, Mapping, Prepared>): Transport;
  /**
   * Destinations that take relay events: the one request that carries `event`, or undefined when
   * this destination (named `destinationName` in the mapping files) has nothing to send for it. Its
   * `items` are `[0]` (the event is the one item), so `classify` reads its answer as for a batch of one.
   */
  notify?(
    event: RelayEvent,
    config: DestinationConfig<Settings, Mapping, Prepared>,
    destinationName: string,
  ): BuiltRequest | undefined;
  fake?: FakeDefinition;
}

/** A destination ready to use: settings and mapping parsed, types erased for the registry. */
export interface ConfiguredDestination {
  type: string;
  kind: 'attributes' | 'set';
  limits: DestinationLimits;
  minimumAudienceSize?: number;
  subscriptions: { audiences: string[]; traits: string[] };
  prepare?(http: (request: BuiltRequest) => Promise<HttpResult>): Promise<void>;
  buildBatch(items: DeliveryItem[]): BuildResult;
  classify(result: HttpResult, request: BuiltRequest): Classified;
  redactBody(body: unknown): unknown;
  asyncResult?: {
    firstPollAfterMs: number;
    pollEveryMs: number;
    request(asyncId: string): BuiltRequest;
    read(result: HttpResult): AsyncStatus;
  };
  transport?(): Transport;
  notify?(event: RelayEvent, destinationName: string): BuiltRequest | undefined;
}

export interface RegisteredDestination {
  type: string;
  title: string;
  kind: 'attributes' | 'set';
  limits: DestinationLimits;
  settingsSchema: z.ZodType;
  mappingSchema: z.ZodType;
  fake?: FakeDefinition;
  /** The audiences a parsed mapping syncs. */
  audiencesOf(mapping: unknown): string[];
  /** The traits a parsed mapping needs to hear about (synced ones and match-key traits). */
  traitsOf(mapping: unknown): string[];
  /** Parses settings and mapping (throws a ZodError naming the fields) and binds them. */
  configure(settings: unknown, mapping: unknown): ConfiguredDestination;
}

export function registerDestination<S, M, P = undefined>(
  definition: DestinationType<S, M, P>,
): RegisteredDestination {
  return {
    type: definition.type,
    title: definition.title,
    kind: definition.kind ?? 'attributes',
    limits: definition.limits,
    settingsSchema: definition.settings,
    mappingSchema: definition.mapping,
    ...(definition.fake ? { fake: definition.fake } : {}),
    audiencesOf: (mapping) => definition.subscriptions(mapping as M).audiences,
    traitsOf: (mapping) => definition.subscriptions(mapping as M).traits,
    configure(rawSettings, rawMapping) {
      const parsed = {
        settings: definition.settings.parse(rawSettings),
        mapping: definition.mapping.parse(rawMapping),
      };
      // Until `prepare` ran (or for destinations without one) `prepared` is undefined.
      const config: DestinationConfig<S, M, P> = { ...parsed, prepared: undefined as P };
      const asyncResult = definition.asyncResult;
      const transport = definition.transport;
      const notify = definition.notify;
      const prepare = definition.prepare;
      return {
        type: definition.type,
        kind: definition.kind ?? 'attributes',
        limits: definition.limits,
        ...(definition.minimumAudienceSize !== undefined
          ? { minimumAudienceSize: definition.minimumAudienceSize }
          : {}),
        subscriptions: definition.subscriptions(config.mapping),
        ...(prepare
          ? {
              prepare: async (http: (request: BuiltRequest) => Promise<HttpResult>) => {
                config.prepared = await prepare({ ...parsed, prepared: undefined }, http);
              },
            }
          : {}),
        buildBatch: (items) => definition.buildBatch(items, config),
        classify: (result, request) => asClassified(definition.classify(result, request, config)),
        redactBody: (body) => definition.redactBody(body),
        ...(asyncResult
          ? {
              asyncResult: {
                firstPollAfterMs:
                  typeof asyncResult.firstPollAfterMs === 'number'
                    ? asyncResult.firstPollAfterMs
                    : asyncResult.firstPollAfterMs(config),
                pollEveryMs: asyncResult.pollEveryMs,
                request: (asyncId: string) => asyncResult.request(asyncId, config),
                read: (result: HttpResult) => asyncResult.read(result),
              },
            }
          : {}),
        ...(transport ? { transport: () => transport(config) } : {}),
        ...(notify
          ? { notify: (event: RelayEvent, destinationName: string) => notify(event, config, destinationName) }
          : {}),
      };
    },
  };
}

function asClassified(answer: ItemOutcome[] | Classified): Classified {
  return Array.isArray(answer) ? { items: answer } : answer;
}
