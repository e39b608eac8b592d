/**
 * The admin API's answers, as the page reads them: types from the zod schemas the API and the CLI
 * share (no hand-copied shapes). Types only: no server code reaches the page's bundle.
 */
export type {
  AudienceList,
  AudienceSummary,
  ConfigStatus,
  DeadLetter,
  DeadLetterList,
  DeliveryList,
  DeliveryRow,
  Explanation,
  ExportIdentifier,
  IdentifierRef,
  MatchView,
  MembershipHistoryEntry,
  PreviewResult,
  ProfileView,
  ReplayResult,
} from '../../src/admin/api-schema.js';
export type { Overview, DestinationHealth } from '../../src/admin/overview-view.js';
export type { MatchEntry } from '../../src/admin/match-view.js';
export type { ExplainNode } from '../../src/engine/rules/explain.js';
export type { BudgetHistory, BudgetRow, BudgetRunView, BudgetView } from '../../src/admin/budget-view.js';
export type { ScoreDetail, ScoreEntry, ScoresOverview } from '../../src/admin/score-view.js';
