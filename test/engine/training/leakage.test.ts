/**
 * Training export without leakage: a generated stream (test/model/generate.ts) is stored with chosen
 * receive times around a cutoff, and the rows `trainingRows` writes are compared with the naive
 * reference model (test/model/oracle.ts) fed only the events received by the cutoff. Events after
 * the cutoff (late arrivals stamped before it, new events, identity links) never change a feature
 * row, and the label counts only label events in the window after the cutoff.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProcessingSetup } from '../../../src/engine/processing/setup.js';
import { parseLabel, type TrainingLabel } from '../../../src/engine/training/label.js';
import { trainingRows, type TrainingRow } from '../../../src/engine/training/replay.js';
import { DESTINATIONS } from '../../../src/destinations/registry.js';
import { normalizeEvent } from '../../../src/ingest/normalize.js';
import { SpecEvent } from '../../../src/ingest/schemas.js';
import { formatConfigError, loadMappings } from '../../../src/mappings/load.js';
import type { RelayConfig } from '../../../src/mappings/schema.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { MAPPINGS_DIR } from '../../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { generateStream } from '../../model/generate.js';
import {
  loadOracleConfig,
  oraclePersons,
  personState,
  toOracleEvents,
  type OracleConfig,
} from '../../model/oracle.js';
import { DAY, MINUTE, materialize, mulberry32, type SegmentEvent } from '../../model/stream.js';

const CUTOFF = Date.parse('2025-06-01T00:00:00Z');
/** Every event of the stream arrives 5 minutes before the cutoff (its age keeps it further away). */
const RECEIVED_BEFORE = CUTOFF - 5 * MINUTE;
const LABEL = parseLabel('Order Completed within 30d') as TrainingLabel;

interface Arrival {
  body: SegmentEvent;
  receivedAt: number;
}

let dir: string;
let config: RelayConfig;
let oracle: OracleConfig;

beforeAll(() => {
  dir = makeTempDir('relay-training-');
  const loaded = loadMappings(MAPPINGS_DIR, {}, DESTINATIONS);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
  config = loaded.config;
  oracle = loadOracleConfig(MAPPINGS_DIR);
});

afterAll(() => removeTempDir(dir));

/** The example traits except models: what the export writes. */
function features(): string[] {
  return Object.entries(config.traits)
    .filter(([, definition]) => definition.kind !== 'model')
    .map(([name]) => name);
}

async function exportOf(name: string, arrivals: Arrival[]): Promise<TrainingRow[]> {
  const store = new SqliteStore({ path: join(dir, `${name}.db`), synchronous: 'NORMAL' });
  try {
    await store.appendEvents(
      arrivals.map(({ body, receivedAt }) => normalizeEvent('web', SpecEvent.parse(body), receivedAt)),
    );
    const setup = buildProcessingSetup(config, MAPPINGS_DIR);
    return await trainingRows(
      store,
      {
        identifiers: setup.identifiers,
        engine: setup.traits.engine,
        allowedLatenessMs: setup.traits.allowedLatenessMs,
        features: features(),
      },
      CUTOFF,
      LABEL,
    );
  } finally {
    await store.close();
  }
}

/**
 * The stream with 15% of its events held back until an hour after the cutoff (late arrivals stamped
 * before it), and after the cutoff, per person: an identify linking a browser to the user, page views,
 * an order inside the label window (some), an order after the window (others).
 */
