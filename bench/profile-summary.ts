/**
 * Summarizes a V8 .cpuprofile (from `BENCH_PROFILE=1 npm run bench`, or `node --cpu-prof`):
 * top functions by self time, by total (inclusive) time, and self time per package / source file.
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/track.relay [top]
 *
 * Given a directory (one profile per thread), summarizes the profile with the most busy time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Not work: the thread was waiting. ((program) is native work outside JS and counts as busy.) */
const IDLE = new Set(['(idle)']);

function main(): void {
  const [target, topText] = process.argv.slice(2);
  if (target === undefined)
    throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile | dir> [top]');
  const top = Number(topText ?? 25);
  const [file, profile] = busiestProfile(target);
  const times = sampleTimes(profile);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = parentsOf(profile.nodes);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const groups = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const ms = times[i] ?? 0;
    if (node === undefined) return;
    if (IDLE.has(node.callFrame.functionName)) return void (idle += ms);
    busy += ms;
    add(self, functionKey(node.callFrame), ms);
    add(groups, groupOf(node.callFrame), ms);
    for (const key of stackKeys(id, nodes, parents)) add(total, key, ms);
  });
  const out = [
    `${file}: ${format(busy)} ms busy, ${format(idle)} ms idle`,
    table('self time', self, busy, top),
    table('total (inclusive) time', total, busy, top),
    table('self time by package / file', groups, busy, top),
  ];
  process.stdout.write(`${out.join('\n\n')}\n`);
}

function busiestProfile(target: string): [string, CpuProfile] {
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(target, name))
    : [target];
  const loaded = files.map((file): [string, CpuProfile] => [
    file,
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
  ]);
  const busyOf = ([, profile]: [string, CpuProfile]) => busyMs(profile);
  const busiest = loaded.sort((a, b) => busyOf(b) - busyOf(a))[0];
  if (busiest === undefined) throw new Error(`no .cpuprofile in ${target}`);
  return busiest;
}

function busyMs(profile: CpuProfile): number {
  const idleIds = new Set(
    profile.nodes.filter((node) => IDLE.has(node.callFrame.functionName)).map((node) => node.id),
  );
  const times = sampleTimes(profile);
  return profile.samples.reduce((sum, id, i) => (idleIds.has(id) ? sum : sum + (times[i] ?? 0)), 0);
}

/** Milliseconds attributed to each sample (V8 records the delta before each sample, in µs). */
function sampleTimes(profile: CpuProfile): number[] {
  return profile.samples.map((_, i) => (profile.timeDeltas[i + 1] ?? 0) / 1000);
}

function parentsOf(nodes: ProfileNode[]): Map<number, number> {
  const parents = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  return parents;
}

/** Each distinct function on the sample's stack once (recursion counted once). */
function stackKeys(id: number, nodes: Map<number, ProfileNode>, parents: Map<number, number>): Set<string> {
  const keys = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
    const node = nodes.get(current);
    if (node !== undefined && node.callFrame.functionName !== '(root)') keys.add(functionKey(node.callFrame));
  }
  return keys;
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url === '' ? name : `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function groupOf(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const url = frame.url;
  const modules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (modules?.[1] !== undefined) return modules[1];
  if (url.startsWith('node:')) return 'node core';
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const src = url.search(/\/(src|bench|test)\//);
  return src === -1 ? url.replace(/^file:\/\//, '') : url.slice(src + 1);
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

function table(title: string, map: Map<string, number>, busy: number, top: number): string {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(
    ([key, ms]) => `${format(ms).padStart(9)} ms ${percent(ms, busy).padStart(6)}  ${key}`,
  );
  return [`-- ${title} (top ${top}, % of busy) --`, ...lines].join('\n');
}

function format(ms: number): string {
  return ms.toFixed(0);
}

function percent(ms: number, busy: number): string {
  return busy === 0 ? '-' : `${((ms / busy) * 100).toFixed(1)}%`;
}

main();
