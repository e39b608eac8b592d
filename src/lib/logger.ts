import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line: credentials and raw personal identifiers.
 * The code avoids logging event bodies at all; this list is the safety net.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-signature"]',
  '*.headers["x-signature"]',
  'writeKey',
  '*.writeKey',
  'write_key',
  '*.write_key',
  'webhook_secret',
  '*.webhook_secret',
  'token',
  '*.token',
  'userId',
  '*.userId',
  'anonymousId',
  '*.anonymousId',
  'previousId',
  '*.previousId',
  'email',
  '*.email',
  'traits',
  '*.traits',
  'properties',
  '*.properties',
];

/**
 * Errors are logged as type, message, code and stack only: an HTTP client's error carries the request
 * (headers with keys, bodies with e-mails), which must never reach a log line.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(code !== undefined ? { code } : {}),
    stack: error.stack,
  };
}

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    base: { service: 'audience-relay' },
    ...options,
  };
  return destination ? pino(base, destination) : pino(base);
}
