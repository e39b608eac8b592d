import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { webhookFake } from './fake.js';
import { WEBHOOK_LIMITS } from './limits.js';
import { notify } from './notify.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { WebhookMapping, WebhookSettings } from './settings.js';

/** Any HTTPS receiver, signed per Standard Webhooks: membership and trait changes as JSON (README.md). */
export const webhookDestination: DestinationType<WebhookSettings, WebhookMapping> = {
  type: 'webhook',
  title: 'Webhook (Standard Webhooks)',
  settings: WebhookSettings,
  mapping: WebhookMapping,
  limits: WEBHOOK_LIMITS,
  kind: 'attributes',
  subscriptions: (mapping) => ({ audiences: [...mapping.audiences], traits: [...mapping.traits] }),
  buildBatch: (items, config) => buildBatch(items, config),
  classify: (result, request) => classify(result, request),
  notify: (event, config) => notify(event, config),
  redactBody,
  fake: webhookFake,
};
