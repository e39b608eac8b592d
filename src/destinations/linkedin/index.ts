import type { DestinationType, FakeDefinition } from '../../delivery/destination.js';
import { matchTraits } from '../../delivery/match-keys.js';
import { classify } from './classify.js';
import { describeRequest } from './fake-describe.js';
import { LINKEDIN_LIMITS, LINKEDIN_MINIMUM_AUDIENCE } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { LinkedinMapping, LinkedinSettings } from './settings.js';

const fake: FakeDefinition = {
  port: 4105,
  credential: 'test-linkedin-token',
  endpointEnv: 'LINKEDIN_URL',
  // Loaded on demand: the relay itself needs no express for LinkedIn.
  start: async ({ port }) => {
    const { startFakeLinkedin } = await import('./fake-server.js');
    return startFakeLinkedin({ port });
  },
  describe: describeRequest,
};

/** LinkedIn Matched Audiences: one relay audience mirrored into one DMP segment (README.md). */
export const linkedinDestination: DestinationType<LinkedinSettings, LinkedinMapping> = {
  type: 'linkedin_dmp_segment',
  title: 'LinkedIn Matched Audiences',
  settings: LinkedinSettings,
  mapping: LinkedinMapping,
  limits: LINKEDIN_LIMITS,
  kind: 'set',
  minimumAudienceSize: LINKEDIN_MINIMUM_AUDIENCE,
  subscriptions: (mapping) => ({ audiences: [mapping.audience], traits: matchTraits(mapping) }),
  buildBatch,
  classify,
  redactBody,
  fake,
};
