import { processIo } from './io.js';
import { runCli } from './program.js';

/** The `audience-relay` process: the commands are in ./program.ts. */
process.exitCode = await runCli(process.argv.slice(2), processIo());
