import type { RelayEnv } from '../../config/env.js';
import type { ReloadTrigger } from '../../config/live-config.js';
import type { ConfigError } from '../../mappings/config-error.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { BudgetRefreshOutcome } from '../budget/refresh.js';

/** What the background thread is started with. */
export interface ThreadData {
  env: RelayEnv;
  /** The configuration the HTTP thread loaded: the thread never reads the mapping files itself. */
  config: RelayConfig;
  delivery: boolean;
  /** The HTTP thread's log level, so both threads log alike. */
  logLevel: string;
}

/** Requests the HTTP thread waits for: answered by a `done` with the same id. */
export type BackgroundRequest =
  | { type: 'reconfigure'; config: RelayConfig; trigger: ReloadTrigger }
  | { type: 'when-idle' }
  | { type: 'metrics' }
  | { type: 'budget-refresh' }
  | { type: 'stop' };

/** HTTP thread -> background thread. */
export type ToBackground =
  | { type: 'wake'; intakeCommitAt: number }
  | { type: 'wake-delivery' }
  | { type: 'request'; request: BackgroundRequest; id: number };

/**
 * The answer to a request: `text` for metrics, `errors` for a refused reconfigure (none: in force),
 * `budget` for an allocation run, `failed` when the request threw (the thread has logged it).
 */
export interface BackgroundReply {
  text?: string;
  errors?: ConfigError[];
  /** The answer to `budget-refresh`. */
  budget?: BudgetRefreshOutcome;
  failed?: string;
}

/** Background thread -> HTTP thread. */
export type FromBackground =
  { type: 'ready' } | { type: 'failed'; message: string } | ({ type: 'done'; id: number } & BackgroundReply);
