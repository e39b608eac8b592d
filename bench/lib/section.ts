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
  /**
   * Every scenario's headline figure with its same-run baseline, for the closing table and
   * `figures` in results.json. Without it, run.ts reads `scenarios` rows generically.
   */
  figures?: (result: object) => BenchFigure[];
}

/** One scenario's figure next to the baseline measured in the same run (ratios survive a busy machine). */
export interface BenchFigure {
  section: string;
  scenario: string;
  /** What the figure counts, e.g. "req/s", "events/s", "p50 ms". */
  unit: string;
  value: number | undefined;
  /** The scenario it is compared with, measured in the same run. */
  baseline: string | undefined;
  baselineValue: number | undefined;
  /** value / baselineValue. */
  ratio: number | undefined;
}
