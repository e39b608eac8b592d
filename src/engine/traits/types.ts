import type { EventType } from '../../store/port.js';

/** What the trait engine reads of a stored event (see `engineEventFromStored`). */
export interface EngineEvent {
  messageId: string;
  type: EventType;
  /** The track event name. */
  event?: string;
  /** The page / screen name. */
  name?: string;
  /** Event time, epoch ms (docs/intake.md "Normalisation"). */
  eventTime: number;
  /** The normalized Segment event; property paths are read from here. */
  body: Record<string, unknown>;
}

export interface ApplyContext {
  /** Processing time, epoch ms: windows are pruned and lateness judged against it. */
  now: number;
  /** Events with eventTime before `now - allowedLatenessMs` skip windowed aggregates. */
  allowedLatenessMs: number;
  /** A current trait value by name or dotted path (`rfm.tier`), for score trait conditions. */
  traits: (path: string) => unknown;
}

/**
 * One computed-trait kind. States are JSON values. `apply` and `merge` may change the state they are
 * given and return it (or return a new one): callers always keep the returned value.
 */
export interface TraitKind<D, S> {
  init(def: D): S;
  apply(def: D, state: S, event: EngineEvent, ctx: ApplyContext): S;
  /** Both profiles' states as if every event had belonged to one person; consumes `a` and `b`. */
  merge(def: D, a: S, b: S): S;
  value(def: D, state: S, now: number): unknown;
  /** The earliest instant after `now` at which `value` can change with no new event. */
  nextChangeAt(def: D, state: S, now: number): number | undefined;
}

/** A profile's trait state, as stored. */
export interface ProfileTraits {
  /** Per computed trait name, its kind's state. */
  computed: Record<string, unknown>;
  /** identify traits (and `context.traits`), latest by event time. */
  plain: Record<string, PlainTrait>;
}

export interface PlainTrait {
  value: unknown;
  /** Event time of the event that set it. */
  at: number;
}
