import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
import { formatBytes, formatCount } from './limits.js';

/**
 * Reads configuration files without trusting what the path names: only regular files are read
 * (a directory, FIFO, socket or device named `x.yaml` is refused, and so is a symbolic link to one
 * or a broken link), never more than a limit, and a FIFO never blocks (it is opened non-blocking and
 * checked again once open, in case it was swapped in after the first check). Never throws.
 */

export type ReadResult =
  | { ok: true; text: string; bytes: number }
  | {
      ok: false;
      message: string;
      /** Where the problem is, when it is in the text (not UTF-8). */ line?: number;
      column?: number;
    };

/** What a path is, when it is not a regular file: `a directory`, `a named pipe (FIFO)`... */
export function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** The file's text (UTF-8), or why it was not read. `limitName` names the limit in messages. */
export function readRegularFile(path: string, maxBytes: number, limitName: string): ReadResult {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    return { ok: false, message: accessProblem(error) };
  }
  if (stats.isSymbolicLink()) {
    try {
      stats = statSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return { ok: false, message: 'is a broken symbolic link (its target does not exist)' };
      if (code === 'ELOOP') return { ok: false, message: 'is a symbolic link loop' };
      return { ok: false, message: accessProblem(error) };
    }
    if (!stats.isFile())
      return {
        ok: false,
        message: `is a symbolic link to ${kindOf(stats)}, not to a regular file: not read`,
      };
  }
  if (!stats.isFile()) return { ok: false, message: `is ${kindOf(stats)}, not a regular file: not read` };
  if (stats.size > maxBytes) return { ok: false, message: tooLarge(stats.size, maxBytes, limitName) };

  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, message: accessProblem(error) };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return { ok: false, message: `is ${kindOf(opened)}, not a regular file: not read` };
    const buffer = Buffer.allocUnsafe(Math.min(Math.max(opened.size, 0), maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        // The file grew since it was measured: read on only up to the limit.
        if (length > maxBytes) return { ok: false, message: tooLarge(length, maxBytes, limitName) };
        return readGrowing(fd, buffer, length, maxBytes, limitName);
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) return { ok: false, message: tooLarge(length, maxBytes, limitName) };
    return decode(buffer.subarray(0, length));
  } catch (error) {
    return { ok: false, message: accessProblem(error) };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing to do: the descriptor is gone either way.
    }
  }
}

function readGrowing(
  fd: number,
  start: Buffer,
  length: number,
  maxBytes: number,
  limitName: string,
): ReadResult {
  const buffer = Buffer.alloc(maxBytes + 1);
  start.copy(buffer, 0, 0, length);
  let total = length;
  while (total <= maxBytes) {
    const read = readSync(fd, buffer, total, buffer.length - total, null);
    if (read === 0) return decode(buffer.subarray(0, total));
    total += read;
  }
  return { ok: false, message: tooLarge(total, maxBytes, limitName) };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(bytes: Buffer): ReadResult {
  try {
    return { ok: true, text: UTF8.decode(bytes), bytes: bytes.length };
  } catch {
    // Point at the first byte that is not UTF-8. A prefix that holds an invalid byte stays invalid
    // when it grows, so the longest valid prefix is found by bisection.
    let valid = 0;
    let invalid = bytes.length;
    while (invalid - valid > 1) {
      const middle = Math.floor((valid + invalid) / 2);
      if (isUtf8Prefix(bytes, middle)) valid = middle;
      else invalid = middle;
    }
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, valid)).split('\n');
    return {
      ok: false,
      message: 'is not UTF-8 text',
      line: before.length,
      column: (before.at(-1) ?? '').length + 1,
    };
  }
}

function isUtf8Prefix(bytes: Buffer, end: number): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
    return true;
  } catch {
    return false;
  }
}

function tooLarge(size: number, maxBytes: number, limitName: string): string {
  const more =
    size > maxBytes + 1 ? `${formatCount(size)} bytes` : `more than ${formatCount(maxBytes)} bytes`;
  return `is ${more}: over the limit of ${formatBytes(maxBytes)} ${limitName}`;
}

function accessProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist (was it removed while being read?)';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: permission denied';
  if (code === 'ELOOP') return 'is a symbolic link loop';
  if (code === 'EISDIR') return 'is a directory, not a regular file: not read';
  return `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}
