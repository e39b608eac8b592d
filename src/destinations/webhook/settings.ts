import { z } from 'zod';
import '../../lib/zod-messages.js';
import { secretKey } from '../../lib/standard-webhooks.js';
import { Name } from '../../mappings/name.js';
import { HttpUrl, TraitPath } from '../settings-kit.js';

/** Headers the relay sets itself: a static header must not replace them (the signature would lie). */
const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The `settings:` block: where the receiver is and the secret both sides sign with. */
export const WebhookSettings = z.strictObject({
  /** The receiver's URL (https in production; http for a local receiver). Redirects are not followed. */
  url: HttpUrl('url must be an http(s) URL, e.g. https://crm.example.com/hooks/relay'),
  /** `whsec_<base64 of 24-64 random bytes>`, one per endpoint; the HMAC key is the decoded bytes. */
  secret: z.string().superRefine((secret, ctx) => {
    const parsed = secretKey(secret);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: `secret ${parsed.error}` });
  }),
  /** Extra static headers (e.g. an API key the receiver's gateway wants). */
  headers: z
    .record(
      z
        .string()
        .regex(HEADER_NAME, 'a header name is letters, digits and -')
        .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), {
          error: (issue) => `${String(issue.input)} is set by the relay itself`,
        }),
      z.string().regex(/^[^\r\n]*$/, 'a header value is one line'),
    )
    .default({}),
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;

export const IDENTIFIER_KINDS = ['userId', 'email', 'anonymousId'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

/** The rest of the destination block: what each change carries. */
export const WebhookMapping = z.strictObject({
  /** Identifiers put into each change, raw (the receiver is the operator's own system). */
  identifiers: z
    .array(z.enum(IDENTIFIER_KINDS, `identifiers are ${IDENTIFIER_KINDS.join(', ')}`))
    .min(1, 'name at least one identifier, e.g. [userId]')
    .default(['userId']),
  audiences: z.array(Name).default([]),
  traits: z.array(TraitPath).default([]),
});
export type WebhookMapping = z.infer<typeof WebhookMapping>;
