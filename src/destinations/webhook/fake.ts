import type { FakeDefinition } from '../../delivery/destination.js';
import type { RecordedRequest } from '../fake-kit.js';

/** The receiver for tests and `audience-relay fakes`; express is loaded only when it starts. */
export const webhookFake: FakeDefinition = {
  port: 4106,
  credential: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  endpointEnv: 'HOOK_URL',
  start: async ({ port }) => {
    const { startFakeWebhookReceiver } = await import('./fake-server.js');
    return startFakeWebhookReceiver({ port, secret: webhookFake.credential });
  },
  describe: describeDelivery,
};

/** `3 changes (2 entered high_intent) id msg_…`, or a relay event's type: counts only, no identifiers. */
export function describeDelivery(request: RecordedRequest): string {
  const body = request.body as { type?: unknown; data?: unknown } | undefined;
  if (typeof body?.type === 'string' && body.type !== 'audience.changes')
    return `event ${body.type} id ${request.headers['webhook-id'] ?? '(no webhook-id)'}`;
  const data = body?.data;
  const changes = Array.isArray(data) ? (data as { entered?: unknown; exited?: unknown }[]) : [];
  const counts = (key: 'entered' | 'exited') => {
    const byAudience = new Map<string, number>();
    for (const change of changes) {
      const audiences = change[key];
      if (!Array.isArray(audiences)) continue;
      for (const audience of audiences)
        byAudience.set(String(audience), (byAudience.get(String(audience)) ?? 0) + 1);
    }
    return [...byAudience].map(([audience, count]) => `${count} ${key} ${audience}`);
  };
  const detail = [...counts('entered'), ...counts('exited')];
  const noun = changes.length === 1 ? 'change' : 'changes';
  const id = request.headers['webhook-id'] ?? '(no webhook-id)';
  return `${changes.length} ${noun}${detail.length > 0 ? ` (${detail.join(', ')})` : ''} id ${id}`;
}
