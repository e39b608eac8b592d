/**
 * Every HubSpot path this destination calls, for one API version. HubSpot's date-based versions put
 * the version after the API's name (`/crm/objects/2026-03/contacts/...`, `/crm/lists/2026-03/...`);
 * the legacy `v3` paths put it before (`/crm/v3/objects/contacts/...`, `/crm/v3/lists/...`), and are
 * unsupported from September 2027.
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/objects/contacts/batch/upsert-contacts
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/memberships/update-list-memberships
 */

/** `v3`, or a date version `YYYY-MM`. */
export const VERSION_PATTERN = /^(v3|\d{4}-(0[1-9]|1[0-2]))$/;

/** The version written when the settings name none. */
export const DEFAULT_API_VERSION = '2026-03';

/** Contacts are object type `0-1` in the lists API. */
export const CONTACTS_OBJECT_TYPE = '0-1';

export interface HubspotPaths {
  /** `POST`: contacts batch upsert. */
  upsert: string;
  /** `POST`: create a list. */
  lists: string;
  /** `GET`: one list by id. */
  list(listId: string): string;
  /** `GET`: a contacts list by its name. */
  listByName(name: string): string;
  /** `PUT`: add and remove records in one call. */
  addAndRemove(listId: string): string;
}

export function hubspotPaths(version: string): HubspotPaths {
  if (!VERSION_PATTERN.test(version)) {
    throw new Error(`hubspot: api version "${version}" is neither v3 nor YYYY-MM`);
  }
  const objects = version === 'v3' ? '/crm/v3/objects' : `/crm/objects/${version}`;
  const lists = version === 'v3' ? '/crm/v3/lists' : `/crm/lists/${version}`;
  const id = (listId: string) => encodeURIComponent(listId);
  return {
    upsert: `${objects}/contacts/batch/upsert`,
    lists,
    list: (listId) => `${lists}/${id(listId)}`,
    listByName: (name) => `${lists}/object-type-id/${CONTACTS_OBJECT_TYPE}/name/${encodeURIComponent(name)}`,
    addAndRemove: (listId) => `${lists}/${id(listId)}/memberships/add-and-remove`,
  };
}
