import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveConfig, type ApplyConfig, type ReloadTrigger } from '../../src/config/live-config.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { RelayConfig } from '../../src/mappings/schema.js';
import { copyMappings } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * One reload path: whatever triggers it, a configuration is in force only once the background
 * (processing, backfill, delivery; possibly in its own thread) has taken it. A refusal there is a
 * refused reload like a load error: reported, logged, and the last good configuration stays.
 */
let root: string;
let mappingsDir: string;
let logLines: { level: number; msg: string; errors?: string[] }[];
let live: LiveConfig<string[]>;

beforeEach(async () => {
  root = makeTempDir('relay-live-config-');
  mappingsDir = copyMappings(root);
  logLines = [];
  const logger = createLogger(
    { level: 'info' },
    { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) },
  );
  live = new LiveConfig(
    mappingsDir,
    {},
    async (config) => Object.keys(config.traits),
    DESTINATIONS,
    new ManualClock(Date.parse('2026-01-01T00:00:00Z')),
    logger,
  );
  expect((await live.reload('startup')).ok).toBe(true);
});

afterEach(() => {
  live.close();
  removeTempDir(root);
});

function addTrait(name: string): void {
  writeFileSync(
    join(mappingsDir, `${name}.yaml`),
    `traits:\n  ${name}:\n    count: { event: Clicked, window: 7d }\n`,
  );
}

describe('LiveConfig', () => {
  it('hands every reload to the background, with its trigger, once it is built', async () => {
    const applied: { trigger: ReloadTrigger; traits: string[]; derived: string[] }[] = [];
    live.onReloaded(async (config, trigger) => {
      applied.push({ trigger, traits: Object.keys(config.traits), derived: live.derived });
      return [];
    });
    addTrait('clicks_7d');
    for (const trigger of ['file', 'signal', 'api'] as const)
      expect((await live.reload(trigger)).ok).toBe(true);
    expect(applied.map((entry) => entry.trigger)).toEqual(['file', 'signal', 'api']);
    for (const entry of applied) {
      expect(entry.traits).toContain('clicks_7d');
      // The background reads the new configuration through the holder while it takes it.
      expect(entry.derived).toEqual(entry.traits);
    }
  });

  it('refuses a configuration the background refuses: reported, logged, the last good one stays', async () => {
    const before = live.config;
    live.onReloaded(async () => [
      {
        file: mappingsDir,
        line: 1,
        column: 1,
        path: '',
        message: 'background thread: model file unreadable',
      },
    ]);
    addTrait('clicks_7d');
    const result = await live.reload('file');
    expect(result).toMatchObject({ ok: false, trigger: 'file' });
    expect(result.errors.map((error) => error.message)).toEqual(['background thread: model file unreadable']);
    expect(live.lastReload).toBe(result);
    expect(live.config).toBe(before);
    expect(live.derived).not.toContain('clicks_7d');
    const warning = logLines.find((line) => line.msg === 'configuration refused; keeping the last good one');
    expect(warning?.errors?.[0]).toContain('model file unreadable');
  });

  it('refuses a configuration when handing it over fails (the background thread is gone)', async () => {
    const before = live.config;
    live.onReloaded(async () => {
      throw new Error('background thread exited (code 1)');
    });
    addTrait('clicks_7d');
    const result = await live.reload('signal');
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.message).toBe('background thread exited (code 1)');
    expect(live.config).toBe(before);
  });

  it('runs reloads one at a time, in the order asked', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const apply: ApplyConfig = async (_config, trigger) => {
      order.push(`start ${trigger}`);
      if (trigger === 'file') await firstHeld;
      order.push(`end ${trigger}`);
      return [];
    };
    live.onReloaded(apply);
    const first = live.reload('file');
    const second = live.reload('api');
    await delay(10);
    expect(order).toEqual(['start file']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['start file', 'end file', 'start api', 'end api']);
  });

  it('applies a configuration loaded elsewhere (the background thread takes the HTTP thread’s)', async () => {
    const config: RelayConfig = { ...live.config, traits: {} };
    const result = await live.use(config, 'api');
    expect(result).toMatchObject({ ok: true, trigger: 'api', files: [] });
    expect(live.config).toBe(config);
    expect(live.derived).toEqual([]);
  });
});
