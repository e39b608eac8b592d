import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mappingsJsonSchemaText } from '../../src/mappings/json-schema.js';
import { formatConfigError, loadMappings } from '../../src/mappings/load.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;

describe('mapping files', () => {
  it('reports every error of every file at once, with file:line:column and path', () => {
    const result = loadMappings(`${fixtures}invalid`, { SOME_SECRET: 'a-secret-value' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.errors.map((error) => formatConfigError(error).replace(fixtures, ''));
    expect(lines).toEqual([
      'invalid/a-sources.yaml:6:16: sources.Bad-Name.write_key: environment variable MISSING_WRITE_KEY is not set',
      'invalid/a-sources.yaml:3:16: sources.web.write_key: write_key must be at least 8 characters',
      'invalid/a-sources.yaml:4:5: sources.web.webhook_sekret: unknown key "webhook_sekret"',
      'invalid/a-sources.yaml:5:3: sources.Bad-Name: names are lower_snake_case: a letter, then letters, digits or _',
      'invalid/a-sources.yaml:8:21: identity.allowed_lateness: "7 days" is not a duration such as 30s, 15m, 48h, 7d or 4w',
      'invalid/b-more.yaml:5:14: events.retention: "forever" is not a duration such as 30s, 15m, 48h, 7d or 4w',
    ]);
  });

  it('never prints the values of environment variables', () => {
    const result = loadMappings(`${fixtures}invalid`, { SOME_SECRET: 'a-secret-value' });
    expect(JSON.stringify(result)).not.toContain('a-secret-value');
  });

  it('refuses a source defined in two files', () => {
    const result = loadMappings(`${fixtures}invalid`, {
      SOME_SECRET: 'x',
      MISSING_WRITE_KEY: 'long-enough-key',
    });
    expect(result.ok).toBe(false);
  });

  it('loads valid files with ${NAME} and ${NAME:-fallback} substituted and defaults filled', () => {
    const result = loadMappings(`${fixtures}valid`, { WEB_KEY: 'web-key-from-env' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sources).toEqual({
      web: { write_key: 'web-key-from-env' },
      app: { write_key: 'fallback-app-key' },
    });
    expect(result.config.events).toEqual({
      retention: 400 * 86_400_000,
      dedupe_window: 2 * 86_400_000,
      delivery_log_retention: 30 * 86_400_000,
    });
    expect(result.config.identity.allowed_lateness).toBe(7 * 86_400_000);
  });

  it('accepts the example mappings shipped in mappings/', () => {
    const result = loadMappings(new URL('../../mappings', import.meta.url).pathname, {}, DESTINATIONS);
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([]);
  });

  it('has a committed JSON Schema that matches the zod schemas (regenerate: npm run schema)', () => {
    const committed = readFileSync(new URL('../../schema/mappings.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(mappingsJsonSchemaText());
  });
});
