import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { REPO_ROOT } from '../helpers/relay-process.js';

/**
 * Hostile mapping files for the loader fuzz: mutated example files, generated documents with wrong
 * types, prototype keys at every depth, alias bombs, deep nesting, catastrophic patterns and huge
 * numbers. FUZZ_RUNS (default 1,000) cases per target with a fixed seed, so a failure reproduces;
 * `npm run test:fuzz` runs 10,000. FUZZ_SEED picks another seed.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_260_601);

export function fuzzParameters<T>(runs = FUZZ_RUNS): fc.Parameters<T> {
  return { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true };
}

/** Time budget per target grows with the runs asked for. */
export function fuzzTimeout(runs = FUZZ_RUNS): number {
  return 60_000 + runs * 30;
}

export const EXAMPLE_FILES: { name: string; text: string }[] = readdirSync(join(REPO_ROOT, 'mappings'))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(REPO_ROOT, 'mappings', name), 'utf8') }));

export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

/** Pieces of YAML syntax and of the values the schema reads, for mutations. */
const SNIPPETS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ': ',
  '- ',
  '? ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '*nowhere',
  '!!binary ',
  '!!set ',
  '!!timestamp ',
  '!custom ',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '${X}',
  '${',
  '${X:-a,b: c}',
  '${NOT_SET}',
  '__proto__: ',
  '__proto__: { x: 1 }',
  'constructor: ',
  'prototype: ',
  '"',
  "'",
  '#',
  ' # c',
  '\n',
  '  ',
  '\t',
  '0ms',
  '0d',
  '8600000000000000000000000000000ms',
  '99999999999999999999999999999999999999d',
  '1e999',
  '-1e308',
  '.inf',
  '-.inf',
  '.nan',
  '-1',
  '0',
  '9007199254740993',
  '0x7fffffff',
  '(a+)+$',
  '[\\s\\S]{1000}',
  '(?=x)',
  '|\n',
  '>-\n',
  '<<: *a\n',
  '\u0000',
  '\uFEFF',
  '\uE000',
  '\u2028',
  '"\\u0000"',
  '~',
  'null',
  'true',
  'yes',
  'all: [',
  'not: ',
  'audience: ',
  'count: {}',
  'model: { file: /dev/zero }',
  'model: { file: models/p_convert.json }',
  'type: constructor',
];

type Mutation =
  | { kind: 'insert'; at: number; snippet: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; snippet: string }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'indent'; line: number; by: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), snippet: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
    snippet: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -4, max: 6 }) }),
);

function applyMutation(text: string, m: Mutation): string {
  const at = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1));
  const lines = text.split('\n');
  const line = (n: number) => n % Math.max(lines.length, 1);
  switch (m.kind) {
    case 'insert':
      return text.slice(0, at(m.at)) + m.snippet + text.slice(at(m.at));
    case 'delete':
      return text.slice(0, at(m.at)) + text.slice(at(m.at) + m.length);
    case 'replace':
      return text.slice(0, at(m.at)) + m.snippet + text.slice(at(m.at) + m.length);
    case 'duplicate-line':
      lines.splice(line(m.line), 0, lines[line(m.line)] ?? '');
      return lines.join('\n');
    case 'swap-lines': {
      const a = lines[line(m.a)] ?? '';
      lines[line(m.a)] = lines[line(m.b)] ?? '';
      lines[line(m.b)] = a;
      return lines.join('\n');
    }
    case 'indent': {
      const current = lines[line(m.line)] ?? '';
      lines[line(m.line)] =
        m.by >= 0 ? ' '.repeat(m.by) + current : current.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

/** One example file with 1 to 8 mutations, and which file it was. */
export const mutatedExample: fc.Arbitrary<{ index: number; text: string }> = fc
  .record({
    index: fc.nat({ max: EXAMPLE_FILES.length - 1 }),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 8 }),
  })
  .map(({ index, mutations }) => ({
    index,
    text: mutations.reduce(applyMutation, EXAMPLE_FILES[index]?.text ?? ''),
  }));

