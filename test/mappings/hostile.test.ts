import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { loadModelFile, parseModelText } from '../../src/engine/models/load.js';
import { buildProcessingSetup } from '../../src/engine/processing/setup.js';
import { buildErrors, checkConfig } from '../../src/mappings/check.js';
import { formatConfigError, loadMappings, parseMappingFile } from '../../src/mappings/load.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { findCaseError, rootWithCase, RUNNABLE_CASES, type CaseRoot } from './hostile-setup.js';

/**
 * The loader never throws and never hangs: every bad file, and everything named like one, is an
 * error value at file:line, and what it accepts the relay accepts at start.
 */

let current: CaseRoot | undefined;
let temp: string | undefined;

afterEach(async () => {
  await current?.dispose();
  current = undefined;
  removeTempDir(temp);
  temp = undefined;
});

function lines(result: ReturnType<typeof loadMappings>): string[] {
  return result.ok ? [] : result.errors.map(formatConfigError);
}

function dirWith(files: Record<string, string>): string {
  temp = makeTempDir('relay-loader-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(temp, name), text);
  return temp;
}

describe('hostile mapping files', () => {
  for (const hostile of RUNNABLE_CASES) {
    it(`refuses ${hostile.name} with file:line, quickly`, async () => {
      current = rootWithCase(hostile);
      const started = Date.now();
      const result = loadMappings(current.mappingsDir, {}, DESTINATIONS);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.ok).toBe(false);
      const found = findCaseError(lines(result), current.entry, hostile);
      expect(found, lines(result).join('\n')).toBeDefined();
      // Without it, the same directory loads: the refusal was about that entry alone.
      await current.remove();
      expect(lines(loadMappings(current.mappingsDir, {}, DESTINATIONS))).toEqual([]);
    });
  }
});

describe('limits that still let real files through', () => {
  it('accepts an anchor reused 120 times (more than the YAML library allows by default)', () => {
    const reuses = Array.from({ length: 120 }, (_, i) => `  reuse_${i}: { count: *counted }\n`).join('');
    const dir = dirWith({
      'a.yaml': `traits:\n  first: { count: &counted { event: Signed Up, window: 7d } }\n${reuses}`,
    });
    const result = loadMappings(dir, {});
    expect(lines(result)).toEqual([]);
    if (result.ok) expect(Object.keys(result.config.traits)).toHaveLength(121);
  });

  it('takes names up to 64 characters, and refuses longer ones', () => {
    const long = `a${'b'.repeat(63)}`;
    expect(
      lines(loadMappings(dirWith({ 'a.yaml': `sources:\n  ${long}: { write_key: key-12345 }\n` }), {})),
    ).toEqual([]);
    removeTempDir(temp);
    const result = loadMappings(
      dirWith({ 'a.yaml': `sources:\n  ${long}c: { write_key: key-12345 }\n` }),
      {},
    );
    expect(lines(result)).toEqual([`${temp}/a.yaml:2:3: sources.${long}c: names are at most 64 characters`]);
  });

  it('bounds durations: 3650d is the longest, 0 only where it means something', () => {
    const file = (window: string, extra = '') =>
      `identity: { allowed_lateness: 0s }\ntraits:\n  t: { count: { event: E, window: ${window} } }\n${extra}`;
    expect(lines(loadMappings(dirWith({ 'a.yaml': file('3650d') }), {}))).toEqual([]);
    removeTempDir(temp);
    expect(lines(loadMappings(dirWith({ 'a.yaml': file('3651d') }), {}))).toEqual([
      `${temp}/a.yaml:3:35: traits.t.count.window: "3651d" is longer than the limit of 3650d (about 10 years)`,
    ]);
    removeTempDir(temp);
    const destination = (limits: string) =>
      `destinations:\n  braze:\n    type: braze\n    settings: { endpoint: http://127.0.0.1:4101, api_key: test-braze-key }\n    limits: { ${limits} }\n`;
    expect(
      lines(
        loadMappings(dirWith({ 'a.yaml': destination('max_wait: 0ms, timeout: 10m') }), {}, DESTINATIONS),
      ),
    ).toEqual([]);
    removeTempDir(temp);
    expect(
      lines(
        loadMappings(dirWith({ 'a.yaml': destination('timeout: 11m, max_retry_age: 0s') }), {}, DESTINATIONS),
      ),
    ).toEqual([
      `${temp}/a.yaml:5:24: destinations.braze.limits.timeout: "11m" is longer than the limit of 10m`,
      `${temp}/a.yaml:5:44: destinations.braze.limits.max_retry_age: must be longer than 0`,
    ]);
  });

  it('gives the merged sections no prototype, so no name can reach one', () => {
    const result = loadMappings(new URL('../../mappings', import.meta.url).pathname, {}, DESTINATIONS);
    if (!result.ok) throw new Error(lines(result).join('\n'));
    for (const section of ['sources', 'traits', 'audiences', 'destinations'] as const)
      expect(Object.getPrototypeOf(result.config[section])).toBeNull();
    expect(result.config.traits.constructor).toBeUndefined();
  });
});

