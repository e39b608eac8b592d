import type { z } from 'zod';

/**
 * The contract every destination folder (`src/destinations/<name>/`) implements. Building a request
 * and classifying its response are pure functions; the delivery core does the HTTP, rate limiting,
 * retries, ordering and logging. There is only a batch path: one change is a batch of one.
 */

/** One profile's pending change for one destination, coalesced: the latest state wins. */
export interface DeliveryItem {
  profileId: string;
  /** Increases with every change of the profile; never deliver a lower one after a higher one. */
  version: number;
  identifiers: { userId?: string; email?: string; anonymousId?: string };
  /** Audiences this destination syncs whose membership changed: the membership now. */
  audiences: Record<string, boolean>;
  /** Synced traits that changed: the value now (null = unset). */
  traits: Record<string, unknown>;
}

export interface BuiltRequest {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Indices (into the items given to buildBatch) this request carries, in body order. */
  items: number[];
}

export interface BuildResult {
  requests: BuiltRequest[];
  /** Items that cannot be sent at all (e.g. no e-mail for an e-mail-keyed destination), with why. */
  skipped: { item: number; reason: string }[];
}

export type HttpResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

export type ItemOutcome =
  | { kind: 'ok'; warning?: string }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'reject'; reason: string };

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

export interface DestinationType<Settings, Mapping> {
  type: string;
  /** The `settings:` block of a destination in the mapping files. */
  settings: z.ZodType<Settings>;
  /** The rest of the destination block (identify_by, audiences, traits, ...), without type/settings/limits. */
  mapping: z.ZodType<Mapping>;
  limits: DestinationLimits;
  /** Which audiences and traits this destination needs to hear about. */
  subscriptions(mapping: Mapping): { audiences: string[]; traits: string[] };
  buildBatch(items: DeliveryItem[], config: { settings: Settings; mapping: Mapping }): BuildResult;
  /** One outcome per item of `request.items`, same order. */
  classify(result: HttpResult, request: BuiltRequest): ItemOutcome[];
  /** The request body as the delivery log keeps it: identifiers hashed or redacted, no secrets. */
  redactBody(body: unknown): unknown;
}

/** A destination ready to use: settings and mapping parsed, types erased for the registry. */
export interface ConfiguredDestination {
  type: string;
  limits: DestinationLimits;
  subscriptions: { audiences: string[]; traits: string[] };
  buildBatch(items: DeliveryItem[]): BuildResult;
  classify(result: HttpResult, request: BuiltRequest): ItemOutcome[];
  redactBody(body: unknown): unknown;
}

export interface RegisteredDestination {
  type: string;
  limits: DestinationLimits;
  settingsSchema: z.ZodType;
  mappingSchema: z.ZodType;
  /** The audiences a parsed mapping syncs. */
  audiencesOf(mapping: unknown): string[];
  /** Parses settings and mapping (throws a ZodError naming the fields) and binds them. */
  configure(settings: unknown, mapping: unknown): ConfiguredDestination;
}

export function registerDestination<S, M>(definition: DestinationType<S, M>): RegisteredDestination {
  return {
    type: definition.type,
    limits: definition.limits,
    settingsSchema: definition.settings,
    mappingSchema: definition.mapping,
    audiencesOf: (mapping) => definition.subscriptions(mapping as M).audiences,
    configure(rawSettings, rawMapping) {
      const config = {
        settings: definition.settings.parse(rawSettings),
        mapping: definition.mapping.parse(rawMapping),
      };
      return {
        type: definition.type,
        limits: definition.limits,
        subscriptions: definition.subscriptions(config.mapping),
        buildBatch: (items) => definition.buildBatch(items, config),
        classify: (result, request) => definition.classify(result, request),
        redactBody: (body) => definition.redactBody(body),
      };
    },
  };
}
