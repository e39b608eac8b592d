import { createHmac } from 'node:crypto';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, postBytes, startIntakeRelay, storedEvent, type IntakeRelay } from '../ingest/intake-relay.js';
import {
  deepText,
  fuzzParameters,
  fuzzTimeout,
  jsonText,
  mutatedEventText,
  objectText,
  SPEC_FIELDS,
  validFields,
} from './intake-arbitraries.js';

/**
 * The intake under hostile input: whatever arrives, the answer is 200 or a 4xx whose error names
 * the field, limit or header at fault (`<what>: <why>`); never a 5xx, never a crash, never a
 * polluted prototype; and a normal event is still stored afterwards.
 */

const WEB_KEY = 'fuzz-web-write-key';
const SERVER_KEY = 'fuzz-server-write-key';
const SECRET = 'fuzz-webhook-secret';
const SOURCES = {
  web: { write_key: WEB_KEY, webhook_secret: SECRET },
  server: { write_key: SERVER_KEY, allowed_origins: [] },
};
const REFUSALS = new Set([400, 401, 403, 404, 413, 415]);
const FAST_BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

let harness: IntakeRelay;
const statuses = new Map<number, number>();

beforeAll(async () => {
  harness = await startIntakeRelay({ sources: SOURCES, logLevel: 'silent' });
});

afterAll(async () => {
  if (process.env.FUZZ_REPORT) console.info('intake fuzz statuses', Object.fromEntries(statuses));
  await harness?.close();
});

async function send(path: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await postBytes(harness.relay.url + path, body, headers);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  return res;
}

