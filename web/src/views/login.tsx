import { useState } from 'preact/hooks';

/**
 * The token typed in, never in a URL: the form posts nowhere (the page handles it; `form-action`
 * is 'none' in the page's CSP), and the token goes to sessionStorage and the Authorization header.
 */
export function LoginView(props: {
  message?: string;
  onLogIn: (token: string) => Promise<string | undefined>;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      setError(await props.onLogIn(token.trim()));
    } catch (failure) {
      setError(`The relay did not answer: ${String(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="centered narrow">
      <h1>audience-relay</h1>
      <form class="login" method="post" onSubmit={submit} aria-label="Log in">
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          autoFocus
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy || token.trim() === ''}>
          Log in
        </button>
        <p class="muted">
          The relay's <code>ADMIN_TOKEN</code>. It is kept for this tab only and sent as a bearer token.
        </p>
        {(error ?? props.message) && (
          <p class={error ? 'error' : 'muted'} role={error ? 'alert' : 'status'}>
            {error ?? props.message}
          </p>
        )}
      </form>
    </main>
  );
}
