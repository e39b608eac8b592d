import { useEffect, useState } from 'preact/hooks';
import { get, probe, whenAuthLost, type ApiError } from './api';
import type { Overview } from './api-types';
import { storedToken, storeToken } from './auth';
import { AlertBanner } from './components/alert-banner';
import { useShortcuts } from './keyboard';
import { hrefOf, useRoute, VIEWS, type Route } from './route';
import { useLoad, valueOf } from './use-load';
import { AudiencesView } from './views/audiences';
import { BudgetView } from './views/budget';
import { DeliveriesView } from './views/deliveries';
import { LoginView } from './views/login';
import { OverviewView } from './views/overview';
import { PersonView } from './views/person';
import { ScoresView } from './views/scores';

type Session =
  | { state: 'checking' }
  | { state: 'off' }
  | { state: 'login'; message?: string }
  | { state: 'in' }
  | { state: 'unreachable'; message: string };

/** The shell: log in, then the navigation, the failing banner and the current view. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });

  useEffect(() => {
    whenAuthLost((error: ApiError) => {
      if (error.status === 503) return setSession({ state: 'off' });
      storeToken(undefined);
      setSession({ state: 'login', message: 'The relay refused the token: log in again.' });
    });
    probe(storedToken()).then(
      (answer) =>
        setSession(
          answer === 'off' ? { state: 'off' } : answer === 'ok' ? { state: 'in' } : { state: 'login' },
        ),
      (error: unknown) => setSession({ state: 'unreachable', message: String(error) }),
    );
  }, []);

  const logIn = async (token: string): Promise<string | undefined> => {
    const answer = await probe(token);
    if (answer === 'off') return void setSession({ state: 'off' });
    if (answer === 'refused') return 'The relay refused this token.';
    storeToken(token);
    setSession({ state: 'in' });
    return undefined;
  };
  const logOut = () => {
    storeToken(undefined);
    setSession({ state: 'login', message: 'Logged out.' });
  };

  switch (session.state) {
    case 'checking':
      return <main class="centered muted">Connecting to the relay…</main>;
    case 'unreachable':
      return (
        <main class="centered">
          <p class="error" role="alert">
            The relay did not answer: {session.message}
          </p>
        </main>
      );
    case 'off':
      return (
        <main class="centered narrow">
          <h1>audience-relay</h1>
          <p class="error" role="alert">
            The admin API is off: this relay was started without <code>ADMIN_TOKEN</code>.
          </p>
          <p>
            Start it with <code>ADMIN_TOKEN=&lt;at least 16 characters&gt;</code> in its environment, then
            reload this page and log in with that token.
          </p>
        </main>
      );
    case 'login':
      return <LoginView message={session.message} onLogIn={logIn} />;
    case 'in':
      return <Shell onLogOut={logOut} />;
  }
}

/** How often the shell re-reads the overview for the failing banner. */
const BANNER_REFRESH_MS = 15_000;

function Shell(props: { onLogOut: () => void }) {
  const route = useRoute();
  useShortcuts();
  const banner = useLoad(() => get<Overview>('overview'), [], BANNER_REFRESH_MS);
  const overview = valueOf(banner.result);
  return (
    <>
      <header class="top">
        <a class="brand" href={hrefOf('overview')}>
          audience-relay
        </a>
        <nav aria-label="Views">
          {VIEWS.map((view, index) => (
            <a
              key={view.id}
              href={hrefOf(view.id)}
              aria-current={route.view === view.id ? 'page' : undefined}
              title={`${view.title} (key ${index + 1})`}
            >
              {view.title}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={props.onLogOut}>
          Log out
        </button>
      </header>
      {overview && <AlertBanner alerts={overview.alerts} />}
      <main id="main" tabIndex={-1}>
        <CurrentView route={route} />
      </main>
      <footer class="muted">
        Keys: <kbd>1</kbd>–<kbd>{VIEWS.length}</kbd> switch views, <kbd>/</kbd> jumps to the view's search,{' '}
        <kbd>r</kbd> reloads it.
      </footer>
    </>
  );
}

function CurrentView(props: { route: Route }) {
  const { view, params } = props.route;
  switch (view) {
    case 'overview':
      return <OverviewView />;
    case 'audiences':
      return <AudiencesView params={params} />;
    case 'person':
      return <PersonView params={params} />;
    case 'deliveries':
      return <DeliveriesView params={params} />;
    case 'budget':
      return <BudgetView />;
    case 'scores':
      return <ScoresView />;
  }
}
