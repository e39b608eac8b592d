import { useState } from 'preact/hooks';
import { get } from '../api';
import type { AudienceList, AudienceSummary, MatchView } from '../api-types';
import { Badge, LoadState, ViewHead } from '../components/bits';
import { TableHead } from '../components/table';
import { LineChart } from '../components/chart';
import { formatNumber, formatTime } from '../format';
import { hrefOf } from '../route';
import { useLoad } from '../use-load';
import { ExportForm } from './audience-export';
import { RulePreview } from './rule-preview';

/** "How big is high_intent now and how did it move today?": sizes, trends, a rule tried out, matches. */
export function AudiencesView(props: { params: URLSearchParams }) {
  const { result, reload } = useLoad(() => get<AudienceList>('audiences'), [], 30_000);
  const focus = props.params.get('audience') ?? undefined;
  return (
    <>
      <ViewHead title="Audiences" onReload={reload} />
      <LoadState loaded={result}>
        {(list) => (
          <div class="cards">
            {list.audiences.map((audience) => (
              <AudienceCard key={audience.name} audience={audience} focused={audience.name === focus} />
            ))}
          </div>
        )}
      </LoadState>
      <h2>Try a rule</h2>
      <RulePreview />
      <h2>Ad platforms: what they hold</h2>
      <Matches />
    </>
  );
}

function AudienceCard(props: { audience: AudienceSummary; focused: boolean }) {
  const { audience } = props;
  const [exporting, setExporting] = useState(false);
  const today = movedToday(audience);
  return (
    <article class={`card ${props.focused ? 'focused' : ''}`} aria-labelledby={`audience-${audience.name}`}>
      <header>
        <h3 id={`audience-${audience.name}`}>{audience.name}</h3>
        <span class="size" aria-label={`${audience.name} size`}>
          {formatNumber(audience.size)}
        </span>
      </header>
      {audience.description && <p class="muted">{audience.description}</p>}
      <p class="muted">
        {today === undefined
          ? 'No size recorded today yet.'
          : `Today: ${today >= 0 ? '+' : ''}${formatNumber(today)} since the first point of the day`}
        {audience.backfill && audience.backfill.status !== 'ready' && (
          <>
            {' '}
            <Badge tone="warn">
              backfilling {audience.backfill.done}/{audience.backfill.total}
            </Badge>
          </>
        )}
      </p>
      {audience.trend.length > 0 ? (
        <LineChart
          label={`${audience.name} size over the last 7 days`}
          x={audience.trend.map((point) => Date.parse(point.at) / 1000)}
          y={audience.trend.map((point) => point.size)}
          spanSeconds={7 * 86_400}
        />
      ) : (
        <p class="muted">No trend yet: sizes are recorded every 5 minutes.</p>
      )}
      {audience.trend.length > 0 && (
        <p class="muted small">Last point {formatTime(audience.trend[audience.trend.length - 1]?.at)}</p>
      )}
      <div class="buttons">
        <a href={hrefOf('deliveries', { q: audience.name })}>Requests naming it</a>
        <button type="button" class="link" aria-expanded={exporting} onClick={() => setExporting(!exporting)}>
          Export CSV…
        </button>
      </div>
      {exporting && <ExportForm audience={audience.name} />}
    </article>
  );
}

/** Size now minus the first trend point of today (local time); undefined before any point today. */
function movedToday(audience: AudienceSummary): number | undefined {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const first = audience.trend.find((point) => Date.parse(point.at) >= midnight.getTime());
  return first === undefined ? undefined : audience.size - first.size;
}

function Matches() {
  const { result } = useLoad(() => get<MatchView>('matches'), []);
  return (
    <LoadState loaded={result}>
      {(view) =>
        view.matches.length === 0 ? (
          <p class="muted">No ad platform destination is configured.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <TableHead
                columns={[
                  'Destination',
                  'Audience',
                  { num: 'Held' },
                  { num: 'Added' },
                  { num: 'Removed' },
                  { num: 'Invalid' },
                  'Last request',
                  'Note',
                ]}
              />
              <tbody>
                {view.matches.map((match) => {
                  const last = match.recent[0];
                  return (
                    <tr key={`${match.destination}:${match.audience}`}>
                      <th scope="row">
                        {match.destination} <span class="muted">{match.title}</span>
                        {!match.enabled && <Badge tone="muted">off</Badge>}
                      </th>
                      <td>{match.audience}</td>
                      <td class="num">{formatNumber(match.held)}</td>
                      <td class="num">{formatNumber(match.added)}</td>
                      <td class="num">{formatNumber(match.removed)}</td>
                      <td class="num">{formatNumber(match.invalidEntries)}</td>
                      <td>
                        {last
                          ? `${formatTime(last.at)} ${last.status}${last.asyncStatus ? `, async ${last.asyncStatus}` : last.asyncState === 'pending' ? ', async pending' : ''}`
                          : '–'}
                      </td>
                      <td>{match.warning ? <Badge tone="warn">{match.warning}</Badge> : ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )
      }
    </LoadState>
  );
}
