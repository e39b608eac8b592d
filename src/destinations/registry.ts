import { registerDestination, type RegisteredDestination } from '../delivery/destination.js';
import { brazeDestination } from './braze/index.js';
import { hubspotDestination } from './hubspot/index.js';
import { slackDestination } from './slack/index.js';
import { webhookDestination } from './webhook/index.js';
import { linkedinDestination } from './linkedin/index.js';
import { metaCustomAudienceDestination } from './meta/index.js';
import { segmentDestination } from './segment/index.js';
import { googleCustomerMatchDestination } from './google/index.js';

/** Every destination type by its `type:` name in the mapping files. Adding one is one line here. */
export const DESTINATIONS: Record<string, RegisteredDestination> = {
  braze: registerDestination(brazeDestination),
  hubspot: registerDestination(hubspotDestination),
  webhook: registerDestination(webhookDestination),
  slack: registerDestination(slackDestination),
  linkedin_dmp_segment: registerDestination(linkedinDestination),
  meta_custom_audience: registerDestination(metaCustomAudienceDestination),
  segment: registerDestination(segmentDestination),
  google_customer_match: registerDestination(googleCustomerMatchDestination),
};
