import express, { type Router } from 'express';
import { once } from 'node:events';
import type { z } from 'zod';
import type { ReloadResult } from '../config/live-config.js';
import type { RelayStore } from '../store/port.js';
import type { IdentifierKind } from '../store/profile-port.js';
import type { Logger } from '../lib/logger.js';
import type * as Api from './api-schema.js';
import { ExportQuery, type ConfigStatus, type DestinationStatus } from './api-schema.js';
import { exportProblem } from './audience-export.js';
import { requireAdminToken } from './auth.js';
import {
  PreviewRequest,
  type AudienceSummary,
  type Explanation,
  type PreviewResult,
} from './audience-views.js';
import { budgetRunView, type BudgetAdmin } from './budget-view.js';
import { DeliverySearch, ReplayRequest } from './delivery-views.js';
import type { ProfileView } from './profile-view.js';
import { rebuildView, type RebuildView } from './rebuild-view.js';
import type { ScoresAdmin } from './score-view.js';
import { TrainingExportQuery } from '../engine/training/label.js';
import type { TrainingExportResult } from '../engine/training/export.js';
import type { MatchView } from './match-view.js';
import type { Overview } from './overview-view.js';
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
  /** Intake, processing and each destination's health at a glance, with the failing alerts. */
  overview: () => Promise<Overview>;
  /** Asks for a rebuild from the event log (or answers the one running: `created` false). */
  requestRebuild: () => Promise<{ rebuild: RebuildView; created: boolean }>;
  /** Score monitoring: daily histograms, drift and tier cut points (score-view.ts). */
  scores: ScoresAdmin;
  /** Training rows as they were at a cutoff, with labels from after it, as CSV (src/engine/training/). */
  trainingExport: (query: TrainingExportQuery) => Promise<TrainingExportResult>;
  /** Budget allocation runs: the latest, the history, a run now (budget-view.ts). */
  budget: BudgetAdmin;
  /** The configured destinations, on or off (and why off). */
  destinations: () => DestinationStatus[];
  /** An audience's members as CSV chunks; undefined when no audience has this name. */
  exportAudience: (
    name: string,
    query: ExportQuery,
    count: { rows: number; skipped: number },
  ) => AsyncIterable<string> | undefined;
  logger: Logger;
}

