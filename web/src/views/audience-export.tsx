import { useState } from 'preact/hooks';
import { download } from '../api';
import type { ExportIdentifier } from '../api-types';
import { ErrorBox } from '../components/bits';

const IDENTIFIERS: ExportIdentifier[] = ['email', 'phone', 'userId', 'anonymousId'];
const PLATFORMS = [
  { id: 'meta', title: 'Meta (SHA-256, Meta normalisation)' },
  { id: 'google', title: 'Google (SHA-256, Google normalisation)' },
  { id: 'linkedin', title: 'LinkedIn (SHA-256, LinkedIn normalisation)' },
] as const;

/**
 * The members as CSV for a platform without an API: chosen identifiers, hashed as the platform
 * wants them, or raw only behind an explicit choice. Downloaded with the token in a header.
 */
export function ExportForm(props: { audience: string }) {
  const [columns, setColumns] = useState<Set<ExportIdentifier>>(new Set(['email']));
  const [hash, setHash] = useState<string>('meta');
  const [rawConfirmed, setRawConfirmed] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const raw = hash === 'raw';
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const identifiers = IDENTIFIERS.filter((name) => columns.has(name)).join(',');
    try {
      await download(
        `audiences/${encodeURIComponent(props.audience)}/export`,
        raw ? { identifiers, raw: 'true' } : { identifiers, hash },
        `${props.audience}-${raw ? 'raw' : hash}.csv`,
      );
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <form class="export" onSubmit={submit} aria-label={`Export ${props.audience}`}>
      <fieldset>
        <legend>Columns</legend>
        {IDENTIFIERS.map((name) => (
          <label key={name} class="check">
            <input
              type="checkbox"
              checked={columns.has(name)}
              onChange={() => {
                const next = new Set(columns);
                if (!next.delete(name)) next.add(name);
                setColumns(next);
              }}
            />
            {name}
          </label>
        ))}
      </fieldset>
      <label for={`export-hash-${props.audience}`}>Hashed for</label>
      <select
        id={`export-hash-${props.audience}`}
        value={hash}
        onChange={(event) => setHash(event.currentTarget.value)}
      >
        {PLATFORMS.map((platform) => (
          <option key={platform.id} value={platform.id}>
            {platform.title}
          </option>
        ))}
        <option value="raw">not hashed (raw identifiers)</option>
      </select>
      {raw && (
        <label class="check warn">
          <input
            type="checkbox"
            checked={rawConfirmed}
            onChange={(event) => setRawConfirmed(event.currentTarget.checked)}
          />
          I need the raw e-mails and phone numbers: this file holds personal data.
        </label>
      )}
      <button type="submit" disabled={columns.size === 0 || (raw && !rawConfirmed)}>
        Download CSV
      </button>
      {error && <ErrorBox message={error} />}
    </form>
  );
}
