import { describe, expect, it } from 'vitest';
import { foldDelivered, foldLateDelivery, isUnknownTrait, UNKNOWN_TRAIT } from '../../src/delivery/fold.js';
import { netChange } from '../../src/delivery/pending.js';
import type { DeliveredState } from '../../src/store/delivery-port.js';

const state = (
  audiences: Record<string, boolean | null>,
  traits: Record<string, unknown> = {},
  version = 3,
): DeliveredState => ({ version, audiences, traits });

describe('foldDelivered: what a destination may hold once F merged into S', () => {
  it('keeps what both were told alike, and makes every disagreement unknown', () => {
    const s = state({ high_intent: false, vip: true }, { lead_score: 40, tier: 'gold', plan: null });
    const f = state({ high_intent: true, vip: true }, { lead_score: 40, tier: 'silver' }, 9);
    expect(foldDelivered(s, f)).toEqual({
      version: 3, // the survivor's
      audiences: { high_intent: null, vip: true },
      traits: { lead_score: 40, plan: null, tier: UNKNOWN_TRAIT },
    });
  });

  it('counts a missing audience as false and a missing trait as null', () => {
    const s = state({ high_intent: false }, { lead_score: null });
    const f = state({ cart: true, champions: false }, { tier: 'gold' });
    expect(foldDelivered(s, f)).toEqual({
      version: 3,
      audiences: { cart: null, champions: false, high_intent: false },
      traits: { lead_score: null, tier: UNKNOWN_TRAIT },
    });
    // S never told anything: its identifiers hold nothing, so F's true values are unknown for S.
    expect(foldDelivered(undefined, state({ vip: true, cart: false }, { lead_score: 40 }))).toEqual({
      version: 0,
      audiences: { cart: false, vip: null },
      traits: { lead_score: UNKNOWN_TRAIT },
    });
    expect(foldDelivered(state({ vip: true }), undefined)?.audiences).toEqual({ vip: null });
    expect(foldDelivered(undefined, undefined)).toBeUndefined();
  });

  it('keeps unknown unknown, whatever the other side says', () => {
    const s = state({ vip: null }, { tier: UNKNOWN_TRAIT });
    const f = state({ vip: null }, { tier: UNKNOWN_TRAIT });
    expect(foldDelivered(s, f)).toEqual(state({ vip: null }, { tier: UNKNOWN_TRAIT }));
    expect(foldDelivered(state({ vip: true }), s)?.audiences).toEqual({ vip: null });
  });

  it('compares trait values by content', () => {
    const s = state({}, { reasons: ['pricing', 'demo'], geo: { lat: 1 } });
    const f = state({}, { reasons: ['pricing', 'demo'], geo: { lat: 2 } });
    expect(foldDelivered(s, f)?.traits).toEqual({ reasons: ['pricing', 'demo'], geo: UNKNOWN_TRAIT });
  });

  it('a late success for the merged profile makes only the keys it sent differently unknown', () => {
    const s = state({ high_intent: false, vip: true }, { lead_score: 40 });
    const sent = { version: 7, audiences: { high_intent: true, vip: true }, traits: { lead_score: 40 } };
    expect(foldLateDelivery(s, sent)).toEqual(state({ high_intent: null, vip: true }, { lead_score: 40 }));
    expect(foldLateDelivery(undefined, sent)).toEqual({
      version: 0,
      audiences: { high_intent: null, vip: null },
      traits: { lead_score: UNKNOWN_TRAIT },
    });
  });
});

describe('netChange', () => {
  const pending = { version: 5, audiences: { a: true, b: false, c: false }, traits: { t: 1, u: null } };

  it('sends what differs from what the destination was told (missing = false / null)', () => {
    expect(netChange(pending, undefined)).toEqual({ version: 5, audiences: { a: true }, traits: { t: 1 } });
    expect(netChange(pending, state({ a: true, b: true }, { t: 1, u: 'x' }))).toEqual({
      version: 5,
      audiences: { b: false },
      traits: { u: null },
    });
    expect(netChange(pending, state({ a: true }, { t: 1 }))).toEqual({
      version: 5,
      audiences: {},
      traits: {},
    });
  });

  it('treats unknown as different from every value, false and null included', () => {
    const unknown = state({ a: null, b: null, c: false }, { t: UNKNOWN_TRAIT, u: UNKNOWN_TRAIT });
    expect(netChange(pending, unknown)).toEqual({
      version: 5,
      audiences: { a: true, b: false },
      traits: { t: 1, u: null },
    });
  });

  it('recognises only the exact unknown marker', () => {
    expect(isUnknownTrait(UNKNOWN_TRAIT)).toBe(true);
    expect(isUnknownTrait(JSON.parse(JSON.stringify(UNKNOWN_TRAIT)))).toBe(true);
    expect(isUnknownTrait({ 'relay:unknown': true, other: 1 })).toBe(false);
    expect(isUnknownTrait(null)).toBe(false);
    expect(isUnknownTrait([true])).toBe(false);
  });
});
