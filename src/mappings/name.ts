import { z } from 'zod';
import '../lib/zod-messages.js';

/** The pattern of the names ops give sources, traits, audiences and destinations: lower_snake_case. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Names that are properties of every JavaScript object: as keys they would reach the prototype (or
 * be dropped), so they are refused rather than trusted to every lookup.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
  'constructor',
]);

/** The names ops give sources, traits, audiences and destinations. */
export const Name = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'names are lower_snake_case: a letter, then letters, digits or _')
  .max(64, 'names are at most 64 characters')
  // (Reported only for names that are otherwise well formed: one message per name.)
  .refine((name) => !NAME_PATTERN.test(name) || !RESERVED_NAMES.has(name), {
    error: (issue) =>
      `"${String(issue.input)}" is reserved (a property of every JavaScript object): choose another name`,
  });
export type Name = z.infer<typeof Name>;
