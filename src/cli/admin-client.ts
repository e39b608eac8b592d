import type { Command } from 'commander';
import { CliError } from './errors.js';

/**
 * The admin API over HTTP for the CLI. The base URL comes from `--url`, else RELAY_URL, else
 * http://localhost:8080; the bearer token from `--token`, else ADMIN_TOKEN. The token is sent, never
 * printed: error messages carry the HTTP status and the API's `error` field only.
 */

export const DEFAULT_RELAY_URL = 'http://localhost:8080';
const API_PREFIX = '/admin/api';
const REQUEST_TIMEOUT_MS = 120_000;

export interface ConnectionOptions {
  url?: string;
  token?: string;
}

export type Query = Record<string, string | number | undefined>;

/** A non-2xx answer of the admin API (or an unreachable relay, status 0). */
export class AdminApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Adds `--url` and `--token` to a command that talks to the relay. */
export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', `relay base URL (env RELAY_URL, default ${DEFAULT_RELAY_URL})`)
    .option('--token <token>', 'admin API token (env ADMIN_TOKEN)');
}

export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;

  constructor(options: ConnectionOptions, env: Record<string, string | undefined> = process.env) {
    const url = options.url ?? env.RELAY_URL ?? DEFAULT_RELAY_URL;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--url / RELAY_URL: not a URL such as ${DEFAULT_RELAY_URL}`);
    }
    if (parsed.username || parsed.password) {
      throw new CliError(
        '--url / RELAY_URL: leave out user:password; the token goes in --token or ADMIN_TOKEN',
      );
    }
    this.baseUrl = parsed.href.replace(/\/+$/, '');
    this.#token = options.token ?? env.ADMIN_TOKEN;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', `${path}${queryString(query)}`);
  }

  /** POST with a JSON body; `accept` lists non-2xx statuses whose body is a result (e.g. 422 on reload). */
  post<T>(path: string, body?: unknown, accept: number[] = []): Promise<T> {
    return this.request<T>('POST', path, body, accept);
  }

  private async request<T>(method: string, path: string, body?: unknown, accept: number[] = []): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const where = `${method} ${API_PREFIX}${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${API_PREFIX}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AdminApiError(
        0,
        `cannot reach the relay at ${this.baseUrl} (${causeOf(error)}); set --url or RELAY_URL`,
      );
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok || accept.includes(response.status)) {
      if (parsed === undefined) throw new AdminApiError(response.status, `${where}: the answer is not JSON`);
      return parsed as T;
    }
    const hint =
      response.status === 401 && !this.#token ? ' (no token given: set --token or ADMIN_TOKEN)' : '';
    throw new AdminApiError(
      response.status,
      `${where}: HTTP ${response.status}: ${apiError(parsed, text, response.statusText)}${hint}`,
    );
  }
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The API's `error` field, else a short excerpt of the body, on one line. */
function apiError(parsed: unknown, text: string, statusText: string): string {
  const field =
    typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  const message = typeof field === 'string' ? field : text.trim().slice(0, 200) || statusText;
  return message.replace(/\s+/g, ' ');
}

function causeOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
