import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeBraze } from '../src/destinations/braze/fake-server.js';
import { startFakeKit } from '../src/destinations/fake-kit.js';
import {
  DELIBERATELY_RAW_HEADER,
  FAKE_RECORD_FILE_ENV,
  logLineRecorder,
  scanFakeRecords,
  scanLogRecords,
} from './helpers/fake-recording.js';
import { findRawIdentifiers, knownTestPhones } from './helpers/raw-identifiers.js';
import { REPO_ROOT } from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * The pieces of the suite-wide scan (test/global-setup.ts): what counts as a raw identifier, how the
 * fakes record their requests, and what the scans report. The scan itself runs at the end of every
 * `vitest run`.
 */

const dir = makeTempDir('relay-scan-test-');
afterAll(() => removeTempDir(dir));

const KNOWN_PHONES = new Set(['16505550100']);

const TEXT_CASES: { text: string; found: string[] }[] = [
  { text: 'sent to Ada.Lovelace+E2E@Example.COM today', found: ['e-mail Ada.Lovelace+E2E@Example.COM'] },
  { text: '{"phone":"+1 (650) 555-0100"}', found: ['phone +1 (650) 555-0100'] },
  { text: '{"phone":"+4915112345678"}', found: ['phone +4915112345678'] },
  { text: '["16505550100"]', found: ['phone 16505550100'] },
  { text: 'id 216505550100 and 165055501009', found: [] },
  {
    text: 'sha256:645e4e8afd82c275 645e4e8afd82c275321b1dc57bd9c0f8da07c651635f9a3f5a4884207d8ed93a',
    found: [],
  },
  { text: 'vitest@4.1.12 @segment/analytics-node node_modules/.pnpm/pino@10.4.0/', found: [] },
  { text: 'token Zm9v+12345678901YmFy=', found: [] },
  { text: 'at 2025-03-01T12:00:00.000Z took 1234 ms, +12 retries', found: [] },
];

describe('raw identifiers', () => {
  it.each(TEXT_CASES)('$text', ({ text, found }) => {
    expect(findRawIdentifiers(text, KNOWN_PHONES).map(({ kind, value }) => `${kind} ${value}`)).toEqual(
      found,
    );
  });

  it('skips addresses listed as nobody’s, and only those', () => {
    const allowed = new Set(['noreply@relay.invalid']);
    expect(findRawIdentifiers('from noreply@relay.invalid to ada@example.com', new Set(), allowed)).toEqual([
      { kind: 'e-mail', value: 'ada@example.com' },
    ]);
  });

  it('knows the phone numbers written in the tests and case files, as whole numbers', () => {
    const phones = knownTestPhones(REPO_ROOT);
    expect(phones).toContain('16505550142'); // test/delivery/delivery-log-redaction.test.ts
    for (const phone of phones) expect(phone).toMatch(/^[1-9]\d{7,14}$/);
  });
});

describe('fake request records', () => {
  it('appends every request a fake receives, typed, without credentials, when the variable names a file', async () => {
    const file = join(dir, 'requests.jsonl');
    writeFileSync(file, '');
    const before = process.env[FAKE_RECORD_FILE_ENV];
    process.env[FAKE_RECORD_FILE_ENV] = file;
    let started: { close(): Promise<void> }[] = [];
    try {
      const braze = await startFakeBraze(); // the type from its folder, src/destinations/braze/
      const other = await startFakeKit({
        type: 'meta_custom_audience',
        rateLimit: { requests: 10, windowMs: 1000 },
        throttled: (res) => void res.status(429).end(),
        routes: (app) => app.post('/v1/users', (_req, res) => void res.json({ ok: true })),
      });
      started = [braze, other];
      await (
        await fetch(`${braze.url}/users/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer test-braze-key' },
          body: JSON.stringify({ attributes: [{ external_id: 'u1', a: true }] }),
        })
      ).text();
      await (
        await fetch(`${other.url}/v1/users?access_token=secret-in-query&x=1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'x-goog-user-project': 'p' },
          body: JSON.stringify({ data: [['645e4e8a']] }),
        })
      ).text();
    } finally {
      await Promise.all(started.map((server) => server.close()));
      if (before === undefined) delete process.env[FAKE_RECORD_FILE_ENV];
      else process.env[FAKE_RECORD_FILE_ENV] = before;
    }
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({
        type: 'braze',
        method: 'POST',
        path: '/users/track',
        body: { attributes: [{ external_id: 'u1', a: true }] },
      }),
      expect.objectContaining({
        type: 'meta_custom_audience',
        path: '/v1/users',
        query: 'access_token=secret-in-query&x=1',
        body: { data: [['645e4e8a']] },
      }),
    ]);
    expect(Object.keys(records[0]?.headers as object)).not.toContain('authorization');
    expect(Object.keys(records[1]?.headers as object)).not.toContain('x-api-key');
    expect(records[1]?.headers).toMatchObject({ 'x-goog-user-project': 'p' });
  });
});

