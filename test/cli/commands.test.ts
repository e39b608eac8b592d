import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ADMIN_API, ADMIN_API_FILES, ApiError, RebuildView } from '../../src/admin/api-schema.js';
import { adminRouter, type AdminDeps } from '../../src/admin/routes.js';
import { buildCli } from '../../src/cli/program.js';
import { matchKeyFor } from '../../src/delivery/match-keys.js';
import type { FakeServer } from '../../src/destinations/fake-kit.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { COMMAND_CASES, NOT_RUN_HERE, type CommandCase } from './command-cases.js';
import { runCli, runCliHere } from './run-cli.js';

/**
 * One relay process for the whole file, every fake destination on, a few events in. Then: every admin
 * API route answers what its shared schema says (one request each), and every CLI command runs against
 * it, with and without --json, its exit code and a key part of its output checked (the cases are in
 * ./command-cases.ts). Commands run in this process (milliseconds each); two run as the real binary.
 */

const ADMIN_TOKEN = 'admin-token-for-command-tests-01';
const root = makeTempDir('relay-commands-');
let relay: RelayProcess;
const fakes: FakeServer[] = [];
let env: Record<string, string>;

const EVENTS = [
  {
    type: 'identify',
    userId: 'u1',
    messageId: 'cmd-i1',
    traits: { email: 'Ada@Example.com', phone: '+1 650 555 0100' },
  },
  ...[1, 2, 3].map((n) => ({
    type: 'page',
    userId: 'u1',
    messageId: `cmd-p${n}`,
    context: { page: { path: '/pricing' } },
  })),
  { type: 'track', userId: 'u1', messageId: 'cmd-a1', event: 'Product Added' },
  {
    type: 'track',
    userId: 'u2',
    messageId: 'cmd-o1',
    event: 'Order Completed',
    properties: { revenue: 300 },
  },
];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

async function until(what: string, check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (await check()) return;
    await delay(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  const endpoints: Record<string, string> = {};
  for (const destination of Object.values(DESTINATIONS)) {
    if (!destination.fake) continue;
    const server = await destination.fake.start({ port: 0 });
    fakes.push(server);
    endpoints[destination.fake.endpointEnv] = server.url;
  }
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, 'relay.db')}`,
    adminToken: ADMIN_TOKEN,
    root,
    env: { DESTINATIONS_ENABLED: 'true', ...endpoints },
  });
  env = { RELAY_URL: relay.url, ADMIN_TOKEN };
  const sent = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch: EVENTS }),
  });
  expect(sent.status).toBe(200);
  await until('processing', async () => {
    const { body } = await api('GET', '/processing');
    return (
      (body as { pending: number; storedSeq: number }).storedSeq >= EVENTS.length &&
      (body as { pending: number }).pending === 0
    );
  });
  await until('a delivery to braze', async () => {
    const { body } = await api('GET', '/deliveries?destination=braze');
    return (body as { deliveries: unknown[] }).deliveries.length > 0;
  });
});

afterAll(async () => {
  await relay?.stop();
  await Promise.all(fakes.map((fake) => fake.close()));
  removeTempDir(root);
});

/** Parses with the schema and checks nothing was stripped: the schema knows every field the API sends. */
function expectSchema(schema: z.ZodType, body: unknown, route: string): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success, `${route}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
  expect(parsed.data, `${route}: a field the schema does not know`).toEqual(body);
}

type Route = keyof typeof ADMIN_API;

/** One request per JSON route of the admin API. */
const REQUESTS: Record<Route, { path: string; body?: unknown; status?: number }> = {
  'GET /events/:messageId': { path: '/events/cmd-i1' },
  'GET /profiles': { path: '/profiles?email=ada%40example.com' },
  'GET /profiles/explain': { path: '/profiles/explain?userId=u1' },
  'GET /processing': { path: '/processing' },
  'GET /audiences': { path: '/audiences' },
  'GET /audiences/:name/members': { path: '/audiences/cart_abandoners/members' },
  'POST /audiences/preview': { path: '/audiences/preview', body: { rule: { trait: 'lead_score', gt: -1 } } },
  'GET /deliveries': { path: '/deliveries' },
  'GET /matches': { path: '/matches' },
  'GET /dead-letters': { path: '/dead-letters?replayed=true' },
  'POST /dead-letters/replay': { path: '/dead-letters/replay', body: { ids: [999999] } },
  'GET /config': { path: '/config' },
  'POST /config/reload': { path: '/config/reload' },
  'POST /rebuild': { path: '/rebuild', status: 202 },
  'GET /rebuild': { path: '/rebuild' },
  'GET /overview': { path: '/overview' },
  'GET /budget': { path: '/budget' },
  'GET /budget/history': { path: '/budget/history' },
  'POST /budget/refresh': { path: '/budget/refresh' },
  'GET /scores': { path: '/scores' },
  'POST /scores/snapshot': { path: '/scores/snapshot' },
  'GET /scores/:trait': { path: '/scores/lead_score' },
};

