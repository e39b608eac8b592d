import express, { type Router } from 'express';
import type { z } from 'zod';
import type { ReloadResult } from '../config/live-config.js';
import type { RelayStore } from '../store/port.js';
import type { IdentifierKind, TraitDefinitionRow } from '../store/profile-port.js';
import { requireAdminToken } from './auth.js';
import {
  PreviewRequest,
  type AudienceSummary,
  type Explanation,
  type PreviewResult,
} from './audience-views.js';
import { DeliverySearch, ReplayRequest } from './delivery-views.js';
import type { ProfileView } from './profile-view.js';
import type { DeadLetter, DeliveryLogEntry } from '../store/delivery-port.js';

export interface AdminDeps {
  store: RelayStore;
  adminToken: string | undefined;
  profile: (kind: IdentifierKind, value: string) => Promise<ProfileView | undefined>;
  configStatus: () => Promise<ConfigStatus>;
  reloadConfig: () => Promise<ReloadResult>;
  audiences: () => Promise<AudienceSummary[]>;
  audienceMembers: (name: string, limit: number) => Promise<string[] | undefined>;
  preview: (request: PreviewRequest) => Promise<PreviewResult>;
  explain: (
    kind: IdentifierKind,
    value: string,
    audience: string | undefined,
  ) => Promise<Explanation | undefined>;
  deliveries: (query: DeliverySearch) => Promise<DeliveryLogEntry[]>;
  deadLetters: (query: {
    destination?: string;
    includeReplayed?: boolean;
    limit: number;
  }) => Promise<DeadLetter[]>;
  replay: (ids: number[] | 'all', destination: string | undefined) => Promise<number>;
}

export interface ConfigStatus {
  dir: string;
  lastReload: ReloadResult | undefined;
  sources: string[];
  traits: string[];
  backfills: TraitDefinitionRow[];
}

const PROFILE_QUERY_KEYS: IdentifierKind[] = ['userId', 'anonymousId', 'email'];

/** `/admin/api`: the operator's questions, answered from the store. */
export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(requireAdminToken(deps.adminToken));

  // "Did this event arrive?" One match per source that sent this messageId.
  router.get('/events/:messageId', async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    const events = await deps.store.findEventsByMessageId(req.params.messageId, source);
    if (events.length === 0) {
      return res.status(404).json({ error: `messageId: no stored event with this messageId` });
    }
    const [first] = events;
    res.json({
      ...first,
      eventTime: iso(first?.eventTime),
      receivedAt: iso(first?.receivedAt),
      others: events.length - 1,
    });
  });

  router.get('/profiles/explain', async (req, res) => {
    const kind = PROFILE_QUERY_KEYS.find((key) => typeof req.query[key] === 'string');
    if (!kind)
      return res.status(400).json({ error: 'query: one of userId, anonymousId or email is required' });
    const audience = typeof req.query.audience === 'string' ? req.query.audience : undefined;
    const explanation = await deps.explain(kind, String(req.query[kind]), audience);
    if (!explanation) return res.status(404).json({ error: `${kind}: no profile has this identifier` });
    if (audience && explanation.audiences[0]?.explain === undefined) {
      return res.status(404).json({ error: `audience: no audience named ${audience}` });
    }
    res.json(explanation);
  });

  router.get('/profiles', async (req, res) => {
    const kind = PROFILE_QUERY_KEYS.find((key) => typeof req.query[key] === 'string');
    if (!kind)
      return res.status(400).json({ error: 'query: one of userId, anonymousId or email is required' });
    const view = await deps.profile(kind, String(req.query[kind]));
    if (!view) return res.status(404).json({ error: `${kind}: no profile has this identifier` });
    res.json(view);
  });

  // How far processing has come: stored vs processed events.
  router.get('/processing', async (_req, res) => {
    const [storedSeq, processedSeq] = await Promise.all([
      deps.store.lastSeq(),
      deps.store.readCursor('traits'),
    ]);
    res.json({ storedSeq, processedSeq, pending: Math.max(0, storedSeq - processedSeq) });
  });

  router.get('/audiences', async (_req, res) => {
    res.json({ audiences: await deps.audiences() });
  });

  router.get('/audiences/:name/members', async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const members = await deps.audienceMembers(req.params.name, limit);
    if (!members) return res.status(404).json({ error: `audience: no audience named ${req.params.name}` });
    res.json({ audience: req.params.name, members });
  });

  router.post('/audiences/preview', express.json({ limit: '64kb' }), async (req, res) => {
    const parsed = PreviewRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || 'body',
        message: issue.message,
      }));
      return res.status(400).json({ error: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
    }
    res.json(await deps.preview(parsed.data));
  });

  router.get('/deliveries', async (req, res) => {
    const parsed = DeliverySearch.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const entries = await deps.deliveries(parsed.data);
    res.json({ deliveries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })) });
  });

  router.get('/dead-letters', async (req, res) => {
    const destination = typeof req.query.destination === 'string' ? req.query.destination : undefined;
    const letters = await deps.deadLetters({
      // Clamped like every other limit: SQLite reads a negative LIMIT as "no limit".
      limit: Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100)),
      includeReplayed: req.query.replayed === 'true',
      ...(destination ? { destination } : {}),
    });
    res.json({ deadLetters: letters });
  });

  router.post('/dead-letters/replay', express.json({ limit: '64kb' }), async (req, res) => {
    const parsed = ReplayRequest.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(res, parsed.error);
    const replayed = await deps.replay(parsed.data.ids ?? 'all', parsed.data.destination);
    res.json({ replayed });
  });

  router.get('/config', async (_req, res) => {
    res.json(await deps.configStatus());
  });

  router.post('/config/reload', async (_req, res) => {
    const result = await deps.reloadConfig();
    res.status(result.ok ? 200 : 422).json(result);
  });
  return router;
}

function badRequest(res: express.Response, error: z.ZodError) {
  const issues = error.issues.map((issue) => ({
    path: issue.path.join('.') || 'query',
    message: issue.message,
  }));
  res.status(400).json({ error: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
