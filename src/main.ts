import { readEnv } from './config/env.js';
import { createLogger } from './lib/logger.js';
import { startRelay } from './relay.js';

/** Process entry: environment -> relay, with graceful SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const logger = createLogger();
  const relay = await startRelay({ env: readEnv(), logger });
  process.stdout.write(`${relay.startup.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing commits');
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void relay.reload('signal'));
}

main().catch((error: unknown) => {
  process.stderr.write(`audience-relay failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
