import { watch, type FSWatcher } from 'node:fs';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { buildErrors } from '../mappings/check.js';
import { formatConfigError, loadMappings, type ConfigError } from '../mappings/load.js';
import type { DestinationTypeSchemas } from '../mappings/destination-check.js';
import type { RelayConfig } from '../mappings/schema.js';

export type ReloadTrigger = 'startup' | 'file' | 'signal' | 'api';

export interface ReloadResult {
  ok: boolean;
  at: string;
  trigger: ReloadTrigger;
  files: string[];
  errors: ConfigError[];
}

/**
 * Hands a new configuration to what runs beside this holder (processing, scheduler, backfill,
 * delivery; on this thread or in the background thread). Errors refuse the configuration.
 */
export type ApplyConfig = (config: RelayConfig, trigger: ReloadTrigger) => Promise<ConfigError[]>;

const WATCH_DEBOUNCE_MS = 300;
/** The files `loadMappings` reads; nothing else in the directory (swap files, notes) reloads. */
const MAPPING_FILE = /\.ya?ml$/;

/**
 * The configuration in force, and everything derived from it. Every reload, whatever its trigger
 * (start, file change, SIGHUP, admin API), takes one path: load, build, apply. A configuration that
 * fails any step is refused: the relay keeps its last good one and reports the refusal.
 */
export class LiveConfig<D> {
  private active: { config: RelayConfig; derived: D } | undefined;
  private last: ReloadResult | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private apply: ApplyConfig | undefined;
  /** Reloads run one at a time, in the order asked: a file change and a SIGHUP may coincide. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly env: Record<string, string | undefined>,
    private readonly build: (config: RelayConfig) => Promise<D>,
    private readonly destinationTypes: Record<string, DestinationTypeSchemas>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get config(): RelayConfig {
    return this.required().config;
  }

  get derived(): D {
    return this.required().derived;
  }

  get lastReload(): ReloadResult | undefined {
    return this.last;
  }

  /** From now on a configuration is in force only once `apply` has taken it without errors. */
  onReloaded(apply: ApplyConfig): void {
    this.apply = apply;
  }

  /** Loads the mapping files and puts them in force, unless they are refused. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    return this.serialized(async () => {
      const loaded = loadMappings(this.dir, this.env, this.destinationTypes);
      if (!loaded.ok) return this.settle(trigger, loaded.files, loaded.errors);
      return this.install(loaded.config, trigger, loaded.files);
    });
  }

  /** Puts a configuration loaded elsewhere (by the HTTP thread) in force, unless it is refused. */
  use(config: RelayConfig, trigger: ReloadTrigger): Promise<ReloadResult> {
    return this.serialized(() => this.install(config, trigger, []));
  }

  /** Reloads when a mapping file changes (debounced: editors write files in several steps). */
  watch(): void {
    try {
      this.watcher = watch(this.dir, (_event, filename) => {
        // Some platforms do not name the file: then it may have been a mapping file.
        if (filename !== null && !MAPPING_FILE.test(filename)) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload('file'), WATCH_DEBOUNCE_MS);
      });
      this.watcher.on('error', (error) =>
        this.logger.warn(
          { err: error },
          'stopped watching the mappings directory; reload with SIGHUP or the admin API',
        ),
      );
    } catch (error) {
      this.logger.warn(
        { err: error },
        'cannot watch the mappings directory; reload with SIGHUP or the admin API',
      );
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  private async install(config: RelayConfig, trigger: ReloadTrigger, files: string[]): Promise<ReloadResult> {
    const previous = this.active;
    let errors: ConfigError[];
    try {
      this.active = { config, derived: await this.build(config) };
      errors = this.apply ? await this.apply(config, trigger) : [];
    } catch (error) {
      // A model file names its own line and column; anything else points at the mappings directory.
      errors = buildErrors(error, this.dir);
    }
    if (errors.length > 0) this.active = previous;
    return this.settle(trigger, files, errors);
  }

  private settle(trigger: ReloadTrigger, files: string[], errors: ConfigError[]): ReloadResult {
    this.last = {
      ok: errors.length === 0,
      at: new Date(this.clock.now()).toISOString(),
      trigger,
      files,
      errors,
    };
    if (this.last.ok) this.logger.info({ trigger, files: files.length }, 'configuration loaded');
    else {
      this.logger.warn(
        { trigger, errors: errors.map(formatConfigError) },
        this.active ? 'configuration refused; keeping the last good one' : 'configuration refused',
      );
    }
    return this.last;
  }

  private serialized(task: () => Promise<ReloadResult>): Promise<ReloadResult> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private required(): { config: RelayConfig; derived: D } {
    if (!this.active) throw new Error('no configuration loaded');
    return this.active;
  }
}
