import type { DestinationType } from '../../delivery/destination.js';
import { matchTraits } from '../../delivery/match-keys.js';
import { budgetPushRequest, classifyBudgetPush, isBudgetPush } from './budget-push.js';
import { classify } from './classify.js';
import { describeMetaRequest } from './fake-describe.js';
import { metaLimits } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { MetaMapping, MetaSettings } from './settings.js';

/** Meta (Facebook) Custom Audiences: one relay audience mirrored into one customer-list audience (README.md). */
export const metaCustomAudienceDestination: DestinationType<MetaSettings, MetaMapping> = {
  type: 'meta_custom_audience',
  title: 'Meta Custom Audiences',
  settings: MetaSettings,
  mapping: MetaMapping,
  limits: metaLimits,
  kind: 'set',
  /** Meta's usual guidance for a targetable customer list (not a published hard limit). */
  minimumAudienceSize: 100,
  subscriptions: (mapping) => ({ audiences: [mapping.audience], traits: matchTraits(mapping) }),
  buildBatch: (items, config) => buildBatch(items, config),
  classify: (result, request) =>
    isBudgetPush(request) ? classifyBudgetPush(result, request) : classify(result, request),
  // The ad set update's body is an amount only: nothing to redact (redactBody leaves it as it is).
  redactBody,
  notify: budgetPushRequest,
  fake: {
    port: 4103,
    credential: 'test-meta-token',
    endpointEnv: 'META_GRAPH_URL',
    // Loaded on demand: only tests and `audience-relay fakes` need express.
    start: async ({ port }) => (await import('./fake-server.js')).startFakeMeta({ port }),
    describe: describeMetaRequest,
  },
};
