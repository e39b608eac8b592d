import type { DestinationStatus } from './admin/api-schema.js';
import type { RegisteredDestination } from './delivery/destination.js';
import type { RelayConfig } from './mappings/schema.js';

/** What a starting relay tells its operator: where it listens, what is on and off, and why. */
export interface StartupFacts {
  /** The address it listens on (HOST) and its port. */
  host: string;
  port: number;
  /** STORE_URL (a password in it is masked when printed). */
  storeUrl: string;
  adminApi: boolean;
  mappingsDir: string;
  config: RelayConfig;
  destinations: DestinationStatus[];
}

/** The configured destinations, each on, or off with the reason. */
export function destinationStatuses(
  config: RelayConfig,
  types: Record<string, RegisteredDestination>,
  deliveryStarted = true,
): DestinationStatus[] {
  return Object.entries(config.destinations).map(([name, block]) => {
    const enabled = block.enabled && deliveryStarted;
    const off = !block.enabled ? 'enabled: false' : !deliveryStarted ? 'delivery not started' : undefined;
    return {
      name,
      type: block.type,
      title: types[block.type]?.title ?? block.type,
      enabled,
      ...(off ? { off } : {}),
    };
  });
}

/** The base URL to reach it at: a wildcard address is reached on localhost. */
export function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** The short block printed on stdout at start-up. */
export function startupLines(facts: StartupFacts): string[] {
  const url = baseUrl(facts.host, facts.port);
  const on = facts.destinations.filter((destination) => destination.enabled);
  const off = facts.destinations.filter((destination) => !destination.enabled);
  const offReasons = [...new Set(off.map((destination) => destination.off ?? 'off'))];
  const sources = Object.keys(facts.config.sources);
  const rows: [string, string][] = [
    [
      'intake',
      `${url}/v1/batch (and /v1/track, /webhooks/segment, ...); sources: ${sources.join(', ') || 'none'}`,
    ],
    [
      'admin page',
      facts.adminApi ? `${url}/admin` : `${url}/admin (off: set ADMIN_TOKEN to turn on the admin API)`,
    ],
    ['admin API', facts.adminApi ? `${url}/admin/api (bearer ADMIN_TOKEN)` : 'off (no ADMIN_TOKEN)'],
    ['destinations on', on.map((destination) => destination.name).join(', ') || 'none'],
    [
      'destinations off',
      off.length === 0
        ? 'none'
        : `${off.map((destination) => destination.name).join(', ')} (${offReasons.join('; ')})`,
    ],
    ['store', withoutPassword(facts.storeUrl)],
    [
      'mappings',
      `${facts.mappingsDir}: ${count(sources.length, 'source')}, ${count(Object.keys(facts.config.traits).length, 'trait')}, ` +
        `${count(Object.keys(facts.config.audiences).length, 'audience')}`,
    ],
    ['health', `${url}/healthz, ${url}/readyz, ${url}/metrics`],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return [
    `audience-relay listening on ${url} (${facts.host}:${facts.port})`,
    ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`),
  ];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A store URL as it may be printed: a password in it is masked. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
