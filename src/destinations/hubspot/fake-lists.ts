import type { Express, Request, Response } from 'express';
import { CONTACTS_OBJECT_TYPE } from './paths.js';

/**
 * The lists part of the fake HubSpot (fake-server.ts mounts it under `/crm/v3/lists` and
 * `/crm/lists/{YYYY-MM}`), as documented for the lists API:
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/get-list
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/create-list
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/lists/memberships/update-list-memberships
 * - `GET {base}/object-type-id/{objectTypeId}/name/{name}` and `GET {base}/{listId}` -> `{ list }`, or 404.
 * - `POST {base}` creates a list (409 when the name is taken; DYNAMIC needs a `filterBranch`).
 * - `PUT {base}/{listId}/memberships/add | remove` (a JSON array of record ids) and `add-and-remove`
 *   (`{recordIdsToAdd, recordIdsToRemove}`), on MANUAL and SNAPSHOT lists only. Ids of records that
 *   do not exist, already-members on add and non-members on remove are ignored and listed in
 *   `recordIdsMissing`; added ids come back under the legacy spelling `recordsIdsAdded`.
 */

export type ProcessingType = 'MANUAL' | 'SNAPSHOT' | 'DYNAMIC';

/** A list the fake starts with (e.g. a DYNAMIC one, to test that it is refused). */
export interface ListSeed {
  name: string;
  processingType?: ProcessingType;
  /** Record ids of the first members. */
  members?: string[];
}

interface StoredList {
  listId: string;
  name: string;
  objectTypeId: string;
  processingType: ProcessingType;
  members: Set<string>;
  createdAt: string;
  updatedAt: string;
}

type Fail = (res: Response, status: number, category: string, message: string) => void;

export interface FakeLists {
  /** Mounts the routes under one base path (`/crm/v3/lists`, `/crm/lists/:version`). */
  mount(app: Express, base: string): void;
  /** Record ids in the list with this name, sorted; undefined when there is no such list. */
  members(name: string): string[] | undefined;
  reset(): void;
}

const PROCESSING_TYPES: readonly string[] = ['MANUAL', 'SNAPSHOT', 'DYNAMIC'];

