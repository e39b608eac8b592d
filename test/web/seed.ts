import { basicAuth, WRITE_KEYS } from '../helpers/relay-process.js';

/**
 * The people the page tests look at, sent through the Segment batch API:
 * - ada: VP, four pricing views: in high_intent (lead_score 100);
 * - bob: one pricing view: lead_score 25, not in high_intent (the "why not" case);
 * - cy and dora: added to cart: cart_abandoners (Braze refuses dora: a dead letter);
 * - eve: five orders: an RFM champion;
 * - a few anonymous visitors.
 */
export function seedEvents(now: number): Record<string, unknown>[] {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  let serial = 0;
  const event = (body: Record<string, unknown>, minutesAgo: number) => ({
    ...body,
    messageId: `seed-${++serial}`,
    timestamp: at(minutesAgo),
  });
  const pricing = (userId: string, minutesAgo: number) =>
    event({ type: 'page', userId, name: 'Pricing', context: { page: { path: '/pricing' } } }, minutesAgo);
  return [
    event({ type: 'identify', userId: 'ada', traits: { email: 'ada@example.com', title: 'VP Sales' } }, 240),
    ...[200, 150, 90, 30].map((minutesAgo) => pricing('ada', minutesAgo)),
    event({ type: 'identify', userId: 'bob', traits: { email: 'bob@example.com', title: 'Engineer' } }, 180),
    pricing('bob', 60),
    event({ type: 'identify', userId: 'cy', traits: { email: 'cy@example.com' } }, 50),
    event({ type: 'track', userId: 'cy', event: 'Product Added', properties: { product_id: 'p-1' } }, 45),
    event({ type: 'identify', userId: 'dora', traits: { email: 'dora@example.com' } }, 40),
    event({ type: 'track', userId: 'dora', event: 'Product Added', properties: { product_id: 'p-2' } }, 35),
    event({ type: 'identify', userId: 'eve', traits: { email: 'eve@example.com' } }, 600),
    ...[500, 400, 300, 200, 100].map((minutesAgo) =>
      event(
        { type: 'track', userId: 'eve', event: 'Order Completed', properties: { revenue: 300 } },
        minutesAgo,
      ),
    ),
    ...[1, 2, 3].map((n) =>
      event(
        { type: 'page', anonymousId: `anon-${n}`, name: 'Home', context: { page: { path: '/' } } },
        20 - n,
      ),
    ),
  ];
}

export async function sendBatch(relayUrl: string, batch: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${relayUrl}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEYS.server), 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  if (!response.ok) throw new Error(`batch refused: ${response.status} ${await response.text()}`);
}