describe('the scans', () => {
  it('report raw identifiers sent to ad platforms and fakes of no registered type (unless deliberately), not what attribute platforms got', async () => {
    const file = join(dir, 'scan.jsonl');
    const line = (type: string | null, body: unknown, path = '/x', headers = {}) =>
      JSON.stringify({ type, method: 'POST', path, headers, body });
    writeFileSync(
      file,
      [
        line('braze', { attributes: [{ email: 'ada@example.com' }] }),
        line('meta_custom_audience', {
          data: [['645e4e8afd82c275321b1dc57bd9c0f8da07c651635f9a3f5a4884207d8ed93a']],
        }),
        line('meta_custom_audience', { data: [['ada@example.com', '16505550100']] }),
        line('meta_custom_audience', {}, '/users/ada@example.com'),
        line('meta_custom_audience', { data: [['ada@example.com']] }, '/x', {
          [DELIBERATELY_RAW_HEADER]: 'deliberate',
        }),
        line('probe', { email: 'ada@example.com' }),
        line(null, { keys: ['645e4e8a'] }),
        'not json',
        '',
      ].join('\n'),
    );
    const summary = await scanFakeRecords(
      file,
      new Set(['meta_custom_audience']),
      new Set(['braze', 'meta_custom_audience']),
      KNOWN_PHONES,
    );
    expect(summary.scanned).toBe(8);
    expect(summary.toAdPlatforms).toBe(5);
    expect(summary.offences.map(({ where, what }) => `${what} in ${where}`)).toEqual([
      'raw e-mail "ada@example.com" in meta_custom_audience POST /x: body.data[0][0]',
      'raw phone "16505550100" in meta_custom_audience POST /x: body.data[0][1]',
      'raw e-mail "ada@example.com" in meta_custom_audience POST /users/ada@example.com: path',
      'raw e-mail "ada@example.com" in probe (not a registered type) POST /x: body.email',
      'not a request record in record line 8',
    ]);
  });

  it('report every address in a log line, whole lines kept together from chunks', async () => {
    const file = join(dir, 'logs.txt');
    writeFileSync(file, '');
    const recorder = logLineRecorder(file);
    recorder.write('{"msg":"relay listening"}\n{"msg":"sent to ada@exa');
    recorder.write('mple.com"}\n{"msg":"no newline at the end');
    recorder.flush();
    expect(readFileSync(file, 'utf8')).toBe(
      '{"msg":"relay listening"}\n{"msg":"sent to ada@example.com"}\n{"msg":"no newline at the end\n',
    );
    const summary = await scanLogRecords(file, KNOWN_PHONES, new Set());
    expect(summary.scanned).toBe(3);
    expect(summary.offences).toEqual([
      { where: 'log line 2: {"msg":"sent to ada@example.com"}', what: 'raw e-mail "ada@example.com"' },
    ]);
  });

  it('find nothing in a file nobody wrote', async () => {
    const summary = await scanLogRecords(join(dir, 'never-written.txt'), KNOWN_PHONES, new Set());
    expect(summary).toEqual({ scanned: 0, offences: [] });
  });
});