describe('directories and file counts', () => {
  it('refuses a missing mappings directory, or a file in its place, as an error value', () => {
    temp = makeTempDir('relay-loader-');
    expect(lines(loadMappings(join(temp, 'nowhere'), {}))).toEqual([
      `${temp}/nowhere:1:1: the mappings directory does not exist`,
    ]);
    writeFileSync(join(temp, 'file'), 'sources: {}\n');
    expect(lines(loadMappings(join(temp, 'file'), {}))).toEqual([
      `${temp}/file:1:1: the mappings directory is not a directory`,
    ]);
  });

  it.skipIf(process.platform === 'win32')("ignores hidden entries, such as an editor's lock link", () => {
    const dir = dirWith({ 'a.yaml': `traits:\n  t: { count: { event: E, window: 7d } }\n` });
    symlinkSync('someone@host.1234:1700000000', join(dir, '.#a.yaml'));
    expect(lines(loadMappings(dir, {}))).toEqual([]);
  });

  it('refuses more than 200 mapping files without reading them', () => {
    temp = makeTempDir('relay-loader-');
    for (let i = 0; i <= 200; i++) writeFileSync(join(temp, `f${String(i).padStart(3, '0')}.yaml`), '{}\n');
    expect(lines(loadMappings(temp, {}))).toEqual([
      `${temp}:1:1: holds 201 mapping files: over the limit of 200 files`,
    ]);
  });

  it('refuses mapping files over 4 MB together', () => {
    temp = makeTempDir('relay-loader-');
    for (let i = 0; i < 5; i++) writeFileSync(join(temp, `f${i}.yaml`), `# ${'x'.repeat(1000 * 1000)}\n`);
    expect(lines(loadMappings(temp, {}))).toEqual([
      `${temp}/f4.yaml:1:1: the mapping files together are over the limit of 4 MB: not read`,
    ]);
  });

  it('bounds the YAML tokens of all files together (parsing time), reporting the file that went over', () => {
    const many = (prefix: string) =>
      `traits:\n${Array.from({ length: 6500 }, (_, i) => `  ${prefix}${i}: { count: { event: E, window: 7d } }`).join('\n')}\n`;
    const dir = dirWith({ 'a.yaml': many('a'), 'b.yaml': many('b') });
    const started = Date.now();
    const errors = lines(loadMappings(dir, {}));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /\/b\.yaml:\d+:\d+: the mapping files hold more than 250,000 YAML tokens \(keys, values, indicators\) together: over the limit$/,
    );
  });

  it('reports at most 100 schema errors per file, counting the rest', () => {
    const dir = dirWith({
      'a.yaml': `traits:\n${Array.from({ length: 250 }, (_, i) => `  t${i}: not-a-definition`).join('\n')}\n`,
    });
    const errors = lines(loadMappings(dir, {}));
    expect(errors).toHaveLength(101);
    expect(errors[100]).toBe(`${dir}/a.yaml:102:9: and 150 more error(s) in this file, not shown (100 are)`);
  });
});

