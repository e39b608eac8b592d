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
    private readonly ids: MessageIds,
    readonly eventsPerRequest: number,
  ) {}

  /** One event per request: `POST /v1/track`. */
  static single(ids: MessageIds): BodyTemplate {
    return BodyTemplate.fromJson(JSON.stringify(trackEvent()), ids, 1);
  }

  /** `POST /v1/batch` with `size` events, each with its own messageId. */
  static batch(ids: MessageIds, size: number): BodyTemplate {
    // Batching SDKs send sentAt once, on the envelope.
    const { sentAt, ...item } = trackEvent();
    const event = JSON.stringify(item);
    const json = `{"batch":[${Array(size).fill(event).join(',')}],"sentAt":${JSON.stringify(sentAt)}}`;
    return BodyTemplate.fromJson(json, ids, size);
  }

  private static fromJson(json: string, ids: MessageIds, eventsPerRequest: number): BodyTemplate {
    const pieces = json.split(PLACEHOLDER);
    const parts: string[] = [];
    const slots: Slot[] = [];
    const seen = { messageId: 0, userId: 0 };
    pieces.forEach((piece, index) => {
      if (index % 2 === 0) return parts.push(piece);
      const field: Field = piece === 'MID' ? 'messageId' : 'userId';
      slots.push({ field, item: seen[field]++ });
    });
    return new BodyTemplate(parts, slots, ids, eventsPerRequest);
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
    if (slot.field === 'messageId') {
      return this.ids.of(request, this.eventsPerRequest === 1 ? undefined : slot.item);
    }
    return `user-${(request * this.eventsPerRequest + slot.item) % USER_POOL}`;
  }
}

/**
 * messageIds that name the request they were sent in: `<tag>-<request>` (single events) or
 * `<tag>-<request>-<item>` (batches). With `random`, a pseudo-random 16-hex-digit prefix derived
 * from those numbers comes first, as with the random ids browser SDKs send: inserts then land all
 * over the store's messageId indexes (much costlier for SQLite than the ordered ids of
 * time-prefixed server SDKs, which `random: false` approximates).
 */
export class MessageIds {
  constructor(
    readonly tag: string,
    readonly random: boolean,
  ) {}

  of(request: number, item: number | undefined): string {
    const suffix = item === undefined ? `${this.tag}-${request}` : `${this.tag}-${request}-${item}`;
    return this.random ? `${randomHex(request, item ?? 0)}-${suffix}` : suffix;
  }

  /** The request number an id was sent in, or undefined for an id this scheme never produced. */
  requestOf(messageId: string): number | undefined {
    const at = messageId.indexOf(`${this.tag}-`);
    if (at === -1) return undefined;
    const [request, item, extra] = messageId
      .slice(at + this.tag.length + 1)
      .split('-')
      .map(Number);
    if (request === undefined || extra !== undefined) return undefined;
    return this.of(request, item) === messageId ? request : undefined;
  }
}

/** 16 hex digits that look random but are a pure function of (request, item). */
function randomHex(request: number, item: number): string {
  const a = mix32(request * 1031 + item);
  const b = mix32(a ^ 0x9e3779b9);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** A 32-bit integer hash (the "lowbias32" finalizer). */
function mix32(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
