import type { Command } from 'commander';
import { BudgetHistory, BudgetRunView, BudgetView } from '../../admin/budget-view.js';
import { formatAmount } from '../../engine/budget/format.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { formatTime, printJson, printLines, table } from '../output.js';
import { positiveInt } from '../parse.js';

interface BudgetOptions extends ConnectionOptions {
  json?: boolean;
  history?: boolean;
  refresh?: boolean;
  limit: number;
}

/**
 * `budget`: the latest allocation (ranking, amounts and why), `--refresh` to make a run now,
 * `--history` for past runs with whether each replays to itself (docs/budget.md).
 */
export function registerBudget(program: Command): void {
  withConnection(
    program
      .command('budget')
      .description('the budget allocation: audiences ranked by expected value, amounts and reasons')
      .option('--refresh', 'make an allocation run now, then show it')
      .option('--history', 'past runs, newest first, each replayed from its inputs')
      .option('--limit <n>', 'with --history: at most this many runs (1-100)', positiveInt(1), 20)
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: BudgetOptions) => {
    const client = new AdminClient(options);
    if (options.history) {
      const history = await client.get(BudgetHistory, '/budget/history', { limit: options.limit });
      return options.json ? printJson(history) : printLines(historyLines(history));
    }
    if (options.refresh) {
      const run = await client.post(BudgetRunView, '/budget/refresh');
      return options.json ? printJson(run) : printLines(runLines(run));
    }
    const view = await client.get(BudgetView, '/budget');
    if (options.json) return printJson(view);
    printLines(budgetLines(view));
  });
}

export function budgetLines(view: BudgetView): string[] {
  const next = `next refresh ${formatTime(view.nextRefreshAt)}`;
  const waiting = view.waiting === null ? [] : [`waiting: ${view.waiting}`];
  if (view.latest === null) return [`no allocation run yet; ${next}`, ...waiting];
  return [...runLines(view.latest), next, ...waiting];
}

/** The ranking table, then the summary and each decision's arithmetic in words. */
export function runLines(run: BudgetRunView): string[] {
  const rows = table(
    [
      { header: 'RANK', align: 'right' },
      { header: 'AUDIENCE' },
      { header: 'SIZE', align: 'right' },
      { header: 'MEAN P', align: 'right' },
      { header: 'AOV', align: 'right' },
      { header: 'EV/MEMBER', align: 'right' },
      { header: 'EV TOTAL', align: 'right' },
      { header: 'AMOUNT', align: 'right' },
      { header: 'REASON' },
    ],
    run.rows.map((row) => [
      String(row.rank),
      row.audience,
      row.size.toLocaleString('en-US'),
      row.meanProbability.toFixed(4),
      `${formatAmount(row.averageOrderValue)}${row.orderValueFrom === 'constant' ? '*' : ''}`,
      formatAmount(row.expectedValuePerMember),
      formatAmount(row.expectedValue),
      row.amount,
      row.reason,
    ]),
  );
  const constant = run.rows.some((row) => row.orderValueFrom === 'constant')
    ? ['* a constant order value (value.order_value is an amount)']
    : [];
  return [
    `run ${run.id} at ${formatTime(run.at)} (${run.trigger}${run.changed ? ', allocation changed' : ''}): ` +
      `${run.allocated} of ${run.total} per ${run.period} allocated, ${run.unallocated} left`,
    ...rows,
    ...constant,
    '',
    run.explanation,
    ...run.rows.map((row) => `  ${row.explanation}`),
  ];
}

export function historyLines(history: BudgetHistory): string[] {
  if (history.runs.length === 0) return ['no allocation run yet'];
  return table(
    [
      { header: 'RUN', align: 'right' },
      { header: 'AT' },
      { header: 'TRIGGER' },
      { header: 'CHANGED' },
      { header: 'ALLOCATED', align: 'right' },
      { header: 'UNALLOCATED', align: 'right' },
      { header: 'REPLAY' },
      { header: 'AMOUNTS' },
    ],
    history.runs.map((run) => [
      String(run.id),
      formatTime(run.at),
      run.trigger,
      run.changed ? 'yes' : 'no',
      run.allocated,
      run.unallocated,
      run.replayMatches ? 'same' : 'DIFFERS',
      run.rows.map((row) => `${row.audience} ${row.amount}`).join(', '),
    ]),
  );
}
