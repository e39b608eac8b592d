import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sha256Hex } from '../../lib/hash.js';
import { rateWindowOf, startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { MAX_INPUTS } from './api.js';
import { fakeLists, type ListSeed } from './fake-lists.js';
import { VERSION_PATTERN } from './paths.js';

/**
 * A local HubSpot for tests and benches, faithful to HubSpot's documentation (README.md "API and
 * limits"): contacts batch upsert by e-mail, bearer auth, the 100-input limit, duplicate-id refusal,
 * per-input validation answered 207, the ten-secondly rate limit answered 429 with HubSpot's body
 * and headers, and the lists API (fake-lists.ts). Every route answers on the `v3` paths and on the
 * date-versioned ones (`/crm/objects/2026-03/...`, `/crm/lists/2026-03/...`).
 */

export interface FakeHubspotOptions {
  port?: number;
  /** The only accepted bearer token. */
  token?: string;
  /** Requests per rolling window (HubSpot Free/Starter: 100 per 10 s). */
  rateLimit?: RateLimit;
  /** Seed for fault injection. */
  seed?: number;
  /** Lists that exist from the start (and again after `reset`). */
  lists?: ListSeed[];
}

export interface FakeHubspot extends FakeServer {
  /** The current properties of a contact (with `email`), or undefined if it was never written. */
  contact(email: string): Record<string, string> | undefined;
  /** Answer the next upserts 200 with `results: []` and `errors: []` and write nothing. */
  setSilentFailure(on: boolean): void;
  /** A contact's record id, or undefined if it was never written. */
  recordId(email: string): string | undefined;
  /** The e-mails of the contacts in the list with this name, sorted; undefined without such a list. */
  listMembers(name: string): string[] | undefined;
}

interface StoredContact {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

interface InputError {
  status: 'error';
  category: string;
  message: string;
  context: { objectWriteTraceId: string[] } | { ids: string[] };
}

export const FAKE_HUBSPOT_TOKEN = 'test-hubspot-token';

export async function startFakeHubspot(options: FakeHubspotOptions = {}): Promise<FakeHubspot> {
  const token = options.token ?? FAKE_HUBSPOT_TOKEN;
  let silentFailure = false;
  const contacts = new Map<string, StoredContact>();
  const emailsById = new Map<string, string>();
  /** Stable per e-mail (a hash), so a contact written again after `reset` keeps its id. */
  const recordIdFor = (email: string) => {
    let id = 1_000_000 + (Number.parseInt(sha256Hex(email).slice(0, 8), 16) % 9_000_000);
    while (emailsById.has(String(id)) && emailsById.get(String(id)) !== email) id += 1;
    return String(id);
  };

  const rateHeaders = (res: Response) => {
    const window = rateWindowOf(res);
    res.setHeader('X-HubSpot-RateLimit-Max', String(window.limit.requests));
    res.setHeader('X-HubSpot-RateLimit-Remaining', String(window.remaining));
    res.setHeader('X-HubSpot-RateLimit-Interval-Milliseconds', String(window.limit.windowMs));
  };
  const fail = (res: Response, status: number, category: string, message: string, extra: object = {}) =>
    void res
      .status(status)
      .json({ status: 'error', message, correlationId: randomUUID(), category, ...extra });

  const lists = fakeLists({
    seeds: options.lists ?? [],
    fail,
    recordExists: (recordId) => emailsById.has(recordId),
  });

  const authenticated = (req: Request, res: Response, next: NextFunction) => {
    rateHeaders(res);
    if (req.headers.authorization !== `Bearer ${token}`) {
      return fail(
        res,
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    next();
  };
  /** `/crm/objects/{version}/...` and `/crm/lists/{version}/...` exist for date versions only. */
  const knownVersion = (req: Request, res: Response, next: NextFunction) => {
    const version = String(req.params.version);
    if (version !== 'v3' && VERSION_PATTERN.test(version)) return next();
    fail(
      res,
      404,
      'OBJECT_NOT_FOUND',
      `Unable to route ${req.method} ${req.path}: unknown version ${version}`,
    );
  };

  const upsert = (req: Request, res: Response) => {
    const inputs = (req.body as { inputs?: unknown } | undefined)?.inputs;
    if (!Array.isArray(inputs))
      return fail(res, 400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" is required');
    if (inputs.length > MAX_INPUTS) {
      return fail(
        res,
        400,
        'VALIDATION_ERROR',
        `Batch input is limited to ${MAX_INPUTS} inputs; received ${inputs.length}`,
      );
    }
    const ids = inputs.map((input: unknown) => idOf(input));
    const duplicates = [...new Set(ids.filter((id, index) => id !== '' && ids.indexOf(id) !== index))];
    if (duplicates.length > 0) {
      return fail(
        res,
        400,
        'VALIDATION_ERROR',
        `Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`,
        { context: { ids: duplicates } },
      );
    }
    if (silentFailure) return void res.status(200).json({ status: 'COMPLETE', results: [], errors: [] });
    const startedAt = new Date().toISOString();
    const results: object[] = [];
    const errors: InputError[] = [];
    for (const input of inputs as unknown[]) {
      const checked = checkInput(input);
      if ('error' in checked) {
        errors.push(checked.error);
        continue;
      }
      const { email, properties, traceId } = checked;
      const now = new Date().toISOString();
      const existing = contacts.get(email);
      const contact = existing ?? {
        id: recordIdFor(email),
        properties: { email },
        createdAt: now,
        updatedAt: now,
      };
      emailsById.set(contact.id, email);
      for (const [name, value] of Object.entries(properties)) {
        if (value === '') delete contact.properties[name];
        else contact.properties[name] = value;
      }
      contact.updatedAt = now;
      contacts.set(email, contact);
      results.push({
        id: contact.id,
        properties: { ...contact.properties, hs_object_id: contact.id },
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        archived: false,
        new: existing === undefined,
        ...(traceId === undefined ? {} : { objectWriteTraceId: traceId }),
      });
    }
    const completedAt = new Date().toISOString();
    if (errors.length === 0)
      return void res.status(200).json({ status: 'COMPLETE', results, startedAt, completedAt });
    res
      .status(207)
      .json({ status: 'COMPLETE', results, numErrors: errors.length, errors, startedAt, completedAt });
  };

  const kit = await startFakeKit({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    rateLimit: options.rateLimit ?? { requests: 100, windowMs: 10_000 },
    throttled: (res) => {
      rateHeaders(res);
      // HubSpot sends no Retry-After on a 429 (unconfirmed): the client waits out the 10 s window.
      res.status(429).json({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName: 'TEN_SECONDLY_ROLLING',
        requestId: randomUUID(),
      });
    },
    routes: (app) => {
      app.use('/crm', authenticated);
      app.use(['/crm/objects/:version', '/crm/lists/:version'], knownVersion);
      app.post('/crm/v3/objects/contacts/batch/upsert', upsert);
      app.post('/crm/objects/:version/contacts/batch/upsert', upsert);
      lists.mount(app, '/crm/v3/lists');
      lists.mount(app, '/crm/lists/:version');
      app.use((req, res) => fail(res, 404, 'OBJECT_NOT_FOUND', `Unable to route ${req.method} ${req.path}`));
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      contacts.clear();
      emailsById.clear();
      lists.reset();
      silentFailure = false;
    },
    contact: (email) => {
      const found = contacts.get(email.trim().toLowerCase());
      return found === undefined ? undefined : { ...found.properties };
    },
    setSilentFailure: (on) => {
      silentFailure = on;
    },
    recordId: (email) => contacts.get(email.trim().toLowerCase())?.id,
    listMembers: (name) =>
      lists
        .members(name)
        ?.map((recordId) => emailsById.get(recordId) ?? `record ${recordId}`)
        .sort(),
  };
}

/** The e-mail an input upserts, lower-cased (HubSpot matches e-mails case-insensitively), or ''. */
function idOf(input: unknown): string {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.trim().toLowerCase() : '';
}

type CheckedInput =
  { email: string; properties: Record<string, string>; traceId: string | undefined } | { error: InputError };

/** Per-input validation, as HubSpot answers it in a 207's `errors[]`. */
function checkInput(input: unknown): CheckedInput {
  const record = (input ?? {}) as {
    idProperty?: unknown;
    objectWriteTraceId?: unknown;
    properties?: unknown;
  };
  const traceId = typeof record.objectWriteTraceId === 'string' ? record.objectWriteTraceId : undefined;
  const email = idOf(input);
  const error = (message: string, name: string, code: string): { error: InputError } => ({
    error: {
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: `Property values were not valid: ${JSON.stringify([{ isValid: false, message, error: code, name }])}`,
      context: traceId === undefined ? { ids: [email] } : { objectWriteTraceId: [traceId] },
    },
  });
  if (record.idProperty !== 'email')
    return error('this fake upserts by email only', 'idProperty', 'INVALID_ID_PROPERTY');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
    return error(`Email address ${email} is invalid`, 'email', 'INVALID_EMAIL');
  const properties: Record<string, string> = {};
  const raw = record.properties ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return error('properties must be an object', 'properties', 'INVALID_PROPERTY_VALUE');
  }
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      return error(`${JSON.stringify(value)} was not a valid string.`, name, 'INVALID_PROPERTY_VALUE');
    }
    properties[name] = value;
  }
  return { email, properties, traceId };
}