export function fakeLists(options: {
  seeds: ListSeed[];
  fail: Fail;
  recordExists: (recordId: string) => boolean;
}): FakeLists {
  const { fail, recordExists } = options;
  const lists = new Map<string, StoredList>();
  let nextId = 1;
  const store = (name: string, processingType: ProcessingType, members: string[] = []) => {
    const now = new Date().toISOString();
    const list: StoredList = {
      listId: String(nextId++),
      name,
      objectTypeId: CONTACTS_OBJECT_TYPE,
      processingType,
      members: new Set(members),
      createdAt: now,
      updatedAt: now,
    };
    lists.set(list.listId, list);
    return list;
  };
  const seed = () => {
    lists.clear();
    nextId = 1;
    for (const one of options.seeds) store(one.name, one.processingType ?? 'MANUAL', one.members);
  };
  seed();
  const byName = (name: string) => [...lists.values()].find((list) => list.name === name);
  const view = (list: StoredList) => ({
    listId: list.listId,
    listVersion: 1,
    name: list.name,
    objectTypeId: list.objectTypeId,
    processingStatus: 'COMPLETE',
    processingType: list.processingType,
    size: list.members.size,
    createdAt: list.createdAt,
    updatedAt: list.updatedAt,
  });
  const notFound = (res: Response, what: string) =>
    fail(res, 404, 'OBJECT_NOT_FOUND', `List does not exist with ${what}.`);

  const getByName = (req: Request, res: Response) => {
    const name = String(req.params.listName);
    const list = byName(name);
    if (list === undefined || list.objectTypeId !== req.params.objectTypeId) {
      return notFound(res, `name ${name} and object type id ${String(req.params.objectTypeId)}`);
    }
    res.status(200).json({ list: view(list) });
  };
  const getById = (req: Request, res: Response) => {
    const list = lists.get(String(req.params.listId));
    if (list === undefined) return notFound(res, `id ${String(req.params.listId)}`);
    res.status(200).json({ list: view(list) });
  };
  const create = (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { name, objectTypeId, processingType } = body;
    if (typeof name !== 'string' || name.trim() === '') {
      return fail(res, 400, 'VALIDATION_ERROR', 'Invalid input JSON: "name" is required');
    }
    if (typeof processingType !== 'string' || !PROCESSING_TYPES.includes(processingType)) {
      return fail(res, 400, 'VALIDATION_ERROR', 'processingType must be one of MANUAL, SNAPSHOT, DYNAMIC');
    }
    if (objectTypeId !== CONTACTS_OBJECT_TYPE) {
      return fail(
        res,
        400,
        'VALIDATION_ERROR',
        `this fake holds contacts lists (objectTypeId ${CONTACTS_OBJECT_TYPE}) only`,
      );
    }
    if (processingType === 'DYNAMIC' && body.filterBranch === undefined) {
      return fail(res, 400, 'VALIDATION_ERROR', 'A DYNAMIC list requires a filterBranch');
    }
    if (byName(name) !== undefined) {
      return fail(res, 409, 'CONFLICT', `A list named ${name} already exists.`);
    }
    res.status(200).json({ list: view(store(name, processingType as ProcessingType)) });
  };
  const change = (req: Request, res: Response, toAdd: unknown, toRemove: unknown) => {
    const list = lists.get(String(req.params.listId));
    if (list === undefined) return notFound(res, `id ${String(req.params.listId)}`);
    if (list.processingType === 'DYNAMIC') {
      return fail(
        res,
        400,
        'VALIDATION_ERROR',
        `List ${list.listId} has processingType DYNAMIC: memberships can only be changed on MANUAL or SNAPSHOT lists.`,
      );
    }
    const add = idsOf(toAdd);
    const remove = idsOf(toRemove);
    if (add === undefined || remove === undefined) {
      return fail(res, 400, 'VALIDATION_ERROR', 'Invalid input JSON: record ids must be an array of strings');
    }
    const missing: string[] = [];
    const added: string[] = [];
    const removed: string[] = [];
    for (const id of add) {
      if (!recordExists(id) || list.members.has(id)) missing.push(id);
      else {
        list.members.add(id);
        added.push(id);
      }
    }
    for (const id of remove) {
      if (list.members.delete(id)) removed.push(id);
      else missing.push(id);
    }
    list.updatedAt = new Date().toISOString();
    res.status(200).json({ recordIdsMissing: missing, recordIdsRemoved: removed, recordsIdsAdded: added });
  };

  return {
    mount(app, base) {
      app.get(`${base}/object-type-id/:objectTypeId/name/:listName`, getByName);
      app.get(`${base}/:listId`, getById);
      app.post(base, create);
      app.put(`${base}/:listId/memberships/add`, (req, res) => change(req, res, req.body, []));
      app.put(`${base}/:listId/memberships/remove`, (req, res) => change(req, res, [], req.body));
      app.put(`${base}/:listId/memberships/add-and-remove`, (req, res) => {
        const body = (req.body ?? {}) as { recordIdsToAdd?: unknown; recordIdsToRemove?: unknown };
        change(req, res, body.recordIdsToAdd, body.recordIdsToRemove);
      });
    },
    members(name) {
      const list = byName(name);
      return list === undefined ? undefined : [...list.members].sort();
    },
    reset: seed,
  };
}

/** Record ids as strings (HubSpot takes numbers too), or undefined for anything else. */
function idsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids = value.map((id: unknown) =>
    typeof id === 'number' || typeof id === 'string' ? String(id) : '',
  );
  return ids.every((id) => /^\d+$/.test(id)) ? ids : undefined;
}
