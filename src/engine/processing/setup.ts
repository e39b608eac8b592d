import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { canonicalJson, sha256Hex } from '../../lib/hash.js';
import type { RelayConfig } from '../../mappings/schema.js';
import { loadModelFile } from '../models/load.js';
import { createTraitEngine } from '../traits/engine.js';
import type { ProcessingSetup } from './processor.js';

/**
 * Builds what processing needs from a configuration. Model files are resolved against the folder
 * that holds the mappings folder (so `models/p.json` sits beside `mappings/`), and a model file's
 * content is part of its trait's hash. Throws (naming the file and field) when a model is invalid.
 */
export function buildProcessingSetup(config: RelayConfig, mappingsDir: string): ProcessingSetup {
  const root = dirname(resolve(mappingsDir));
  const modelPath = (file: string) => (isAbsolute(file) ? file : resolve(root, file));
  const loadModel = (file: string) => loadModelFile(modelPath(file));
  const defs = config.traits;
  const single = Object.fromEntries(
    Object.entries(defs).map(([name, def]) => [name, createTraitEngine({ [name]: def }, { loadModel })]),
  );
  const hashes = Object.fromEntries(
    Object.entries(defs).map(([name, def]) => {
      const model = def.kind === 'model' ? readFileSync(modelPath(def.file), 'utf8') : '';
      return [name, sha256Hex(`${canonicalJson(def)}\n${model}`).slice(0, 16)];
    }),
  );
  return {
    identifiers: config.identity.identifiers,
    traits: {
      engine: createTraitEngine(defs, { loadModel }),
      single,
      hashes,
      allowedLatenessMs: config.identity.allowed_lateness,
    },
  };
}
