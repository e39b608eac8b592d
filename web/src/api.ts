import { storedToken } from './auth';

/** A refusal of the admin API: its status and the `error` message it answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/** Called on 401 (token refused) and 503 (admin API off): the shell goes back to the login form. */
let onAuthLost: (error: ApiError) => void = () => {};
export function whenAuthLost(handler: (error: ApiError) => void): void {
  onAuthLost = handler;
}

/** `api/<path>` relative to the page (/admin/), so a proxy prefix is kept. */
export function apiUrl(path: string, query: Query = {}): string {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function send(method: 'GET' | 'POST', path: string, query: Query, body?: unknown): Promise<Response> {
  const token = storedToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(apiUrl(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.ok) return response;
  const error = new ApiError(response.status, await errorMessage(response));
  if (response.status === 401 || response.status === 503) onAuthLost(error);
  throw error;
}

async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

export async function get<T>(path: string, query: Query = {}): Promise<T> {
  return (await (await send('GET', path, query)).json()) as T;
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return (await (await send('POST', path, {}, body)).json()) as T;
}

/** A file the API answers (a CSV export), saved through a download link: the token stays in a header. */
export async function download(path: string, query: Query, filename: string): Promise<void> {
  const blob = await (await send('GET', path, query)).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Whether the admin API is on and takes this token (no token: only whether it is on). */
export async function probe(token: string | undefined): Promise<'ok' | 'off' | 'refused'> {
  const response = await fetch(apiUrl('processing'), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 503) return 'off';
  return response.ok ? 'ok' : 'refused';
}
