import { useState } from 'preact/hooks';
import { post } from '../api';
import type { PreviewResult } from '../api-types';
import { ErrorBox } from '../components/bits';
import { TableHead } from '../components/table';
import { formatNumber } from '../format';
import { hrefOf } from '../route';

const EXAMPLE = '{ all: [ { trait: lead_score, gt: 50 }, { not: { trait: is_customer, eq: true } } ] }';

/** A rule typed in (one condition as in audiences.yaml, JSON or YAML flow style), evaluated now. */
export function RulePreview() {
  const [text, setText] = useState('');
  const [sample, setSample] = useState(20);
  const [answer, setAnswer] = useState<PreviewResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { parse } = await import('yaml');
      const rule: unknown = parse(text);
      setAnswer(await post<PreviewResult>('audiences/preview', { rule, sample }));
    } catch (failure) {
      setAnswer(undefined);
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="preview" onSubmit={submit} aria-label="Preview a rule">
      <label for="rule">
        Rule <span class="muted">(as in mappings/audiences.yaml; Ctrl+Enter previews)</span>
      </label>
      <textarea
        id="rule"
        rows={4}
        spellcheck={false}
        placeholder={EXAMPLE}
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey))
            event.currentTarget.form?.requestSubmit();
        }}
      />
      <div class="buttons">
        <label>
          Sample{' '}
          <input
            type="number"
            min={0}
            max={200}
            value={sample}
            onInput={(event) => setSample(Number(event.currentTarget.value) || 0)}
          />
        </label>
        <button type="submit" disabled={busy || text.trim() === ''}>
          {busy ? 'Evaluating…' : 'Preview'}
        </button>
      </div>
      {error && <ErrorBox message={error} />}
      {answer && (
        <div role="status" aria-label="Preview result">
          <p>
            <strong>{formatNumber(answer.size)}</strong> of {formatNumber(answer.evaluated)} profiles match.
          </p>
          {answer.sample.length > 0 && (
            <table>
              <TableHead columns={['Profile', 'Identifiers']} />
              <tbody>
                {answer.sample.map((member) => {
                  const lookup =
                    member.identifiers.find((ref) => ref.kind === 'userId') ?? member.identifiers[0];
                  return (
                    <tr key={member.profileId}>
                      <td>
                        {lookup ? (
                          <a href={hrefOf('person', { [lookup.kind]: lookup.value })}>
                            <code>{member.profileId}</code>
                          </a>
                        ) : (
                          <code>{member.profileId}</code>
                        )}
                      </td>
                      <td>{member.identifiers.map((ref) => `${ref.kind}:${ref.value}`).join(', ')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
      )}
    </form>
  );
}
