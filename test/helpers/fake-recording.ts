import { appendFileSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FAKE_RECORD_FILE_ENV, type RequestRecordLine } from '../../src/destinations/fake-kit.js';
import { findRawIdentifiers, leavesOf, type KnownPhones } from './raw-identifiers.js';

/**
 * The suite-wide records that `test/global-setup.ts` scans at the end of a run: every request any
 * fake received (`RELAY_FAKE_RECORD_FILE`, written by `startFakeKit`) and every line a relay logged
 * (`RELAY_LOG_RECORD_FILE`, written by the relay test helpers). Both variables are set once in the
 * main vitest process before the workers start, so every test file and every child process given
 * the environment writes to the same two files.
 */

export { FAKE_RECORD_FILE_ENV };
export const LOG_RECORD_FILE_ENV = 'RELAY_LOG_RECORD_FILE';
/**
 * A test that sends an ad platform's fake raw identifiers on purpose (to see the fake refuse them)
 * sets this request header to `deliberate`; the scan leaves such requests out.
 */
export const DELIBERATELY_RAW_HEADER = 'x-test-raw-identifiers';

/** The log record file of this run, when the suite's global setup is active. */
export function logRecordFile(): string | undefined {
  return process.env[LOG_RECORD_FILE_ENV] || undefined;
}

/** The environment a child process needs to add its fakes' requests to this run's record. */
export function recordingEnv(): Record<string, string> {
  const file = process.env[FAKE_RECORD_FILE_ENV];
  return file ? { [FAKE_RECORD_FILE_ENV]: file } : {};
}

/**
 * Appends a stream's output to the log record file in whole lines (a chunk may end mid-line; two
 * relays' half lines must not mix). `flush` writes what is left once the stream ended.
 */
export function logLineRecorder(file: string): { write: (chunk: string) => void; flush: () => void } {
  let partial = '';
  return {
    write: (chunk) => {
      const text = partial + chunk;
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      if (end >= 0) appendFileSync(file, text.slice(0, end + 1));
    },
    flush: () => {
      if (partial !== '') appendFileSync(file, `${partial}\n`);
      partial = '';
    },
  };
}

export interface Offence {
  where: string;
  what: string;
}

export interface ScanSummary {
  scanned: number;
  offences: Offence[];
}

/**
 * Every raw e-mail or phone number in a request to an ad platform (`setTypes`) or to a fake of no
 * registered type (a test's own destination, or a fake whose type could not be told: it may be one).
 */
export async function scanFakeRecords(
  file: string,
  setTypes: ReadonlySet<string>,
  knownTypes: ReadonlySet<string>,
  knownPhones: KnownPhones,
): Promise<ScanSummary & { toAdPlatforms: number }> {
  const summary = { scanned: 0, toAdPlatforms: 0, offences: [] as Offence[] };
  for await (const { line, number } of linesOf(file)) {
    summary.scanned++;
    const type = /^\{"type":(?:"([^"]*)"|null)/.exec(line)?.[1];
    if (type !== undefined && knownTypes.has(type) && !setTypes.has(type)) continue;
    const record = parseRecord(line);
    if (!record) {
      summary.offences.push({ where: `record line ${number}`, what: 'not a request record' });
      continue;
    }
    // A fake of a test's own destination type, or one whose type could not be told, may be an ad platform.
    const unregistered =
      record.type === null || !knownTypes.has(record.type) ? ' (not a registered type)' : '';
    const request = `${record.type ?? '(unknown fake)'}${unregistered} ${record.method} ${record.path}`;
    if (record.headers[DELIBERATELY_RAW_HEADER] === 'deliberate') continue;
    summary.toAdPlatforms++;
    const parts: [string, unknown][] = [
      ['path', record.path],
      ['query', record.query ?? ''],
      ['headers', record.headers],
      ['body', record.body],
    ];
    for (const [name, value] of parts)
      for (const [at, text] of leavesOf(value, name))
        for (const finding of findRawIdentifiers(text, knownPhones))
          summary.offences.push({
            where: `${request}: ${at}`,
            what: `raw ${finding.kind} "${finding.value}"`,
          });
  }
  return summary;
}

/** Every raw e-mail or phone number in the relays' log lines (addresses in `allowedEmails` excepted). */
export async function scanLogRecords(
  file: string,
  knownPhones: KnownPhones,
  allowedEmails: ReadonlySet<string>,
): Promise<ScanSummary> {
  const summary = { scanned: 0, offences: [] as Offence[] };
  for await (const { line, number } of linesOf(file)) {
    summary.scanned++;
    for (const finding of findRawIdentifiers(line, knownPhones, allowedEmails))
      summary.offences.push({
        where: `log line ${number}: ${excerpt(line, finding.value)}`,
        what: `raw ${finding.kind} "${finding.value}"`,
      });
  }
  return summary;
}

async function* linesOf(file: string): AsyncGenerator<{ line: string; number: number }> {
  const stream = createReadStream(file, 'utf8');
  let number = 0;
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      number++;
      if (line.trim() !== '') yield { line, number };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // nothing was recorded
  }
}

function parseRecord(line: string): RequestRecordLine | undefined {
  try {
    const value = JSON.parse(line) as RequestRecordLine;
    return typeof value === 'object' && value !== null && typeof value.path === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The log line around the finding, short enough for a failure list. */
function excerpt(line: string, value: string): string {
  const at = Math.max(0, line.indexOf(value) - 60);
  const text = line.slice(at, at + 160);
  return `${at > 0 ? '…' : ''}${text}${at + 160 < line.length ? '…' : ''}`;
}
