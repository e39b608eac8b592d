import { describe, expect, it } from 'vitest';
import type { BuiltRequest, ItemOutcome, RequestPart } from '../../src/delivery/destination.js';
import { settleBatch, type BatchEntry } from '../../src/delivery/settle-batch.js';
import type { ChangeSet, PendingChange } from '../../src/store/delivery-port.js';

/**
 * How one batch's requests settle each profile's keys: a step table per case (requests with the
 * parts they carry and the outcome each item got) and the results expected per profile.
 */

const NOW = 1_000_000;

function entry(profileId: string, change: Omit<ChangeSet, 'version'>, attempts = 0): BatchEntry {
  const pending: PendingChange = {
    destination: 'd',
    profileId,
    version: 3,
    ...change,
    causedBy: [],
    firstReceivedAt: null,
    enqueuedAt: 0,
    attempts,
    nextAttemptAt: 0,
    firstAttemptAt: attempts > 0 ? NOW - 10_000 : null,
    lastError: null,
  };
  const snapshot = { version: 3, ...change };
  return { pending, snapshot, net: snapshot };
}

function request(items: number[], parts?: RequestPart[]): BuiltRequest {
  return { method: 'POST', url: 'http://x', headers: {}, body: null, items, ...(parts ? { parts } : {}) };
}

const ok: ItemOutcome = { kind: 'ok' };
const retry503: ItemOutcome = { kind: 'retry', reason: 'HTTP 503' };
const reject400: ItemOutcome = { kind: 'reject', reason: 'HTTP 400' };

const settle = (...args: Parameters<typeof settleBatch>) => settleBatch(args[0], args[1], args[2], args[3]);
const options = { now: NOW, maxRetryAgeMs: 3_600_000, random: () => 0 };

