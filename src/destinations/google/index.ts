import type { DestinationType, FakeDefinition } from '../../delivery/destination.js';
import { matchTraits } from '../../delivery/match-keys.js';
import { budgetPushRequest, classifyBudgetPush, isBudgetPush } from './budget-push.js';
import { classify } from './classify.js';
import { describeRequest } from './fake-describe.js';
import { GOOGLE_LIMITS, MINIMUM_AUDIENCE_SIZE, STATUS_POLL_EVERY_MS } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { readStatus, statusRequest } from './request-status.js';
import { GoogleMapping, GoogleSettings } from './settings.js';

const fake: FakeDefinition = {
  port: 4104,
  credential: 'test-google-token',
  endpointEnv: 'GOOGLE_DM_URL',
  // Loaded on demand: the relay itself needs no fake.
  start: async ({ port }) => {
    const { startFakeGoogle } = await import('./fake-server.js');
    return startFakeGoogle({ port });
  },
  describe: describeRequest,
};

/** Google Customer Match through the Data Manager API: one relay audience mirrored into one user list (README.md). */
export const googleCustomerMatchDestination: DestinationType<GoogleSettings, GoogleMapping> = {
  type: 'google_customer_match',
  title: 'Google Customer Match',
  settings: GoogleSettings,
  mapping: GoogleMapping,
  limits: GOOGLE_LIMITS,
  kind: 'set',
  minimumAudienceSize: MINIMUM_AUDIENCE_SIZE,
  subscriptions: (mapping) => ({ audiences: [mapping.audience], traits: matchTraits(mapping) }),
  buildBatch,
  classify: (result, request) =>
    isBudgetPush(request) ? classifyBudgetPush(result, request) : classify(result, request),
  redactBody,
  notify: budgetPushRequest,
  asyncResult: {
    // Google suggests about 30 minutes; `settings.status_poll_after` sets it per destination (README).
    firstPollAfterMs: ({ settings }) => settings.status_poll_after,
    pollEveryMs: STATUS_POLL_EVERY_MS,
    request: statusRequest,
    read: readStatus,
  },
  fake,
};
