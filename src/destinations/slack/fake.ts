import type { FakeDefinition } from '../../delivery/destination.js';
import { redactIdentifiers } from '../../delivery/match-keys.js';
import type { RecordedRequest } from '../fake-kit.js';

/** The fake incoming webhook for tests and `audience-relay fakes`; express is loaded only when it starts. */
export const slackFake: FakeDefinition = {
  port: 4107,
  // No separate credential: the webhook URL (its path) is the secret.
  credential: '',
  endpointEnv: 'SLACK_WEBHOOK_URL',
  start: async ({ port }) => {
    const { startFakeSlack } = await import('./fake-server.js');
    return startFakeSlack({ port });
  },
  describe: describeMessage,
};

/** `message: 3 people entered high_intent` (the fallback text, identifiers redacted). */
export function describeMessage(request: RecordedRequest): string {
  const text = (request.body as { text?: unknown } | undefined)?.text;
  return `message: ${typeof text === 'string' ? redactIdentifiers(text) : '(no text)'}`;
}
