import type { DeliveryRow } from '../api-types';
import { Badge, Json } from '../components/bits';
import { formatTime, prettyJson } from '../format';

/** Google Customer Match applies uploads later: the polled result, or pending. */
export function AsyncBadge(props: { row: DeliveryRow }) {
  const { row } = props;
  if (row.asyncState === 'pending') return <Badge tone="warn">async: pending</Badge>;
  const status = row.asyncResult?.status ?? 'done';
  return <Badge tone={/SUCCESS|DONE|OK/i.test(status) ? 'good' : 'bad'}>async: {status}</Badge>;
}

/** One request as sent and answered: redacted body, response, outcome, report, async result. */
export function RequestDetail(props: { row: DeliveryRow }) {
  const { row } = props;
  return (
    <div class="request-detail">
      <dl>
        <dt>Sent</dt>
        <dd>
          {formatTime(row.at)}, attempt {row.attempt}, {row.items} item(s), answered in {row.latencyMs} ms
        </dd>
        <dt>Profiles</dt>
        <dd>
          {row.profileIds.map((id) => (
            <code key={id}>{id} </code>
          ))}
        </dd>
        <dt>Caused by</dt>
        <dd>{row.messageIds.length ? row.messageIds.map((id) => <code key={id}>{id} </code>) : '–'}</dd>
        {row.report && (
          <>
            <dt>Platform report</dt>
            <dd>
              {Object.entries(row.report)
                .map(([key, value]) => `${key}: ${String(value)}`)
                .join(', ')}
            </dd>
          </>
        )}
        {row.asyncState && (
          <>
            <dt>Async result</dt>
            <dd>
              {row.asyncState === 'pending'
                ? `pending${row.nextPollAt ? `, next poll ${formatTime(row.nextPollAt)}` : ''}`
                : `${row.asyncResult?.status ?? 'done'} at ${formatTime(row.asyncResult?.at)}: ${row.asyncResult?.detail ?? ''}`}
            </dd>
          </>
        )}
      </dl>
      <div class="columns">
        <Json
          label="Request body (redacted: identifiers hashed, secrets removed)"
          text={prettyJson(row.requestBody)}
        />
        <Json label="Response" text={prettyJson(row.responseExcerpt)} />
      </div>
    </div>
  );
}
