import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';

/**
 * The example `destinations.yaml` with only the named destinations kept. The examples switch every
 * destination on with one variable (DESTINATIONS_ENABLED); a test that runs fakes for some of them
 * keeps just those, so the others do not fill its delivery log with connection errors.
 */
export function keepDestinations(mappingsDir: string, names: readonly string[]): void {
  const file = join(mappingsDir, 'destinations.yaml');
  const document = parseDocument(readFileSync(file, 'utf8'));
  const destinations = document.get('destinations');
  if (!isMap(destinations)) throw new Error(`${file} has no destinations map`);
  for (const item of [...destinations.items]) {
    const name = String((item.key as { value?: unknown }).value ?? item.key);
    if (!names.includes(name)) destinations.delete(item.key);
  }
  const missing = names.filter((name) => !destinations.has(name));
  if (missing.length > 0) throw new Error(`the example destinations have no ${missing.join(', ')}`);
  writeFileSync(file, document.toString());
}
