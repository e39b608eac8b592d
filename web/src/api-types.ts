/**
 * The admin API's answers, as the page reads them: the types the CLI reads too, plus the views only
 * the page shows (no hand-copied shapes). Types only: no server code reaches the page's bundle.
 */
export type * from '../../src/cli/api-types.js';
export type { Overview, DestinationHealth } from '../../src/admin/overview-view.js';
export type { MatchEntry } from '../../src/admin/match-view.js';
export type { BudgetHistory, BudgetRow, BudgetRunView, BudgetView } from '../../src/admin/budget-view.js';
export type { ScoreDetail, ScoreEntry, ScoresOverview } from '../../src/admin/score-view.js';
