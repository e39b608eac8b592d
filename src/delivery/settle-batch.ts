import type { ChangeSet, DeliveryResult, HoldChange, PendingChange } from '../store/delivery-port.js';
import type { BuildResult, BuiltRequest, ItemOutcome } from './destination.js';
import { retryDelayMs } from './pending.js';

/**
 * Turns what happened to one batch (the requests sent, each request's per-item outcomes, the items
 * skipped or deferred) into results per profile and key. Pure. A key (`audience:x`, `trait:y`) is
 * settled only by the requests that carried it: retried if any of them asks for a retry, dead if one
 * rejected it, delivered if all succeeded. A key no request carried was either already told (not in
 * the net change) or had nothing to send: delivered.
 */

export interface BatchEntry {
  pending: PendingChange;
  /** Everything the pending row said when it was read: what this round settles. */
  snapshot: ChangeSet;
  /** The part of `snapshot` the destination was not yet told (what the item carried). */
  net: ChangeSet;
}

export interface RequestRun {
  request: BuiltRequest;
  /** One per entry of `request.items`. */
  outcomes: ItemOutcome[];
}

export interface SettleOptions {
  now: number;
  maxRetryAgeMs: number;
  random?: () => number;
}

type KeyVerdict =
  { kind: 'ok' } | { kind: 'retry'; reason: string; afterMs: number } | { kind: 'reject'; reason: string };

interface EntryState {
  verdicts: Map<string, KeyVerdict>;
  /** Ledger changes of the parts that succeeded, with the keys each part carried. */
  holds: { keys: string[]; hold: HoldChange }[];
  remember: Record<string, string>;
}

export function settleBatch(
  entries: BatchEntry[],
  build: Pick<BuildResult, 'skipped' | 'deferred'>,
  runs: RequestRun[],
  options: SettleOptions,
): DeliveryResult[] {
  const states: EntryState[] = entries.map(() => ({ verdicts: new Map(), holds: [], remember: {} }));
  for (const { request, outcomes } of runs) {
    request.items.forEach((index, position) => {
      const entry = entries[index];
      const state = states[index];
      if (!entry || !state) return;
      const outcome = outcomes[position] ?? { kind: 'retry', reason: 'bug: no outcome for this item' };
      const keys = carriedKeys(entry.net, request.parts?.[position]);
      for (const key of keys) state.verdicts.set(key, worse(state.verdicts.get(key), verdictOf(outcome)));
      const hold = request.parts?.[position]?.hold;
      if (outcome.kind === 'ok') {
        if (hold) state.holds.push({ keys, hold });
        Object.assign(state.remember, outcome.remember ?? {});
      }
    });
  }
  for (const { item, reason } of build.skipped) {
    const entry = entries[item];
    const state = states[item];
    if (!entry || !state) continue;
    for (const key of keysOf(entry.net))
      state.verdicts.set(key, { kind: 'reject', reason: `skipped: ${reason}` });
  }
  for (const deferral of build.deferred ?? []) {
    const entry = entries[deferral.item];
    const state = states[deferral.item];
    if (!entry || !state) continue;
    const verdict: KeyVerdict = { kind: 'retry', reason: deferral.reason, afterMs: deferral.afterMs ?? 0 };
    for (const key of carriedKeys(entry.net, deferral))
      state.verdicts.set(key, worse(state.verdicts.get(key), verdict));
  }
  return entries.flatMap((entry, index) => resultsOf(entry, states[index] as EntryState, options));
}

