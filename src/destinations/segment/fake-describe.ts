import type { FakeDefinition } from '../../delivery/destination.js';
import type { RecordedRequest } from '../fake-kit.js';

/** What `audience-relay fakes` needs of the fake Segment without loading it: port, key, one-line view. */

export const FAKE_SEGMENT_WRITE_KEY = 'test-segment-key';

export const SINGLE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'identify',
  'track',
  'page',
  'screen',
  'group',
  'alias',
]);

/** "identify 2, track 3 (Audience Entered, Audience Exited)": no identifiers, no key. */
export function describeSegmentRequest(request: RecordedRequest): string {
  const body = request.body;
  const single = /^\/v1\/(\w+)$/.exec(request.path)?.[1];
  const events: unknown[] =
    single !== undefined && single !== 'batch'
      ? [isObject(body) ? { ...body, type: body.type ?? single } : body]
      : isObject(body) && Array.isArray(body.batch)
        ? body.batch
        : [];
  const counts = new Map<string, number>();
  const names = new Set<string>();
  for (const event of events) {
    const type = isObject(event) && typeof event.type === 'string' ? event.type : 'invalid';
    counts.set(type, (counts.get(type) ?? 0) + 1);
    if (isObject(event) && type === 'track' && typeof event.event === 'string') names.add(event.event);
  }
  if (counts.size === 0) return 'no events';
  return [...counts]
    .map(([type, count]) =>
      type === 'track' && names.size > 0 ? `${type} ${count} (${[...names].join(', ')})` : `${type} ${count}`,
    )
    .join(', ');
}

export const segmentFake: FakeDefinition = {
  port: 4108,
  credential: FAKE_SEGMENT_WRITE_KEY,
  endpointEnv: 'SEGMENT_API_HOST',
  start: async ({ port }) => (await import('./fake-server.js')).startFakeSegment({ port }),
  describe: describeSegmentRequest,
};

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
