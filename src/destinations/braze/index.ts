import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { describeBrazeRequest } from './fake-description.js';
import { brazeLimits } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { BrazeMapping, BrazeSettings } from './settings.js';

/** Braze `/users/track`: audiences as boolean attributes, traits as custom attributes (README.md). */
export const brazeDestination: DestinationType<BrazeSettings, BrazeMapping> = {
  type: 'braze',
  title: 'Braze',
  settings: BrazeSettings,
  mapping: BrazeMapping,
  limits: brazeLimits,
  subscriptions: (mapping) => ({ audiences: [...mapping.audiences], traits: [...mapping.traits] }),
  buildBatch: (items, config) => buildBatch(items, config),
  classify: (result, request) => classify(result, request),
  redactBody,
  fake: {
    port: 4101,
    credential: 'test-braze-key',
    endpointEnv: 'BRAZE_REST_ENDPOINT',
    start: async ({ port }) => {
      const { startFakeBraze } = await import('./fake-server.js');
      return startFakeBraze({ port, apiKey: 'test-braze-key' });
    },
    describe: describeBrazeRequest,
  },
};
