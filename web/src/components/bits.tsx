import type { ComponentChildren } from 'preact';
import type { Loaded } from '../use-load';

/** Loading, failure and empty states, the same on every view. */
export function LoadState<T>(props: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const { loaded } = props;
  if (loaded.state === 'done') return <>{props.children(loaded.value)}</>;
  if (loaded.state === 'loading')
    return loaded.previous === undefined ? (
      <p class="muted" role="status">
        Loading…
      </p>
    ) : (
      <>{props.children(loaded.previous)}</>
    );
  if (loaded.state === 'failed') return <ErrorBox message={loaded.error} />;
  return null;
}

export function ErrorBox(props: { message: string }) {
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; hint?: string; tone?: Tone }) {
  return (
    <div class={`stat ${props.tone ?? ''}`} title={props.hint}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
    </div>
  );
}

export type Tone = 'good' | 'bad' | 'warn' | 'muted' | '';

export function Badge(props: { tone: Tone; title?: string; children: ComponentChildren }) {
  return (
    <span class={`badge ${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** HTTP status or outcome word, coloured: 2xx good, 429/5xx/network warn or bad. */
export function StatusBadge(props: { status: string }) {
  const { status } = props;
  const tone: Tone = /^2/.test(status)
    ? 'good'
    : status === 'skipped'
      ? 'muted'
      : status === '429' || status === 'timeout'
        ? 'warn'
        : 'bad';
  return <Badge tone={tone}>{status}</Badge>;
}

export function Json(props: { text: string; label: string }) {
  return (
    <figure class="json">
      <figcaption>{props.label}</figcaption>
      <pre tabIndex={0}>{props.text || '(empty)'}</pre>
    </figure>
  );
}

/** A labelled control of a filter form: the label names the control alone (not its options). */
export function Field(props: { label: string; id: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

/** What an action the user started answered: a notice, or an error. */
export type ActionMessage = { text: string; error?: boolean };

export function ActionNotice(props: { message: ActionMessage | undefined }) {
  const { message } = props;
  if (!message) return null;
  return message.error ? (
    <ErrorBox message={message.text} />
  ) : (
    <p role="status" class="notice">
      {message.text}
    </p>
  );
}

/** A destination filter: "any" or one of the configured destinations. */
export function DestinationSelect(props: {
  id: string;
  value: string | undefined;
  destinations: string[];
  onChange: (event: Event & { currentTarget: HTMLSelectElement }) => void;
}) {
  return (
    <select id={props.id} value={props.value ?? ''} onChange={props.onChange}>
      <option value="">any</option>
      {props.destinations.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  );
}

/** A view's title, its own actions, then the Reload button every view has. */
export function ViewHead(props: { title: string; onReload: () => void; children?: ComponentChildren }) {
  return (
    <div class="view-head">
      <h1>{props.title}</h1>
      {props.children}
      <button type="button" data-reload onClick={props.onReload}>
        Reload
      </button>
    </div>
  );
}
