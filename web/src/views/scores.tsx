import { useState } from 'preact/hooks';
import { get, post } from '../api';
import type { ScoreDetail, ScoreEntry, ScoresOverview } from '../api-types';
import { Badge, ErrorBox, LoadState, ViewHead } from '../components/bits';
import { TableHead } from '../components/table';
import { BarChart, LineChart } from '../components/chart';
import { formatNumber, formatTime } from '../format';
import { useLoad } from '../use-load';

/** "Did a score drift?": each score's histogram of the day and its PSI against the reference day. */
export function ScoresView() {
  const { result, reload } = useLoad(() => get<ScoresOverview>('scores'), [], 60_000);
  const [message, setMessage] = useState<string | undefined>();
  const snapshot = async () => {
    try {
      await post<ScoresOverview>('scores/snapshot');
      setMessage(undefined);
      reload();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <>
      <ViewHead title="Scores" onReload={reload}>
        <button type="button" onClick={snapshot} title="Replaces today's snapshot with one taken now">
          Take today’s snapshot now
        </button>
      </ViewHead>
      {message && <ErrorBox message={message} />}
      <LoadState loaded={result}>{(overview) => <ScoresBody overview={overview} />}</LoadState>
    </>
  );
}

function ScoresBody(props: { overview: ScoresOverview }) {
  const { overview } = props;
  return (
    <>
      <p class="muted">
        One snapshot per UTC day, {overview.bins} bins each; PSI against the snapshot {overview.referenceDays}{' '}
        days earlier; above {overview.threshold} is drift.
      </p>
      {overview.warnings.length > 0 && (
        <section class="banner" role="alert" aria-label="Drifted scores">
          {overview.warnings.map((warning) => (
            <p key={warning}>{warning}</p>
          ))}
        </section>
      )}
      {overview.scores.length === 0 ? (
        <p class="muted">No score or model trait is configured.</p>
      ) : (
        <div class="cards">
          {overview.scores.map((entry) => (
            <ScoreCard key={entry.series} entry={entry} />
          ))}
        </div>
      )}
    </>
  );
}

function ScoreCard(props: { entry: ScoreEntry }) {
  const { entry } = props;
  const [open, setOpen] = useState(false);
  return (
    <article class="card" aria-labelledby={`score-${entry.series}`}>
      <header>
        <h3 id={`score-${entry.series}`}>
          {entry.series} <span class="muted small">{entry.kind}</span>
        </h3>
        <span>
          {entry.psi === null ? (
            <Badge tone="muted">no PSI</Badge>
          ) : (
            <Badge tone={entry.drifted ? 'bad' : 'good'}>PSI {entry.psi.toFixed(4)}</Badge>
          )}
        </span>
      </header>
      <p class="small">{entry.message}</p>
      {entry.histogram ? (
        <>
          <BarChart
            label={`${entry.series} histogram on ${entry.day}`}
            labels={binLabels(entry.histogram)}
            values={entry.histogram.counts}
            height={160}
          />
          <p class="muted small">
            {formatNumber(entry.scored)} scored, {formatNumber(entry.missing)} without a value, on {entry.day}{' '}
            (taken {formatTime(entry.takenAt)}){entry.referenceDay ? `; reference ${entry.referenceDay}` : ''}
          </p>
        </>
      ) : (
        <p class="muted">No snapshot yet.</p>
      )}
      {entry.againstLive && <p class="small">{entry.againstLive.message}</p>}
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide history' : 'PSI history and tiers'}
      </button>
      {open && <Detail series={entry.series} />}
    </article>
  );
}

function Detail(props: { series: string }) {
  const { result } = useLoad(
    () => get<ScoreDetail>(`scores/${encodeURIComponent(props.series)}`),
    [props.series],
  );
  return (
    <LoadState loaded={result}>
      {(detail) => {
        const withPsi = [...detail.history].reverse().filter((day) => day.psi !== null);
        return (
          <div>
            {withPsi.length > 1 && (
              <LineChart
                label={`${detail.series} PSI per day`}
                x={withPsi.map((day) => Date.parse(day.takenAt) / 1000)}
                y={withPsi.map((day) => day.psi as number)}
                height={100}
              />
            )}
            {detail.tierCutPoints && <p class="small">{detail.tierCutPoints.explanation}</p>}
            <table>
              <TableHead columns={['Day', { num: 'Scored' }, { num: 'PSI' }, 'Note']} />
              <tbody>
                {detail.history.map((day) => (
                  <tr key={day.day}>
                    <td>{day.day}</td>
                    <td class="num">{formatNumber(day.scored)}</td>
                    <td class="num">
                      {day.psi === null ? '–' : day.psi.toFixed(4)}{' '}
                      {day.drifted && <Badge tone="bad">drift</Badge>}
                    </td>
                    <td class="small">{day.note ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      }}
    </LoadState>
  );
}

function binLabels(histogram: { min: number; max: number; counts: number[] }): string[] {
  const width = (histogram.max - histogram.min) / histogram.counts.length;
  const digits = histogram.max - histogram.min <= 1 ? 2 : 0;
  return histogram.counts.map((_, bin) => (histogram.min + bin * width).toFixed(digits));
}
