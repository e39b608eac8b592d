import { InvalidArgumentError, type Command } from 'commander';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { FakeServer } from '../../destinations/fake-kit.js';
import { CliError } from '../errors.js';
import { requestLine } from '../fake-requests.js';
import { keyValues, printLines } from '../output.js';
import { positiveInt } from '../parse.js';

/** The fallbacks of mappings/destinations.yaml: the relay reaches these fakes with no settings. */
const BRAZE = { port: 4101, key: 'test-braze-key', env: 'BRAZE_REST_ENDPOINT' };
const HUBSPOT = { port: 4102, key: 'test-hubspot-token', env: 'HUBSPOT_ENDPOINT' };
const POLL_MS = 100;
/** A request still unanswered after this long is printed as `no answer`. */
const UNANSWERED_MS = 30_000;

interface FakesOptions {
  brazePort: number;
  hubspotPort: number;
}

/** `fakes`: the fake Braze and HubSpot servers, every request they get printed, until Ctrl-C. */
export function registerFakes(program: Command): void {
  program
    .command('fakes')
    .description('start the fake Braze and HubSpot servers for local trials; print every request they get')
    .option('--braze-port <port>', 'fake Braze port', port, BRAZE.port)
    .option('--hubspot-port <port>', 'fake HubSpot port', port, HUBSPOT.port)
    .action((options: FakesOptions) => runFakes(options));
}

function port(text: string): number {
  const value = positiveInt(0)(text);
  if (value > 65_535) throw new InvalidArgumentError('expected a port number up to 65535');
  return value;
}

async function runFakes(options: FakesOptions): Promise<void> {
  await ensureFree('--braze-port', options.brazePort);
  await ensureFree('--hubspot-port', options.hubspotPort);
  // Loaded here, not at start-up: the other commands need no express.
  const { startFakeBraze } = await import('../../destinations/braze/fake-server.js');
  const { startFakeHubspot } = await import('../../destinations/hubspot/fake-server.js');
  const braze = await startFakeBraze({ port: options.brazePort, apiKey: BRAZE.key });
  const hubspot = await startFakeHubspot({ port: options.hubspotPort, token: HUBSPOT.key });
  printLines(banner(braze.url, hubspot.url, options));

  const watchers = [watch('braze', braze), watch('hubspot', hubspot)];
  const timer = setInterval(() => watchers.forEach((flush) => flush(Date.now())), POLL_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(timer);
  await Promise.all([braze.close(), hubspot.close()]);
  watchers.forEach((flush) => flush(Date.now()));
  process.stdout.write('fakes stopped\n');
}

function banner(brazeUrl: string, hubspotUrl: string, options: FakesOptions): string[] {
  const defaults = options.brazePort === BRAZE.port && options.hubspotPort === HUBSPOT.port;
  const start = defaults
    ? 'DESTINATIONS_ENABLED=true npm start'
    : `DESTINATIONS_ENABLED=true ${BRAZE.env}=${brazeUrl} ${HUBSPOT.env}=${hubspotUrl} npm start`;
  return [
    ...keyValues([
      ['fake Braze', `${brazeUrl}  api key ${BRAZE.key}`],
      ['fake HubSpot', `${hubspotUrl}  token ${HUBSPOT.key}`],
    ]),
    '',
    'Point the relay at them (mappings/destinations.yaml falls back to these URLs and keys):',
    `  ${start}`,
    'Every request is printed below (e-mails hashed). Ctrl-C stops.',
    '',
  ];
}

/** Prints the server's finished requests in arrival order and drops them (memory stays flat). */
function watch(destination: string, server: FakeServer): (now: number) => void {
  return (now) => {
    let done = 0;
    for (const request of server.requests) {
      if (request.status === 0 && now - request.at < UNANSWERED_MS) break;
      process.stdout.write(`${requestLine(destination, request)}\n`);
      done++;
    }
    server.requests.splice(0, done);
  };
}

async function ensureFree(option: string, portNumber: number): Promise<void> {
  if (portNumber === 0) return;
  const probe = createServer();
  probe.listen(portNumber, '127.0.0.1');
  try {
    await once(probe, 'listening'); // rejects on 'error'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError(
      `${option}: cannot listen on 127.0.0.1:${portNumber} (${code}); is another fakes running?`,
    );
  }
  probe.close();
  await once(probe, 'close');
}