function resultsOf(entry: BatchEntry, state: EntryState, options: SettleOptions): DeliveryResult[] {
  const profileId = entry.pending.profileId;
  const delivered: string[] = [];
  const dead = new Map<string, string[]>();
  const retry: { key: string; reason: string; afterMs: number }[] = [];
  for (const key of keysOf(entry.snapshot)) {
    const verdict = state.verdicts.get(key) ?? { kind: 'ok' };
    if (verdict.kind === 'ok') delivered.push(key);
    else if (verdict.kind === 'reject') dead.set(verdict.reason, [...(dead.get(verdict.reason) ?? []), key]);
    else retry.push({ key, ...verdict });
  }
  const firstAttempt = entry.pending.firstAttemptAt ?? options.now;
  if (retry.length > 0 && options.now - firstAttempt >= options.maxRetryAgeMs) {
    const reason = `gave up after ${entry.pending.attempts + 1} attempts: ${retry[0]?.reason}`;
    dead.set(
      reason,
      retry.map((r) => r.key),
    );
    retry.length = 0;
  }
  const results: DeliveryResult[] = [];
  // A request that only taught something (an upsert made to learn a record id) still records it.
  if (delivered.length > 0 || Object.keys(state.remember).length > 0) {
    const sent = subset(entry.snapshot, delivered);
    // A ledger change counts only when every key its request carried was delivered.
    const hold: HoldChange = {};
    for (const part of state.holds) {
      if (part.keys.every((key) => delivered.includes(key))) Object.assign(hold, part.hold);
    }
    results.push({
      profileId,
      kind: 'delivered',
      sent,
      ...(Object.keys(hold).length > 0 ? { hold } : {}),
      ...(Object.keys(state.remember).length > 0 ? { remember: state.remember } : {}),
    });
  }
  for (const [reason, keys] of dead) {
    results.push({ profileId, kind: 'dead', sent: subset(entry.snapshot, keys), reason });
  }
  if (retry.length > 0) {
    const afterMs = Math.max(...retry.map((r) => r.afterMs));
    results.push({
      profileId,
      kind: 'retry',
      sent: subset(
        entry.snapshot,
        retry.map((r) => r.key),
      ),
      reason: retry[0]?.reason ?? 'retry',
      nextAttemptAt: options.now + retryDelayMs(entry.pending.attempts, afterMs, options.random),
    });
  }
  return results;
}

/** The keys a request (or deferral) carries of an entry: the named ones, or the whole net change. */
function carriedKeys(
  net: ChangeSet,
  part: { audiences?: string[]; traits?: string[] } | undefined,
): string[] {
  if (!part || (part.audiences === undefined && part.traits === undefined)) return keysOf(net);
  return [
    ...(part.audiences ?? []).map((name) => `audience:${name}`),
    ...(part.traits ?? []).map((name) => `trait:${name}`),
  ];
}

function keysOf(change: ChangeSet): string[] {
  return [
    ...Object.keys(change.audiences).map((name) => `audience:${name}`),
    ...Object.keys(change.traits).map((name) => `trait:${name}`),
  ];
}

function subset(change: ChangeSet, keys: string[]): ChangeSet {
  const wanted = new Set(keys);
  return {
    version: change.version,
    audiences: Object.fromEntries(
      Object.entries(change.audiences).filter(([name]) => wanted.has(`audience:${name}`)),
    ),
    traits: Object.fromEntries(Object.entries(change.traits).filter(([name]) => wanted.has(`trait:${name}`))),
  };
}

function verdictOf(outcome: ItemOutcome): KeyVerdict {
  if (outcome.kind === 'ok') return { kind: 'ok' };
  if (outcome.kind === 'reject') return { kind: 'reject', reason: outcome.reason };
  return { kind: 'retry', reason: outcome.reason, afterMs: outcome.afterMs ?? 0 };
}

/** A retry wins over a rejection (the key is sent again), a rejection over success. */
function worse(a: KeyVerdict | undefined, b: KeyVerdict): KeyVerdict {
  if (!a) return b;
  const rank = { ok: 0, reject: 1, retry: 2 } as const;
  if (rank[b.kind] > rank[a.kind]) return b;
  if (a.kind === 'retry' && b.kind === 'retry' && b.afterMs > a.afterMs) return b;
  return a;
}
