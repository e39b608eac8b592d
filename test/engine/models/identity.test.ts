/**
 * What a model file records with every score (docs/models.md "Versions and shadow models"): its own
 * `version` and the hash of its text; and the mapping loader's checks of a `shadow:` file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModel, parseModelText } from '../../../src/engine/models/load.js';
import { canonicalJson } from '../../../src/lib/hash.js';
import { formatConfigError, loadMappings } from '../../../src/mappings/load.js';

const root = mkdtempSync(join(tmpdir(), 'relay-model-identity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const logistic = (extra: object) => ({ kind: 'logistic', intercept: 0, coefficients: { a: 1 }, ...extra });

describe('model identity', () => {
  it.each([
    [{ version: '2025-06-01' }, '2025-06-01'],
    [{ version: 7 }, '7'],
    [{}, null],
  ])('version %j is recorded as %j, with the hash of the file text', (extra, version) => {
    const text = JSON.stringify(logistic(extra), null, 2);
    const result = parseModelText(text);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.model.identity).toEqual({ version, hash: sha16(text) });
  });

  it('a tree ensemble records its version too; a parsed value is hashed as canonical JSON', () => {
    const trees = {
      kind: 'trees',
      version: 'r12',
      objective: 'binary:logistic',
      base_score: 0.5,
      trees: [{ nodeid: 0, leaf: 0.1 }],
    };
    const result = parseModel(trees);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.model.identity).toEqual({ version: 'r12', hash: sha16(canonicalJson(trees)) });
  });

  it.each([
    [{ version: '' }, 'version: must not be empty'],
    [{ version: true }, 'version: must be a string such as "2025-06-01" or a number'],
  ])('refuses version %j', (extra, message) => {
    const result = parseModelText(JSON.stringify(logistic(extra)));
    expect(result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      message,
    ]);
  });
});

describe('a shadow model in the mapping files', () => {
  it('is checked at load like the live model, its problems reported at model.shadow', () => {
    const mappings = join(root, 'mappings');
    mkdirSync(mappings);
    mkdirSync(join(root, 'models'));
    writeFileSync(join(root, 'models', 'live.json'), JSON.stringify(logistic({})));
    writeFileSync(join(root, 'models', 'broken.json'), JSON.stringify(logistic({ intercept: 'x' })));
    writeFileSync(join(mappings, 'sources.yaml'), 'sources:\n  web: { write_key: a-long-write-key }\n');
    writeFileSync(
      join(mappings, 'traits.yaml'),
      'traits:\n  p:\n    model: { file: models/live.json, shadow: models/broken.json }\n',
    );
    const result = loadMappings(mappings, {});
    expect(
      result.ok ? [] : result.errors.map((error) => formatConfigError(error).replace(`${root}/`, '')),
    ).toEqual([
      'mappings/traits.yaml:3:46: traits.p.model.shadow: model file models/broken.json:1:32: intercept: must be a number',
    ]);
  });
});
