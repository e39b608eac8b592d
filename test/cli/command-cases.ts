import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { matchKeyFor } from '../../src/delivery/match-keys.js';
import type { RelayProcess } from '../helpers/relay-process.js';

/**
 * The commands run by commands.test.ts against one relay process, which received these events:
 * u1 (ada@example.com, phone +1 650 555 0100) viewed /pricing 3 times and added to cart
 * (cart_abandoners); u2 ordered once. Every destination is on, each with its fake.
 *
 * `args` may name `<root>` (the test's directory; `<root>/mappings` holds the relay's mapping files)
 * and `<two days ago>` (an ISO time).
 * Each case runs as written (`human`: patterns its output must match) and, when `json` is set, again
 * with `--json` (the parsed answer handed to `json`).
 */
export interface CommandCase {
  name: string;
  /** The command's path in the program (`audiences export`): every command needs a case. */
  command: string;
  args: string[];
  code?: number;
  human: RegExp[];
  /** Where `human` looks (default stdout). */
  stream?: 'stdout' | 'stderr';
  json?: (answer: unknown, context: CaseContext) => void;
  /** Run without RELAY_URL / ADMIN_TOKEN (local commands). */
  noConnection?: boolean;
  after?: (context: CaseContext) => void;
}

export interface CaseContext {
  relay: RelayProcess;
  root: string;
}

/** Commands not run by commands.test.ts, and where they are tested instead. */
export const NOT_RUN_HERE: Record<string, string> = {
  fakes: 'runs until Ctrl-C: test/cli/fakes-cli.test.ts starts it as a process',
};

const ADA_META_EMAIL = matchKeyFor('meta', 'email', 'ada@example.com');