// ---------------------------------------------------------------------------------------------
// Generated documents: the schema's own words, in wrong places and with wrong types.

const KEYS = [
  'sources',
  'identity',
  'events',
  'traits',
  'audiences',
  'destinations',
  'write_key',
  'webhook_secret',
  'identifiers',
  'allowed_lateness',
  'retention',
  'dedupe_window',
  'count',
  'sum',
  'rfm',
  'score',
  'model',
  'file',
  'event',
  'type',
  'name',
  'where',
  'window',
  'property',
  'half_life',
  'rules',
  'points',
  'reason',
  'when',
  'rule',
  'all',
  'any',
  'not',
  'performed',
  'at_least',
  'within',
  'trait',
  'gt',
  'eq',
  'in',
  'matches',
  'near',
  'audience',
  'settings',
  'limits',
  'timeout',
  'max_wait',
  'batch_size',
  'requests_per_second',
  'enabled',
  'web',
  'lead_score',
  'high_intent',
  'braze',
  ...PROTOTYPE_KEYS,
];

const hugeNumber = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  5e-324,
  2 ** 31,
  -(2 ** 31) - 1,
  0,
  0.5,
);

const durationText = fc.oneof(
  fc
    .tuple(fc.stringMatching(/^\d{1,40}$/), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '', 'y', ' d'))
    .map(([digits, unit]) => `${digits}${unit}`),
  fc.constantFrom('0ms', '8600000000000000000000000000000ms', '3650d', '3651d', '-1d', '1.5h', '7 days'),
);

export const scalarValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(...KEYS),
  durationText,
  fc.integer(),
  fc.double(),
  hugeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('${X}', '${NOT_SET}', '${X:-fallback}', '(a+)+$', '[', 'http://127.0.0.1:1'),
);

/** Values nested up to `depth`, as Maps so any key (`__proto__` included) survives until it is written. */
export const documentValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarValue,
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 10 })), tie('value')), {
        maxLength: 5,
      })
      .map((entries) => new Map(entries)),
  ),
})).value;