function scenario(seed: number): { before: Arrival[]; after: Arrival[] } {
  const stream = generateStream({ seed, people: 60 });
  const rng = mulberry32(seed + 1000);
  const before: Arrival[] = [];
  const late: Arrival[] = [];
  const ids = new Map<number, { userId?: string; anonymousId?: string }>();
  for (const item of stream.items) {
    const body = materialize(item, CUTOFF);
    const known = ids.get(item.person) ?? {};
    if (typeof body.userId === 'string') known.userId ??= body.userId;
    if (typeof body.anonymousId === 'string') known.anonymousId ??= body.anonymousId;
    ids.set(item.person, known);
    if (rng() < 0.15) late.push({ body, receivedAt: CUTOFF + 60 * MINUTE });
    else before.push({ body, receivedAt: RECEIVED_BEFORE });
  }
  const after: Arrival[] = [...late];
  for (const [person, known] of ids) {
    const at = (offset: number) => ({ timestamp: new Date(CUTOFF + offset).toISOString() });
    const who = known.userId ? { userId: known.userId } : { anonymousId: known.anonymousId };
    const id = (suffix: string) => `after-${seed}-${person}-${suffix}`;
    const events: [number, SegmentEvent][] = [
      [
        DAY,
        { type: 'page', messageId: id('page'), ...who, context: { page: { path: '/pricing' } }, ...at(DAY) },
      ],
    ];
    if (known.userId && known.anonymousId && person % 2 === 0)
      events.push([
        DAY,
        {
          type: 'identify',
          messageId: id('link'),
          userId: known.userId,
          anonymousId: known.anonymousId,
          ...at(DAY),
        },
      ]);
    if (person % 3 === 0)
      events.push([
        2 * DAY,
        {
          type: 'track',
          event: 'Order Completed',
          messageId: id('order'),
          ...who,
          properties: { revenue: 500 },
          ...at(2 * DAY),
        },
      ]);
    if (person % 3 === 1)
      events.push([
        40 * DAY,
        {
          type: 'track',
          event: 'Order Completed',
          messageId: id('late-order'),
          ...who,
          properties: { revenue: 90 },
          ...at(40 * DAY),
        },
      ]);
    for (const [offset, body] of events) after.push({ body, receivedAt: CUTOFF + offset });
  }
  after.sort((a, b) => a.receivedAt - b.receivedAt);
  return { before, after };
}

const key = (row: { identifiers: { kind: string; value: string }[] }) =>
  row.identifiers
    .map((ref) => `${ref.kind}:${ref.value}`)
    .sort()
    .join(',');

/** Deep equality with numbers within 1e-9 (relative). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

describe('training export: traits at the cutoff from the event log, labels after it', () => {
  for (const seed of [3, 11]) {
    it(`seed ${seed}: rows equal the reference model at the cutoff, with or without the events after it`, async () => {
      const { before, after } = scenario(seed);
      const withoutAfter = await exportOf(`s${seed}-before`, before);
      const withAfter = await exportOf(`s${seed}-all`, [...before, ...after]);

      // The reference model sees only the events received by the cutoff.
      const persons = oraclePersons(toOracleEvents(before.map((a) => a.body)), oracle);
      const expected = new Map(
        persons.map((person) => {
          const values = personState(person, oracle, RECEIVED_BEFORE, CUTOFF).values;
          return [
            person.identifiers.join(','),
            Object.fromEntries(features().map((name) => [name, values[name]])),
          ];
        }),
      );
      expect(withAfter.length).toBe(persons.length);
      const mismatches: string[] = [];
      for (const row of withAfter) {
        const want = expected.get(key(row));
        if (!want) mismatches.push(`${key(row)}: not a person of the reference model at the cutoff`);
        else
          for (const name of features())
            if (!same(row.features[name], want[name]))
              mismatches.push(
                `${key(row)}: ${name} ${JSON.stringify(row.features[name])}, reference ${JSON.stringify(want[name])}`,
              );
      }
      expect(mismatches).toEqual([]);

      // An event after the cutoff never changes a feature row (nor who the people were).
      expect(withAfter.map(({ label: _label, ...row }) => row)).toEqual(
        withoutAfter.map(({ label: _label, ...row }) => row),
      );

      // Labels: only orders in (cutoff, cutoff + 30d], through the identity of the whole log.
      expect(withoutAfter.filter((row) => row.label)).toEqual([]);
      const everyone = oraclePersons(toOracleEvents([...before, ...after].map((a) => a.body)), oracle);
      const ordered = everyone.filter((person) =>
        person.events.some(
          (event) =>
            event.type === 'track' &&
            event.body.event === 'Order Completed' &&
            event.eventTime > CUTOFF &&
            event.eventTime <= CUTOFF + 30 * DAY,
        ),
      );
      const labelled = new Set(ordered.flatMap((person) => person.identifiers));
      const expectedLabels = withAfter.map((row) =>
        row.identifiers.some((ref) => labelled.has(`${ref.kind}:${ref.value}`)),
      );
      expect(withAfter.map((row) => row.label)).toEqual(expectedLabels);
      expect(expectedLabels.filter(Boolean).length).toBeGreaterThan(0);
      expect(expectedLabels.filter((label) => !label).length).toBeGreaterThan(0);
    });
  }
});
