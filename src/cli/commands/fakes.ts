import { InvalidArgumentError, Option, type Command } from 'commander';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { FakeDefinition, RegisteredDestination } from '../../delivery/destination.js';
import { DESTINATIONS } from '../../destinations/registry.js';
import type { FakeServer } from '../../destinations/fake-kit.js';
import { CliError, UsageError } from '../errors.js';
import { currentIo } from '../io.js';
import { requestLine } from '../fake-requests.js';
import { printLines, table } from '../output.js';

const POLL_MS = 100;
/** A request still unanswered after this long is printed as `no answer`. */
const UNANSWERED_MS = 30_000;
const MAX_PORT = 65_535;

type WithFake = RegisteredDestination & { fake: FakeDefinition };

interface FakesOptions {
  port: Record<string, number>;
  portsFrom?: number;
  [typePortOption: string]: unknown;
}

interface Planned {
  destination: WithFake;
  port: number;
}

interface Started extends Planned {
  server: FakeServer;
}

/** `fakes`: every registered destination's fake server, every request they get printed, until Ctrl-C. */
export function registerFakes(program: Command): void {
  const destinations = destinationsWithFakes();
  const command = program
    .command('fakes')
    .description("start every destination's fake server for local trials; print every request they get")
    .option(
      '--port <type=port>',
      "a fake's port, e.g. braze=5101 (repeatable; 0: any free port)",
      typedPort,
      {},
    )
    .option(
      '--ports-from <port>',
      'the fakes on consecutive ports from this one (0: any free ports)',
      portNumber,
    );
  const typeOptions = destinations.map((destination) => {
    const option = new Option(
      `--${destination.type.replaceAll('_', '-')}-port <port>`,
      `the fake ${destination.title}'s port (default ${destination.fake.port})`,
    ).argParser(portNumber);
    command.addOption(option);
    return { type: destination.type, key: option.attributeName() };
  });
  command.action(async (options: FakesOptions) => {
    const ports = { ...options.port };
    for (const { type, key } of typeOptions) {
      const value = options[key];
      if (typeof value === 'number') ports[type] = value;
    }
    await runFakes(plan(destinations, ports, options.portsFrom));
  });
}

function destinationsWithFakes(): WithFake[] {
  return Object.values(DESTINATIONS).filter((destination): destination is WithFake => !!destination.fake);
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > MAX_PORT)
    throw new InvalidArgumentError(`expected a port number from 0 to ${MAX_PORT}`);
  return value;
}

function typedPort(text: string, previous: Record<string, number>): Record<string, number> {
  const match = /^([^=]+)=(.*)$/.exec(text);
  const type = match?.[1] ?? '';
  if (!match) throw new InvalidArgumentError('expected <type>=<port>, e.g. braze=5101');
  const known = destinationsWithFakes().map((destination) => destination.type);
  if (!known.includes(type))
    throw new InvalidArgumentError(`no fake for destination type "${type}" (fakes: ${known.join(', ')})`);
  return { ...previous, [type]: portNumber(match[2] ?? '') };
}

/** Each fake's port: its own option, else `--ports-from` plus its place in the registry, else its default. */
function plan(destinations: WithFake[], ports: Record<string, number>, from?: number): Planned[] {
  if (destinations.length === 0) throw new CliError('no registered destination has a fake');
  const planned = destinations.map((destination, index) => {
    const fallback = from === undefined ? destination.fake.port : from === 0 ? 0 : from + index;
    return { destination, port: ports[destination.type] ?? fallback };
  });
  for (const { destination, port } of planned) {
    if (port > MAX_PORT) throw new UsageError(`--ports-from: ${destination.type} would get port ${port}`);
    const sharing = planned.find((other) => other.port === port && other.destination !== destination);
    if (port !== 0 && sharing)
      throw new UsageError(
        `${destination.type} and ${sharing.destination.type} cannot both use port ${port}`,
      );
  }
  return planned;
}

async function runFakes(planned: Planned[]): Promise<void> {
  for (const { destination, port } of planned) await ensureFree(destination.type, port);
  const started = await startAll(planned);
  printLines(banner(started));

  const width = Math.max(...started.map(({ destination }) => destination.type.length));
  const flush = (now: number) => started.forEach((fake) => printFinished(fake, width, now));
  const timer = setInterval(() => flush(Date.now()), POLL_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(timer);
  await Promise.all(started.map(({ server }) => server.close()));
  flush(Date.now());
  currentIo().stdout('fakes stopped\n');
}

/** Starts every fake, or none: one that fails to start closes the others. */
async function startAll(planned: Planned[]): Promise<Started[]> {
  const started: Started[] = [];
  try {
    for (const entry of planned)
      started.push({ ...entry, server: await entry.destination.fake.start({ port: entry.port }) });
  } catch (error) {
    await Promise.all(started.map(({ server }) => server.close()));
    throw new CliError(`cannot start the fakes: ${(error as Error).message}`);
  }
  return started;
}

function banner(started: Started[]): string[] {
  const moved = started.filter(({ destination, server }) => server.url !== defaultUrl(destination.fake));
  const endpoints = moved.map(({ destination, server }) => `${destination.fake.endpointEnv}=${server.url} `);
  return [
    ...table(
      [
        { header: 'DESTINATION' },
        { header: 'URL' },
        { header: 'CREDENTIAL' },
        { header: 'ENDPOINT VARIABLE' },
      ],
      started.map(({ destination, server }) => [
        destination.title,
        server.url,
        destination.fake.credential || '-',
        destination.fake.endpointEnv,
      ]),
    ),
    '',
    'Point the relay at them (mappings/destinations.yaml falls back to the default ports and these credentials):',
    `  DESTINATIONS_ENABLED=true ${endpoints.join('')}npm start`,
    'Every request is printed below (identifiers hashed). Ctrl-C stops.',
    '',
  ];
}

function defaultUrl(fake: FakeDefinition): string {
  return `http://127.0.0.1:${fake.port}`;
}

/** Prints the server's finished requests in arrival order and drops them (memory stays flat). */
function printFinished({ destination, server }: Started, width: number, now: number): void {
  let done = 0;
  for (const request of server.requests) {
    if (request.status === 0 && now - request.at < UNANSWERED_MS) break;
    currentIo().stdout(`${requestLine(destination.type, request, destination.fake.describe, width)}\n`);
    done++;
  }
  server.requests.splice(0, done);
}

async function ensureFree(type: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  probe.listen(port, '127.0.0.1');
  try {
    await once(probe, 'listening'); // rejects on 'error'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError(`${type}: cannot listen on 127.0.0.1:${port} (${code}); is another fakes running?`);
  }
  probe.close();
  await once(probe, 'close');
}
