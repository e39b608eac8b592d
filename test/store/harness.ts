import { afterEach } from 'vitest';
import type { RelayStore } from '../../src/store/port.js';

/**
 * How the contract suite (contract.ts) gets a backend: open it on fresh storage, or reopen the same
 * storage after a close.
 */
export interface StoreHarness {
  open(): Promise<RelayStore>;
  reopen(): Promise<RelayStore>;
}

/**
 * Opens a store on fresh storage (or reopens a given harness's storage) inside a describe block; every
 * store opened in a test is closed after it.
 */
export function storesClosedAfterEachTest(harness: () => StoreHarness) {
  const opened: RelayStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  return async (reopen = false, h = harness()): Promise<RelayStore> => {
    const store = reopen ? await h.reopen() : await h.open();
    opened.push(store);
    return store;
  };
}
