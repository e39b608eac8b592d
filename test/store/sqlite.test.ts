import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeEventStoreContract, newEvent } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'relay-sqlite-'));
let databases = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeEventStoreContract('sqlite', () => {
  const path = join(root, `db-${++databases}.db`);
  return {
    open: async () => new SqliteStore({ path }),
    reopen: async () => new SqliteStore({ path }),
  };
});

describe('SqliteStore specifics', () => {
  it('shares one transaction among appends that arrive together (group commit)', async () => {
    const groups: { items: number; requests: number }[] = [];
    const store = new SqliteStore({ path: join(root, 'group.db'), onCommit: (stats) => groups.push(stats) });
    await Promise.all(Array.from({ length: 20 }, () => store.appendEvents([newEvent()])));
    await store.close();
    expect(groups.reduce((sum, group) => sum + group.items, 0)).toBe(20);
    expect(groups.length).toBeLessThan(20);
    expect(Math.max(...groups.map((group) => group.requests))).toBeGreaterThan(1);
  });

  it('reports StoreUnavailableError while another process holds the write lock', async () => {
    const path = join(root, 'locked.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 20 });
    const other = new BetterSqlite3(path);
    other.exec('BEGIN EXCLUSIVE');
    await expect(store.appendEvents([newEvent()])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.checkWritable()).rejects.toBeInstanceOf(StoreUnavailableError);
    other.exec('ROLLBACK');
    other.close();
    expect(await store.appendEvents([newEvent()])).toEqual(['stored']);
    await store.close();
  });

  it('runs in WAL mode with the chosen synchronous level', () => {
    const path = join(root, 'pragmas.db');
    const store = new SqliteStore({ path, synchronous: 'FULL' });
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    return store.close();
  });
});
