/** Score snapshots in the SQLite store (src/store/score-port.ts): one per series and day, kept across reopen. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScoreSnapshot } from '../../src/store/score-port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'relay-scores-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function snapshot(
  series: string,
  day: string,
  counts: number[],
  extra: Partial<ScoreSnapshot> = {},
): ScoreSnapshot {
  const scored = counts.reduce((sum, count) => sum + count, 0);
  return {
    series,
    day,
    takenAt: Date.parse(`${day}T03:00:00Z`),
    histogram: { min: 0, max: 1, counts },
    scored,
    missing: 0,
    definition: 'abc',
    psi: null,
    referenceDay: null,
    note: 'no earlier snapshot with scores to compare with',
    ...extra,
  };
}

describe('score snapshots', () => {
  it('keeps one snapshot per series and day, newest per series, history newest first', async () => {
    const path = join(root, 'scores.db');
    const store = new SqliteStore({ path });
    await store.saveScoreSnapshots([
      snapshot('p_convert', '2025-03-01', [0, 0]),
      snapshot('p_convert', '2025-03-02', [2, 2]),
      snapshot('p_convert.shadow', '2025-03-02', [1, 3]),
      snapshot('p_convert', '2025-03-09', [1, 1]),
    ]);
    // The same day again replaces it.
    const replaced = snapshot('p_convert', '2025-03-09', [3, 1], {
      psi: 0.25,
      referenceDay: '2025-03-02',
      note: null,
    });
    await store.saveScoreSnapshots([replaced]);
    await store.close();

    const reopened = new SqliteStore({ path });
    try {
      expect(await reopened.latestScoreSnapshots()).toEqual([
        replaced,
        snapshot('p_convert.shadow', '2025-03-02', [1, 3]),
      ]);
      expect((await reopened.scoreHistory('p_convert', 2)).map((s) => s.day)).toEqual([
        '2025-03-09',
        '2025-03-02',
      ]);
      // References skip snapshots without scores.
      expect((await reopened.scoreSnapshotOnOrBefore('p_convert', '2025-03-08'))?.day).toBe('2025-03-02');
      expect(await reopened.scoreSnapshotOnOrBefore('p_convert', '2025-03-01')).toBeUndefined();
      expect((await reopened.firstScoreSnapshot('p_convert', '2025-03-09'))?.day).toBe('2025-03-02');
      expect(await reopened.firstScoreSnapshot('p_convert', '2025-03-02')).toBeUndefined();
    } finally {
      await reopened.close();
    }
  });
});
