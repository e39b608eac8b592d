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
import { rebuildView, type RebuildView } from './rebuild-view.js';
import type { MatchView } from './match-view.js';
import type { DeadLetter, DeliveryLogEntry } from '../store/delivery-port.js';
import { exceedsDepth, formatPath } from '../http/json-limits.js';
import type { AudienceCondition } from '../mappings/audiences-schema.js';

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
  /** The ad platforms' match view: ledger sizes, adds/removes sent, invalid entries, async results. */
  matches: () => Promise<MatchView>;
  /** Asks for a rebuild from the event log (or answers the one running: `created` false). */
  requestRebuild: () => Promise<{ rebuild: RebuildView; created: boolean }>;
}

export interface ConfigStatus {
  dir: string;
  lastReload: ReloadResult | undefined;
  sources: string[];
  traits: string[];
  backfills: TraitDefinitionRow[];
}

const PROFILE_QUERY_KEYS: IdentifierKind[] = ['userId', 'anonymousId', 'email'];
/**
 * JSON levels of an audience-preview body: a rule nests 1 level per `not` and 2 per `all`/`any`, so
 * this is above any rule the mapping files allow; deeper bodies would overflow the recursive checks.
 */
const MAX_PREVIEW_JSON_DEPTH = 100;

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
    const [storedSeq, processedSeq, profiles] = await Promise.all([
      deps.store.lastSeq(),
      deps.store.readCursor('traits'),
      deps.store.countProfiles(),
    ]);
    res.json({ storedSeq, processedSeq, pending: Math.max(0, storedSeq - processedSeq), profiles });
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
    // Rules are validated and evaluated recursively: a deeper one is refused before either walks it.
    if (exceedsDepth(req.body, MAX_PREVIEW_JSON_DEPTH)) {
      const message = `nested deeper than ${MAX_PREVIEW_JSON_DEPTH} levels of JSON (the limit)`;
      return res.status(400).json({ error: `rule: ${message}`, issues: [{ path: 'rule', message }] });
    }
    const parsed = PreviewRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({
        path: formatPath('', issue.path),
        message: issue.message,
      }));
      return res.status(400).json({ error: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
    }
    const unknown = await unknownAudience(parsed.data.rule, deps);
    if (unknown !== undefined) {
      const message = `no audience named ${JSON.stringify(unknown.slice(0, 100))}`;
      return res.status(400).json({ error: `rule: ${message}`, issues: [{ path: 'rule', message }] });
    }
    res.json(await deps.preview(parsed.data));
  });

  router.get('/deliveries', async (req, res) => {
    const parsed = DeliverySearch.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const entries = await deps.deliveries(parsed.data);
    res.json({ deliveries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })) });
  });

  router.get('/matches', async (_req, res) => {
    res.json(await deps.matches());
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

  // Rebuild every profile from the event log; progress on GET. 202 when started, 409 if one runs.
  router.post('/rebuild', async (_req, res) => {
    const { rebuild, created } = await deps.requestRebuild();
    if (created) return res.status(202).json(rebuild);
    res.status(409).json({ error: `rebuild: rebuild ${rebuild.id} is still running`, rebuild });
  });

  router.get('/rebuild', async (_req, res) => {
    const view = await rebuildView(deps.store);
    if (!view) return res.status(404).json({ error: 'rebuild: no rebuild was ever requested' });
    res.json(view);
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

/** The first `audience:` the rule refers to that is not configured (the rule cannot be compiled). */
async function unknownAudience(rule: AudienceCondition, deps: AdminDeps): Promise<string | undefined> {
  const referenced = new Set<string>();
  const stack = [rule];
  for (let condition = stack.pop(); condition; condition = stack.pop()) {
    if (condition.kind === 'all' || condition.kind === 'any') stack.push(...condition.conditions);
    else if (condition.kind === 'not') stack.push(condition.condition);
    else if (condition.kind === 'audience') referenced.add(condition.audience);
  }
  if (referenced.size === 0) return undefined;
  const known = new Set((await deps.audiences()).map((audience) => audience.name));
  return [...referenced].find((name) => !known.has(name));
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
