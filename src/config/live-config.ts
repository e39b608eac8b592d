import { watch, type FSWatcher } from 'node:fs';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
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

const WATCH_DEBOUNCE_MS = 300;

/**
 * The configuration in force, and everything derived from it. A reload that fails to load or to
 * build is refused: the relay keeps its last good configuration and reports the refusal.
 */
export class LiveConfig<D> {
  private active: { config: RelayConfig; derived: D } | undefined;
  private last: ReloadResult | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;

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

  async reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const loaded = loadMappings(this.dir, this.env, this.destinationTypes);
    let errors = loaded.ok ? [] : loaded.errors;
    if (loaded.ok) {
      try {
        this.active = { config: loaded.config, derived: await this.build(loaded.config) };
      } catch (error) {
        errors = [{ file: this.dir, line: 1, column: 1, path: '', message: (error as Error).message }];
      }
    }
    this.last = {
      ok: errors.length === 0,
      at: new Date(this.clock.now()).toISOString(),
      trigger,
      files: loaded.files,
      errors,
    };
    if (this.last.ok) this.logger.info({ trigger, files: loaded.files.length }, 'configuration loaded');
    else {
      this.logger.warn(
        { trigger, errors: errors.map(formatConfigError) },
        this.active ? 'configuration refused; keeping the last good one' : 'configuration refused',
      );
    }
    return this.last;
  }

  /** Reloads when a mapping file changes (debounced: editors write files in several steps). */
  watch(): void {
    try {
      this.watcher = watch(this.dir, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload('file'), WATCH_DEBOUNCE_MS);
      });
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

  private required(): { config: RelayConfig; derived: D } {
    if (!this.active) throw new Error('no configuration loaded');
    return this.active;
  }
}