describe('the admin API answers what its shared schemas say', () => {
  it('every route of the router has a schema (or is a file download)', () => {
    const router = adminRouter({ adminToken: undefined } as unknown as AdminDeps) as unknown as {
      stack: { route?: { path: string; methods: Record<string, boolean> } }[];
    };
    const routes = router.stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route?.path}`)
        : [],
    );
    const described = new Set([...Object.keys(ADMIN_API), ...Object.keys(ADMIN_API_FILES)]);
    expect(routes.filter((route) => !described.has(route))).toEqual([]);
  });

  it.each(Object.keys(REQUESTS) as Route[])('%s', async (route) => {
    const request = REQUESTS[route];
    const answer = await api(route.split(' ')[0] as string, request.path, request.body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(request.status ?? 200);
    expectSchema(ADMIN_API[route], answer.body, route);
    if (route === 'POST /rebuild') {
      await until('the rebuild', async () => RebuildView.parse((await api('GET', '/rebuild')).body).done);
    }
  });

  it('a refusal is an ApiError naming the field', async () => {
    const refusals = [
      await api('GET', '/profiles'),
      await api('GET', '/deliveries?destination=nope'),
      await api('GET', '/audiences/nope/members'),
      await api('GET', '/audiences/cart_abandoners/export?identifiers=email'),
    ];
    for (const answer of refusals) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expectSchema(ApiError, answer.body, 'error');
    }
    expect((refusals[1]?.body as ApiError).error).toMatch(/^destination: no destination named "nope"/);
  });

  it('GET /audiences/:name/export answers CSV: hashed by the platform, raw only when asked for', async () => {
    const hashed = await api(
      'GET',
      '/audiences/cart_abandoners/export?identifiers=email,phone,userId&hash=meta',
    );
    expect(hashed.status).toBe(200);
    expect(hashed.body).toBe(
      `email,phone,userId\n${matchKeyFor('meta', 'email', 'ada@example.com')},${matchKeyFor('meta', 'phone', '+1 650 555 0100')},u1\n`,
    );
    const raw = await api('GET', '/audiences/cart_abandoners/export?identifiers=userId,email&raw=true');
    expect(raw.body).toBe('userId,email\nu1,ada@example.com\n');
    const refused = await api('GET', '/audiences/cart_abandoners/export?identifiers=anonymousId&hash=google');
    expect(refused).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^identifiers: google takes no anonymousId/) },
    });
  });
});

/** Every runnable command of the program, by path (`audiences export`). */
function commandPaths(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return sub.commands.length > 0 ? commandPaths(sub, path) : [path.join(' ')];
  });
}

function checkCase(
  entry: CommandCase,
  json: boolean,
  result: { code: number | null; stdout: string; stderr: string },
) {
  const where = `${entry.args.join(' ')}${json ? ' --json' : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  expect(result.code, where).toBe(entry.code ?? 0);
  if (json) {
    const answer: unknown = JSON.parse(result.stdout);
    entry.json?.(answer, { relay, root });
  } else {
    const output = entry.stream === 'stderr' ? result.stderr : result.stdout;
    for (const pattern of entry.human) expect(output, where).toMatch(pattern);
  }
}

describe('every command against the running relay', () => {
  it('covers every command of the program', () => {
    const program = buildCli({ stdout: () => {}, stderr: () => {}, env: {} });
    const covered = new Set([...COMMAND_CASES.map((entry) => entry.command), ...Object.keys(NOT_RUN_HERE)]);
    expect(commandPaths(program).filter((path) => !covered.has(path))).toEqual([]);
  });

  it.each(COMMAND_CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const args = entry.args.map((arg) =>
      arg.replaceAll('<root>', root).replace('<two days ago>', twoDaysAgo),
    );
    checkCase(entry, false, await runCliHere(args, entry.noConnection ? {} : env));
    if (entry.json)
      checkCase(entry, true, await runCliHere([...args, '--json'], entry.noConnection ? {} : env));
    if (entry.after) entry.after({ relay, root });
  });

  it('the installed binary exits 2 on a usage error (the exit code reaches the process)', async () => {
    const usage = await runCli(['profile', '--user', 'u1', '--email', 'x@example.com'], env);
    expect(usage.code, usage.stderr).toBe(2);
    expect(usage.stderr).toBe(
      'audience-relay: give exactly one of --user, --email or --anonymous-id\n(add --help for usage)\n',
    );
  });
});
