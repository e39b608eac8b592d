import { resolve } from 'node:path';
import type { RelayStore } from './port.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

export type StoreTuning = Omit<SqliteStoreOptions, 'path'>;

/** Opens the backend named by STORE_URL (`sqlite:<path>`; `postgres://` arrives with scale-out). */
export function openStore(storeUrl: string, tuning: StoreTuning = {}): RelayStore {
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length);
    return new SqliteStore({ ...tuning, path: path === ':memory:' ? path : resolve(path) });
  }
  throw new Error(`STORE_URL: unsupported store "${storeUrl.split(':')[0]}" (expected sqlite:<path>)`);
}
