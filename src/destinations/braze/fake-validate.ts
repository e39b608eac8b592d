/**
 * The fake Braze's checks of one `/users/track` object and how an accepted attribute object changes a
 * profile. Error `type` strings follow the documented ones where known; the others (event and
 * purchase field checks) are the fake's own wording in the same style.
 * https://www.braze.com/docs/api/endpoints/user_data/post_user_track/
 * https://www.braze.com/docs/api/objects_filters/user_attributes_object/
 * https://www.braze.com/docs/api/errors/
 */

export type InputArray = 'attributes' | 'events' | 'purchases';

export const IDENTIFIER_REQUIRED = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";

type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Which profile an object names, as `external_id:u1`, `email:a@b.com`, ... Precedence: external_id,
 * braze_id, user_alias, then email before phone ("if both email and phone are given, email is the
 * identifier").
 */
export function profileKey(object: JsonObject): string | undefined {
  if (nonEmpty(object.external_id)) return `external_id:${object.external_id}`;
  if (nonEmpty(object.braze_id)) return `braze_id:${object.braze_id}`;
  const alias = object.user_alias;
  if (isObject(alias) && nonEmpty(alias.alias_name) && nonEmpty(alias.alias_label)) {
    return `user_alias:${alias.alias_label}:${alias.alias_name}`;
  }
  if (nonEmpty(object.email)) return `email:${object.email}`;
  if (nonEmpty(object.phone)) return `phone:${object.phone}`;
  return undefined;
}

/** The error `type` for one object, or undefined when it is valid. */
export function validateObject(array: InputArray, object: unknown): string | undefined {
  if (!isObject(object)) return `'${array}' items must be objects`;
  if (profileKey(object) === undefined) return IDENTIFIER_REQUIRED;
  const time = () =>
    typeof object.time === 'string' && !Number.isNaN(Date.parse(object.time))
      ? undefined
      : "'time' is not valid";
  switch (array) {
    case 'attributes':
      return undefined;
    case 'events':
      return nonEmpty(object.name) ? time() : "'name' is required";
    case 'purchases':
      if (!nonEmpty(object.product_id)) return "'product_id' is required";
      if (typeof object.currency !== 'string' || !/^[A-Z]{3}$/i.test(object.currency))
        return "'currency' is not valid";
      if (typeof object.price !== 'number' || !Number.isFinite(object.price)) return "'price' is not valid";
      if (object.quantity !== undefined) {
        const q = object.quantity;
        if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 100)
          return "'quantity' is not valid";
      }
      return time();
  }
}

/** Keys that identify the profile or steer the write; they are not attributes of the profile. */
const CONTROL_KEYS = new Set(['external_id', 'braze_id', 'user_alias', '_update_existing_only']);

/**
 * Applies an accepted attribute object to a profile's attributes, with Braze's semantics: a value sets,
 * `null` removes, `{inc:n}` increments, `{add:[…]}` / `{remove:[…]}` change an array attribute.
 */
export function applyAttributes(profile: JsonObject, object: JsonObject): void {
  const identifiedBy = profileKey(object)?.split(':', 1)[0];
  for (const [name, value] of Object.entries(object)) {
    if (CONTROL_KEYS.has(name) || name === identifiedBy) continue;
    if (value === null) delete profile[name];
    else if (isObject(value) && typeof value.inc === 'number' && Object.keys(value).length === 1) {
      const current = profile[name];
      profile[name] = (typeof current === 'number' ? current : 0) + value.inc;
    } else if (isObject(value) && (Array.isArray(value.add) || Array.isArray(value.remove))) {
      const current = Array.isArray(profile[name]) ? (profile[name] as unknown[]) : [];
      const added = Array.isArray(value.add) ? value.add.filter((entry) => !current.includes(entry)) : [];
      const removed = Array.isArray(value.remove) ? value.remove : [];
      profile[name] = [...current, ...added].filter((entry) => !removed.includes(entry));
    } else profile[name] = value;
  }
}
