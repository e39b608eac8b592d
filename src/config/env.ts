import { z } from 'zod';

/** Process settings from the environment (README.md "How it is configured"); the rest is in mappings/. */
export const RelayEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  STORE_URL: z.string().default('sqlite:data/relay.db'),
  MAPPINGS_DIR: z.string().default('mappings'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  GROUP_COMMIT_WINDOW_MS: z.coerce.number().min(0).max(50).default(1),
  /** Processing and delivery in a worker thread of their own, off the HTTP thread. */
  PROCESSING_THREAD: z.stringbool().default(true),
  PROCESSING_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** A destination failing every request for longer than this (15 min) raises relay_destination_failing. */
  DESTINATION_FAILING_ALERT_MS: z.coerce.number().int().min(0).default(900_000),
});
export type RelayEnv = z.infer<typeof RelayEnv>;

export function readEnv(env: Record<string, string | undefined> = process.env): RelayEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = RelayEnv.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment: ${lines.join('; ')}`);
  }
  return result.data;
}
