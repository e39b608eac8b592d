import type { DestinationType } from '../../delivery/destination.js';
import { classify } from './classify.js';
import { HUBSPOT_LIMITS } from './limits.js';
import { buildBatch } from './payload.js';
import { redactBody } from './redact.js';
import { HubspotMapping, HubspotSettings } from './settings.js';

/** HubSpot contacts, upserted by e-mail: traits and audience membership as contact properties. */
export const hubspotDestination: DestinationType<HubspotSettings, HubspotMapping> = {
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
  buildBatch,
  classify,
  redactBody,
};
