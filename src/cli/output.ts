import { currentIo } from './io.js';

/** Compact, aligned human output, and the raw JSON for `--json`. */

export function printJson(value: unknown): void {
  currentIo().stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: string[]): void {
  if (lines.length > 0) currentIo().stdout(`${lines.join('\n')}\n`);
}

/** Lines on stderr: what went wrong, when a command also printed a result (or nothing) on stdout. */
export function printErrorLines(lines: string[]): void {
  if (lines.length > 0) currentIo().stderr(`${lines.join('\n')}\n`);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Rows under headers, columns padded to their widest cell, two spaces apart. */
export function table(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]) =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)];
}

/** `key  value` lines with the keys padded to the longest. */
export function keyValues(entries: [string, string][], indent = ''): string[] {
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${indent}${key.padEnd(width)}  ${value}`.trimEnd());
}

/** An instant as ISO to the second (`2025-03-01T12:00:00Z`); '-' when absent. */
export function formatTime(time: string | number | null | undefined): string {
  if (time === null || time === undefined || time === '') return '-';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A value on one line (strings bare, the rest as JSON), cut at `max` characters. */
export function formatValue(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
