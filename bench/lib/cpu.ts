import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Linux USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return (user + system) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds this (load generator) process has used so far. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Busy CPU seconds of the whole machine so far (every core; idle and iowait left out). */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export type LoadAverage = [number, number, number];

export function loadAverage(): LoadAverage {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return [round(one, 2), round(five, 2), round(fifteen, 2)];
}

export interface CpuSnapshot {
  at: number;
  server: number | undefined;
  bench: number;
  machine: number | undefined;
}

/** Where the CPU went during a measurement, in cores (1.0 = one core busy the whole time). */
export interface CpuShare {
  serverCores: number | undefined;
  loadGeneratorCores: number;
  /** Everything else on the machine: other processes competing for the same cores. */
  otherCores: number | undefined;
  machineBusyCores: number | undefined;
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  return {
    at: performance.now(),
    server: processCpuSeconds(serverPid),
    bench: ownCpuSeconds(),
    machine: machineBusySeconds(),
  };
}

export function cpuShare(before: CpuSnapshot, after: CpuSnapshot): CpuShare {
  const seconds = (after.at - before.at) / 1000;
  const cores = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : round((b - a) / seconds, 2);
  const serverCores = cores(before.server, after.server);
  const loadGeneratorCores = cores(before.bench, after.bench) ?? 0;
  const machineBusyCores = cores(before.machine, after.machine);
  const otherCores =
    machineBusyCores === undefined || serverCores === undefined
      ? undefined
      : round(Math.max(0, machineBusyCores - serverCores - loadGeneratorCores), 2);
  return { serverCores, loadGeneratorCores, otherCores, machineBusyCores };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
