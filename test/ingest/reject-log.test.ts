import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkJsonLimits, exceedsDepth } from '../../src/http/json-limits.js';
import { EVENT_JSON_LIMITS } from '../../src/ingest/limits.js';
import { loggablePath, RejectionLog } from '../../src/ingest/reject-log.js';
import { createLogger } from '../../src/lib/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

describe('RejectionLog: one warn line per reason per 10 s', () => {
  it('logs the first refusal of a kind, counts the rest, and reports the count with the next line', () => {
    const { lines, logger } = capture();
    let now = 1_000_000;
    const log = new RejectionLog(logger, 10_000, () => now);
    const refusal = {
      route: 'v1',
      status: 400,
      reason: 'invalid_event',
      field: 'batch[2].event',
      source: 'web',
    };
    for (let i = 0; i < 500; i++) log.record(refusal);
    log.record({ ...refusal, reason: 'limit_depth', field: 'properties.secret-key.x' });
    log.record({ ...refusal, source: 'server' });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'intake request rejected',
      reason: 'invalid_event',
      suppressed: 0,
    });
    expect(lines[0]?.field).toBe('batch[2].event');
    expect(lines[1]?.field).toBe('properties.*.*');
    now += 9_999;
    log.record(refusal);
    expect(lines).toHaveLength(3);
    now += 1;
    log.record(refusal);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ reason: 'invalid_event', source: 'web', suppressed: 500 });
  });

  it('keeps only spec field names in logged paths: keys a sender chose become *', () => {
    expect(loggablePath('batch[3].properties.ada@example.com.x')).toBe('batch[3].properties.*.*.…');
    expect(loggablePath('[0].userId')).toBe('[0].userId');
    expect(loggablePath('context.traits.email')).toBe('context.traits.*');
    expect(loggablePath('Origin')).toBe('Origin');
  });
});

describe('checkJsonLimits: no recursion, each limit named', () => {
  it('finds a 100,000-deep value without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const issues = checkJsonLimits({ properties: { a: deep } }, EVENT_JSON_LIMITS, 'batch[0]');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.limit).toBe('depth');
    expect(issues[0]?.path).toMatch(/^batch\[0\]\.properties\.a\[0\]/);
    expect(exceedsDepth(deep, 64)).toBe(true);
    expect(exceedsDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
  });

  it('accepts an event at the limits and refuses one past each', () => {
    const atLimits = {
      properties: {
        s: 'x'.repeat(EVENT_JSON_LIMITS.maxStringLength),
        ['k'.repeat(EVENT_JSON_LIMITS.maxKeyLength)]: 1,
      },
    };
    expect(checkJsonLimits(atLimits, EVENT_JSON_LIMITS)).toEqual([]);
    const past = { properties: { s: 'x'.repeat(EVENT_JSON_LIMITS.maxStringLength + 1) } };
    expect(checkJsonLimits(past, EVENT_JSON_LIMITS)[0]).toMatchObject({
      path: 'properties.s',
      limit: 'string_length',
    });
    const longKey = { ['k'.repeat(EVENT_JSON_LIMITS.maxKeyLength + 1)]: 1 };
    expect(checkJsonLimits(longKey, EVENT_JSON_LIMITS)[0]?.limit).toBe('key_length');
    expect(checkJsonLimits({ n: Infinity }, EVENT_JSON_LIMITS)[0]).toMatchObject({
      path: 'n',
      limit: 'number',
    });
  });
});
