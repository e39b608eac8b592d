import type { DeliveryItem } from '../../delivery/destination.js';

/**
 * What this destination remembers per profile (`ItemOutcome.remember`, back as `DeliveryItem.memory`):
 * the contact's HubSpot record id, from the upsert answer's `results[].id`. List membership calls
 * take record ids, not e-mails.
 */
export const RECORD_ID = 'hubspot_record_id';

export function recordIdOf(item: DeliveryItem): string | undefined {
  const id = item.memory[RECORD_ID];
  return id !== undefined && /^\d+$/.test(id) ? id : undefined;
}
