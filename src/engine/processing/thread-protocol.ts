import type { RelayEnv } from '../../config/env.js';

/** What the background thread is started with. */
export interface ThreadData {
  env: RelayEnv;
  processEnv: Record<string, string | undefined>;
  delivery: boolean;
  /** The HTTP thread's log level, so both threads log alike. */
  logLevel: string;
}

/** Requests the HTTP thread waits for: answered by a `done` with the same id. */
export type BackgroundRequest = 'reconfigure' | 'when-idle' | 'metrics' | 'stop';

/** HTTP thread -> background thread. */
export type ToBackground =
  | { type: 'wake'; intakeCommitAt: number }
  | { type: 'wake-delivery' }
  | { type: 'request'; request: BackgroundRequest; id: number };

/** Background thread -> HTTP thread. */
export type FromBackground =
  { type: 'ready' } | { type: 'failed'; message: string } | { type: 'done'; id: number; text?: string };
