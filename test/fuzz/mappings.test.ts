import fc from 'fast-check';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { parseModelText } from '../../src/engine/models/load.js';
import type { ConfigError } from '../../src/mappings/config-error.js';
import { formatConfigError, parseMappingFile } from '../../src/mappings/load.js';
import { mergeFiles, type ParsedFile } from '../../src/mappings/merge.js';
import { REPO_ROOT } from '../helpers/relay-process.js';
import {
  aliasBomb,
  deepNesting,
  documentValue,
  EXAMPLE_FILES,
  fuzzParameters,
  fuzzTimeout,
  generatedDocument,
  mutatedExample,
  pattern,
  prototypeKeyDocument,
  singleQuoted,
} from './mappings-arbitraries.js';

/**
 * The mapping loader under hostile input: whatever the file holds, the answer is a configuration
 * or error values naming the file (line >= 1, column >= 1) and, for a value, its field; never a
 * throw, never a hang, never a polluted prototype.
 */

const MAPPINGS_DIR = join(REPO_ROOT, 'mappings');
const ENV = { X: 'from-env', WEB_KEY: 'web-key-from-env' };
/** Far above what any case takes; a case over it is a hang in the making. */
const CASE_BUDGET_MS = 3000;

function expectErrorValues(errors: readonly ConfigError[], file: string, text: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length + 1;
  for (const error of errors) {
    const line = formatConfigError(error);
    expect(error.file, line).toBe(file);
    expect(Number.isInteger(error.line) && error.line >= 1 && error.line <= lineCount, line).toBe(true);
    expect(Number.isInteger(error.column) && error.column >= 1, line).toBe(true);
    expect(typeof error.path, line).toBe('string');
    expect(error.message.length, line).toBeGreaterThan(0);
  }
}

/** Parses one file (and, when every file parses, merges it with the other examples). */
function load(file: string, text: string): { errors: ConfigError[]; ms: number } {
  const started = performance.now();
  const parsed = parseMappingFile(file, text, ENV);
  let errors = parsed.errors;
  if (parsed.file) {
    const others = EXAMPLE_FILES.filter((example) => join(MAPPINGS_DIR, example.name) !== file).map(
      (example) => parseMappingFile(join(MAPPINGS_DIR, example.name), example.text, ENV).file,
    );
    const files = [...others, parsed.file].filter((f): f is ParsedFile => f !== undefined);
    const merged = mergeFiles(files, DESTINATIONS, { mappingsDir: MAPPINGS_DIR });
    errors = merged.ok ? [] : merged.errors.filter((error) => error.file === file);
  }
  return { errors, ms: performance.now() - started };
}

function expectPrototypesIntact(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.x).toBeUndefined();
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  expect(Object.keys(Object.prototype)).toEqual([]);
}

describe('mapping loader fuzz', () => {
  it(
    'answers mutated example files with a configuration or error values, never a throw',
    () => {
      fc.assert(
        fc.property(mutatedExample, ({ index, text }) => {
          const file = join(MAPPINGS_DIR, EXAMPLE_FILES[index]?.name ?? 'x.yaml');
          const { errors, ms } = load(file, text);
          expectErrorValues(errors, file, text);
          expect(ms).toBeLessThan(CASE_BUDGET_MS);
        }),
        fuzzParameters(),
      );
      expectPrototypesIntact();
    },
    fuzzTimeout(),
  );

  it(
    'answers generated documents of wrong types and odd keys with errors naming the field',
    () => {
      fc.assert(
        fc.property(generatedDocument, (text) => {
          const { errors, ms } = load('generated.yaml', text);
          expectErrorValues(errors, 'generated.yaml', text);
          expect(ms).toBeLessThan(CASE_BUDGET_MS);
        }),
        fuzzParameters(),
      );
      expectPrototypesIntact();
    },
    fuzzTimeout(),
  );

  it(
    'refuses __proto__ at every depth, and never lets a prototype key through silently',
    () => {
      fc.assert(
        fc.property(prototypeKeyDocument, ({ text, hasProto }) => {
          const result = parseMappingFile('proto.yaml', text, ENV);
          expectErrorValues(result.errors, 'proto.yaml', text);
          const lines = result.errors.map(formatConfigError);
          if (hasProto)
            expect(lines.some((line) => line.includes('"__proto__" cannot be used as a key'))).toBe(true);
          // Any other key there is an unknown key, a reserved or invalid name, or a where path.
          if (result.file) expect(JSON.stringify(result.file.content)).not.toContain('"x":1');
        }),
        fuzzParameters(),
      );
      expectPrototypesIntact();
    },
    fuzzTimeout(),
  );

  it(
    'refuses alias bombs by their expansion, and takes modest anchor reuse',
    () => {
      fc.assert(
        fc.property(aliasBomb, ({ text, expanded }) => {
          const { errors, ms } = load('bomb.yaml', text);
          expectErrorValues(errors, 'bomb.yaml', text);
          expect(ms).toBeLessThan(CASE_BUDGET_MS);
          const refusedForAliases = errors.some((error) => /aliases/.test(error.message));
          if (expanded > 100_000) expect(refusedForAliases, `${expanded} values`).toBe(true);
          else expect(refusedForAliases).toBe(false);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'refuses deep nesting as an error value, quickly, whatever the style',
    () => {
      fc.assert(
        fc.property(deepNesting, ({ text, depth }) => {
          const { errors, ms } = load('deep.yaml', text);
          expectErrorValues(errors, 'deep.yaml', text);
          expect(ms).toBeLessThan(CASE_BUDGET_MS);
          if (depth > 110)
            expect(errors.some((error) => /levels deep|nest more than/.test(error.message))).toBe(true);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'refuses a pattern RE2 cannot run or that is too large, and matches every other one quickly',
    () => {
      const subjects = [
        'ab'.repeat(16_000),
        `${'a'.repeat(32_000)}!`,
        ' '.repeat(32_000),
        'x\n'.repeat(16_000),
      ];
      fc.assert(
        fc.property(pattern, (re) => {
          const text = `traits:\n  t:\n    count:\n      event: E\n      window: 7d\n      where: { title: { matches: ${singleQuoted(re)} } }\n`;
          const result = parseMappingFile('pattern.yaml', text, ENV);
          expectErrorValues(result.errors, 'pattern.yaml', text);
          if (!result.file) {
            expect(result.errors.map((error) => error.path)).toContain('traits.t.count.where.title.matches');
            return;
          }
          const compiled = RE2JS.compile(re);
          const started = performance.now();
          for (const subject of subjects) compiled.test(subject);
          expect(performance.now() - started, re).toBeLessThan(1000);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'answers model files of any shape with issues, never a throw',
    () => {
      fc.assert(
        fc.property(documentValue, fc.boolean(), (value, asLogistic) => {
          const json = JSON.stringify(toJson(value));
          const text = asLogistic
            ? `{"kind":"logistic","intercept":0,"coefficients":${json}}`
            : `{"kind":"trees","objective":"binary:logistic","base_score":0.5,"trees":[${json}]}`;
          const result = parseModelText(text);
          if (!result.ok)
            for (const issue of result.issues) {
              expect(typeof issue.path).toBe('string');
              expect(issue.message.length).toBeGreaterThan(0);
            }
        }),
        fuzzParameters(),
      );
      expectPrototypesIntact();
    },
    fuzzTimeout(),
  );
});

/** Maps -> objects with own keys (`__proto__` included, as JSON.parse would make them). */
function toJson(value: unknown): unknown {
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, child] of value)
      Object.defineProperty(object, String(key), {
        value: toJson(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return object;
  }
  if (Array.isArray(value)) return value.map(toJson);
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
