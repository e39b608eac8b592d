import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { describeHubspotRequest } from './fake-description.js';
import { HUBSPOT_LIMITS } from './limits.js';
import { buildBatch } from './payload.js';
import { prepare, type HubspotPrepared } from './prepare.js';
import { redactBody } from './redact.js';
import { HubspotMapping, HubspotSettings } from './settings.js';

/**
 * HubSpot contacts, upserted by e-mail: traits and `{ property }` audiences as contact properties;
 * `{ list }` / `{ list_id }` audiences as membership of MANUAL lists, by the record id the upsert
 * answer gave (remembered per profile). `prepared` is undefined until `prepare` found the lists.
 */
export const hubspotDestination: DestinationType<
  HubspotSettings,
  HubspotMapping,
  HubspotPrepared | undefined
> = {
  type: 'hubspot',
  title: 'HubSpot',
  settings: HubspotSettings,
  mapping: HubspotMapping,
  limits: HUBSPOT_LIMITS,
  subscriptions: (mapping) => ({
    audiences: Object.keys(mapping.audiences),
    // As written in the mapping: a name (`lead_score`) or a dotted path (`lead_score.reasons`).
    traits: Object.keys(mapping.traits),
  }),
  prepare,
  buildBatch,
  classify,
  redactBody,
  fake: {
    port: 4102,
    credential: 'test-hubspot-token',
    endpointEnv: 'HUBSPOT_ENDPOINT',
    start: async ({ port }) => {
      const { startFakeHubspot } = await import('./fake-server.js');
      return startFakeHubspot({ port, token: 'test-hubspot-token' });
    },
    describe: describeHubspotRequest,
  },
};
