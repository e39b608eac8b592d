import type { Command } from 'commander';
import { UsageError } from './errors.js';

/** Who a command is about: exactly one of `--user`, `--email`, `--anonymous-id`. */
export interface IdentityOptions {
  user?: string;
  email?: string;
  anonymousId?: string;
}

export type IdentityQuery = { userId: string } | { email: string } | { anonymousId: string };

export function withIdentity(command: Command): Command {
  return command
    .option('--user <userId>', 'the profile with this userId')
    .option('--email <email>', 'the profile with this e-mail')
    .option('--anonymous-id <id>', 'the profile with this anonymousId');
}

export function identityQuery(options: IdentityOptions): IdentityQuery {
  const given: IdentityQuery[] = [];
  if (options.user !== undefined) given.push({ userId: options.user });
  if (options.email !== undefined) given.push({ email: options.email });
  if (options.anonymousId !== undefined) given.push({ anonymousId: options.anonymousId });
  const [only] = given;
  if (only === undefined || given.length > 1) {
    throw new UsageError('give exactly one of --user, --email or --anonymous-id');
  }
  return only;
}
