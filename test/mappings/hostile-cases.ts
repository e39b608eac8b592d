import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

/**
 * Mapping files (and things named like mapping files) that once crashed, hung or slipped past the
 * loader. Each is dropped into a copy of the example mappings: the loader, `validate` and a running
 * relay must each refuse it with an error at `file:line`, and keep going.
 */
export interface HostileCase {
  name: string;
  /** The entry created in the mappings directory. */
  entry: string;
  /** Creates it (and anything it needs under `root`, the folder holding `mappings/`); may return a cleanup. */
  make: (mappingsDir: string, root: string) => (() => Promise<void>) | void;
  /** The error: in `mappings/<entry>` at this line (column not checked), with this text. */
  line: number;
  message: string | RegExp;
  /** Needs POSIX special files (FIFOs, sockets, /dev/zero). */
  posix?: boolean;
}

/** A mapping file with this content. */
function text(entry: string, content: string): Pick<HostileCase, 'entry' | 'make'> {
  return { entry, make: (dir) => writeFileSync(join(dir, entry), content) };
}

/** A count trait, for files that need a valid body around the defect. */
const trait = (name: string, extra = '') =>
  `  ${name}:\n    count: { event: Signed Up, window: 7d${extra} }\n`;

/** Nested lists, each holding the previous one ten times: 10^9 values once expanded. */
function billionLaughs(): string {
  const lines = [
    'traits:',
    '  lol:',
    '    count:',
    '      event: Signed Up',
    '      window: 7d',
    '      where:',
  ];
  lines.push('        l0: &l0 { eq: [x, x, x, x, x, x, x, x, x, x] }');
  for (let level = 1; level < 9; level++)
    lines.push(
      `        l${level}: &l${level} [${Array(10)
        .fill(`*l${level - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'billion laughs (aliases multiplying an anchor)',
    ...text('laughs.yaml', billionLaughs()),
    line: 11,
    message: 'aliases expand this file by more than 100,000 values: over the limit',
  },
  {
    name: 'more than 1000 aliases',
    ...text(
      'aliases.yaml',
      `traits:\n  many:\n    count:\n      event: Signed Up\n      window: 7d\n      where:\n        p: { in: [&v x, ${Array(1001).fill('*v').join(', ')}] }\n`,
    ),
    line: 7,
    message: 'more than 1,000 aliases in one file: over the limit',
  },
  {
    name: 'an alias without its anchor',
    ...text('undefined-alias.yaml', 'sources:\n  other:\n    write_key: *nowhere\n'),
    line: 3,
    message: 'alias *nowhere has no anchor &nowhere before it',
  },
  {
    name: 'an alias inside the value it names',
    ...text(
      'cycle.yaml',
      'traits:\n  loop: &loop\n    count: { event: Signed Up, window: 7d, where: *loop }\n',
    ),
    line: 3,
    message: 'alias *loop is inside the value it names (a cycle)',
  },
  {
    name: 'a directory named x.yaml',
    entry: 'directory.yaml',
    make: (dir) => mkdirSync(join(dir, 'directory.yaml')),
    line: 1,
    message: 'is a directory, not a regular file: not read',
  },
  {
    name: 'a broken symbolic link',
    entry: 'broken.yaml',
    make: (dir) => symlinkSync(join(dir, 'no-such-target.yaml'), join(dir, 'broken.yaml')),
    line: 1,
    message: 'is a broken symbolic link (its target does not exist)',
    posix: true,
  },
  {
    name: 'a FIFO (reading it would block forever)',
    entry: 'fifo.yaml',
    make: (dir) => {
      execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    },
    line: 1,
    message: 'is a named pipe (FIFO), not a regular file: not read',
    posix: true,
  },
  {
    name: 'a symbolic link to /dev/zero (endless)',
    entry: 'zero.yaml',
    make: (dir) => symlinkSync('/dev/zero', join(dir, 'zero.yaml')),
    line: 1,
    message: 'is a symbolic link to a device, not to a regular file: not read',
    posix: true,
  },
  {
    name: 'a socket',
    entry: 'socket.yaml',
    make: (dir) => {
      const server: Server = createServer();
      server.listen(join(dir, 'socket.yaml'));
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    },
    line: 1,
    message: 'is a socket, not a regular file: not read',
    posix: true,
  },
  {
    name: 'a file over 1 MB',
    ...text('huge.yaml', `# ${'x'.repeat(1024 * 1024)}\n`),
    line: 1,
    message: 'over the limit of 1 MB for a mapping file',
  },
  {
    name: 'bytes that are not UTF-8',
    entry: 'latin1.yaml',
    make: (dir) =>
      writeFileSync(
        join(dir, 'latin1.yaml'),
        Buffer.concat([Buffer.from('traits:\n  caf'), Buffer.from([0xe9]), Buffer.from(':\n')]),
      ),
    line: 2,
    message: 'is not UTF-8 text',
  },
  {
    name: 'flow lists nested 200 deep',
    ...text('deep-flow.yaml', `traits: ${'['.repeat(200)}${']'.repeat(200)}\n`),
    line: 1,
    message: 'maps and lists nest more than 100 levels deep here: over the limit',
  },
  {
    name: 'block lists nested 150 deep',
    ...text('deep-block.yaml', `traits:\n  deep:\n${'- '.repeat(150)}x\n`),
    line: 3,
    message: 'maps and lists nest more than 100 levels deep here: over the limit',
  },
  {
    name: 'an audience rule nested 33 deep',
    ...text(
      'deep-rule.yaml',
      `audiences:\n  deep_rule:\n    rule: ${'{ not: '.repeat(32)}{ trait: plan, eq: pro }${' }'.repeat(32)}\n`,
    ),
    line: 3,
    message: 'conditions nest more than 32 deep (all / any / not): over the limit',
  },
  {
    name: 'timeout: 0ms (a request that never times out)',
    ...text(
      'timeout.yaml',
      'destinations:\n  braze_zero:\n    type: braze\n    settings: { endpoint: http://127.0.0.1:4101, api_key: test-braze-key }\n    limits: { timeout: 0ms }\n',
    ),
    line: 5,
    message: 'limits.timeout: must be longer than 0',
  },
  {
    name: 'a window of 8.6e30 ms',
    ...text(
      'forever.yaml',
      `traits:\n${trait('forever').replace('7d', '8600000000000000000000000000000ms')}`,
    ),
    line: 3,
    message: 'is longer than the limit of 3650d (about 10 years)',
  },
  {
    name: 'a trait named __proto__ (silently dropped before)',
    ...text('proto.yaml', `traits:\n${trait('__proto__')}`),
    line: 2,
    message: '"__proto__" cannot be used as a key',
  },
  {
    name: 'an audience named constructor',
    ...text('constructor.yaml', 'audiences:\n  constructor:\n    rule: { trait: plan, eq: pro }\n'),
    line: 2,
    message: '"constructor" is reserved (a property of every JavaScript object): choose another name',
  },
  {
    name: 'a source named prototype',
    ...text('prototype.yaml', 'sources:\n  prototype: { write_key: another-write-key }\n'),
    line: 2,
    message: '"prototype" is reserved',
  },
  {
    name: 'a __proto__ key deep inside a where',
    ...text(
      'deep-proto.yaml',
      'traits:\n  sneaky:\n    count:\n      event: Signed Up\n      window: 7d\n      where: { context: { eq: 1 }, __proto__: { eq: 2 } }\n',
    ),
    line: 6,
    message: '"__proto__" cannot be used as a key',
  },
  {
    name: 'a destination of type constructor (crashed the loader)',
    ...text('type.yaml', 'destinations:\n  odd:\n    type: constructor\n'),
    line: 3,
    message: 'unknown destination type "constructor"',
  },
  {
    name: 'a model file with an invalid field (refused only at start before)',
    entry: 'model.yaml',
    make: (dir, root) => {
      writeFileSync(
        join(root, 'models', 'broken.json'),
        '{\n  "kind": "logistic",\n  "intercept": 0,\n  "coefficients": { "lead_score": "high" }\n}\n',
      );
      writeFileSync(
        join(dir, 'model.yaml'),
        'traits:\n  p_broken:\n    model: { file: models/broken.json }\n',
      );
    },
    line: 3,
    message: 'model file models/broken.json:4:35: coefficients.lead_score: ',
  },
  {
    name: 'a model file that does not exist',
    ...text('no-model.yaml', 'traits:\n  p_missing:\n    model: { file: models/missing.json }\n'),
    line: 3,
    message: 'model file models/missing.json: file not found',
  },
  {
    name: 'a model file that is a FIFO',
    entry: 'fifo-model.yaml',
    make: (dir, root) => {
      execFileSync('mkfifo', [join(root, 'models', 'fifo.json')]);
      writeFileSync(
        join(dir, 'fifo-model.yaml'),
        'traits:\n  p_fifo:\n    model: { file: models/fifo.json }\n',
      );
    },
    line: 3,
    message: 'model file models/fifo.json: is a named pipe (FIFO), not a regular file: not read',
    posix: true,
  },
  {
    name: 'a broken ${NAME} in a flow mapping (one error, not a cascade)',
    ...text(
      'broken-reference.yaml',
      'destinations:\n  braze_broken:\n    type: braze\n    settings: { endpoint: ${BRAZE_URL, api_key: k }\n',
    ),
    line: 4,
    message:
      /: a \$\{NAME\} or \$\{NAME:-fallback\} reference is not finished on this line \(close it with \}\)/,
  },
  {
    name: 'a pattern that compiles too large to match quickly',
    ...text(
      'pattern.yaml',
      `traits:\n${trait('slow', ", where: { title: { matches: '[\\s\\S]{1000}[\\s\\S]{1000}$' } }")}`,
    ),
    line: 3,
    message: 'RE2 instructions: over the limit of 1000',
  },
  {
    name: 'a pattern RE2 cannot run (backreference)',
    ...text('backref.yaml', `traits:\n${trait('backref', ", where: { title: { matches: '(a+)\\1' } }")}`),
    line: 3,
    message: 'is not a valid RE2 pattern',
  },
  {
    name: 'YAML 1.1 tags (binary data, sets)',
    ...text('yaml11.yaml', '%YAML 1.1\n---\nsources:\n  tagged: { write_key: !!binary aGVsbG8gd29ybGQ= }\n'),
    line: 4,
    message: '!!binary is not supported: mapping files hold plain values',
  },
  {
    name: 'two documents in one file',
    ...text('two-docs.yaml', `traits:\n${trait('first_doc')}---\ntraits:\n${trait('second_doc')}`),
    line: 4,
    message: 'holds more than one YAML document (a second ---): put each in a file of its own',
  },
  {
    name: 'a duplicate key',
    ...text('duplicate.yaml', `traits:\n${trait('twice')}${trait('twice')}`),
    line: 4,
    message: 'duplicate key "twice" in the same map',
  },
  {
    name: 'requests_per_second: 1e-300',
    ...text(
      'slow-rate.yaml',
      'destinations:\n  braze_slow:\n    type: braze\n    settings: { endpoint: http://127.0.0.1:4101, api_key: test-braze-key }\n    limits: { requests_per_second: 1e-300 }\n',
    ),
    line: 5,
    message: 'must be at least 0.001',
  },
  {
    name: 'more than 1000 traits',
    ...text(
      'many-traits.yaml',
      `traits:\n${Array.from({ length: 1001 }, (_, i) => `  bulk_${i}: { count: { event: E, window: 7d } }\n`).join('')}`,
    ),
    line: 1002,
    message: 'more than 1,000 traits in the mapping files together: over the limit',
  },
];
