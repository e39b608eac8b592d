import type { Command } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { RebuildRunning, RebuildView } from '../../admin/api-schema.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { formatTime, printJson, printLines } from '../output.js';
import { positiveInt } from '../parse.js';

interface RebuildOptions extends ConnectionOptions {
  json?: boolean;
  wait: boolean;
  interval: number;
}

/**
 * `rebuild`: the relay recomputes every profile from its event log (intake goes on), then sends
 * destinations only what changed. Waits and prints progress until done, unless `--no-wait`.
 */
export function registerRebuild(program: Command): void {
  withConnection(
    program
      .command('rebuild')
      .description('recompute identities, traits and audiences from the stored events; send only net changes')
      .option('--no-wait', 'return once the rebuild is requested')
      .option('--interval <ms>', 'how often to ask for progress', positiveInt(50), 1000)
      .option('--json', 'print the API answer as JSON (the final one, unless --no-wait)'),
  ).action(async (options: RebuildOptions) => {
    const client = new AdminClient(options);
    // 202: started; 409: one is running, and this command follows it.
    const answer = await client.post(z.union([RebuildRunning, RebuildView]), '/rebuild', undefined, [409]);
    const running = 'rebuild' in answer;
    let view = 'rebuild' in answer ? answer.rebuild : answer;
    if (!options.json) {
      printLines([
        running
          ? `rebuild ${view.id} is already running (requested ${formatTime(view.requestedAt)})`
          : `rebuild ${view.id} requested`,
      ]);
    }
    if (!options.wait) return options.json ? printJson(view) : undefined;
    let last = '';
    while (!view.done) {
      await delay(options.interval);
      view = await client.get(RebuildView, '/rebuild');
      const line = progressLine(view);
      if (!options.json && line !== last) printLines([line]);
      last = line;
    }
    if (options.json) return printJson(view);
    const seconds =
      view.startedAt && view.finishedAt
        ? (Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000
        : 0;
    printLines([
      `rebuild ${view.id} done in ${seconds.toFixed(1)} s: ${view.events.total} events replayed, ` +
        `${view.profiles.total} profiles`,
    ]);
  });
}

function progressLine(view: RebuildView): string {
  const error = view.error ? `  (retrying after: ${view.error})` : '';
  switch (view.status) {
    case 'requested':
      return `waiting to start${error}`;
    case 'replaying':
      return `replaying events  ${view.events.done}/${view.events.total} ${percent(view.events)}${error}`;
    case 'folding':
      return `folding delivery state of old profiles  ${view.profiles.done}/${view.profiles.total}${error}`;
    case 'emitting':
      return `emitting profiles  ${view.profiles.done}/${view.profiles.total} ${percent(view.profiles)}${error}`;
    case 'done':
      return 'done';
  }
}

function percent(progress: { done: number; total: number }): string {
  return progress.total === 0 ? '(100%)' : `(${Math.floor((100 * progress.done) / progress.total)}%)`;
}
