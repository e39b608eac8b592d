import { appendFileSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEnv } from '../../src/config/env.js';
import type { Clock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { startRelay, type RunningRelay } from '../../src/relay.js';
import { keepDestinations } from './example-destinations.js';
import { logRecordFile } from './fake-recording.js';
import { REPO_ROOT } from './relay-process.js';

export interface TestRelayOptions {
  /** A fresh directory: the relay's database, and its copy of the repository's mappings and models. */
  root: string;
  adminToken?: string;
  clock?: Clock;
  /** What `${NAME}` in the mapping files reads (the test's own environment is never used). */
  processEnv?: Record<string, string>;
  /** More relay settings (e.g. SQLITE_BUSY_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Extra mapping files written beside the copied ones before the relay starts: name -> YAML. */
  mappingFiles?: Record<string, string>;
  /** Keep only these of the example destinations (applied after `mappingFiles`). */
  destinations?: readonly string[];
}

/**
 * The relay in this process on a free port, with a private copy of the example mappings and models
 * (so a test can add or break mapping files) and a SQLite database under `root`.
 */
export async function startTestRelay(
  options: TestRelayOptions,
): Promise<RunningRelay & { mappingsDir: string }> {
  const mappingsDir = join(options.root, 'mappings');
  cpSync(join(REPO_ROOT, 'mappings'), mappingsDir, { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(options.root, 'models'), { recursive: true });
  for (const [name, yaml] of Object.entries(options.mappingFiles ?? {}))
    writeFileSync(join(mappingsDir, name), yaml);
  if (options.destinations) keepDestinations(mappingsDir, options.destinations);
  const relay = await startRelay({
    env: readEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_URL: `sqlite:${join(options.root, 'relay.db')}`,
      MAPPINGS_DIR: mappingsDir,
      ...(options.adminToken ? { ADMIN_TOKEN: options.adminToken } : {}),
      ...options.env,
    }),
    processEnv: options.processEnv ?? {},
    logger: options.clock ? recordingLogger() : createLogger({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return Object.assign(relay, { mappingsDir });
}

/**
 * Inline relays (on a clock) log everything into the suite's log record (test/global-setup.ts) when
 * there is one. A threaded relay stays silent: its background thread would log to the test's stdout.
 */
function recordingLogger() {
  const file = logRecordFile();
  if (!file) return createLogger({ level: 'silent' });
  return createLogger({ level: 'debug' }, { write: (line: string) => appendFileSync(file, line) });
}
