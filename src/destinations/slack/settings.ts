import { z } from 'zod';
import '../../lib/zod-messages.js';
import { Name } from '../../mappings/name.js';
import { HttpBaseUrl, HttpUrl, TraitPath } from '../settings-kit.js';

/** The `settings:` block: the incoming-webhook URL (the URL is the secret) and where the admin page is. */
export const SlackSettings = z.strictObject({
  /** `https://hooks.slack.com/services/T…/B…/…`, one channel per URL. */
  webhook_url: HttpUrl(
    'webhook_url must be an incoming-webhook URL, e.g. https://hooks.slack.com/services/T…/B…/…',
  ),
  /** The relay's admin address as people reach it; each alert links to the person there. */
  admin_url: HttpBaseUrl('admin_url must be an http(s) URL, e.g. https://relay.example.com/admin'),
});
export type SlackSettings = z.infer<typeof SlackSettings>;

/** The rest of the destination block: which entries alert, what they show. */
export const SlackMapping = z.strictObject({
  /** Entering one of these posts an alert; exits post nothing. */
  audiences: z.array(Name).min(1, 'name the audiences whose entries alert, e.g. [high_intent]'),
  /** Shown with each person, as known when the alert is built. */
  traits: z.array(TraitPath).default([]),
  /** The identifier that names the person. An e-mail is shown only when chosen here. */
  show: z.enum(['userId', 'email'], 'show is userId or email').default('userId'),
});
export type SlackMapping = z.infer<typeof SlackMapping>;
