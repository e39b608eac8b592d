import { describe, expect, it } from 'vitest';
import { requestedWaitMs, resetHeaderMs, retryAfterHeaderMs } from '../../src/delivery/retry-after.js';

/** Reading "come back later" from an answer's headers: a table of headers and the wait each asks for. */
const DATE = 'Fri, 27 Nov 2026 10:00:00 GMT';
const AT = Date.parse(DATE);
const now = () => AT - 5_000; // a skewed local clock: the answer's Date wins when present

const cases: { name: string; headers: Record<string, string>; reset?: string; wait: number | undefined }[] = [
  { name: 'delay-seconds', headers: { 'Retry-After': '30' }, wait: 30_000 },
  { name: 'fractional seconds round up', headers: { 'retry-after': '0.25' }, wait: 250 },
  {
    name: 'an HTTP date, against the answer’s Date',
    headers: { date: DATE, 'retry-after': 'Fri, 27 Nov 2026 10:00:10 GMT' },
    wait: 10_000,
  },
  {
    name: 'an HTTP date, against the local clock without a Date',
    headers: { 'retry-after': 'Fri, 27 Nov 2026 10:00:10 GMT' },
    wait: 15_000,
  },
  {
    name: 'a date in the past asks for nothing',
    headers: { date: DATE, 'retry-after': 'Fri, 27 Nov 2026 09:59:00 GMT' },
    wait: undefined,
  },
  { name: 'garbage is ignored', headers: { 'retry-after': 'soon' }, wait: undefined },
  { name: 'zero asks for nothing', headers: { 'retry-after': '0' }, wait: undefined },
  {
    name: 'the later of Retry-After and the reset header',
    headers: { date: DATE, 'retry-after': '2', 'x-ratelimit-reset': String(AT / 1000 + 7) },
    reset: 'X-RateLimit-Reset',
    wait: 7_000,
  },
  { name: 'no header', headers: {}, wait: undefined },
];

describe('requested waits', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(requestedWaitMs(c.headers, now, c.reset)).toBe(c.wait);
    });
  }

  it('reads the parts alone too', () => {
    expect(retryAfterHeaderMs({ 'Retry-After': 'Fri, 27 Nov 2026 10:00:10 GMT' }, undefined)).toBeUndefined();
    expect(resetHeaderMs({ 'x-ratelimit-reset': '100' }, 'X-RateLimit-Reset', 40_000)).toBe(60_000);
  });
});
