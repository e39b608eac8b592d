import { useState } from 'preact/hooks';
import { get, post } from '../api';
import type { DeadLetter, DeadLetterList, ReplayResult } from '../api-types';
import {
  ActionNotice,
  Badge,
  DestinationSelect,
  Field,
  LoadState,
  type ActionMessage,
} from '../components/bits';
import { TableHead } from '../components/table';
import { formatTime, formatValue } from '../format';
import { navigate } from '../route';
import { useLoad } from '../use-load';

/** Changes given up on, with their reason; replayed ones go back to the queue (newer values win). */
export function DeadLetters(props: { destination: string | undefined; destinations: string[] }) {
  const [showReplayed, setShowReplayed] = useState(false);
  const { result, reload } = useLoad(
    () =>
      get<DeadLetterList>('dead-letters', {
        destination: props.destination,
        replayed: showReplayed ? 'true' : undefined,
        limit: 200,
      }),
    [props.destination, showReplayed],
  );
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [message, setMessage] = useState<ActionMessage | undefined>();

  const replay = async (body: { ids?: number[]; destination?: string }) => {
    try {
      const answer = await post<ReplayResult>('dead-letters/replay', body);
      setMessage({ text: `Replayed ${answer.replayed} dead letter(s): they are queued again.` });
      setSelected(new Set());
      reload();
    } catch (error) {
      setMessage({ text: String(error instanceof Error ? error.message : error), error: true });
    }
  };

  return (
    <>
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter dead letters">
        <Field label="Destination" id="dead-destination">
          <DestinationSelect
            id="dead-destination"
            value={props.destination}
            destinations={props.destinations}
            onChange={(event) =>
              navigate('deliveries', { destination: event.currentTarget.value, tab: 'dead' })
            }
          />
        </Field>
        <label class="check">
          <input
            type="checkbox"
            checked={showReplayed}
            onChange={(event) => setShowReplayed(event.currentTarget.checked)}
          />
          Show replayed ones
        </label>
        <div class="buttons">
          <button type="button" disabled={selected.size === 0} onClick={() => replay({ ids: [...selected] })}>
            Replay selected ({selected.size})
          </button>
          {props.destination && (
            <button type="button" onClick={() => replay({ destination: props.destination })}>
              Replay all of {props.destination}
            </button>
          )}
          <button type="button" data-reload onClick={reload}>
            Reload
          </button>
        </div>
      </form>
      <ActionNotice message={message} />
      <LoadState loaded={result}>
        {(list) => (
          <LetterTable
            letters={list.deadLetters}
            selected={selected}
            onToggle={(id) => {
              const next = new Set(selected);
              if (!next.delete(id)) next.add(id);
              setSelected(next);
            }}
          />
        )}
      </LoadState>
    </>
  );
}

function LetterTable(props: {
  letters: DeadLetter[];
  selected: Set<number>;
  onToggle: (id: number) => void;
}) {
  if (props.letters.length === 0) return <p class="muted">No dead letters.</p>;
  return (
    <table class="log">
      <TableHead
        columns={[
          { hidden: 'Select' },
          'Dead since',
          'Destination',
          'Profile',
          'Change',
          'Reason',
          { num: 'Attempts' },
        ]}
      />
      <tbody>
        {props.letters.map((letter) => (
          <tr key={letter.id} class={letter.replayedAt ? 'muted' : ''}>
            <td>
              <input
                type="checkbox"
                aria-label={`Select dead letter ${letter.id}`}
                disabled={letter.replayedAt !== null}
                checked={props.selected.has(letter.id)}
                onChange={() => props.onToggle(letter.id)}
              />
            </td>
            <td>
              {formatTime(letter.deadAt)}
              {letter.replayedAt && <div class="muted">replayed {formatTime(letter.replayedAt)}</div>}
            </td>
            <td>{letter.destination}</td>
            <td>
              <code>{letter.profileId}</code>
            </td>
            <td>{changeText(letter)}</td>
            <td class="outcome">
              {letter.reason.startsWith('skipped:') && (
                <Badge
                  tone="muted"
                  title="The destination cannot take this profile: a replay changes nothing"
                >
                  skipped
                </Badge>
              )}
              {letter.reason}
            </td>
            <td class="num">{letter.attempts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function changeText(letter: DeadLetter): string {
  const audiences = Object.entries(letter.change.audiences).map(
    ([name, member]) => `${name}: ${member ? 'in' : 'out'}`,
  );
  const traits = Object.entries(letter.change.traits).map(
    ([name, value]) => `${name}: ${formatValue(value, 30)}`,
  );
  return [...audiences, ...traits].join(', ') || '(nothing)';
}
