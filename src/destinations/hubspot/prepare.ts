import type { BuiltRequest, HttpResult } from '../../delivery/destination.js';
import { ListAnswer, readError, type ListDefinition } from './api.js';
import { describe } from './multi-status.js';
import { CONTACTS_OBJECT_TYPE, hubspotPaths, type HubspotPaths } from './paths.js';
import { listAudiences, type HubspotMapping, type HubspotSettings, type ListTarget } from './settings.js';

/**
 * Before the first batch: the list id of every `{ list }` / `{ list_id }` audience.
 * - `{ list: name }`: `GET .../lists/object-type-id/0-1/name/{name}`; a 404 creates it as a MANUAL
 *   contacts list (`POST .../lists`); a 409 on create (someone made it meanwhile) looks it up again.
 * - `{ list_id }`: `GET .../lists/{listId}`, to fail here rather than on every write.
 * Only MANUAL and SNAPSHOT lists take membership writes; a DYNAMIC list is refused with a message
 * that says so. Any failure throws (the core retries `prepare` later).
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/get-list
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/create-list
 */

export interface HubspotPrepared {
  /** Audience -> HubSpot list id (ILS id), for every list audience of the mapping. */
  listIds: Record<string, string>;
}

export class HubspotListError extends Error {
  override name = 'HubspotListError';
}

type Http = (request: BuiltRequest) => Promise<HttpResult>;

const WRITABLE = new Set(['MANUAL', 'SNAPSHOT']);

export async function prepare(
  config: { settings: HubspotSettings; mapping: HubspotMapping },
  http: Http,
): Promise<HubspotPrepared> {
  const { settings, mapping } = config;
  const api = new ListsApi(settings, hubspotPaths(settings.api_version), http);
  const listIds: Record<string, string> = {};
  for (const [audience, target] of listAudiences(mapping)) {
    const list = await api.resolve(target);
    const label = `audience ${audience}: HubSpot list "${list.name ?? list.listId}" (${list.listId})`;
    if (list.objectTypeId !== undefined && list.objectTypeId !== CONTACTS_OBJECT_TYPE) {
      throw new HubspotListError(
        `${label} holds objects of type ${list.objectTypeId}, not contacts (${CONTACTS_OBJECT_TYPE})`,
      );
    }
    if (!WRITABLE.has(list.processingType ?? 'MANUAL')) {
      throw new HubspotListError(
        `${label} is ${list.processingType}: HubSpot only takes membership writes on MANUAL or SNAPSHOT lists (DYNAMIC lists cannot be written); name a MANUAL list, or use { property } and build the active list on it in HubSpot`,
      );
    }
    listIds[audience] = list.listId;
  }
  return { listIds };
}

class ListsApi {
  constructor(
    private readonly settings: HubspotSettings,
    private readonly paths: HubspotPaths,
    private readonly http: Http,
  ) {}

  async resolve(target: ListTarget): Promise<ListDefinition> {
    if ('listId' in target) {
      const found = await this.call('GET', this.paths.list(target.listId), undefined);
      if (found.status === 404) {
        throw new HubspotListError(`HubSpot has no list with list_id ${target.listId}`);
      }
      return this.listOf(found, `looking up list_id ${target.listId}`);
    }
    const found = await this.byName(target.name);
    if (found !== undefined) return found;
    const body = { name: target.name, objectTypeId: CONTACTS_OBJECT_TYPE, processingType: 'MANUAL' };
    const created = await this.call('POST', this.paths.lists, body);
    if (created.status === 409) {
      // Created meanwhile (another relay, or a person): use that one.
      const raced = await this.byName(target.name);
      if (raced !== undefined) return raced;
    }
    return this.listOf(created, `creating list "${target.name}"`);
  }

  private async byName(name: string): Promise<ListDefinition | undefined> {
    const found = await this.call('GET', this.paths.listByName(name), undefined);
    return found.status === 404 ? undefined : this.listOf(found, `looking up list "${name}"`);
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown): Promise<Answer> {
    const result = await this.http({
      method,
      url: `${this.settings.endpoint}${path}`,
      headers: {
        Authorization: `Bearer ${this.settings.token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body,
      items: [],
    });
    if (result.kind === 'timeout') return { status: 0, body: undefined, failure: 'timed out' };
    if (result.kind === 'network') return { status: 0, body: undefined, failure: result.message };
    return { status: result.status, body: result.body };
  }

  private listOf(answer: Answer, doing: string): ListDefinition {
    if (answer.failure !== undefined) throw new HubspotListError(`${doing}: ${answer.failure}`);
    if (answer.status < 200 || answer.status >= 300) {
      const hint =
        answer.status === 401
          ? ' (check the token)'
          : answer.status === 403
            ? ' (the token needs crm.lists.read and crm.lists.write)'
            : '';
      throw new HubspotListError(`${doing}: ${describe(answer.status, readError(answer.body))}${hint}`);
    }
    const parsed = ListAnswer.safeParse(answer.body);
    if (!parsed.success) {
      throw new HubspotListError(`${doing}: HubSpot ${answer.status} without a { list: { listId } }`);
    }
    return parsed.data.list;
  }
}

interface Answer {
  status: number;
  body: unknown;
  failure?: string;
}