export type { ConfigStatus };

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
    const [first] = events;
    if (!first) {
      return res.status(404).json({ error: `messageId: no stored event with this messageId` });
    }
    res.json({
      ...first,
      eventTime: iso(first.eventTime),
      receivedAt: iso(first.receivedAt),
      others: events.length - 1,
    } satisfies Api.StoredEventView);
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
    res.json(explanation satisfies Api.Explanation);
  });

  router.get('/profiles', async (req, res) => {
    const kind = PROFILE_QUERY_KEYS.find((key) => typeof req.query[key] === 'string');
    if (!kind)
      return res.status(400).json({ error: 'query: one of userId, anonymousId or email is required' });
    const view = await deps.profile(kind, String(req.query[kind]));
    if (!view) return res.status(404).json({ error: `${kind}: no profile has this identifier` });
    res.json(view satisfies Api.ProfileView);
  });

  router.get('/overview', async (_req, res) => {
    res.json(await deps.overview());
  });

  // How far processing has come: stored vs processed events.
  router.get('/processing', async (_req, res) => {
    const [storedSeq, processedSeq, profiles] = await Promise.all([
      deps.store.lastSeq(),
      deps.store.readCursor('traits'),
      deps.store.countProfiles(),
    ]);
    const pending = Math.max(0, storedSeq - processedSeq);
    res.json({ storedSeq, processedSeq, pending, profiles } satisfies Api.Processing);
  });

  router.get('/audiences', async (_req, res) => {
    res.json({ audiences: await deps.audiences() } satisfies Api.AudienceList);
  });

  router.get('/audiences/:name/members', async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const members = await deps.audienceMembers(req.params.name, limit);
    if (!members) return res.status(404).json({ error: `audience: no audience named ${req.params.name}` });
    res.json({ audience: req.params.name, members } satisfies Api.MemberList);
  });

  // CSV for platforms without an API: hashed per platform, raw only when asked for (raw=true).
  router.get('/audiences/:name/export', async (req, res) => {
    const parsed = ExportQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const problem = exportProblem(parsed.data);
    if (problem) return res.status(400).json({ error: `identifiers: ${problem}` });
    const count = { rows: 0, skipped: 0 };
    const chunks = deps.exportAudience(req.params.name, parsed.data, count);
    if (!chunks) return res.status(404).json({ error: `audience: no audience named ${req.params.name}` });
    res.type('text/csv; charset=utf-8');
    res.attachment(`${req.params.name}.csv`);
    try {
      for await (const chunk of chunks) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    } catch (error) {
      // The header is sent: the client sees a cut-off body, never a CSV that looks complete.
      deps.logger.error({ err: error, audience: req.params.name }, 'audience export failed');
      return res.destroy();
    }
    res.end();
    deps.logger.info(
      {
        audience: req.params.name,
        identifiers: parsed.data.identifiers,
        hashedFor: parsed.data.hash ?? null,
        ...count,
      },
      parsed.data.hash ? 'audience exported, identifiers hashed' : 'audience exported with raw identifiers',
    );
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
    res.json((await deps.preview(parsed.data)) satisfies Api.PreviewResult);
  });

  router.get('/deliveries', async (req, res) => {
    const parsed = DeliverySearch.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    if (unknownDestination(res, parsed.data.destination, deps)) return;
    const entries = await deps.deliveries(parsed.data);
    const deliveries = entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() }));
    res.json({ deliveries } satisfies Api.DeliveryList);
  });

  router.get('/matches', async (_req, res) => {
    res.json((await deps.matches()) satisfies Api.MatchView);
  });

  router.get('/dead-letters', async (req, res) => {
    const destination = typeof req.query.destination === 'string' ? req.query.destination : undefined;
    if (unknownDestination(res, destination, deps)) return;
    const letters = await deps.deadLetters({
      // Clamped like every other limit: SQLite reads a negative LIMIT as "no limit".
      limit: Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100)),
      includeReplayed: req.query.replayed === 'true',
      ...(destination ? { destination } : {}),
    });
    res.json({ deadLetters: letters } satisfies Api.DeadLetterList);
  });

  router.post('/dead-letters/replay', express.json({ limit: '64kb' }), async (req, res) => {
    const parsed = ReplayRequest.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(res, parsed.error);
    if (unknownDestination(res, parsed.data.destination, deps)) return;
    const replayed = await deps.replay(parsed.data.ids ?? 'all', parsed.data.destination);
    res.json({ replayed } satisfies Api.ReplayResult);
  });

  // Rebuild every profile from the event log; progress on GET. 202 when started, 409 if one runs.
  router.post('/rebuild', async (_req, res) => {
    const { rebuild, created } = await deps.requestRebuild();
    if (created) return res.status(202).json(rebuild satisfies Api.RebuildView);
    const error = `rebuild: rebuild ${rebuild.id} is still running`;
    res.status(409).json({ error, rebuild } satisfies Api.RebuildRunning);
  });

  router.get('/rebuild', async (_req, res) => {
    const view = await rebuildView(deps.store);
    if (!view) return res.status(404).json({ error: 'rebuild: no rebuild was ever requested' });
    res.json(view satisfies Api.RebuildView);
  });

  // Budget allocation (docs/budget.md): 404 without `budget:`; a refresh is 409 while the sums are not final.
  const noBudget = { error: 'budget: no budget: section in the mapping files' };
  router.get('/budget', async (_req, res) => {
    const view = await deps.budget.view();
    if (!view) return res.status(404).json(noBudget);
    res.json(view);
  });

  router.get('/budget/history', async (req, res) => {
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 20) || 20));
    const before = Number(req.query.before);
    const history = await deps.budget.history(limit, Number.isSafeInteger(before) ? before : undefined);
    if (!history) return res.status(404).json(noBudget);
    res.json(history);
  });

  router.post('/budget/refresh', async (_req, res) => {
    const outcome = await deps.budget.refresh();
    if (outcome.kind === 'not_configured') return res.status(404).json(noBudget);
    if (outcome.kind === 'skipped') return res.status(409).json({ error: `budget: ${outcome.reason}` });
    res.json(budgetRunView(outcome.run));
  });

  // Score monitoring (docs/scores.md): the latest daily histogram of every score series and its drift.
  router.get('/scores', async (_req, res) => {
    res.json(await deps.scores.overview());
  });

  router.post('/scores/snapshot', async (_req, res) => {
    const outcome = await deps.scores.snapshot();
    if (!outcome.ok) return res.status(409).json({ error: `scores: ${outcome.reason}` });
    res.json(outcome.overview);
  });

  router.get('/scores/:trait', async (req, res) => {
    const detail = await deps.scores.detail(req.params.trait);
    if (!detail)
      return res.status(404).json({ error: `trait: no score or model trait named ${req.params.trait}` });
    res.json(detail);
  });

  // Training data (docs/training-export.md): traits at the cutoff from the event log, labels after it.
  router.get('/training-export', async (req, res) => {
    const parsed = TrainingExportQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const result = await deps.trainingExport(parsed.data);
    if (!result.ok) return res.status(result.status).json({ error: result.error });
    res.type('text/csv; charset=utf-8');
    res.attachment('training.csv');
    res.setHeader('x-training-rows', String(result.rows));
    res.setHeader('x-training-positives', String(result.positives));
    for (const chunk of result.chunks) {
      // A client that went away never drains: stop writing rather than wait for ever.
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (res.destroyed) return;
    }
    res.end();
  });

  router.get('/config', async (_req, res) => {
    res.json((await deps.configStatus()) satisfies Api.ConfigStatus);
  });

  router.post('/config/reload', async (_req, res) => {
    const result = await deps.reloadConfig();
    res.status(result.ok ? 200 : 422).json(result satisfies Api.ReloadResult);
  });
  return router;
}

/** Answers 400 naming `destination` when a filter names no configured destination. */
function unknownDestination(res: express.Response, name: string | undefined, deps: AdminDeps): boolean {
  if (name === undefined || deps.destinations().some((destination) => destination.name === name))
    return false;
  const known = deps.destinations().map((destination) => destination.name);
  const error = `destination: no destination named ${JSON.stringify(name.slice(0, 100))} (configured: ${known.join(', ') || 'none'})`;
  res.status(400).json({ error } satisfies Api.ApiError);
  return true;
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

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
