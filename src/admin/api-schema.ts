import { z } from 'zod';
import type { Platform } from '../delivery/match-keys.js';
import type { ExplainNode as ExplainNodeType } from '../engine/rules/explain.js';
import { REBUILD_STATUSES } from '../store/rebuild-port.js';
import { IDENTIFIER_KINDS, MEMBERSHIP_CAUSES } from '../store/profile-port.js';
import { BudgetHistory, BudgetRunView, BudgetView } from './budget-view.js';
import { MatchView } from './match-view.js';
import { Overview } from './overview-view.js';
import { ScoreDetail, ScoresOverview } from './score-view.js';

/**
 * What the admin API (`/admin/api`, src/admin/routes.ts) answers, as zod schemas: the API builds its
 * answers to satisfy them, the CLI parses every answer with them, and the admin page reads its types
 * from them. Instants are ISO strings. Object schemas strip keys they do not know, so an older client
 * keeps working against a relay that answers more; the API test checks that nothing is stripped.
 */

/** Every refusal (4xx/5xx): the message names the field; `issues` lists each one when there are several. */
export const ApiError = z.object({
  error: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiError = z.infer<typeof ApiError>;

const Instant = z.string();

/** The ad platforms whose match-key rules an export can hash by (src/delivery/match-keys.ts). */
export const PLATFORMS = ['meta', 'google', 'linkedin'] as const satisfies readonly Platform[];

export const IdentifierRef = z.object({ kind: z.enum(IDENTIFIER_KINDS), value: z.string() });
export type IdentifierRef = z.infer<typeof IdentifierRef>;

/** `GET /events/:messageId`: the stored event (the first source's, `others` counts the rest). */
export const StoredEventView = z.object({
  seq: z.number(),
  source: z.string(),
  messageId: z.string(),
  type: z.string(),
  shardKey: z.string(),
  userId: z.string().nullable(),
  anonymousId: z.string().nullable(),
  eventTime: Instant,
  receivedAt: Instant,
  body: z.record(z.string(), z.unknown()),
  others: z.number(),
});
export type StoredEventView = z.infer<typeof StoredEventView>;

export const MembershipHistoryEntry = z.object({
  audience: z.string(),
  member: z.boolean(),
  at: Instant,
  cause: z.enum(MEMBERSHIP_CAUSES),
  /** The event that caused it (causes `event` and `merge`). */
  messageId: z.string().nullable(),
});
export type MembershipHistoryEntry = z.infer<typeof MembershipHistoryEntry>;

export const MembershipExit = MembershipHistoryEntry.omit({ member: true });
export type MembershipExit = z.infer<typeof MembershipExit>;

export const TimelineEntry = z.object({
  messageId: z.string(),
  source: z.string(),
  type: z.string(),
  event: z.unknown().optional(),
  name: z.unknown().optional(),
  timestamp: Instant,
  receivedAt: Instant,
});

/** `GET /profiles?userId=|anonymousId=|email=`. */
export const ProfileView = z.object({
  profileId: z.string(),
  createdAt: Instant,
  updatedAt: Instant,
  identifiers: z.array(IdentifierRef),
  traits: z.record(z.string(), z.unknown()),
  timeline: z.array(TimelineEntry),
  merges: z.array(
    z.object({
      profileId: z.string(),
      mergedProfileId: z.string(),
      at: Instant,
      messageId: z.string(),
      reason: z.string(),
    }),
  ),
  memberships: z.array(z.object({ audience: z.string(), enteredAt: Instant })),
  lastExits: z.array(MembershipExit),
  membershipHistory: z.array(MembershipHistoryEntry),
});
export type ProfileView = z.infer<typeof ProfileView>;

const explainBase = { label: z.string(), holds: z.boolean() };

/** One node of a rule tree with what was read (src/engine/rules/explain.ts). */
export const ExplainNode: z.ZodType<ExplainNodeType> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.enum(['all', 'any', 'not']), ...explainBase, children: z.array(ExplainNode) }),
    z.object({
      kind: z.literal('audience'),
      ...explainBase,
      audience: z.string(),
      description: z.string().optional(),
      children: z.array(ExplainNode),
    }),
    z.object({
      kind: z.literal('performed'),
      ...explainBase,
      count: z.number(),
      capped: z.boolean(),
      timestamps: z.array(Instant),
      windowStart: Instant,
      flipsAt: Instant.optional(),
    }),
    z.object({ kind: z.literal('trait'), ...explainBase, value: z.unknown() }),
    z.object({
      kind: z.literal('date'),
      ...explainBase,
      value: z.unknown(),
      from: Instant.optional(),
      until: Instant.optional(),
      flipsAt: Instant.optional(),
    }),
    z.object({
      kind: z.literal('near'),
      ...explainBase,
      value: z.object({ lat: z.unknown(), lon: z.unknown() }),
      distanceKm: z.number().optional(),
    }),
  ]),
);

