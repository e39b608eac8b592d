import { useEffect, useState } from 'preact/hooks';

/** The views, in the order of the navigation (keys 1..n switch to them). */
export const VIEWS = [
  { id: 'overview', title: 'Overview' },
  { id: 'audiences', title: 'Audiences' },
  { id: 'person', title: 'Person' },
  { id: 'deliveries', title: 'Delivery log' },
  { id: 'budget', title: 'Budget' },
  { id: 'scores', title: 'Scores' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

export interface Route {
  view: ViewId;
  params: URLSearchParams;
}

/** `#/person?userId=ada`: the view and its parameters (never the token). */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const view = VIEWS.find((candidate) => candidate.id === path)?.id ?? 'overview';
  return { view, params: new URLSearchParams(query) };
}

export function hrefOf(view: ViewId, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return `#/${view}${text ? `?${text}` : ''}`;
}

export function navigate(view: ViewId, params: Record<string, string | undefined> = {}): void {
  const href = hrefOf(view, params);
  if (location.hash !== href) location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
