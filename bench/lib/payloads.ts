/**
 * Request bodies with a unique messageId per event, rendered cheaply from a template: the JSON is
 * serialized once with placeholders, split on them, and each request only concatenates strings.
 */

const MESSAGE_ID = '@@MID@@';
const USER_ID = '@@UID@@';
const PLACEHOLDER = /@@(MID|UID)@@/;

/** Distinct users the events are spread over (each gets its own shard key). */
const USER_POOL = 10_000;

type Field = 'messageId' | 'userId';

interface Slot {
  field: Field;
  /** Position of the event in its request (0 for a single event). */
  item: number;
}

/** A realistic analytics.js `track` event (about 600 bytes, as analytics.js sends it), with placeholders for the varying ids. */
export function trackEvent(): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Product Added',
    messageId: MESSAGE_ID,
    userId: USER_ID,
    anonymousId: '5f6c0a62-3b3e-4f5b-9a43-0c2d1e8b7a11',
    originalTimestamp: '2025-03-14T09:26:53.589Z',
    sentAt: '2025-03-14T09:26:53.812Z',
    properties: {
      product_id: '507f1f77bcf86cd799439011',
      name: 'Monopoly: 3rd Edition',
      price: 18.99,
      quantity: 1,
      currency: 'USD',
    },
    context: {
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      page: {
        path: '/products/monopoly',
        referrer: 'https://www.google.com/',
        title: 'Monopoly: 3rd Edition',
        url: 'https://shop.example.com/products/monopoly',
      },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605',
    },
  };
}

export class BodyTemplate {
  private constructor(
    private readonly parts: string[],
    private readonly slots: Slot[],
    private readonly tag: string,
    readonly eventsPerRequest: number,
  ) {}

  /** One event per request: `POST /v1/track`. */
  static single(tag: string): BodyTemplate {
    return BodyTemplate.fromJson(JSON.stringify(trackEvent()), tag, 1);
  }

  /** `POST /v1/batch` with `size` events, each with its own messageId. */
  static batch(tag: string, size: number): BodyTemplate {
    // Batching SDKs send sentAt once, on the envelope.
    const { sentAt, ...item } = trackEvent();
    const event = JSON.stringify(item);
    const json = `{"batch":[${Array(size).fill(event).join(',')}],"sentAt":${JSON.stringify(sentAt)}}`;
    return BodyTemplate.fromJson(json, tag, size);
  }

  private static fromJson(json: string, tag: string, eventsPerRequest: number): BodyTemplate {
    const pieces = json.split(PLACEHOLDER);
    const parts: string[] = [];
    const slots: Slot[] = [];
    const seen = { messageId: 0, userId: 0 };
    pieces.forEach((piece, index) => {
      if (index % 2 === 0) return parts.push(piece);
      const field: Field = piece === 'MID' ? 'messageId' : 'userId';
      slots.push({ field, item: seen[field]++ });
    });
    return new BodyTemplate(parts, slots, tag, eventsPerRequest);
  }

  /** The body of request number `request`; every event in it gets a messageId no other request uses. */
  render(request: number): string {
    let body = this.parts[0] ?? '';
    for (let i = 0; i < this.slots.length; i++) {
      body += this.value(this.slots[i] as Slot, request) + (this.parts[i + 1] ?? '');
    }
    return body;
  }

  /** Bytes of one rendered body (every request has nearly the same size). */
  bodyBytes(): number {
    return Buffer.byteLength(this.render(0));
  }

  private value(slot: Slot, request: number): string {
    if (slot.field === 'messageId') return messageIdOf(this.tag, request, slot.item, this.eventsPerRequest);
    return `user-${(request * this.eventsPerRequest + slot.item) % USER_POOL}`;
  }
}

/** `<tag>-<request>` for single events, `<tag>-<request>-<item>` in batches. */
export function messageIdOf(tag: string, request: number, item: number, eventsPerRequest: number): string {
  return eventsPerRequest === 1 ? `${tag}-${request}` : `${tag}-${request}-${item}`;
}

/** The request number a messageId of this tag was sent in, or undefined for an id the benchmark never sent. */
export function requestOf(tag: string, messageId: string): number | undefined {
  if (!messageId.startsWith(`${tag}-`)) return undefined;
  const [request] = messageId.slice(tag.length + 1).split('-');
  const value = Number(request);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}
