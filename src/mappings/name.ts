import { z } from 'zod';
import '../lib/zod-messages.js';

/** The names ops give sources, traits and audiences: lower_snake_case. */
export const Name = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'names are lower_snake_case: a letter, then letters, digits or _');
export type Name = z.infer<typeof Name>;
