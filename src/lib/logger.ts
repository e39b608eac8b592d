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

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'audience-relay' },
    ...options,
  };
  return destination ? pino(base, destination) : pino(base);
}
