import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DESTINATIONS } from '../src/destinations/registry.js';
import {
  FAKE_RECORD_FILE_ENV,
  LOG_RECORD_FILE_ENV,
  scanFakeRecords,
  scanLogRecords,
  type Offence,
} from './helpers/fake-recording.js';
import { knownTestPhones } from './helpers/raw-identifiers.js';
import { REPO_ROOT } from './helpers/relay-process.js';

/**
 * The suite-wide check that no raw identifier leaks, for every run (`npm test` or one file).
 *
 * Before the workers start, two empty record files are made and named in `RELAY_FAKE_RECORD_FILE`
 * and `RELAY_LOG_RECORD_FILE`; vitest starts its workers with this process's environment, so every
 * fake started in a test (`startFakeKit`) appends the requests it receives, and every relay started by
 * the test helpers appends its log lines. At the end of the run both are scanned: a raw e-mail or
 * phone number in a request to an ad platform (a destination of kind `set`, or a fake of a type the
 * registry does not know) or in any log line fails the run (exit code 1) with the list. A run that
 * recorded nothing passes. A fake test that sends raw identifiers on purpose marks the request
 * (`DELIBERATELY_RAW_HEADER`).
 */

/** Addresses that may appear in a log line because they are nobody's. None so far. */
const NOT_PERSONAL_EMAILS: ReadonlySet<string> = new Set<string>();
/** Offences listed in the failure; the rest are counted. */
const LISTED = 50;

export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-identifier-scan-'));
  const fakeRecords = join(dir, 'fake-requests.jsonl');
  const logRecords = join(dir, 'relay-logs.txt');
  writeFileSync(fakeRecords, '');
  writeFileSync(logRecords, '');
  process.env[FAKE_RECORD_FILE_ENV] = fakeRecords;
  process.env[LOG_RECORD_FILE_ENV] = logRecords;

  return async () => {
    const registered = Object.values(DESTINATIONS);
    const setTypes = new Set(registered.filter((d) => d.kind === 'set').map((d) => d.type));
    const phones = knownTestPhones(REPO_ROOT);
    const requests = await scanFakeRecords(
      fakeRecords,
      setTypes,
      new Set(registered.map((d) => d.type)),
      phones,
    );
    const logs = await scanLogRecords(logRecords, phones, NOT_PERSONAL_EMAILS);
    const offences = [...requests.offences, ...logs.offences];
    const counts =
      `${requests.scanned} fake requests (${requests.toAdPlatforms} to ad platforms), ` +
      `${logs.scanned} relay log lines`;
    if (offences.length === 0) {
      rmSync(dir, { recursive: true, force: true });
      console.log(`raw identifier scan: ${counts}: none found`);
      return;
    }
    // Not thrown alone: vitest reports an error in a global teardown but still exits 0.
    process.exitCode = 1;
    throw new Error(
      [
        `raw identifier scan FAILED: ${offences.length} raw identifiers where none may be (${counts}; records kept in ${dir}):`,
        ...offences.slice(0, LISTED).map(describeOffence),
        ...(offences.length > LISTED ? [`  ... and ${offences.length - LISTED} more`] : []),
      ].join('\n'),
    );
  };
}

function describeOffence({ where, what }: Offence): string {
  return `  ${what} in ${where}`;
}
