/**
 * What a model-test stream is made of: a seeded PRNG, events kept as ages (ms before a base instant)
 * and turned into timestamps only when sent, and the margins that keep every event time away from
 * the windows and thresholds of the example mappings.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SegmentEvent = Record<string, unknown> & { messageId: string; type: string };

/** One event to send, in arrival order. `person` is the generator's person (for shrinking). */
export interface StreamItem {
  person: number;
  ageMs: number;
  /** identify only: `traits.trial_ends_at` = base + this, as ISO text or (numeric) epoch ms. */
  trialEndsInMs?: number;
  trialAsNumber?: boolean;
  body: SegmentEvent;
}

export interface Stream {
  seed: number;
  people: number;
  items: StreamItem[];
}

/** The event as sent: `timestamp` (and `trial_ends_at`) relative to `base`. */
export function materialize(item: StreamItem, base: number): SegmentEvent {
  const body = structuredClone(item.body);
  body.timestamp = new Date(base - item.ageMs).toISOString();
  if (item.trialEndsInMs !== undefined) {
    const at = base + item.trialEndsInMs;
    (body.traits as Record<string, unknown>).trial_ends_at = item.trialAsNumber
      ? at
      : new Date(at).toISOString();
  }
  return body;
}

/** Age ranges (ms before base) the sessions are placed in. */
export const RANGES = {
  old: [33 * DAY, 355 * DAY],
  late: [10 * DAY, 27 * DAY],
  recent: [20 * MINUTE, 6 * DAY],
  within48h: [25 * MINUTE, 47 * HOUR],
  within4h: [25 * MINUTE, 3.5 * HOUR],
  after4h: [5 * HOUR, 6 * DAY],
} as const satisfies Record<string, readonly [number, number]>;
export type RangeName = keyof typeof RANGES;

const near = (age: number, boundary: number, margin: number) => Math.abs(age - boundary) < margin;

/** True when an event at this age cannot flip any window, lateness or whole-day value during a run. */
export function ageIsSafe(age: number, isOrder: boolean): boolean {
  if (age < 10 * MINUTE || age > 355 * DAY) return false;
  if (near(age, 4 * HOUR, 20 * MINUTE) || near(age, 48 * HOUR, 20 * MINUTE)) return false;
  if (age > 6 * DAY && age < 10 * DAY) return false; // the 7-day allowed lateness, 1 day either side
  if (age > 27 * DAY && age < 33 * DAY) return false; // 30-day windows and active days
  if (isOrder) {
    const fraction = (age / DAY) % 1; // whole days since an order; R boundaries 7, 30, 60, 120 days
    if (fraction < 0.1 || fraction > 0.9) return false;
  }
  return true;
}
