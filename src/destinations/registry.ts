import { registerDestination, type RegisteredDestination } from '../delivery/destination.js';
import { brazeDestination } from './braze/index.js';
import { hubspotDestination } from './hubspot/index.js';

/** Every destination type by its `type:` name in the mapping files. Adding one is one line here. */
export const DESTINATIONS: Record<string, RegisteredDestination> = {
  braze: registerDestination(brazeDestination),
  hubspot: registerDestination(hubspotDestination),
};
