import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { Classified, HttpResult, ItemOutcome } from '../../src/delivery/destination.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/**
 * One runner for every destination's case files (`src/destinations/<name>/cases/*.json`):
 * changes in -> the exact HTTP requests out; vendor responses in -> one outcome per item.
 */
interface DestinationCase {
  name: string;
  settings: unknown;
  mapping: unknown;
  items: Parameters<typeof deliveryItem>[0][];
  expectRequests: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body: unknown;
    items: number[];
  }[];
  expectSkipped?: { item: number; reason: string }[];
  /** Checked when present: the parts the build defers (`BuildResult.deferred`). */
  expectDeferred?: unknown[];
  responses?: HttpResult[];
  expectOutcomes?: ItemOutcome[][];
  /** Per response, the destination-wide signal and report expected (absent = none). */
  expectSignals?: (Classified['signal'] | null)[];
  expectReports?: (Classified['report'] | null)[];
}

const root = new URL('../../src/destinations/', import.meta.url).pathname;

/** A type's folder: its own name, else the platform before the first `_` (`linkedin_dmp_segment` -> `linkedin`). */
function caseFolder(type: string): string {
  return existsSync(join(root, type)) ? type : (type.split('_')[0] ?? type);
}

for (const [type, destination] of Object.entries(DESTINATIONS)) {
  const dir = join(root, caseFolder(type), 'cases');
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.json')) : [];
  describe(`destination ${type}`, () => {
    it('has case files', () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      const testCase = JSON.parse(readFileSync(join(dir, file), 'utf8')) as DestinationCase;
      it(`${file}: ${testCase.name}`, () => {
        const configured = destination.configure(testCase.settings, testCase.mapping);
        const built = configured.buildBatch(testCase.items.map(deliveryItem));
        expect(built.requests.map(({ headers: _headers, ...rest }) => rest)).toEqual(
          testCase.expectRequests.map(({ headers: _headers, ...rest }) => rest),
        );
        testCase.expectRequests.forEach((expected, index) => {
          if (expected.headers) expect(built.requests[index]?.headers).toMatchObject(expected.headers);
        });
        expect(built.skipped).toEqual(testCase.expectSkipped ?? []);
        if (testCase.expectDeferred) expect(built.deferred ?? []).toEqual(testCase.expectDeferred);
        (testCase.responses ?? []).forEach((response, index) => {
          const request = built.requests[index];
          if (!request) throw new Error(`case has a response for request ${index}, which was not built`);
          const classified = configured.classify(response, request);
          expect(classified.items).toHaveLength(request.items.length);
          expect(classified.items).toEqual(testCase.expectOutcomes?.[index]);
          expect(classified.signal ?? null).toEqual(testCase.expectSignals?.[index] ?? null);
          expect(classified.report ?? null).toEqual(testCase.expectReports?.[index] ?? null);
        });
      });
    }
  });
}
