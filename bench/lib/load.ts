import autocannon from 'autocannon';
import type { RequestLedger } from './ledger.js';
import type { BodyTemplate } from './payloads.js';
import { round } from './cpu.js';

export interface LoadSpec {
  /** Full URL including the path, e.g. http://127.0.0.1:1234/v1/track. */
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  template: BodyTemplate;
  ledger: RequestLedger;
}

export interface LatencyFigures {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadFigures {
  durationS: number;
  /** Requests sent (including those still in flight when the load stopped). */
  sent: number;
  responses2xx: number;
  non2xx: number;
  /** Count per HTTP status, e.g. { "200": 51234 }. */
  statusCodes: Record<string, number>;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  /** 2xx responses per second. */
  requestsPerSecond: number;
  /** Events acknowledged (2xx) per second. */
  eventsPerSecond: number;
  latencyMs: LatencyFigures;
}

/**
 * Fixed-duration closed-loop load: `connections` keep-alive connections, each sending its next
 * request as soon as the previous one is answered. Every request gets its own number from the
 * ledger (so its events get unique messageIds) and the ledger records each answer.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    headers: spec.headers,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 30,
    setupClient: (client) => numberRequests(client, spec),
  });
  return figuresOf(result, spec.template.eventsPerRequest);
}

/**
 * With one request in flight per connection (no pipelining), the answer a client reports is for
 * the request it built last: autocannon builds the next one only after emitting `response`.
 */
function numberRequests(client: autocannon.Client, spec: LoadSpec): void {
  let current = -1;
  client.setRequests([
    {
      setupRequest: (request) => {
        current = spec.ledger.issue();
        return { ...request, body: spec.template.render(current) };
      },
    },
  ]);
  client.on('response', (status: number) => spec.ledger.answer(current, status));
}

function figuresOf(result: autocannon.Result, eventsPerRequest: number): LoadFigures {
  const ok = result['2xx'];
  const requestsPerSecond = ok / result.duration;
  return {
    durationS: result.duration,
    sent: result.requests.sent,
    responses2xx: ok,
    non2xx: result.non2xx,
    statusCodes: statusCodesOf(result),
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: Math.round(requestsPerSecond),
    eventsPerSecond: Math.round(requestsPerSecond * eventsPerRequest),
    latencyMs: {
      mean: round(result.latency.mean, 2),
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
  };
}

function statusCodesOf(result: autocannon.Result): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    codes[code] = stats.count ?? 0;
  }
  return codes;
}