/** A value written as YAML by hand (flow or block style, plain or quoted), keys of any kind. */
export function toYaml(value: unknown, indent = 0, flow = false): string {
  if (value instanceof Map) {
    const entries = [...value.entries()];
    if (entries.length === 0) return '{}';
    if (flow)
      return `{ ${entries.map(([key, child]) => `${quote(String(key))}: ${toYaml(child, 0, true)}`).join(', ')} }`;
    const pad = ' '.repeat(indent);
    return `\n${entries
      .map(([key, child]) => `${pad}${quote(String(key))}: ${toYaml(child, indent + 2, indent % 4 === 2)}`)
      .join('\n')}`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((child) => toYaml(child, 0, true)).join(', ')}]`;
  }
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return Object.is(value, -0) ? '-0' : String(value);
  }
  return String(value);
}

/** Plain when safe, double-quoted (JSON) otherwise. */
function quote(text: string): string {
  return /^[A-Za-z_][A-Za-z0-9_ .$-]*$/.test(text) &&
    !/^(true|false|null|yes|no|~)$/i.test(text) &&
    !/ $/.test(text)
    ? text
    : JSON.stringify(text);
}

/** A whole document: sections (or anything) at the top. */
export const generatedDocument: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom(...KEYS.slice(0, 6), ...PROTOTYPE_KEYS), documentValue), { maxLength: 4 })
  .map((entries) => toYaml(new Map(entries)).replace(/^\n/, ''));

// ---------------------------------------------------------------------------------------------
// Prototype keys at every depth of an otherwise valid trait.

export const prototypeKeyDocument: fc.Arbitrary<{ text: string; hasProto: boolean }> = fc
  .record({
    depth: fc.integer({ min: 0, max: 6 }),
    key: fc.constantFrom(...PROTOTYPE_KEYS),
    flow: fc.boolean(),
  })
  .map(({ depth, key, flow }) => {
    // traits > visits > count > where > context.page.path > { eq }: the key goes in at `depth`.
    const comparison = new Map<string, unknown>([['eq', '/pricing']]);
    const where = new Map<string, unknown>([['context.page.path', comparison]]);
    const count = new Map<string, unknown>([
      ['event', 'Viewed'],
      ['window', '7d'],
      ['where', where],
    ]);
    const visits = new Map<string, unknown>([['count', count]]);
    const traits = new Map<string, unknown>([['visits', visits]]);
    const root = new Map<string, unknown>([['traits', traits]]);
    const levels = [root, traits, visits, count, where, comparison];
    levels[Math.min(depth, levels.length - 1)]?.set(key, new Map([['x', 1]]));
    return { text: toYaml(root, 0, flow).replace(/^\n/, ''), hasProto: key === '__proto__' };
  });

// ---------------------------------------------------------------------------------------------
// Alias bombs and deep nesting.

export const aliasBomb: fc.Arbitrary<{ text: string; expanded: number }> = fc
  .record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 16 }) })
  .map(({ levels, width }) => {
    const lines = ['traits:', '  bomb:', '    count:', '      event: E', '      window: 7d', '      where:'];
    lines.push(`        l0: &l0 { in: [${Array(width).fill('x').join(', ')}] }`);
    for (let level = 1; level < levels; level++)
      lines.push(
        `        l${level}: &l${level} [${Array(width)
          .fill(`*l${level - 1}`)
          .join(', ')}]`,
      );
    let expanded = 0;
    let size = width + 2;
    for (let level = 1; level < levels; level++) {
      expanded += width * size;
      size = width * size + 1;
    }
    return { text: `${lines.join('\n')}\n`, expanded };
  });

export const deepNesting: fc.Arbitrary<{ text: string; depth: number }> = fc
  .record({
    depth: fc.integer({ min: 1, max: 3000 }),
    style: fc.constantFrom('flow-seq', 'flow-map', 'block-map', 'compact-seq', 'rule'),
  })
  .map(({ depth, style }) => {
    switch (style) {
      case 'flow-seq':
        return { depth, text: `traits: ${'['.repeat(depth)}${']'.repeat(depth)}\n` };
      case 'flow-map':
        return { depth, text: `traits: ${'{ a: '.repeat(depth)}1${' }'.repeat(depth)}\n` };
      case 'block-map':
        return {
          depth,
          text: `traits:\n${Array.from({ length: Math.min(depth, 1200) }, (_, i) => `${' '.repeat(i + 2)}k${i}:`).join('\n')} 1\n`,
        };
      case 'compact-seq':
        return { depth, text: `traits:\n  t: ${'- '.repeat(depth)}x\n` };
      default:
        return {
          depth,
          text: `audiences:\n  deep:\n    rule: ${'{ not: '.repeat(depth)}{ trait: plan, eq: pro }${' }'.repeat(depth)}\n`,
        };
    }
  });

// ---------------------------------------------------------------------------------------------
// Patterns: RE2 must refuse them or match in bounded time.

export const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string }>((tie) => ({
  re: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      'a',
      '.',
      '\\s',
      '\\S',
      '[\\s\\S]',
      '\\w',
      '\\d',
      '[ab]',
      '(?i)x',
      '\\p{Greek}',
      '$',
      '^',
      '\\b',
    ),
    fc
      .tuple(tie('re'), fc.constantFrom('*', '+', '?', '{2}', '{1000}', '{0,1000}', '{1001}', '*?'))
      .map(([inner, q]) => `(?:${inner})${q}`),
    fc.tuple(tie('re'), tie('re')).map(([a, b]) => `${a}${b}`),
    fc.tuple(tie('re'), tie('re')).map(([a, b]) => `(${a}|${b})`),
    fc.constantFrom(
      '(a+)+$',
      '(a|a)*b',
      '(.*a){20}',
      '([a-z]+)*$',
      '(\\w+\\s?)*$',
      '(a+)\\1',
      '(?=a)',
      '[',
      '(?P<n>a)',
    ),
  ),
})).re;

/** Single-quoted YAML text. */
export function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
