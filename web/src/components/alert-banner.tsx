import type { Overview } from '../api-types';
import { formatAgo, formatTime } from '../format';
import { hrefOf } from '../route';

/** Every destination failing for longer than the alert threshold, on every view. */
export function AlertBanner(props: { alerts: Overview['alerts'] }) {
  if (props.alerts.length === 0) return null;
  return (
    <section class="banner" role="alert" aria-label="Failing destinations">
      {props.alerts.map((alert) => (
        <p key={alert.destination}>
          <strong>{alert.destination} is failing</strong>: every request since{' '}
          {formatTime(alert.failingSince)} ({formatAgo(alert.failingSince)}) failed.{' '}
          <a href={hrefOf('deliveries', { destination: alert.destination })}>See its requests</a>
        </p>
      ))}
    </section>
  );
}