/** `GET /profiles/explain?userId=...[&audience=]`: why a profile is (not) in each audience. */
export const Explanation = z.object({
  profileId: z.string(),
  audiences: z.array(
    z.object({ audience: z.string(), member: z.boolean(), explain: ExplainNode.optional() }),
  ),
});
export type Explanation = z.infer<typeof Explanation>;

/** `GET /processing`: how far processing has come. */
export const Processing = z.object({
  storedSeq: z.number(),
  processedSeq: z.number(),
  pending: z.number(),
  profiles: z.number(),
});
export type Processing = z.infer<typeof Processing>;

export const AudienceSummary = z.object({
  name: z.string(),
  description: z.string().optional(),
  size: z.number(),
  trend: z.array(z.object({ at: Instant, size: z.number() })),
  backfill: z.object({ status: z.string(), done: z.number(), total: z.number() }).optional(),
});
export type AudienceSummary = z.infer<typeof AudienceSummary>;

/** `GET /audiences`. */
export const AudienceList = z.object({ audiences: z.array(AudienceSummary) });
export type AudienceList = z.infer<typeof AudienceList>;

/** `GET /audiences/:name/members?limit=`: profile ids. */
export const MemberList = z.object({ audience: z.string(), members: z.array(z.string()) });
export type MemberList = z.infer<typeof MemberList>;

/** `POST /audiences/preview`. */
export const PreviewResult = z.object({
  size: z.number(),
  evaluated: z.number(),
  sample: z.array(z.object({ profileId: z.string(), identifiers: z.array(IdentifierRef) })),
});
export type PreviewResult = z.infer<typeof PreviewResult>;

/** What `GET /audiences/:name/export` may put in its CSV columns. */
export const EXPORT_IDENTIFIERS = ['email', 'phone', 'userId', 'anonymousId'] as const;
export type ExportIdentifier = (typeof EXPORT_IDENTIFIERS)[number];

/**
 * `GET /audiences/:name/export?identifiers=email,phone&hash=meta` (or `&raw=true`): the members as
 * CSV, one row per member, each identifier normalised and hashed as the platform wants it; raw values
 * only when asked for explicitly.
 */
export const ExportQuery = z
  .strictObject({
    identifiers: z
      .string('list the columns, e.g. email,phone')
      .transform((text) => text.split(',').map((name) => name.trim()))
      .pipe(
        z
          .array(z.enum(EXPORT_IDENTIFIERS, `each one of ${EXPORT_IDENTIFIERS.join(', ')}`))
          .min(1)
          .refine((names) => new Set(names).size === names.length, 'each identifier once'),
      ),
    hash: z.enum(PLATFORMS, `one of ${PLATFORMS.join(', ')}`).optional(),
    raw: z.literal('true', 'only raw=true').optional(),
  })
  .refine((query) => (query.hash === undefined) !== (query.raw === undefined), {
    message: 'give hash=<platform> for hashed identifiers, or raw=true for raw ones (not both)',
    path: ['hash'],
  });
export type ExportQuery = z.infer<typeof ExportQuery>;

export const DeliveryRow = z.object({
  id: z.number().optional(),
  destination: z.string(),
  at: Instant,
  /** HTTP status, or `timeout`, `network`, `skipped`. */
  status: z.string(),
  attempt: z.number(),
  latencyMs: z.number(),
  items: z.number(),
  profileIds: z.array(z.string()),
  messageIds: z.array(z.string()),
  requestBody: z.string(),
  responseExcerpt: z.string(),
  outcome: z.string(),
  audience: z.string().optional(),
  report: z
    .object({
      invalidEntries: z.number().optional(),
      received: z.number().optional(),
      asyncId: z.string().optional(),
      note: z.string().optional(),
    })
    .optional(),
  asyncState: z.enum(['pending', 'done']).optional(),
  asyncResult: z.object({ status: z.string(), detail: z.string(), at: z.number() }).optional(),
  nextPollAt: z.number().optional(),
});
export type DeliveryRow = z.infer<typeof DeliveryRow>;

/** `GET /deliveries?destination=&status=&profile=&q=&since=&until=&limit=`, newest first. */
export const DeliveryList = z.object({ deliveries: z.array(DeliveryRow) });
export type DeliveryList = z.infer<typeof DeliveryList>;

