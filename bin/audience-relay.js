#!/usr/bin/env node
// In a checkout (sources and tsx present) runs the TypeScript sources, so the CLI is never stale;
// in a built image (no sources) runs the compiled JavaScript.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/index.ts', import.meta.url);
const compiled = new URL('../dist/src/cli/index.js', import.meta.url);

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const tsx = existsSync(source) ? await loadTsx() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import(compiled.href);
}
