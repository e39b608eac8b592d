import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { loadMappings, parseMappingFile, type ConfigError } from '../../src/mappings/load.js';
import type { MappingFile } from '../../src/mappings/schema.js';
import { MAPPINGS_DIR, REPO_ROOT } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { codeBlocks, documentationFiles, type CodeBlock } from './markdown.js';

/**
 * Every ```yaml block of README.md, docs/*.md and src/destinations/<type>/README.md is loaded with
 * the relay's own loader, as a mapping file. An HTML comment on the line before the fence says how:
 *
 * - none: a complete mapping file, loaded alone (with a copy of models/, for `model:` traits);
 * - `<!-- fragment: ... -->`: loaded together with a copy of the example mappings/ and models/; the
 *   examples' definitions of the names the block defines (same section and name; `identity`,
 *   `events` and `budget` as a whole) are taken out of the copy, as if the block had been edited into them;
 * - `<!-- invalid -->` or `<!-- invalid: <text> -->`: a block that shows an error; it must be refused
 *   even with the example mappings beside it, and with `<text>` in one of the errors.
 *
 * `${NAME}` references without a fallback get dummy values; those with one (`${NAME:-x}`) are left
 * unset, as on a fresh machine. A failure names the block as `file:line` (the opening fence) and
 * each error at its line in the Markdown file.
 */

interface Case {
  name: string;
  block: CodeBlock;
  kind: 'complete' | 'fragment' | 'invalid';
  /** For `invalid`: text one of the errors must contain. */
  expected?: string;
}

const BLOCK_FILE = 'doc-block.yaml';
const NAMED_SECTIONS = ['sources', 'traits', 'audiences', 'destinations'] as const;
const SINGLE_SECTIONS = ['identity', 'events', 'budget'] as const;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}\r\n]*)?\}/g;

const CASES: Case[] = documentationFiles()
  .flatMap(codeBlocks)
  .filter((block) => block.lang === 'yaml' || block.lang === 'yml')
  .map((block) => {
    const marker = /^(fragment|invalid)\b:?\s*(.*)$/.exec(block.marker ?? '');
    const kind = marker?.[1] === 'fragment' || marker?.[1] === 'invalid' ? marker[1] : 'complete';
    const expected = kind === 'invalid' && marker?.[2] ? marker[2] : undefined;
    return { name: `${block.file}:${block.line} (${kind})`, block, kind, expected };
  });

/** A value a variable's name suggests: a URL for endpoints, `true` for switches, else a key. */
function dummyValue(name: string): string {
  if (/(ENDPOINT|_URL|_HOST)$/.test(name)) return 'https://dummy.example.com';
  if (/ENABLED$/.test(name)) return 'true';
  return `dummy-${name.toLowerCase().replaceAll('_', '-')}`; // >= 8 characters, distinct per name
}

/** Dummy values for the variables some text uses without a fallback; the others stay unset. */
function environmentFor(texts: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const text of texts)
    for (const [, name = '', fallback] of text.matchAll(REFERENCE))
      if (fallback === undefined) env[name] = dummyValue(name);
  return env;
}

/** An example file without the definitions `block` replaces; unchanged text when it has none. */
function withoutRedefined(text: string, block: MappingFile): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new Error(`an example mapping file does not parse: ${doc.errors[0]?.message}`);
  let changed = false;
  for (const section of NAMED_SECTIONS)
    for (const name of Object.keys(block[section] ?? {}))
      if (doc.hasIn([section, name])) {
        doc.deleteIn([section, name]);
        changed = true;
        const rest = doc.get(section) as { items?: unknown[] } | undefined;
        if (rest?.items?.length === 0) doc.delete(section);
      }
  for (const section of SINGLE_SECTIONS)
    if (block[section] !== undefined && doc.has(section)) {
      doc.delete(section);
      changed = true;
    }
  return changed ? doc.toString({ lineWidth: 0 }) : text;
}

function loadBlock(testCase: Case): { ok: boolean; errors: string[] } {
  const { block } = testCase;
  const root = makeTempDir('relay-doc-yaml-');
  try {
    const dir = join(root, 'mappings');
    mkdirSync(dir);
    cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
    const texts = [block.text];
    if (testCase.kind !== 'complete') {
      const examples = readdirSync(MAPPINGS_DIR).filter((name) => /\.ya?ml$/.test(name));
      const defined = parseMappingFile(BLOCK_FILE, block.text, environmentFor([block.text])).file?.content;
      for (const name of examples) {
        const text = readFileSync(join(MAPPINGS_DIR, name), 'utf8');
        const kept = defined ? withoutRedefined(text, defined) : text;
        writeFileSync(join(dir, name), kept);
        texts.push(kept);
      }
    }
    writeFileSync(join(dir, BLOCK_FILE), block.text);
    const result = loadMappings(dir, environmentFor(texts), DESTINATIONS);
    const where = (error: ConfigError) =>
      error.file.endsWith(BLOCK_FILE)
        ? `${block.file}:${block.line + error.line}:${error.column}`
        : `${error.file.replace(root, '(copy of the examples)')}:${error.line}:${error.column}`;
    const errors = result.ok
      ? []
      : result.errors.map(
          (error) => `${where(error)}:${error.path ? ` ${error.path}:` : ''} ${error.message}`,
        );
    return { ok: result.ok, errors };
  } finally {
    removeTempDir(root);
  }
}

describe('the documentation YAML blocks load with the relay loader', () => {
  it('finds the blocks', () => {
    expect(CASES.length).toBeGreaterThan(0);
  });

  it.each(CASES)('$name', (testCase) => {
    const { ok, errors } = loadBlock(testCase);
    const at = `${testCase.block.file}:${testCase.block.line}`;
    if (testCase.kind === 'invalid') {
      expect(ok, `${at}: marked invalid, but it loads (with the example mappings)`).toBe(false);
      if (testCase.expected !== undefined)
        expect(errors.join('\n'), `${at}: the errors do not say "${testCase.expected}"`).toContain(
          testCase.expected,
        );
      return;
    }
    const how =
      testCase.kind === 'fragment'
        ? 'a fragment, loaded with the example mappings'
        : 'a complete file, loaded alone; mark it <!-- fragment --> if it needs the example mappings';
    expect(errors, `${at}: the yaml block does not load (${how})`).toEqual([]);
  });
});