/** 200, or a refusal whose error names what is wrong. */
function expectClearAnswer(res: { status: number; body: Record<string, unknown> }, context: string): void {
  if (res.status === 200) {
    expect(res.body, context).toEqual({ success: true });
    return;
  }
  expect(REFUSALS.has(res.status), `${context} -> ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
  expect(res.body.success).toBe(false);
  const error = String(res.body.error);
  const issues = res.body.issues as { path: string }[] | undefined;
  // `<field path>: <why>`, the path as listed in issues; or `<header or part>: <why>`.
  if (issues?.length) expect(error.startsWith(`${issues[0]?.path}: `), `${context}: ${error}`).toBe(true);
  else expect(error, context).toMatch(/^[A-Za-z][\w-]*: \S/);
}

function prototypeIsClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(CLEAN_PROTOTYPE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}
const CLEAN_PROTOTYPE = Object.getOwnPropertyNames(Object.prototype).sort();

const json = { 'content-type': 'application/json' };
const webAuth = { ...json, authorization: basic(WEB_KEY) };
const LETTERS: Record<string, string> = {
  track: 't',
  identify: 'i',
  page: 'p',
  screen: 's',
  group: 'g',
  alias: 'a',
};

describe('intake fuzz', () => {
  it(
    'answers mutated events on every endpoint with 200 or a 4xx naming the field',
    async () => {
      const endpoint = fc.constantFrom(
        'single',
        'browser',
        'batch',
        'segment-array',
        'segment-signed',
        'rudderstack',
      );
      await fc.assert(
        fc.asyncProperty(
          endpoint,
          fc.array(mutatedEventText, { minLength: 1, maxLength: 3 }),
          jsonText,
          fc.boolean(),
          async (kind, events, shared, short) => {
            const [first] = events as [{ type: keyof typeof LETTERS; text: string }];
            let path = `/v1/${first.type}`;
            let body = first.text;
            let headers: Record<string, string> = webAuth;
            if (kind === 'browser') {
              path = `/v1/${LETTERS[first.type]}`;
              body = `{"writeKey":${JSON.stringify(WEB_KEY)},${first.text.slice(1)}`;
              headers = { 'content-type': 'text/plain', origin: 'https://shop.example.com' };
            } else if (kind === 'batch') {
              path = short ? '/v1/b' : '/v1/batch';
              body = `{"batch":[${events.map((event) => event.text).join(',')}],"context":${shared},"sentAt":"2024-05-01T10:00:01.000Z"}`;
            } else if (kind === 'segment-array') {
              path = '/webhooks/segment';
              body = `[${events.map((event) => event.text).join(',')}]`;
            } else if (kind === 'segment-signed') {
              path = '/webhooks/segment';
              headers = { ...json, 'x-signature': createHmac('sha1', SECRET).update(body).digest('hex') };
            } else if (kind === 'rudderstack') {
              path = '/webhooks/rudderstack';
              body = events.length > 1 ? `[${events.map((event) => event.text).join(',')}]` : first.text;
              headers = { ...json, authorization: basic(SERVER_KEY) };
            }
            expectClearAnswer(await send(path, body, headers), `${kind} ${path} ${body.slice(0, 300)}`);
          },
        ),
        fuzzParameters(),
      );
      prototypeIsClean();
    },
    fuzzTimeout(),
  );

  it(
    'names the field when any one field has a wrong type or value',
    async () => {
      const field = fc.constantFrom(...SPEC_FIELDS.filter((name) => name !== 'writeKey'));
      const type = fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias' as const);
      const value = fc
        .oneof(jsonText, deepText)
        .filter((text) => !/^"(track|identify|page|screen|group|alias)"$/.test(text));
      await fc.assert(
        fc.asyncProperty(type, field, value, fc.uuid(), async (eventType, name, text, id) => {
          const fields = validFields(eventType, id);
          fields[name] = text;
          const res = await send('/v1/batch', `{"batch":[${objectText(fields)}]}`, webAuth);
          expectClearAnswer(res, `${name}=${text.slice(0, 200)}`);
          if (res.status === 400) {
            const paths = (res.body.issues as { path: string }[]).map((issue) => issue.path);
            expect(
              paths.some(
                (path) =>
                  path === `batch[0].${name}` ||
                  path.startsWith(`batch[0].${name}.`) ||
                  path.startsWith(`batch[0].${name}[`),
              ),
              `${name}=${text.slice(0, 200)}: ${paths.join(', ')}`,
            ).toBe(true);
          }
          if (res.status === 413) expect(String(res.body.error)).toMatch(/^batch\[0\]: event is \d+ bytes/);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'refuses deep nesting and keeps prototype keys as plain data',
    async () => {
      const placement = fc.constantFrom('body', 'properties', 'context', 'item', 'envelope');
      await fc.assert(
        fc.asyncProperty(placement, deepText, fc.uuid(), async (where, deep, id) => {
          const event = validFields('track', id);
          let path = '/v1/track';
          let body: string;
          if (where === 'body') body = deep;
          else if (where === 'item') {
            path = '/webhooks/rudderstack';
            body = `[${deep}]`;
          } else if (where === 'envelope') {
            path = '/v1/batch';
            body = `{"batch":[${objectText(event)}],"context":${deep}}`;
          } else {
            event[where] = deep;
            body = objectText(event);
          }
          const res = await send(
            path,
            body,
            path === '/webhooks/rudderstack' ? { ...json, authorization: basic(SERVER_KEY) } : webAuth,
          );
          expectClearAnswer(res, `${where} ${deep.slice(0, 40)}`);
        }),
        fuzzParameters(),
      );
      prototypeIsClean();
      // A prototype key in the data is stored as a key.
      const id = 'fuzz-proto-kept';
      const event = `{"type":"track","userId":"u","event":"e","messageId":"${id}","properties":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}`;
      expect((await send('/v1/track', event, webAuth)).status).toBe(200);
      const stored = await storedEvent(harness.relay, id);
      expect(Object.keys(stored?.body.properties as object)).toEqual(['__proto__', 'constructor']);
      prototypeIsClean();
    },
    fuzzTimeout(),
  );

  it(
    'answers arbitrary bytes (invalid UTF-8, NUL, truncated JSON) and headers with a 4xx naming the problem',
    async () => {
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc.tuple(mutatedEventText, fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([event, cut, junk]) => {
          const text = Buffer.from(event.text);
          const at = cut % (text.length + 1);
          return new Uint8Array(Buffer.concat([text.subarray(0, at), Buffer.from(junk), text.subarray(at)]));
        }),
        fc.constantFrom(
          new Uint8Array([0]),
          new Uint8Array([0xff, 0xfe]),
          new Uint8Array([0xc3, 0x28]),
          new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
        ),
      );
      const contentType = fc.constantFrom(
        undefined,
        'application/json',
        'text/plain',
        'text/plain;charset=latin1',
        'application/x-www-form-urlencoded',
        'text/csv',
        'multipart/form-data; boundary=x',
        '',
        'application/json; charset=utf-16',
      );
      const encoding = fc.constantFrom(
        undefined,
        'gzip',
        'deflate',
        'br',
        'identity',
        'x-unknown',
        'gzip, deflate',
      );
      const auth = fc.constantFrom(
        undefined,
        basic(WEB_KEY),
        basic('wrong-key-123'),
        'Bearer x',
        'Basic %%%',
        'Digest abc',
      );
      const path = fc.constantFrom(
        '/v1/track',
        '/v1/batch',
        '/v1/b',
        '/v1/p',
        '/webhooks/segment',
        '/webhooks/rudderstack',
        '/v1/nope',
        '/v1/constructor',
        '/v1/__proto__',
        '/v1/toString',
      );
      await fc.assert(
        fc.asyncProperty(
          path,
          bytes,
          contentType,
          encoding,
          auth,
          async (target, body, type, enc, authorization) => {
            const headers: Record<string, string> = {};
            if (type !== undefined) headers['content-type'] = type;
            if (enc !== undefined) headers['content-encoding'] = enc;
            if (authorization !== undefined) headers.authorization = authorization;
            expectClearAnswer(
              await send(target, body, headers),
              `${target} ${JSON.stringify(headers)} ${Buffer.from(body).toString('hex').slice(0, 200)}`,
            );
          },
        ),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'answers compressed, corrupt and bomb bodies with 200 or a 4xx naming the limit',
    async () => {
      const bombs = [
        gzipSync(Buffer.alloc(5_000_000, 0x20)),
        gzipSync(Buffer.alloc(60_000_000, '[')),
        deflateSync(Buffer.alloc(5_000_000, 0x20)),
        brotliCompressSync(Buffer.alloc(20_000_000, '{'), FAST_BROTLI),
      ];
      const compressed = fc
        .tuple(mutatedEventText, fc.constantFrom('gzip', 'deflate', 'br'), fc.nat(), fc.boolean())
        .map(([event, method, cut, corrupt]) => {
          const raw = Buffer.from(event.text);
          const packed =
            method === 'gzip'
              ? gzipSync(raw)
              : method === 'deflate'
                ? deflateSync(raw)
                : brotliCompressSync(raw);
          const body = corrupt ? packed.subarray(0, cut % packed.length) : packed;
          return { method, body: new Uint8Array(body), type: event.type };
        });
      const bomb = fc.constantFrom(
        ...bombs.map((body, i) => ({
          method: i === 2 ? 'deflate' : i === 3 ? 'br' : 'gzip',
          body: new Uint8Array(body),
          type: 'track' as const,
        })),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 20, arbitrary: compressed }, { weight: 1, arbitrary: bomb }),
          async ({ method, body, type }) => {
            const res = await send(`/v1/${type}`, body, { ...webAuth, 'content-encoding': method });
            expectClearAnswer(res, `${method} ${body.length} bytes`);
            if (body.length < 200_000 && res.status === 413)
              expect(String(res.body.error)).toMatch(/^(body: at most 512000 bytes|batch|body: )/);
          },
        ),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it('still stores a normal event after every target, and nothing answered 5xx', async () => {
    const id = `after-fuzz-${Date.now()}`;
    const res = await send(
      '/v1/track',
      JSON.stringify({ userId: 'u', event: 'After the fuzz', messageId: id }),
      webAuth,
    );
    expect(res.status).toBe(200);
    expect((await storedEvent(harness.relay, id))?.body.event).toBe('After the fuzz');
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    prototypeIsClean();
  });
});
