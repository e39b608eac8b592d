import type { RecordedRequest } from '../destinations/fake-kit.js';

/**
 * One line per request a fake destination received: time, destination type (padded to `width`),
 * status, method, path and what it carried, as the destination's `fake.describe` tells it
 * (identifiers hashed, credentials never).
 */
export function requestLine(
  type: string,
  request: RecordedRequest,
  describe: (request: RecordedRequest) => string,
  width = type.length,
): string {
  const time = new Date(request.at).toISOString().slice(11, 19);
  const status = request.status === 0 ? 'no answer' : String(request.status);
  return [
    time,
    type.padEnd(width),
    status.padStart(3),
    `${request.method} ${request.path}`,
    carried(request, describe),
  ]
    .filter(Boolean)
    .join('  ');
}

/** A describe that throws on an odd body must not stop the printing (nor print the body). */
function carried(request: RecordedRequest, describe: (request: RecordedRequest) => string): string {
  try {
    return describe(request);
  } catch {
    return '(body not described)';
  }
}
