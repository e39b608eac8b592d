import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startRelayProcess, type RelayProcess } from '../../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';

const ADMIN_TOKEN = 'reload-signal-admin-token-000001';
const dir = makeTempDir('relay-sighup-');
let relay: RelayProcess | undefined;

afterAll(async () => {
  await relay?.stop();
  removeTempDir(dir);
});

async function config(): Promise<{ traits: string[]; lastReload: { trigger: string; ok: boolean } }> {
  const res = await fetch(`${relay?.url}/admin/api/config`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return (await res.json()) as { traits: string[]; lastReload: { trigger: string; ok: boolean } };
}

describe('SIGHUP', () => {
  it('reloads the mapping files of a running relay', async () => {
    cpSync(join(REPO_ROOT, 'mappings'), join(dir, 'mappings'), { recursive: true });
    cpSync(join(REPO_ROOT, 'models'), join(dir, 'models'), { recursive: true });
    relay = await startRelayProcess({
      storeUrl: `sqlite:${join(dir, 'relay.db')}`,
      adminToken: ADMIN_TOKEN,
      env: { MAPPINGS_DIR: join(dir, 'mappings') },
    });
    expect((await config()).lastReload.trigger).toBe('startup');
    writeFileSync(
      join(dir, 'mappings', 'extra.yaml'),
      'traits:\n  signups:\n    count: { event: Signed Up, window: 30d }\n',
    );
    relay.signal('SIGHUP');
    let seen = await config();
    for (let attempt = 0; attempt < 100 && !seen.traits.includes('signups'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await config();
    }
    expect(seen.traits).toContain('signups');
    expect(seen.lastReload.ok).toBe(true);
    relay.signal('SIGHUP');
    for (let attempt = 0; attempt < 100 && seen.lastReload.trigger !== 'signal'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await config();
    }
    expect(seen.lastReload.trigger).toBe('signal');
  }, 60_000);
});
