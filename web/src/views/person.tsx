import { useState } from 'preact/hooks';
import { get } from '../api';
import type { Explanation, ProfileView } from '../api-types';
import { Badge, LoadState } from '../components/bits';
import { TableHead } from '../components/table';
import { formatAgo, formatTime, formatValue } from '../format';
import { hrefOf, navigate } from '../route';
import { useLoad, type Loaded } from '../use-load';
import { Audiences } from './person-audiences';

const KINDS = [
  { kind: 'userId', label: 'userId' },
  { kind: 'anonymousId', label: 'anonymousId' },
  { kind: 'email', label: 'e-mail' },
] as const;
type Kind = (typeof KINDS)[number]['kind'];

/** "Why is this person (not) in the audience?": one person, everything the relay knows and did. */
export function PersonView(props: { params: URLSearchParams }) {
  const found = KINDS.find(({ kind }) => props.params.get(kind));
  const lookup = found ? { kind: found.kind, value: props.params.get(found.kind) as string } : undefined;
  const profile = useLoad(
    lookup ? () => get<ProfileView>('profiles', { [lookup.kind]: lookup.value }) : undefined,
    [lookup?.kind, lookup?.value],
  );
  const explanation = useLoad(
    lookup ? () => get<Explanation>('profiles/explain', { [lookup.kind]: lookup.value }) : undefined,
    [lookup?.kind, lookup?.value],
  );
  return (
    <>
      <div class="view-head">
        <h1>Person</h1>
        <LookupForm key={`${lookup?.kind}:${lookup?.value}`} initial={lookup} />
      </div>
      {!lookup && <p class="muted">Look a person up by userId, anonymousId or e-mail.</p>}
      <LoadState loaded={profile.result}>
        {(view) => <Profile profile={view} explanation={explanation.result} />}
      </LoadState>
    </>
  );
}

function LookupForm(props: { initial: { kind: Kind; value: string } | undefined }) {
  const [kind, setKind] = useState<Kind>(props.initial?.kind ?? 'userId');
  const [value, setValue] = useState(props.initial?.value ?? '');
  return (
    <form
      class="inline"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim()) navigate('person', { [kind]: value.trim() });
      }}
    >
      <label class="sr-only" for="lookup-kind">
        Identifier
      </label>
      <select id="lookup-kind" value={kind} onChange={(event) => setKind(event.currentTarget.value as Kind)}>
        {KINDS.map((option) => (
          <option key={option.kind} value={option.kind}>
            {option.label}
          </option>
        ))}
      </select>
      <label class="sr-only" for="lookup-value">
        Value
      </label>
      <input
        id="lookup-value"
        data-search
        type="search"
        placeholder="ada, anon-1, ada@example.com"
        value={value}
        onInput={(event) => setValue(event.currentTarget.value)}
      />
      <button type="submit">Look up</button>
    </form>
  );
}

function Profile(props: { profile: ProfileView; explanation: Loaded<Explanation> }) {
  const { profile } = props;
  return (
    <>
      <p>
        Profile <code>{profile.profileId}</code> · created {formatTime(profile.createdAt)} · updated{' '}
        {formatTime(profile.updatedAt)} ({formatAgo(profile.updatedAt)})
      </p>
      <div class="columns">
        <section>
          <h2>Identifiers</h2>
          <ul class="plain">
            {profile.identifiers.map((identifier) => (
              <li key={`${identifier.kind}:${identifier.value}`}>
                <span class="muted">{identifier.kind}</span> <code>{identifier.value}</code>
              </li>
            ))}
          </ul>
          <h2>Merges</h2>
          {profile.merges.length === 0 ? (
            <p class="muted">No profile was merged into this one.</p>
          ) : (
            <table>
              <TableHead columns={['When', 'Merged profile', 'Why', 'Event']} />
              <tbody>
                {profile.merges.map((merge) => (
                  <tr key={merge.mergedProfileId}>
                    <td>{formatTime(merge.at)}</td>
                    <td>
                      <code>{merge.mergedProfileId}</code>
                    </td>
                    <td>{merge.reason}</td>
                    <td>
                      <code>{merge.messageId}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <h2>Traits</h2>
          <Traits traits={profile.traits} />
        </section>
      </div>
      <h2>Audiences</h2>
      <LoadState loaded={props.explanation}>
        {(explanation) => <Audiences profile={profile} explanation={explanation} />}
      </LoadState>
      <h2>Membership history</h2>
      <MembershipHistory profile={profile} />
      <h2>Timeline</h2>
      <Timeline profile={profile} />
    </>
  );
}

/** Traits by name; a score's `<name>.reasons` is shown under the score, not as a trait of its own. */
function Traits(props: { traits: Record<string, unknown> }) {
  const names = Object.keys(props.traits)
    .filter((name) => !(name.endsWith('.reasons') && name.slice(0, -'.reasons'.length) in props.traits))
    .sort();
  if (names.length === 0) return <p class="muted">No traits.</p>;
  return (
    <table class="traits">
      <tbody>
        {names.map((name) => {
          const reasons = props.traits[`${name}.reasons`];
          return (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>
                <code>{formatValue(props.traits[name], 120)}</code>
                {Array.isArray(reasons) && reasons.length > 0 && (
                  <ul class="reasons" aria-label={`${name} reasons`}>
                    {reasons.map((reason) => (
                      <li key={String(reason)}>{String(reason)}</li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function MembershipHistory(props: { profile: ProfileView }) {
  if (props.profile.membershipHistory.length === 0) return <p class="muted">Never entered an audience.</p>;
  return (
    <table>
      <TableHead columns={['When', 'Audience', 'Change', 'Cause', 'Event']} />
      <tbody>
        {props.profile.membershipHistory.map((change, index) => (
          <tr key={index}>
            <td>{formatTime(change.at)}</td>
            <td>{change.audience}</td>
            <td>{change.member ? <Badge tone="good">entered</Badge> : <Badge tone="muted">left</Badge>}</td>
            <td>{change.cause}</td>
            <td>{change.messageId ? <code>{change.messageId}</code> : <span class="muted">–</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Timeline(props: { profile: ProfileView }) {
  if (props.profile.timeline.length === 0) return <p class="muted">No stored events.</p>;
  return (
    <table>
      <TableHead columns={['Event time', 'Type', 'Event / name', 'Source', 'messageId']} />
      <tbody>
        {props.profile.timeline.map((event) => (
          <tr key={`${event.source}:${event.messageId}`}>
            <td title={`received ${formatTime(event.receivedAt)}`}>{formatTime(event.timestamp)}</td>
            <td>{event.type}</td>
            <td>{formatValue(event.event ?? event.name ?? '')}</td>
            <td>{event.source}</td>
            <td>
              <a href={hrefOf('deliveries', { q: event.messageId })} title="Requests this event caused">
                <code>{event.messageId}</code>
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
