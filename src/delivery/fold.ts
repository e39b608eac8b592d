import type { ChangeSet, DeliveredState, FoldRules } from '../store/delivery-port.js';

/**
 * What a destination was told of a trait is unknown (since a merge): stored in the delivered state in
 * place of a value, so the next net change re-sends the profile's current value whatever it is.
 */
export const UNKNOWN_TRAIT = Object.freeze({ 'relay:unknown': true });

export function isUnknownTrait(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    (value as Record<string, unknown>)['relay:unknown'] === true
  );
}

/**
 * When profile F merges into profile S, a destination may hold F's values under F's identifiers and
 * S's under S's, and the survivor now speaks for both. Per audience and trait: what both were told
 * if they agree (a missing audience counts as `false`, a missing trait as `null`), else unknown
 * (`null` for an audience, `UNKNOWN_TRAIT` for a trait), so the survivor's current value is sent
 * again. Undefined when neither was told anything. The survivor's version is kept.
 */
export function foldDelivered(
  survivor: DeliveredState | undefined,
  merged: DeliveredState | undefined,
): DeliveredState | undefined {
  if (!survivor && !merged) return undefined;
  const audiences: Record<string, boolean | null> = {};
  for (const name of keysOf(survivor?.audiences, merged?.audiences)) {
    const a = toldAudience(survivor, name);
    const b = toldAudience(merged, name);
    audiences[name] = a !== null && a === b ? a : null;
  }
  const traits: Record<string, unknown> = {};
  for (const name of keysOf(survivor?.traits, merged?.traits)) {
    const a = survivor?.traits[name] ?? null;
    const b = merged?.traits[name] ?? null;
    traits[name] = !isUnknownTrait(a) && sameValue(a, b) ? a : UNKNOWN_TRAIT;
  }
  return { version: survivor?.version ?? 0, audiences, traits };
}

/**
 * A request for a profile that was merged away while the request was in flight succeeded: the
 * destination now holds `sent` under the merged profile's identifiers. The survivor's state keeps
 * what agrees with it; a key whose sent value differs becomes unknown.
 */
export function foldLateDelivery(survivor: DeliveredState | undefined, sent: ChangeSet): DeliveredState {
  const told = {
    version: sent.version,
    audiences: { ...survivor?.audiences, ...sent.audiences },
    traits: { ...survivor?.traits, ...sent.traits },
  };
  return foldDelivered(survivor, told) ?? { version: 0, audiences: {}, traits: {} };
}

/** `null` (unknown) stays null; missing is `false` (never told to be in it). */
function toldAudience(state: DeliveredState | undefined, name: string): boolean | null {
  const value = state?.audiences[name];
  return value === undefined ? false : value;
}

function keysOf(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The fold rules as the delivery store takes them. */
export const FOLD_RULES: FoldRules = { fold: foldDelivered, lateDelivery: foldLateDelivery };
