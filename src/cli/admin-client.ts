import type { Command } from 'commander';
import type { z } from 'zod';
import { CliError, UsageError } from './errors.js';
import { currentIo } from './io.js';

/**
 * The admin API over HTTP for the CLI. The base URL comes from `--url`, else RELAY_URL, else
 * http://localhost:8080; the bearer token from `--token`, else ADMIN_TOKEN. The token is sent, never
 * printed: error messages carry the HTTP status and the API's `error` field only. Every answer is
 * parsed with its schema from src/admin/api-schema.ts: an answer of another shape is a clear error.
 */

export const DEFAULT_RELAY_URL = 'http://localhost:8080';
export const RELAY_URL_ENV = 'RELAY_URL';
export const ADMIN_TOKEN_ENV = 'ADMIN_TOKEN';
const API_PREFIX = '/admin/api';
const REQUEST_TIMEOUT_MS = 120_000;
const SHOWN_SCHEMA_ISSUES = 3;

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

/**
 * Adds `--url` and `--token` to a command that talks to the relay. They are also taken anywhere on
 * the command line (before or after the command's name; see src/cli/program.ts).
 */
export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', `relay base URL (env ${RELAY_URL_ENV}, default ${DEFAULT_RELAY_URL})`)
    .option('--token <token>', `admin API token (env ${ADMIN_TOKEN_ENV})`);
}

interface Answer {
  status: number;
  body: unknown;
}

export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;

  constructor(options: ConnectionOptions, env: Record<string, string | undefined> = currentIo().env) {
    const url = options.url ?? env[RELAY_URL_ENV] ?? DEFAULT_RELAY_URL;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--url / ${RELAY_URL_ENV}: not a URL such as ${DEFAULT_RELAY_URL}`);
    }
    if (parsed.username || parsed.password) {
      throw new UsageError(
        `--url / ${RELAY_URL_ENV}: leave out user:password; the token goes in --token or ${ADMIN_TOKEN_ENV}`,
      );
    }
    this.baseUrl = parsed.href.replace(/\/+$/, '');
    this.#token = options.token || env[ADMIN_TOKEN_ENV] || undefined;
  }

  /** GET, the answer parsed with `schema` (from src/admin/api-schema.ts). */
  async get<S extends z.ZodType>(schema: S, path: string, query: Query = {}): Promise<z.output<S>> {
    const target = withQuery(path, query);
    return parseAnswer(schema, 'GET', target, (await this.request('GET', target)).body);
  }

  /** POST with a JSON body; `accept` lists non-2xx statuses whose body is a result (e.g. 422 on reload). */
  async post<S extends z.ZodType>(
    schema: S,
    path: string,
    body?: unknown,
    accept: number[] = [],
  ): Promise<z.output<S>> {
    return parseAnswer(schema, 'POST', path, (await this.request('POST', path, body, accept)).body);
  }

  /** GET a non-JSON answer (CSV), handing each chunk of text to `write` as it arrives. */
  async download(path: string, query: Query, write: (text: string) => void): Promise<void> {
    const response = await this.send('GET', withQuery(path, query), undefined, 'text/csv');
    if (!response.ok) await this.refuse('GET', path, response);
    const decoder = new TextDecoder();
    try {
      if (response.body) {
        for await (const chunk of response.body) write(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
    } catch (error) {
      throw new CliError(
        `${where('GET', path)}: the answer was cut off (${causeOf(error)}); the output is incomplete`,
      );
    }
    write(decoder.decode());
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    accept: number[] = [],
  ): Promise<Answer> {
    const response = await this.send(method, path, body, 'application/json');
    if (!response.ok && !accept.includes(response.status)) return this.refuse(method, path, response);
    const parsed = parseJson(await response.text());
    if (parsed === undefined) {
      throw new AdminApiError(response.status, `${where(method, path)}: the answer is not JSON`);
    }
    return { status: response.status, body: parsed };
  }

  private async send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.baseUrl}${API_PREFIX}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AdminApiError(
        0,
        `cannot reach the relay at ${this.baseUrl} (${causeOf(error)}); set --url or ${RELAY_URL_ENV}`,
      );
    }
  }

  private async refuse(method: string, path: string, response: Response): Promise<never> {
    const text = await response.text();
    const hint =
      response.status === 401 && !this.#token ? ` (no token given: set --token or ${ADMIN_TOKEN_ENV})` : '';
    throw new AdminApiError(
      response.status,
      `${where(method, path)}: HTTP ${response.status}: ${apiError(parseJson(text), text, response.statusText)}${hint}`,
    );
  }
}

function where(method: string, path: string): string {
  return `${method} ${API_PREFIX}${path.split('?')[0]}`;
}

/** The answer as its schema reads it, or a one-line error naming the first mismatches. */
function parseAnswer<S extends z.ZodType>(
  schema: S,
  method: string,
  path: string,
  body: unknown,
): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, SHOWN_SCHEMA_ISSUES)
    .map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`);
  const more = result.error.issues.length - issues.length;
  throw new CliError(
    `${where(method, path)}: the answer is not what this CLI expects (${issues.join('; ')}${more > 0 ? `; ${more} more` : ''}); ` +
      'is the relay the same version as the CLI?',
  );
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
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