describe('settling a batch per key', () => {
  it('a change split across two requests keeps the failed half pending (enter A: 200, exit B: 503)', () => {
    const entries = [entry('p1', { audiences: { a: true, b: false }, traits: {} })];
    const results = settle(
      entries,
      { skipped: [] },
      [
        { request: request([0], [{ audiences: ['a'] }]), outcomes: [ok] },
        { request: request([0], [{ audiences: ['b'] }]), outcomes: [retry503] },
      ],
      options,
    );
    expect(results).toEqual([
      { profileId: 'p1', kind: 'delivered', sent: { version: 3, audiences: { a: true }, traits: {} } },
      {
        profileId: 'p1',
        kind: 'retry',
        sent: { version: 3, audiences: { b: false }, traits: {} },
        reason: 'HTTP 503',
        nextAttemptAt: NOW + 500,
      },
    ]);
  });

  it('a key carried by two requests is retried when either asks for it', () => {
    const entries = [entry('p1', { audiences: { a: true }, traits: {} })];
    const results = settle(
      entries,
      { skipped: [] },
      [
        { request: request([0]), outcomes: [ok] },
        { request: request([0]), outcomes: [retry503] },
      ],
      options,
    );
    expect(results.map((r) => r.kind)).toEqual(['retry']);
  });

  it('rejected keys become one dead letter per reason; the others are delivered', () => {
    const entries = [entry('p1', { audiences: { a: true, b: true }, traits: { score: 5 } })];
    const results = settle(
      entries,
      { skipped: [] },
      [
        { request: request([0], [{ audiences: ['a'], traits: ['score'] }]), outcomes: [ok] },
        { request: request([0], [{ audiences: ['b'] }]), outcomes: [reject400] },
      ],
      options,
    );
    expect(results).toEqual([
      {
        profileId: 'p1',
        kind: 'delivered',
        sent: { version: 3, audiences: { a: true }, traits: { score: 5 } },
      },
      {
        profileId: 'p1',
        kind: 'dead',
        sent: { version: 3, audiences: { b: true }, traits: {} },
        reason: 'HTTP 400',
      },
    ]);
  });

  it('keys no request carried were nothing to send: delivered', () => {
    const entries = [entry('p1', { audiences: {}, traits: { phone_hash: 'x' } })];
    expect(settle(entries, { skipped: [] }, [], options)).toEqual([
      { profileId: 'p1', kind: 'delivered', sent: entries[0]!.snapshot },
    ]);
  });

  it('skipped items are dead letters; deferred parts are retried', () => {
    const entries = [
      entry('p1', { audiences: { a: true }, traits: {} }),
      entry('p2', { audiences: { a: true, list: true }, traits: {} }),
    ];
    const results = settle(
      entries,
      {
        skipped: [{ item: 0, reason: 'no email' }],
        deferred: [{ item: 1, audiences: ['list'], reason: 'waiting for the record id', afterMs: 2000 }],
      },
      [{ request: request([1], [{ audiences: ['a'] }]), outcomes: [{ kind: 'ok', remember: { id: '7' } }] }],
      options,
    );
    expect(results).toEqual([
      { profileId: 'p1', kind: 'dead', sent: entries[0]!.snapshot, reason: 'skipped: no email' },
      {
        profileId: 'p2',
        kind: 'delivered',
        sent: { version: 3, audiences: { a: true }, traits: {} },
        remember: { id: '7' },
      },
      {
        profileId: 'p2',
        kind: 'retry',
        sent: { version: 3, audiences: { list: true }, traits: {} },
        reason: 'waiting for the record id',
        nextAttemptAt: NOW + 2000,
      },
    ]);
  });

  it('what an answer taught is kept even when the request carried no key of the item', () => {
    const entries = [entry('p1', { audiences: { list: true }, traits: {} })];
    const results = settle(
      entries,
      { skipped: [], deferred: [{ item: 0, audiences: ['list'], reason: 'waiting for the record id' }] },
      [
        {
          request: request([0], [{ audiences: [], traits: [] }]),
          outcomes: [{ kind: 'ok', remember: { hubspot_record_id: '42' } }],
        },
      ],
      options,
    );
    expect(results.map((r) => r.kind)).toEqual(['delivered', 'retry']);
    expect(results[0]).toMatchObject({
      sent: { audiences: {}, traits: {} },
      remember: { hubspot_record_id: '42' },
    });
  });

  it('a ledger change counts only when every key of its part was delivered', () => {
    const entries = [entry('p1', { audiences: { a: true, b: true }, traits: {} })];
    const results = settle(
      entries,
      { skipped: [] },
      [
        { request: request([0], [{ audiences: ['a'], hold: { a: { EMAIL: 'h1' } } }]), outcomes: [ok] },
        { request: request([0], [{ audiences: ['b'], hold: { b: { EMAIL: 'h1' } } }]), outcomes: [retry503] },
      ],
      options,
    );
    expect(results[0]).toEqual({
      profileId: 'p1',
      kind: 'delivered',
      sent: { version: 3, audiences: { a: true }, traits: {} },
      hold: { a: { EMAIL: 'h1' } },
    });
  });

  it('retries past the max age become dead letters naming the attempts', () => {
    const entries = [entry('p1', { audiences: { a: true }, traits: {} }, 4)];
    const results = settle(entries, { skipped: [] }, [{ request: request([0]), outcomes: [retry503] }], {
      ...options,
      maxRetryAgeMs: 5_000,
    });
    expect(results).toEqual([
      {
        profileId: 'p1',
        kind: 'dead',
        sent: entries[0]!.snapshot,
        reason: 'gave up after 5 attempts: HTTP 503',
      },
    ]);
  });

  it('a missing outcome (a classifier bug) is a retry, never a success', () => {
    const entries = [entry('p1', { audiences: { a: true }, traits: {} })];
    const results = settle(entries, { skipped: [] }, [{ request: request([0]), outcomes: [] }], options);
    expect(results.map((r) => [r.kind, r.kind === 'retry' && r.reason])).toEqual([
      ['retry', 'bug: no outcome for this item'],
    ]);
  });
});