export const DeadLetter = z.object({
  id: z.number(),
  destination: z.string(),
  profileId: z.string(),
  change: z.object({
    version: z.number(),
    audiences: z.record(z.string(), z.boolean()),
    traits: z.record(z.string(), z.unknown()),
    causedBy: z.array(z.string()),
  }),
  reason: z.string(),
  attempts: z.number(),
  firstAttemptAt: z.number().nullable(),
  deadAt: z.number(),
  replayedAt: z.number().nullable(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** `GET /dead-letters?destination=&replayed=&limit=`, newest first. */
export const DeadLetterList = z.object({ deadLetters: z.array(DeadLetter) });
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** `POST /dead-letters/replay`. */
export const ReplayResult = z.object({ replayed: z.number() });
export type ReplayResult = z.infer<typeof ReplayResult>;

/** `GET /rebuild` (and `POST /rebuild`'s 202): a rebuild's progress. */
export const RebuildView = z.object({
  id: z.number(),
  status: z.enum(REBUILD_STATUSES),
  done: z.boolean(),
  requestedAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  events: z.object({ done: z.number(), total: z.number() }),
  profiles: z.object({ done: z.number(), total: z.number() }),
  error: z.string().nullable(),
});
export type RebuildView = z.infer<typeof RebuildView>;

/** `POST /rebuild` answered 409: the rebuild still running. */
export const RebuildRunning = ApiError.extend({ rebuild: RebuildView });
export type RebuildRunning = z.infer<typeof RebuildRunning>;

export const ConfigError = z.object({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  path: z.string(),
  message: z.string(),
});

/** `POST /config/reload` (200 applied, 422 refused: the last good configuration stays). */
export const ReloadResult = z.object({
  ok: z.boolean(),
  at: Instant,
  trigger: z.enum(['startup', 'file', 'signal', 'api']),
  files: z.array(z.string()),
  errors: z.array(ConfigError),
});
export type ReloadResult = z.infer<typeof ReloadResult>;

/** A configured destination: on, or off and why. */
export const DestinationStatus = z.object({
  name: z.string(),
  type: z.string(),
  title: z.string(),
  enabled: z.boolean(),
  /** Why it is off (`enabled: false` in the mapping files). */
  off: z.string().optional(),
});
export type DestinationStatus = z.infer<typeof DestinationStatus>;

/** `GET /config`: the loaded mappings and the last reload. */
export const ConfigStatus = z.object({
  dir: z.string(),
  lastReload: ReloadResult.optional(),
  sources: z.array(z.string()),
  traits: z.array(z.string()),
  destinations: z.array(DestinationStatus),
  backfills: z.array(
    z.object({
      name: z.string(),
      hash: z.string(),
      status: z.enum(['backfilling', 'ready']),
      afterProfile: z.string(),
      done: z.number(),
      total: z.number(),
      updatedAt: z.number(),
    }),
  ),
});
export type ConfigStatus = z.infer<typeof ConfigStatus>;

export { BudgetHistory, BudgetRunView, BudgetView, MatchView, Overview, ScoreDetail, ScoresOverview };

/**
 * Every JSON route of the admin API with the schema of its success answer (`accept`: other statuses
 * whose body is a result, not an error). The API test asks each one of a running relay.
 */
export const ADMIN_API = {
  'GET /events/:messageId': StoredEventView,
  'GET /profiles': ProfileView,
  'GET /profiles/explain': Explanation,
  'GET /processing': Processing,
  'GET /audiences': AudienceList,
  'GET /audiences/:name/members': MemberList,
  'POST /audiences/preview': PreviewResult,
  'GET /deliveries': DeliveryList,
  'GET /matches': MatchView,
  'GET /dead-letters': DeadLetterList,
  'POST /dead-letters/replay': ReplayResult,
  'POST /rebuild': RebuildView,
  'GET /rebuild': RebuildView,
  'GET /config': ConfigStatus,
  'POST /config/reload': ReloadResult,
  'GET /overview': Overview,
  'GET /budget': BudgetView,
  'GET /budget/history': BudgetHistory,
  'POST /budget/refresh': BudgetRunView,
  'GET /scores': ScoresOverview,
  'POST /scores/snapshot': ScoresOverview,
  'GET /scores/:trait': ScoreDetail,
} as const satisfies Record<string, z.ZodType>;

/** Routes that answer something else than JSON. */
export const ADMIN_API_FILES = {
  'GET /audiences/:name/export': 'text/csv',
  'GET /training-export': 'text/csv',
} as const;
