import type { BenchSettings } from './settings.js';
import type { SourceTree } from './source.js';

/**
 * One part of the benchmark (intake now; event processing and delivery latency later). Each
 * section prints its own table and returns the figures stored under its key in results.json.
 */
export interface BenchSection {
  /** Key in results.json, e.g. "intake". */
  key: string;
  title: string;
  /** Servers under test are started from `source.root`. */
  run: (settings: BenchSettings, source: SourceTree) => Promise<object>;
}
