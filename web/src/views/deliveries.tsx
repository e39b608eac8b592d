import { useState } from 'preact/hooks';
import { get } from '../api';
import type { DeliveryList, DeliveryRow, Overview } from '../api-types';
import { DestinationSelect, Field, LoadState, StatusBadge } from '../components/bits';
import { DetailRow, RowToggle, TableHead } from '../components/table';
import { formatTime, isoFromLocal } from '../format';
import { hrefOf, navigate } from '../route';
import { useLoad, valueOf } from '../use-load';
import { DeadLetters } from './dead-letters';
import { AsyncBadge, RequestDetail } from './request-detail';

/** The filters of the log, as they appear in the page's address (`#/deliveries?destination=braze`). */
const FILTERS = ['destination', 'status', 'profile', 'q', 'since', 'until'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const STATUSES = [
  '200',
  '201',
  '202',
  '204',
  '400',
  '401',
  '403',
  '404',
  '413',
  '429',
  '500',
  '503',
  'timeout',
  'network',
  'skipped',
  'bug',
];

/** "What did we send to Braze at 09:14 and what did it answer?": every request, filtered. */
export function DeliveriesView(props: { params: URLSearchParams }) {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = props.params.get(name);
    if (value) filters[name] = value;
  }
  const tab = props.params.get('tab') === 'dead' ? 'dead' : 'requests';
  const overview = useLoad(() => get<Overview>('overview'), []);
  const destinations = valueOf(overview.result)?.destinations.map((d) => d.destination) ?? [];
  return (
    <>
      <div class="view-head">
        <h1>Delivery log</h1>
        <nav class="tabs" aria-label="Delivery log tabs">
          <a
            href={hrefOf('deliveries', { ...filters, tab: undefined })}
            aria-current={tab === 'requests' ? 'page' : undefined}
          >
            Requests
          </a>
          <a
            href={hrefOf('deliveries', { destination: filters.destination, tab: 'dead' })}
            aria-current={tab === 'dead' ? 'page' : undefined}
          >
            Dead letters
          </a>
        </nav>
      </div>
      {tab === 'dead' ? (
        <DeadLetters destination={filters.destination} destinations={destinations} />
      ) : (
        <Requests key={JSON.stringify(filters)} filters={filters} destinations={destinations} />
      )}
    </>
  );
}

function Requests(props: { filters: Filters; destinations: string[] }) {
  const { result, reload } = useLoad(
    () => get<DeliveryList>('deliveries', { ...props.filters, limit: 100 }),
    [JSON.stringify(props.filters)],
  );
  return (
    <>
      <FilterForm filters={props.filters} destinations={props.destinations} onReload={reload} />
      <LoadState loaded={result}>{(list) => <RequestTable rows={list.deliveries} />}</LoadState>
    </>
  );
}

function FilterForm(props: { filters: Filters; destinations: string[]; onReload: () => void }) {
  const [draft, setDraft] = useState<Filters>(props.filters);
  const set = (name: keyof Filters) => (event: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [name]: event.currentTarget.value || undefined });
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter the delivery log"
      onSubmit={(event) => {
        event.preventDefault();
        navigate('deliveries', draft);
      }}
    >
      <Field label="Destination" id="filter-destination">
        <DestinationSelect
          id="filter-destination"
          value={draft.destination}
          destinations={props.destinations}
          onChange={set('destination')}
        />
      </Field>
      <Field label="Status" id="filter-status">
        <input
          id="filter-status"
          list="statuses"
          size={7}
          value={draft.status ?? ''}
          onInput={set('status')}
          placeholder="any"
        />
        <datalist id="statuses">
          {STATUSES.map((status) => (
            <option key={status} value={status} />
          ))}
        </datalist>
      </Field>
      <Field label="Person" id="filter-person">
        <input
          id="filter-person"
          value={draft.profile ?? ''}
          onInput={set('profile')}
          placeholder="userId:ada, email:…, profile id"
          title="A profile id, or userId:<id>, anonymousId:<id>, email:<address>"
        />
      </Field>
      <InstantField
        label="From"
        id="filter-since"
        value={draft.since}
        onChange={(since) => setDraft({ ...draft, since })}
      />
      <InstantField
        label="To"
        id="filter-until"
        value={draft.until}
        onChange={(until) => setDraft({ ...draft, until })}
      />
      <Field label="Text" id="filter-text">
        <input
          id="filter-text"
          data-search
          type="search"
          value={draft.q ?? ''}
          onInput={set('q')}
          placeholder="messageId, attribute, error…"
          title="Searched in request bodies, responses, outcomes and message ids; an e-mail is searched by its hash"
        />
      </Field>
      <div class="buttons">
        <button type="submit">Filter</button>
        <button type="button" onClick={() => navigate('deliveries', {})}>
          Clear
        </button>
        <button type="button" data-reload onClick={props.onReload}>
          Reload
        </button>
      </div>
    </form>
  );
}

function RequestTable(props: { rows: DeliveryRow[] }) {
  const [open, setOpen] = useState<number | undefined>();
  if (props.rows.length === 0) return <p class="muted">No request matches these filters.</p>;
  return (
    <>
      <p class="muted">
        {props.rows.length} request{props.rows.length === 1 ? '' : 's'}, newest first
        {props.rows.length === 100 ? ' (the newest 100: narrow the filters for older ones)' : ''}.
      </p>
      <table class="log">
        <TableHead
          columns={[
            'Time',
            'Destination',
            'Status',
            { num: 'Items' },
            { num: 'Latency' },
            'Outcome',
            'Details',
          ]}
        />
        <tbody>
          {props.rows.map((row, index) => {
            const isOpen = open === index;
            return [
              <tr key={`${row.id ?? index}`}>
                <td>{formatTime(row.at)}</td>
                <td>
                  {row.destination}
                  {row.audience && <span class="muted"> → {row.audience}</span>}
                </td>
                <td>
                  <StatusBadge status={row.status} />
                  {row.attempt > 1 && <span class="muted"> try {row.attempt}</span>}
                </td>
                <td class="num">{row.items}</td>
                <td class="num">{row.latencyMs} ms</td>
                <td class="outcome">
                  {row.outcome}
                  {row.asyncState && <AsyncBadge row={row} />}
                </td>
                <td>
                  <RowToggle open={isOpen} onToggle={() => setOpen(isOpen ? undefined : index)}>
                    {isOpen ? 'Hide' : 'Show'}
                  </RowToggle>
                </td>
              </tr>,
              isOpen && (
                <DetailRow key={`${row.id ?? index}-detail`} colSpan={7}>
                  <RequestDetail row={row} />
                </DetailRow>
              ),
            ];
          })}
        </tbody>
      </table>
    </>
  );
}

/** A `datetime-local` control that reads and writes ISO instants. */
function InstantField(props: {
  label: string;
  id: string;
  value: string | undefined;
  onChange: (iso: string | undefined) => void;
}) {
  return (
    <Field label={props.label} id={props.id}>
      <input
        id={props.id}
        type="datetime-local"
        step={1}
        value={props.value ? toLocalInput(props.value) : ''}
        onInput={(event) => props.onChange(isoFromLocal(event.currentTarget.value))}
      />
    </Field>
  );
}

/** ISO instant -> the `datetime-local` value in the browser's time zone. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