export const COMMAND_CASES: CommandCase[] = [
  {
    name: 'validate: the relay’s mapping files are valid',
    command: 'validate',
    args: ['validate', '<root>/mappings'],
    noConnection: true,
    human: [/^ok: \d+ file\(s\) in \S+mappings are valid$/m],
    json: (answer) => expect(answer).toMatchObject({ ok: true, sources: ['web', 'server'] }),
  },
  {
    name: 'schema: the JSON Schema of mapping files',
    command: 'schema',
    args: ['schema'],
    noConnection: true,
    human: [/^\{\n {2}"\$schema": "https:\/\/json-schema\.org\//],
    json: (answer) => expect(answer).toMatchObject({ properties: { audiences: expect.any(Object) } }),
  },
  {
    name: 'audiences: the list with sizes',
    command: 'audiences list',
    args: ['audiences'],
    human: [/^AUDIENCE\s+SIZE\s+TREND \(last point\)\s+BACKFILL$/m, /^cart_abandoners\s+1\s/m],
    json: (answer) =>
      expect((answer as { audiences: unknown[] }).audiences).toContainEqual(
        expect.objectContaining({ name: 'cart_abandoners', size: 1 }),
      ),
  },
  {
    name: 'audiences preview: a rule’s size and sample',
    command: 'audiences preview',
    args: ['audiences', 'preview', '--rule', '{trait: lead_score, gt: -1}', '--sample', '1'],
    human: [/^\d of 2 profiles match$/m],
    json: (answer) => expect(answer).toMatchObject({ evaluated: 2 }),
  },
  {
    name: 'audiences members: profile ids',
    command: 'audiences members',
    args: ['audiences', 'members', 'cart_abandoners'],
    human: [/^p_[0-9a-f]+\n$/m],
    json: (answer) =>
      expect(answer).toMatchObject({ audience: 'cart_abandoners', members: [expect.any(String)] }),
  },
  {
    name: 'audiences export --hash meta --out: hashed e-mails to a file',
    command: 'audiences export',
    args: [
      'audiences',
      'export',
      'cart_abandoners',
      '--identifiers',
      'email,userId',
      '--hash',
      'meta',
      '--out',
      '<root>/export.csv',
    ],
    stream: 'stderr',
    human: [/^exported 1 member of cart_abandoners to \S+export\.csv\n$/m],
    after: ({ root }) =>
      expect(readFileSync(join(root, 'export.csv'), 'utf8')).toBe(`email,userId\n${ADA_META_EMAIL},u1\n`),
  },
  {
    name: 'audiences export --raw: raw identifiers on stdout',
    command: 'audiences export',
    args: ['audiences', 'export', 'cart_abandoners', '--identifiers', 'userId,email', '--raw'],
    human: [/^userId,email\nu1,ada@example\.com\n$/m],
  },
  {
    name: 'explain: the rule tree with values',
    command: 'explain',
    args: ['explain', '--user', 'u1', '--audience', 'high_intent'],
    human: [/^profile p_[0-9a-f]+$/m, /^high_intent: (member|not a member)/m, /lead_score > 80\s+value \d/],
    json: (answer) =>
      expect(answer).toMatchObject({
        audiences: [{ audience: 'high_intent', explain: { kind: 'audience' } }],
      }),
  },
  {
    name: 'profile: identifiers, traits, memberships',
    command: 'profile',
    args: ['profile', '--email', 'ada@example.com'],
    human: [/^identifiers\n {2}email\s+ada@example\.com\n {2}userId\s+u1$/m, /^ {2}cart_abandoners\s+\S+Z$/m],
    json: (answer) => expect(answer).toMatchObject({ memberships: [{ audience: 'cart_abandoners' }] }),
  },
  {
    name: 'deliveries search: the delivery log of a destination',
    command: 'deliveries search',
    args: ['deliveries', 'search', '--destination', 'braze'],
    human: [/^TIME\s+DESTINATION\s+STATUS\s+ITEMS\s+LATENCY\s+OUTCOME$/m, /^\S+Z\s+braze\s+201\s/m],
    json: (answer) =>
      expect((answer as { deliveries: unknown[] }).deliveries[0]).toMatchObject({ destination: 'braze' }),
  },
  {
    name: 'deliveries (search is the default): by person',
    command: 'deliveries search',
    args: ['deliveries', '--user', 'u1', '--since', '1h'],
    human: [/^\S+Z\s+hubspot\s+200\s/m],
    json: (answer) =>
      expect((answer as { deliveries: unknown[] }).deliveries).toContainEqual(
        expect.objectContaining({ destination: 'hubspot' }),
      ),
  },
  {
    name: 'dead-letters: the list (none refused here)',
    command: 'dead-letters',
    args: ['dead-letters', '--destination', 'braze'],
    human: [/^no dead letters$/m],
    json: (answer) => expect(answer).toEqual({ deadLetters: [] }),
  },
  {
    name: 'replay: an id that is no dead letter replays nothing',
    command: 'replay',
    args: ['replay', '--id', '999999'],
    human: [/^replayed 0 dead letters$/m],
    json: (answer) => expect(answer).toEqual({ replayed: 0 }),
  },
  {
    name: 'matches: the ad platforms’ view',
    command: 'matches',
    args: ['matches'],
    human: [
      /^destination\s+audience\s+held\s+added\s+removed\s+invalid\s+last result$/m,
      /^meta_high_intent\s+high_intent\s/m,
    ],
    json: (answer) =>
      expect((answer as { matches: unknown[] }).matches).toContainEqual(
        expect.objectContaining({ destination: 'meta_high_intent', audience: 'high_intent' }),
      ),
  },
  {
    name: 'status: processing, destinations, last reload',
    command: 'status',
    args: ['status'],
    human: [
      /^processing\s+stored 6\s+processed 6\s+pending 0$/m,
      /^destinations\s+on: braze, hubspot/m,
      /^failing\s+\S/m,
    ],
    json: (answer) =>
      expect(answer).toMatchObject({
        processing: { storedSeq: 6, pending: 0 },
        overview: {
          destinations: expect.arrayContaining([expect.objectContaining({ destination: 'braze' })]),
        },
        config: {
          destinations: expect.arrayContaining([expect.objectContaining({ name: 'braze', enabled: true })]),
        },
      }),
  },
  {
    name: 'reload: the mapping files again',
    command: 'reload',
    args: ['reload'],
    human: [/^reloaded \d+ files at \S+Z$/m],
    json: (answer) => expect(answer).toMatchObject({ ok: true, trigger: 'api' }),
  },
  {
    name: 'budget: the latest allocation',
    command: 'budget',
    args: ['budget'],
    human: [/^run \d+ at \S+Z /m, /^next refresh /m],
    json: (answer) => expect(answer).toMatchObject({ latest: expect.any(Object) }),
  },
  {
    name: 'budget --history: past runs',
    command: 'budget',
    args: ['budget', '--history'],
    human: [/^RUN\s+AT\s+TRIGGER/m],
    json: (answer) => expect((answer as { runs: unknown[] }).runs.length).toBeGreaterThan(0),
  },
  {
    name: 'scores: every score trait with its drift',
    command: 'scores',
    args: ['scores', '--snapshot'],
    human: [/^TRAIT\s+DAY\s+SCORED\s+PSI/m, /^lead_score\s/m],
    json: (answer) =>
      expect((answer as { scores: unknown[] }).scores).toContainEqual(
        expect.objectContaining({ series: 'lead_score' }),
      ),
  },
  {
    name: 'scores --trait: one histogram',
    command: 'scores',
    args: ['scores', '--trait', 'lead_score'],
    human: [/^lead_score \(/m],
    json: (answer) => expect(answer).toMatchObject({ series: 'lead_score' }),
  },
  {
    name: 'training-export: traits at the cutoff and the label after it, as CSV',
    command: 'training-export',
    args: ['training-export', '--cutoff', '<two days ago>', '--label', 'Order Completed within 1d'],
    human: [/^\S*profile\S*,/m],
  },
  {
    name: 'rebuild: recompute from the event log, wait until done',
    command: 'rebuild',
    args: ['rebuild', '--interval', '50'],
    human: [/^rebuild \d+ requested$/m, /^rebuild \d+ done in \d+\.\d s: 6 events replayed, 2 profiles$/m],
    json: (answer) => expect(answer).toMatchObject({ status: 'done', done: true, events: { total: 6 } }),
  },
];
