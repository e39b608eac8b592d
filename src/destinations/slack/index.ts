import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { slackFake } from './fake.js';
import { SLACK_LIMITS } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { SlackMapping, SlackSettings } from './settings.js';

/** Slack incoming webhook: an alert when people enter an audience (README.md). */
export const slackDestination: DestinationType<SlackSettings, SlackMapping> = {
  type: 'slack',
  title: 'Slack',
  settings: SlackSettings,
  mapping: SlackMapping,
  limits: SLACK_LIMITS,
  kind: 'attributes',
  subscriptions: (mapping) => ({ audiences: [...mapping.audiences], traits: [...mapping.traits] }),
  buildBatch: (items, config) => buildBatch(items, config),
  classify: (result, request) => classify(result, request),
  redactBody,
  fake: slackFake,
};
