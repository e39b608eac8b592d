import { useState } from 'preact/hooks';
import { get, post } from '../api';
import type { BudgetHistory, BudgetRow, BudgetRunView, BudgetView as Budget } from '../api-types';
import { ActionNotice, Badge, LoadState, Stat, type ActionMessage, ViewHead } from '../components/bits';
import { TableHead } from '../components/table';
import { BarChart } from '../components/chart';
import { formatAgo, formatNumber, formatTime } from '../format';
import { useLoad } from '../use-load';

const REASONS: Record<BudgetRow['reason'], string> = {
  saturated: 'took its whole cap',
  rest_of_budget: 'took what was left',
  budget_spent: 'nothing left',
  below_minimum_size: 'below the minimum size',
  no_expected_value: 'no expected value',
};

/** "Where does the budget go, and why?": the ranking and the allocation with its arithmetic. */
export function BudgetView() {
  const { result, reload } = useLoad(() => get<Budget>('budget'), [], 60_000);
  const [message, setMessage] = useState<ActionMessage | undefined>();
  const refresh = async () => {
    try {
      const run = await post<BudgetRunView>('budget/refresh');
      setMessage({ text: `Run ${run.id} made: ${run.allocated} of ${run.total} allocated.` });
      reload();
    } catch (error) {
      setMessage({ text: error instanceof Error ? error.message : String(error), error: true });
    }
  };
  return (
    <>
      <ViewHead title="Budget" onReload={reload}>
        <button type="button" onClick={refresh}>
          Run the allocation now
        </button>
      </ViewHead>
      <ActionNotice message={message} />
      {result.state === 'failed' && result.status === 404 ? (
        <p class="muted">
          No budget is configured: add a <code>budget:</code> section to the mapping files (docs/budget.md).
        </p>
      ) : (
        <LoadState loaded={result}>{(budget) => <BudgetBody budget={budget} />}</LoadState>
      )}
    </>
  );
}

function BudgetBody(props: { budget: Budget }) {
  const { budget } = props;
  const run = budget.latest;
  return (
    <>
      <p>
        Per {budget.period}; the next scheduled run {formatAgo(budget.nextRefreshAt)} (
        {formatTime(budget.nextRefreshAt)}
        ).
        {budget.waiting && (
          <>
            {' '}
            <Badge tone="warn">waiting: {budget.waiting}</Badge>
          </>
        )}
      </p>
      {run ? <Run run={run} /> : <p class="muted">No allocation has been made yet.</p>}
      <h2>Earlier runs</h2>
      <History />
    </>
  );
}

function Run(props: { run: BudgetRunView }) {
  const { run } = props;
  return (
    <>
      <section class="stats" aria-label="Allocation">
        <Stat label={`total per ${run.period}`} value={run.total} />
        <Stat label="allocated" value={run.allocated} tone="good" />
        <Stat label="unallocated" value={run.unallocated} tone={run.unallocatedCents > 0 ? 'warn' : ''} />
        <Stat label="run" value={`#${run.id}`} hint={`${run.trigger}, ${formatTime(run.at)}`} />
      </section>
      <p>
        Run #{run.id} at {formatTime(run.at)} ({run.trigger}
        {run.changed ? ', the amounts changed' : ', same amounts as before'}): {run.explanation}
      </p>
      <BarChart
        label="Amount per audience"
        labels={run.rows.map((row) => row.audience)}
        values={run.rows.map((row) => row.cents / 100)}
      />
      <div class="table-wrap">
        <table aria-label="Ranking and allocation">
          <TableHead
            columns={[
              { num: 'Rank' },
              'Audience',
              { num: 'Size' },
              { num: 'Mean probability' },
              { num: 'Avg order value' },
              { num: 'Expected value' },
              { num: 'Amount' },
              'Decision and arithmetic',
            ]}
          />
          <tbody>
            {run.rows.map((row) => (
              <tr key={row.audience}>
                <td class="num">{row.rank}</td>
                <th scope="row">{row.audience}</th>
                <td class="num">{formatNumber(row.size)}</td>
                <td class="num">{row.meanProbability.toFixed(4)}</td>
                <td
                  class="num"
                  title={row.orderValueFrom === 'trait' ? 'mean of the members’ trait' : 'a constant'}
                >
                  {formatNumber(row.averageOrderValue)}
                </td>
                <td class="num">{formatNumber(row.expectedValue)}</td>
                <td class="num">
                  <strong>{row.amount}</strong>
                  <div class="muted small">cap {formatNumber(row.capCents / 100)}</div>
                </td>
                <td>
                  <Badge tone={row.cents > 0 ? 'good' : 'muted'}>{REASONS[row.reason]}</Badge>
                  <div class="small">{row.ranking}</div>
                  <div class="small">{row.explanation}</div>
                  {row.channels.length > 0 && (
                    <div class="small muted">
                      {row.channels
                        .map((channel) => `${channel.destination} ${formatNumber(channel.cents / 100)}`)
                        .join(' · ')}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function History() {
  const { result } = useLoad(() => get<BudgetHistory>('budget/history', { limit: 10 }), []);
  if (result.state === 'failed' && result.status === 404) return null;
  return (
    <LoadState loaded={result}>
      {(history) =>
        history.runs.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table>
            <TableHead
              columns={['Run', 'When', 'Trigger', { num: 'Allocated' }, 'Changed', 'Replays identically']}
            />
            <tbody>
              {history.runs.map((run) => (
                <tr key={run.id}>
                  <td>#{run.id}</td>
                  <td>{formatTime(run.at)}</td>
                  <td>{run.trigger}</td>
                  <td class="num">
                    {run.allocated} of {run.total}
                  </td>
                  <td>{run.changed ? 'yes' : 'no'}</td>
                  <td>{run.replayMatches ? <Badge tone="good">yes</Badge> : <Badge tone="bad">no</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </LoadState>
  );
}