describe('${NAME} wherever a value can stand', () => {
  it('works inside flow mappings and lists, with fallbacks holding YAML syntax characters', () => {
    const text =
      'sources:\n' +
      '  web: { write_key: ${WEB_KEY}, webhook_secret: ${SECRET:-a,b: c#d [e]} }\n' +
      'identity:\n  identifiers: [${FIRST:-userId}, email]\n' +
      'destinations:\n  braze:\n    type: braze\n' +
      '    settings: { endpoint: ${BRAZE_URL:-http://127.0.0.1:4101/x#y}, api_key: ${KEY} }\n';
    const result = parseMappingFile('f.yaml', text, { WEB_KEY: 'web-key-1234', KEY: 'braze-key-1234' });
    expect(result.errors).toEqual([]);
    expect(result.file?.content.sources).toEqual({
      web: { write_key: 'web-key-1234', webhook_secret: 'a,b: c#d [e]' },
    });
    expect(result.file?.content.identity?.identifiers).toEqual(['userId', 'email']);
    expect(result.file?.content.destinations?.braze?.settings).toEqual({
      endpoint: 'http://127.0.0.1:4101/x#y',
      api_key: 'braze-key-1234',
    });
  });

  it('points a missing variable in a flow mapping at its own line and column', () => {
    const text = 'sources:\n  web: { write_key: long-enough-key, webhook_secret: ${NOT_SET} }\n';
    expect(parseMappingFile('f.yaml', text, {}).errors.map(formatConfigError)).toEqual([
      'f.yaml:2:54: sources.web.webhook_secret: environment variable NOT_SET is not set',
      'f.yaml:2:54: sources.web.webhook_secret: webhook_secret must be at least 8 characters',
    ]);
  });

  it('answers an unfinished reference with one line that says how to fix it', () => {
    const text = 'sources:\n  web: { write_key: ${WEB_KEY, webhook_secret: x }\n';
    const errors = parseMappingFile('f.yaml', text, {}).errors.map(formatConfigError);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^f\.yaml:2:\d+: .*a \$\{NAME\} or \$\{NAME:-fallback\} reference is not finished on this line \(close it with \}\)/,
    );
  });

  it('leaves files that already hold the placeholder characters as written', () => {
    const text = 'sources:\n  web:\n    write_key: "\uE000 literal \uE001 ${KEY:-x}"\n';
    expect(parseMappingFile('f.yaml', text, {}).file?.content.sources?.web?.write_key).toBe(
      '\uE000 literal \uE001 x',
    );
  });
});

describe('one validation path: what the loader accepts, the relay builds', () => {
  it('builds the processing setup of every configuration the loader accepts (the examples, a second model)', () => {
    temp = makeTempDir('relay-loader-');
    const mappingsDir = join(temp, 'mappings');
    mkdirSync(mappingsDir);
    mkdirSync(join(temp, 'models'));
    const models = new URL('../../models/', import.meta.url).pathname;
    for (const name of ['p_convert.json', 'p_convert_logistic.json'])
      writeFileSync(join(temp, 'models', name), readFileSync(join(models, name)));
    for (const name of ['sources.yaml', 'traits.yaml', 'audiences.yaml', 'destinations.yaml'])
      writeFileSync(
        join(mappingsDir, name),
        readFileSync(new URL(`../../mappings/${name}`, import.meta.url)),
      );
    writeFileSync(
      join(mappingsDir, 'more.yaml'),
      'traits:\n  p_logistic:\n    model: { file: models/p_convert_logistic.json }\n',
    );
    const result = loadMappings(mappingsDir, {}, DESTINATIONS);
    if (!result.ok) throw new Error(lines(result).join('\n'));
    expect(() => buildProcessingSetup(result.config, mappingsDir)).not.toThrow();
    expect(checkConfig(result.config, mappingsDir)).toEqual([]);
  });

  it('gives a model refused at build time its own file:line:column', () => {
    temp = makeTempDir('relay-loader-');
    const model = join(temp, 'p.json');
    writeFileSync(
      model,
      '{\n  "kind": "trees",\n  "objective": "binary:logistic",\n  "base_score": 2,\n  "trees": []\n}\n',
    );
    let thrown: unknown;
    try {
      loadModelFile(model);
    } catch (error) {
      thrown = error;
    }
    expect(buildErrors(thrown, temp).map(formatConfigError)).toEqual([
      `${model}:5:12: trees: must hold at least one tree`,
      `${model}:4:17: base_score: must be strictly between 0 and 1 for a logistic objective (it is a probability)`,
    ]);
    expect(buildErrors(new Error('something else'), temp).map(formatConfigError)).toEqual([
      `${temp}:1:1: something else`,
    ]);
  });

  it('refuses model files that would lose keys or nest without bound, as values', () => {
    const withProto = parseModelText(
      '{"kind":"logistic","intercept":0,"coefficients":{"__proto__":1,"lead_score":0.5}}',
    );
    expect(withProto).toEqual({
      ok: false,
      issues: [{ path: 'coefficients.__proto__', message: 'is not allowed as a key' }],
    });
    const deep = parseModelText(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.issues[0]?.message).toBe('nests more than 256 levels deep: over the limit');
  });
});
