import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { Explanation } from '../../admin/api-schema.js';
import { renderExplanation } from '../explain-tree.js';
import { identityQuery, withIdentity, type IdentityOptions } from '../identity.js';
import { printJson, printLines } from '../output.js';

type ExplainOptions = ConnectionOptions & IdentityOptions & { audience?: string; json?: boolean };

/** `explain --user ID [--audience NAME]`: why a profile is (not) in each audience. */
export function registerExplain(program: Command): void {
  withConnection(
    withIdentity(
      program
        .command('explain')
        .description('why a profile is (not) in each audience: the rule tree with actual values'),
    )
      .option('--audience <name>', 'only this audience')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ExplainOptions) => {
    const query = { ...identityQuery(options), audience: options.audience };
    const answer = await new AdminClient(options).get(Explanation, '/profiles/explain', query);
    if (options.json) return printJson(answer);
    printLines(renderExplanation(answer));
  });
}
