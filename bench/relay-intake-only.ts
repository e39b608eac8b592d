/**
 * The relay with its processing loop turned off, for the `*.intake-only` scenarios: what intake
 * alone costs, next to the default scenarios where processing shares the same thread.
 * Same environment as src/main.ts; stops gracefully on SIGTERM.
 */
import { readEnv } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { startRelay } from '../src/relay.js';

const logger = createLogger();
const relay = await startRelay({ env: readEnv(), logger, processing: false });

process.on('SIGTERM', () => {
  relay.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
});
