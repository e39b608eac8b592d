import { get } from '../api';
import type { DestinationHealth, Overview } from '../api-types';
import { Badge, LoadState, Stat, StatusBadge, ViewHead } from '../components/bits';
import { TableHead } from '../components/table';
import { formatAgo, formatNumber, formatPercent, formatSeconds, formatTime } from '../format';
import { hrefOf } from '../route';
import { useLoad } from '../use-load';

const REFRESH_MS = 5_000;

/** "Is everything flowing?": intake, processing, every destination, the last config reload. */
export function OverviewView() {
  const { result, reload } = useLoad(() => get<Overview>('overview'), [], REFRESH_MS);
  return (
    <>
      <ViewHead title="Overview" onReload={reload} />
      <LoadState loaded={result}>{(overview) => <OverviewBody overview={overview} />}</LoadState>
    </>
  );
}

function OverviewBody(props: { overview: Overview }) {
  const { events, destinations, config } = props.overview;
  const dead = destinations.reduce((sum, destination) => sum + destination.deadLetters, 0);
  const queued = destinations.reduce((sum, destination) => sum + destination.queueDepth, 0);
  return (
    <>
      <section class="stats" aria-label="Intake and processing">
        <Stat
          label="events in / s"
          value={formatNumber(events.perSecond)}
          hint={`Stored events per second over the last ${events.rateWindowSeconds} s`}
        />
        <Stat
          label="processing lag"
          value={`${formatNumber(events.lagSeconds)} s`}
          hint={`${events.pending} stored events not processed yet`}
          tone={events.lagSeconds > 60 ? 'warn' : ''}
        />
        <Stat label="events waiting" value={formatNumber(events.pending)} />
        <Stat label="profiles" value={formatNumber(props.overview.profiles)} />
        <Stat
          label="queued changes"
          value={formatNumber(queued)}
          hint="Profiles with a change waiting, all destinations"
        />
        <Stat label="dead letters" value={formatNumber(dead)} tone={dead > 0 ? 'warn' : ''} />
      </section>

      <h2>Destinations</h2>
      <p class="muted">
        Success and latency over the last {props.overview.healthWindowMinutes} min (newest requests). A
        destination whose every request fails for more than{' '}
        {formatSeconds(props.overview.failingAlertAfterSeconds)} sets <code>relay_destination_failing</code>{' '}
        and the banner.
      </p>
      <div class="table-wrap">
        <table>
          <TableHead
            columns={[
              'Destination',
              'State',
              { num: 'Requests' },
              { num: 'Success' },
              { num: 'p50' },
              { num: 'p99' },
              { num: 'Queue' },
              { num: 'Dead letters' },
              'Last failure',
            ]}
          />
          <tbody>
            {destinations.map((destination) => (
              <DestinationRow key={destination.destination} destination={destination} />
            ))}
          </tbody>
        </table>
      </div>
      {destinations.length === 0 && <p class="muted">No destination is configured.</p>}

      <h2>Configuration</h2>
      {config.lastReload ? (
        <div>
          <p>
            Last reload {formatTime(config.lastReload.at)} ({formatAgo(config.lastReload.at)},{' '}
            {config.lastReload.trigger}
            ):{' '}
            {config.lastReload.ok ? (
              <Badge tone="good">applied</Badge>
            ) : (
              <Badge tone="bad">refused: the previous configuration stays in force</Badge>
            )}{' '}
            <span class="muted">from {config.dir}</span>
          </p>
          {config.lastReload.errors.length > 0 && (
            <ul class="errors">
              {config.lastReload.errors.map((error, index) => (
                <li key={index}>
                  <code>
                    {error.file}:{error.line}:{error.column}
                  </code>{' '}
                  {error.path && <code>{error.path}</code>} {error.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : (
        <p class="muted">No reload yet.</p>
      )}
    </>
  );
}

function DestinationRow(props: { destination: DestinationHealth }) {
  const d = props.destination;
  const state = !d.enabled ? (
    <Badge tone="muted">off</Badge>
  ) : d.alerting ? (
    <Badge tone="bad">failing since {formatAgo(d.failingSince)}</Badge>
  ) : d.failingSince ? (
    <Badge tone="warn">failing since {formatAgo(d.failingSince)}</Badge>
  ) : (
    <Badge tone="good">ok</Badge>
  );
  return (
    <tr class={d.alerting ? 'row-bad' : ''}>
      <th scope="row">
        <a href={hrefOf('deliveries', { destination: d.destination })}>{d.destination}</a>{' '}
        <span class="muted">{d.type}</span>
      </th>
      <td>{state}</td>
      <td class="num">{formatNumber(d.requests)}</td>
      <td class="num">{formatPercent(d.successRate)}</td>
      <td class="num">{d.latencyMs.p50 === null ? '–' : `${d.latencyMs.p50} ms`}</td>
      <td class="num">{d.latencyMs.p99 === null ? '–' : `${d.latencyMs.p99} ms`}</td>
      <td class="num">{formatNumber(d.queueDepth)}</td>
      <td class="num">
        {d.deadLetters > 0 ? (
          <a href={hrefOf('deliveries', { destination: d.destination, tab: 'dead' })}>
            {formatNumber(d.deadLetters)}
          </a>
        ) : (
          '0'
        )}
      </td>
      <td>
        {d.lastFailure ? (
          <span title={d.lastFailure.response || d.lastFailure.outcome}>
            <StatusBadge status={d.lastFailure.status} /> {formatTime(d.lastFailure.at)}{' '}
            <span class="muted">{d.lastFailure.outcome}</span>
          </span>
        ) : (
          <span class="muted">none</span>
        )}
      </td>
    </tr>
  );
}
